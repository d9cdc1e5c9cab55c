/**
 * Playwright fixtures: one real swarm node per worker (`swarm`), `baseURL`
 * pointed at it, and a per-test guard that fails on browser console errors
 * and on any tRPC query over HTTP (the dashboard must not poll: its data
 * comes from the one WebSocket stream; HTTP is for mutations only).
 */
import { test as base, expect, type Page } from '@playwright/test';
import { startSwarmd, type SwarmNode } from './swarmd.js';

export interface PageGuard {
  consoleErrors: string[];
  httpQueries: string[];
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
    if (url.pathname.startsWith('/trpc') && req.method() === 'GET') g.httpQueries.push(url.pathname + url.search);
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
    },
    { auto: true },
  ],
});

export { expect };
