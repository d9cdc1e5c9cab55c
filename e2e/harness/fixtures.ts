/**
 * Playwright fixtures: one real swarm node per worker (`swarm`), `baseURL`
 * pointed at it, and a per-test guard that fails on browser console errors
 * and on any tRPC query over HTTP (the dashboard must not poll: its data
 * comes from the one WebSocket stream; HTTP is for mutations only). The one
 * exception is a short list of one-shot facts the stream does not carry
 * (who is signed in, the API token list, the Join page's install commands),
 * each allowed a few times per test: more than that would be polling.
 */
import { test as base, expect, type Page } from '@playwright/test';
import { startSwarmd, type SwarmNode } from './swarmd.js';

/**
 * Queries the dashboard may send over HTTP: facts not in the stream, fetched
 * once (and after a change): who is signed in, the API tokens, and the Join
 * page's commands (`cluster.joinCommands`, refetched when the live cluster
 * object changes, e.g. a token rotation).
 */
const ONE_SHOT = new Set(['auth.me', 'auth.listTokens', 'cluster.joinCommands']);
const MAX_ONE_SHOT = 8;

export interface PageGuard {
  consoleErrors: string[];
  /** tRPC queries over HTTP other than the allowed one-shot ones. */
  httpQueries: string[];
  /** How often each allowed one-shot query was sent. */
  oneShot: Map<string, number>;
  sockets: string[];
  /** Tolerates console errors matching `re` (e.g. the socket failing while a test restarts the node). */
  allow(re: RegExp): void;
  unexpectedErrors(): string[];
}

function guard(page: Page): PageGuard {
  const allowed: RegExp[] = [];
  const g: PageGuard = {
    consoleErrors: [],
    httpQueries: [],
    oneShot: new Map(),
    sockets: [],
    allow: (re) => void allowed.push(re),
    unexpectedErrors: () => g.consoleErrors.filter((e) => !allowed.some((re) => re.test(e))),
  };
  page.on('console', (msg) => {
    if (msg.type() === 'error') g.consoleErrors.push(msg.text());
  });
  page.on('pageerror', (err) => g.consoleErrors.push(`pageerror: ${err.message}`));
  page.on('request', (req) => {
    const url = new URL(req.url());
    if (!url.pathname.startsWith('/trpc') || req.method() !== 'GET') return;
    // httpBatchLink joins procedures with commas: /trpc/a.b,c.d?batch=1&input=…
    const procs = decodeURIComponent(url.pathname.slice('/trpc/'.length)).split(',');
    if (procs.every((p) => ONE_SHOT.has(p))) for (const p of procs) g.oneShot.set(p, (g.oneShot.get(p) ?? 0) + 1);
    else g.httpQueries.push(url.pathname + url.search);
  });
  page.on('websocket', (ws) => g.sockets.push(ws.url()));
  return g;
}

export const test = base.extend<{ pageGuard: PageGuard; swarmLog: void }, { swarm: SwarmNode }>({
  swarm: [
    // eslint-disable-next-line no-empty-pattern
    async ({}, use) => {
      const node = await startSwarmd();
      try {
        await use(node);
      } finally {
        await node.stop();
      }
    },
    { scope: 'worker', timeout: 60_000 },
  ],
  baseURL: async ({ swarm }, use) => use(swarm.url),
  // Pages start signed in as the test admin when the node requires sign-in.
  context: async ({ context, swarm }, use) => {
    const s = swarm.session;
    if (s) await context.addCookies([{ name: s.cookie.name, value: s.cookie.value, url: swarm.url, httpOnly: true, sameSite: 'Strict' }]);
    await use(context);
  },
  // On failure, keep what the node printed next to the trace.
  swarmLog: [
    async ({ swarm }, use, testInfo) => {
      const from = swarm.output().length;
      await use();
      if (testInfo.status !== testInfo.expectedStatus) {
        await testInfo.attach('swarmd.log', { body: swarm.output().slice(from), contentType: 'text/plain' });
      }
    },
    { auto: true },
  ],
  pageGuard: [
    async ({ page }, use) => {
      const g = guard(page);
      await use(g);
      expect(g.unexpectedErrors(), 'browser console errors').toEqual([]);
      expect(g.httpQueries, 'tRPC queries over HTTP (polling)').toEqual([]);
      for (const [proc, n] of g.oneShot) expect(n, `${proc} sent ${n} times (polling?)`).toBeLessThanOrEqual(MAX_ONE_SHOT);
    },
    { auto: true },
  ],
});

export { expect };
