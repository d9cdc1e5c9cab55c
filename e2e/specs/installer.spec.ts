/**
 * The installer one-liner on the Join page, end to end: the line the page
 * offers (and copies) is exactly `cluster.joinCommands`' worker line for the
 * page's own origin; run for real (`sh -c`, into a temp root, sim executor)
 * it installs a node that appears live on the open Join page and on Nodes,
 * READY; the uninstall script it wrote removes it again, and the node is
 * force-removed through the API. Rotating the worker token on the page
 * changes the line (refetched on the stream's cluster update, not polled).
 */
import type { Page } from '@playwright/test';
import { joinCommands, nodeList, removeNode } from '../harness/api.js';
import { expect, test } from '../harness/fixtures.js';
import { alive, runInstallLine, type Installed } from '../harness/installer.js';
import { screenshot } from '../harness/screens.js';

const HOST = 'e2e-inst';
const INSTALL_BUDGET = 90_000; // download + verify + check-join + start, then CSR, certificate, first heartbeat

const nav = (page: Page, name: string) => page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name }).click();

/** The page's copy button puts exactly the shown line on the clipboard (checked through the Clipboard API when Chromium grants it). */
async function copied(page: Page, testId: string): Promise<{ text: string; via: 'clipboard' | 'element' }> {
  const shown = (await page.getByTestId(testId).textContent()) ?? '';
  await page.getByTestId(`copy-${testId}`).click();
  await expect(page.getByTestId(`copy-${testId}`)).toHaveAttribute('data-state', 'copied');
  const read = await page.evaluate(() => navigator.clipboard.readText().catch(() => null));
  if (read === null) return { text: shown, via: 'element' };
  expect(read, 'clipboard content = the line shown').toBe(shown);
  return { text: read, via: 'clipboard' };
}

test('install a worker with the one-liner from the Join page — live; uninstall; rotate', async ({ page, context, swarm, pageGuard }, testInfo) => {
  test.setTimeout(180_000);
  let installed: Installed | undefined;
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: swarm.url }).catch(() => undefined);
  try {
    await page.goto('/join');
    await expect(page.getByTestId('connection-status')).toHaveAttribute('data-state', 'live', { timeout: 20_000 });
    await page.evaluate(() => ((window as unknown as { __noReload: boolean }).__noReload = true));
    const installEl = page.getByTestId('join-install-worker');
    let line = '';

    await test.step('the page shows the installer line above the swarmd command, equal to cluster.joinCommands', async () => {
      await expect(installEl).toBeVisible();
      const api = await joinCommands(swarm, swarm.url);
      expect(api.worker.install).toBeDefined();
      await expect(installEl).toHaveText(api.worker.install!);
      await expect(installEl).toHaveText(new RegExp(`^curl -fsSL http://127\\.0\\.0\\.1:\\d+/install\\.sh \\| sh -s - --join-token ${api.worker.token}$`));
      expect(api.url).toBe(swarm.url);
      // The swarmd line joins the address the API resolved.
      await expect(page.getByTestId('join-command-worker')).toHaveText(`swarmd -d /var/lib/swarmd --join-addr ${api.remoteApi} --join-token ${api.worker.token}`);
      // Order: the one-liner comes first.
      const [a, b] = await Promise.all([installEl.boundingBox(), page.getByTestId('join-command-worker').boundingBox()]);
      expect(a!.y).toBeLessThan(b!.y);
      // The manager line is shown too, with the manager token.
      await expect(page.getByTestId('join-install-manager')).toHaveText(api.manager.install!);
      await expect(page.getByTestId('copy-join-install-worker')).toHaveAccessibleName('Copy worker install command');

      const c = await copied(page, 'join-install-worker');
      testInfo.annotations.push({ type: 'copied via', description: c.via });
      expect(c.text).toBe(api.worker.install);
      line = c.text;
    });

    await test.step('run exactly that line (plus test flags) for real', async () => {
      installed = await runInstallLine(line, { hostname: HOST });
      expect(installed.code, `${installed.line}\n${installed.output}`).toBe(0);
      expect(installed.output).toContain('swarmd is up');
      expect(installed.pid(), 'the installed swarmd wrote its PID file').toBeDefined();
      expect(alive(installed.pid()!)).toBe(true);
    });

    await test.step('the node appears on the open Join page, new and READY', async () => {
      const row = page.getByTestId(`join-node-${HOST}`);
      await expect(row, `installer output:\n${installed?.output}`).toBeVisible({ timeout: INSTALL_BUDGET });
      await expect(row).toHaveAttribute('data-new', 'true');
      await expect(row.getByTestId('node-status')).toHaveAttribute('data-state', 'READY', { timeout: INSTALL_BUDGET });
      await expect(row.getByRole('cell').first()).toHaveText('worker');
      await screenshot(page, 'join-install', { fullPage: true });
    });

    await test.step('and on the Nodes page (client navigation, same stream)', async () => {
      await nav(page, 'Nodes');
      await expect(page.getByTestId(`node-row-${HOST}`)).toHaveAttribute('data-status', 'READY');
    });

    await test.step('the generated uninstall script stops it and removes every file; force-remove the node', async () => {
      const pid = installed!.pid()!;
      const u = await installed!.uninstall();
      expect(u.code, u.output).toBe(0);
      await expect.poll(() => alive(pid), { timeout: 15_000, message: `installed swarmd ${pid} exits` }).toBe(false);
      expect(installed!.files()).toEqual([]);
      const node = (await nodeList(swarm)).find((n) => n.description?.hostname === HOST);
      expect(node, 'the node is still registered until removed').toBeDefined();
      await removeNode(swarm, node!.id, true);
      await expect(page.getByTestId(`node-row-${HOST}`)).toHaveCount(0);
      await expect(page.getByTestId(`node-row-${swarm.hostname}`)).toBeVisible();
      expect((await nodeList(swarm)).some((n) => n.description?.hostname === HOST)).toBe(false);
    });

    await test.step('rotate the worker token on the page: the install line changes to the new one', async () => {
      await nav(page, 'Join');
      await expect(page.getByTestId(`join-node-${HOST}`)).toHaveCount(0);
      await expect(installEl).toHaveText(line);
      const old = (await joinCommands(swarm)).worker.token;
      await page.getByTestId('rotate-worker').click();
      const dialog = page.getByRole('dialog', { name: 'Rotate the worker join token?' });
      await dialog.getByRole('button', { name: 'Rotate worker token' }).click();
      await expect(dialog).toBeHidden();
      await expect(installEl).not.toHaveText(line);
      const after = await joinCommands(swarm);
      expect(after.worker.token).not.toBe(old);
      await expect(installEl).toHaveText(after.worker.install!);
      await expect(installEl).toHaveText(new RegExp(`--join-token ${after.worker.token}$`));
      await expect(page.getByTestId('join-command-worker')).toHaveText(new RegExp(`--join-token ${after.worker.token}$`));
      expect(await page.evaluate(() => (window as unknown as { __noReload?: boolean }).__noReload === true), 'never reloaded').toBe(true);
      // Asked on the first visit, on the return to the page, after the rotation: not polled.
      const asked = pageGuard.oneShot.get('cluster.joinCommands') ?? 0;
      testInfo.annotations.push({ type: 'cluster.joinCommands requests', description: String(asked) });
      expect(asked).toBeGreaterThanOrEqual(2);
      expect(asked).toBeLessThanOrEqual(4);
    });
  } finally {
    await installed?.cleanup();
  }
});
