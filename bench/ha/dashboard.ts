/**
 * dashboard_reconnect_ms for bench:ha: three managers with dashboards (real
 * swarmd processes, sim executor), Debian's Chromium on manager A's
 * /services page, kill -9 of A, then a service created through B; the figure
 * is the time from the kill until that service's row is on A's open page
 * (the page moved its live stream to another manager and resumed). One
 * cluster per trial: the page's manager is gone afterwards.
 */
import { chromium } from 'playwright-core';
import { clusterInspect, mutate, nodeList } from '../../e2e/harness/api.js';
import { type SwarmNode, startSwarmd } from '../../e2e/harness/swarmd.js';
import { until } from '../lib.js';

const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const sleeper = (name: string) => ({
  spec: { annotations: { name, labels: {} }, task: { container: { image: 'local/busybox:1', command: ['sleep'], args: ['3600'], env: [] } }, mode: { kind: 'replicated', replicas: 1 } },
});

export async function dashboardReconnectTrial(k: number): Promise<number> {
  const started: SwarmNode[] = [];
  const browser = await chromium.launch({ executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium', args: ARGS });
  try {
    const a = await startSwarmd({ hostname: `dr${k}-a`, executor: 'sim', timeoutMs: 60_000 });
    started.push(a);
    const token = (await clusterInspect(a)).rootCa!.joinTokens.manager;
    for (const h of ['b', 'c']) started.push(await startSwarmd({ hostname: `dr${k}-${h}`, executor: 'sim', timeoutMs: 60_000, join: { addr: a.remoteApi, token } }));
    const b = started[1]!;
    await until(async () => (await nodeList(a)).filter((n) => n.managerStatus && n.dashboard).length === 3, 60_000, 'three dashboards published', 200);
    const context = await browser.newContext();
    await context.addCookies([{ name: a.session!.cookie.name, value: a.session!.cookie.value, url: a.url, httpOnly: true, sameSite: 'Strict' }]);
    const page = await context.newPage();
    await page.goto(`${a.url}/services`);
    await page.locator('[data-testid="connection-status"][data-state="live"]').waitFor({ timeout: 30_000 });
    await mutate(b, 'service.create', sleeper(`before-${k}`));
    await page.getByTestId(`service-row-before-${k}`).waitFor({ timeout: 30_000 });

    await a.kill9();
    const killed = performance.now();
    const name = `after-${k}`;
    await until(() => mutate(b, 'service.create', sleeper(name)).then(() => true, (e: unknown) => /already|exists/i.test(String(e))), 30_000, 'a write through B', 50);
    await page.getByTestId(`service-row-${name}`).waitFor({ timeout: 30_000 });
    return performance.now() - killed;
  } finally {
    await browser.close();
    for (const n of started.reverse()) await n.stop();
  }
}
