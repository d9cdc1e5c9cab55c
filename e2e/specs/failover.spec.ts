/**
 * Three managers, the dashboard open on A: kill -9 A, and the open page moves
 * its live stream to another manager (published dashboard origins), resumes
 * from the last version it saw and keeps updating, without a reload; its
 * actions (scaling) go to the new manager too.
 */
import { randomBytes } from 'node:crypto';
import { clusterInspect, mutate, nodeList, queryWith } from '../harness/api.js';
import { expect, test } from '../harness/fixtures.js';
import { type SwarmNode, startSwarmd } from '../harness/swarmd.js';

const uniqueName = (prefix: string) => `${prefix}-${randomBytes(3).toString('hex')}`;
/** A sleeper service through manager `via`'s API (the sim executor runs it without Docker). */
const createSleeper = (via: SwarmNode, name: string, replicas: number) =>
  mutate(via, 'service.create', {
    spec: { annotations: { name, labels: {} }, task: { container: { image: 'local/busybox:1', command: ['sleep'], args: ['3600'], env: [] } }, mode: { kind: 'replicated', replicas } },
  });

test('with the dashboard open on manager A, kill A: the page moves to B and keeps updating', async ({ page, context, pageGuard }) => {
  test.setTimeout(180_000);
  pageGuard.allow(/WebSocket connection to '.*\/trpc' failed/);
  // A's responses cut off by kill -9 (streams in flight when it died), a kept-alive socket to A found
  // dead (SOCKET_NOT_CONNECTED), then refused connections.
  pageGuard.allow(/Failed to load resource: net::ERR_(CONNECTION_REFUSED|CONNECTION_RESET|EMPTY_RESPONSE|INCOMPLETE_CHUNKED_ENCODING|SOCKET_NOT_CONNECTED)/);
  const started: SwarmNode[] = [];
  try {
    const a = await startSwarmd({ hostname: 'fo-a', executor: 'sim' });
    started.push(a);
    const token = (await clusterInspect(a)).rootCa!.joinTokens.manager;
    for (const h of ['fo-b', 'fo-c']) started.push(await startSwarmd({ hostname: h, executor: 'sim', join: { addr: a.remoteApi, token } }));
    const [, b] = started as [SwarmNode, SwarmNode, SwarmNode];
    await expect.poll(async () => (await nodeList(a)).filter((n) => n.managerStatus && n.dashboard).length, { timeout: 30_000 }).toBe(3);

    await context.addCookies([{ name: a.session!.cookie.name, value: a.session!.cookie.value, url: a.url, httpOnly: true, sameSite: 'Strict' }]);
    const status = page.getByTestId('connection-status');
    await page.goto(`${a.url}/services`);
    await expect(status).toHaveAttribute('data-state', 'live');
    const before = uniqueName('fo-before');
    await createSleeper(b, before, 1);
    await expect(page.getByTestId(`service-row-${before}`)).toBeVisible({ timeout: 15_000 });
    await page.evaluate(() => ((window as unknown as { __noReload: boolean }).__noReload = true));

    await a.kill9();
    const killed = Date.now();
    const after = uniqueName('fo-after');
    await expect.poll(() => createSleeper(b, after, 2).then(() => true, (e: unknown) => /already|conflict|exists/i.test(String(e))), { timeout: 30_000 }).toBe(true);
    await expect(page.getByTestId(`service-row-${after}`)).toBeVisible({ timeout: 30_000 });
    console.log(`dashboard_reconnect_ms: ${Date.now() - killed} (kill -9 of the page's manager until a write made on another manager shows)`);
    await expect(status).toHaveAttribute('data-state', 'live');
    await expect(page.getByTestId(`service-row-${after}`).getByTestId('replicas')).toHaveText('2/2', { timeout: 30_000 });

    // The page's own actions follow the socket: scale from the dashboard while its origin is dead.
    await page.getByLabel(`Replicas for ${after}`).fill('3');
    await page.getByLabel(`Scale ${after}`).click();
    await expect(page.getByTestId(`service-row-${after}`).getByTestId('replicas')).toHaveText('3/3', { timeout: 30_000 });
    const svc = await queryWith<{ spec: { mode: { kind: string; replicas?: number } } }>(b, 'service.get', { ref: after });
    expect(svc.spec.mode.replicas).toBe(3);
    expect(await page.evaluate(() => (window as unknown as { __noReload?: boolean }).__noReload)).toBe(true);
  } finally {
    for (const n of started.reverse()) await n.stop();
  }
});
