/**
 * Joining nodes, end to end: the Join page's worker command is the real
 * thing (run it and a node joins, on the open page, without reload), token
 * rotation goes through an accessible confirmation dialog and the page then
 * shows the new token, and a joined node can be drained and removed from its
 * own page.
 */
import { randomBytes } from 'node:crypto';
import type { Page } from '@playwright/test';
import { clusterInspect } from '../harness/api.js';
import { expect, test } from '../harness/fixtures.js';
import { screenshot } from '../harness/screens.js';
import { type SwarmNode, startSwarmd } from '../harness/swarmd.js';
import { runJoinCommand, type Worker } from '../harness/worker.js';

const JOIN_BUDGET = 30_000; // CSR, certificate, session, first heartbeat on a busy 2-core machine

async function openJoin(page: Page) {
  await page.goto('/join');
  await expect(page.getByTestId('connection-status')).toHaveAttribute('data-state', 'live', { timeout: 20_000 });
  await expect(page.getByRole('heading', { level: 1, name: 'Join a node' })).toBeVisible();
  await expect(page.getByTestId('join-command-worker')).toBeVisible();
}

const noReloadMark = (page: Page) => page.evaluate(() => ((window as unknown as { __noReload: boolean }).__noReload = true));
const stillNoReload = (page: Page) => page.evaluate(() => (window as unknown as { __noReload?: boolean }).__noReload === true);

test('rotate the worker token through the dialog: the page shows the new command', async ({ page, swarm }) => {
  await openJoin(page);
  const command = page.getByTestId('join-command-worker');
  const before = await clusterInspect(swarm);
  const tokens = before.rootCa!.joinTokens;

  await test.step('the command, the manager token and the CA fingerprint match the API', async () => {
    await expect(command).toHaveText(new RegExp(`^swarmd -d /var/lib/swarmd --join-addr 127\\.0\\.0\\.1:\\d+ --join-token ${tokens.worker}$`));
    await expect(page.getByTestId('join-token-manager')).toHaveText(tokens.manager);
    await expect(page.getByTestId('join-command-manager')).toHaveText(new RegExp(`^swarmd -d /var/lib/swarmd --join-addr 127\\.0\\.0\\.1:\\d+ --join-token ${tokens.manager}$`));
    await expect(page.getByTestId('ca-fingerprint')).toHaveText(before.caFingerprint!);
    await expect(page.getByTestId('copy-join-command-worker')).toHaveAccessibleName('Copy worker join command');
  });

  const opener = page.getByTestId('rotate-worker');
  const dialog = page.getByRole('dialog', { name: 'Rotate the worker join token?' });

  await test.step('the dialog explains, traps focus, and Esc cancels', async () => {
    await opener.click();
    await expect(dialog).toBeVisible();
    await expect(dialog).toHaveAccessibleDescription(/old token stops working for new joins/);
    const cancel = dialog.getByRole('button', { name: 'Cancel' });
    const confirm = dialog.getByRole('button', { name: 'Rotate worker token' });
    await expect(cancel).toBeFocused();
    await page.keyboard.press('Tab');
    await expect(confirm).toBeFocused();
    await page.keyboard.press('Tab');
    await expect(cancel).toBeFocused(); // wrapped, still inside
    await page.keyboard.press('Shift+Tab');
    await expect(confirm).toBeFocused();
    await screenshot(page, 'join-rotate-dialog');
    await page.keyboard.press('Escape');
    await expect(dialog).toBeHidden();
    await expect(opener).toBeFocused();
    expect((await clusterInspect(swarm)).rootCa!.joinTokens.worker, 'Esc must not rotate').toBe(tokens.worker);
  });

  await test.step('confirm: a new worker token, on the page and in the API', async () => {
    await opener.click();
    await dialog.getByRole('button', { name: 'Rotate worker token' }).click();
    await expect(dialog).toBeHidden();
    await expect(page.getByTestId('rotate-notice')).toContainText('worker token was rotated');
    await expect(command).not.toContainText(tokens.worker);
    const after = await clusterInspect(swarm);
    expect(after.rootCa!.joinTokens.worker).not.toBe(tokens.worker);
    expect(after.rootCa!.joinTokens.manager, 'the manager token is untouched').toBe(tokens.manager);
    await expect(command).toHaveText(new RegExp(`--join-token ${after.rootCa!.joinTokens.worker}$`));
    // Same CA: same digest part of the token, same fingerprint.
    expect(after.rootCa!.joinTokens.worker.split('-')[2]).toBe(tokens.worker.split('-')[2]);
    await expect(page.getByTestId('ca-fingerprint')).toHaveText(after.caFingerprint!);
  });
});

test('a worker joins with the command from the page — live; drain it, stop it, remove it', async ({ page, swarm, pageGuard }) => {
  test.setTimeout(120_000);
  pageGuard.allow(/Failed to load resource: the server responded with a status of 409/); // the refused removal, on purpose
  const host = `e2e-worker-${randomBytes(3).toString('hex')}`;
  let worker: Worker | undefined;
  try {
    await test.step('copy the join command (with a hostname) and run it for real', async () => {
      await openJoin(page);
      await noReloadMark(page);
      await page.getByLabel('Hostname of the new node').fill(host);
      const command = page.getByTestId('join-command-worker');
      await expect(command).toContainText(`--hostname ${host} --join-addr`);
      worker = await runJoinCommand((await command.textContent()) ?? '');
    });

    await test.step('the node appears on the Join page, highlighted as new, and READY', async () => {
      const row = page.getByTestId(`join-node-${host}`);
      await expect(row, `worker output:\n${worker?.output()}`).toBeVisible({ timeout: JOIN_BUDGET });
      await expect(row).toHaveAttribute('data-new', 'true');
      await expect(row.getByTestId('node-status')).toHaveAttribute('data-state', 'READY', { timeout: JOIN_BUDGET });
      await expect(page.getByTestId(`join-node-${swarm.hostname}`)).not.toHaveAttribute('data-new', 'true');
      await screenshot(page, 'join', { fullPage: true });
    });

    await test.step('and on the Nodes page (client navigation, same stream)', async () => {
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Nodes' }).click();
      const row = page.getByTestId(`node-row-${host}`);
      await expect(row).toHaveAttribute('data-status', 'READY');
      await row.getByRole('link', { name: host }).click();
      await expect(page.getByTestId('node-detail')).toHaveAttribute('data-hostname', host);
      await expect(page.getByTestId('node-executor')).toHaveText('sim');
      await expect(page.getByTestId('node-role')).toHaveText('worker');
      await expect(page.getByTestId('cert-expiry')).toBeVisible();
    });

    await test.step('drain it through the confirmation dialog', async () => {
      await page.getByTestId('node-action-drain').click();
      const dialog = page.getByRole('dialog', { name: `Drain ${host}?` });
      await expect(dialog).toContainText('rescheduled on other nodes');
      await dialog.getByRole('button', { name: 'Drain' }).click();
      await expect(dialog).toBeHidden();
      await expect(page.getByTestId('node-detail')).toHaveAttribute('data-availability', 'DRAIN');
      await expect(page.getByTestId('node-detail').getByTestId('node-availability')).toHaveText('drain');
      await expect(page.getByTestId('node-action-drain')).toHaveAttribute('aria-pressed', 'true');
      await screenshot(page, 'node', { fullPage: true });
    });

    await test.step('removing a live node without force is refused with the server’s reason', async () => {
      await page.getByTestId('node-action-remove').click();
      const dialog = page.getByRole('dialog', { name: `Remove ${host} from the cluster?` });
      await expect(dialog.getByTestId('node-remove-force')).not.toBeChecked();
      await dialog.getByRole('button', { name: 'Remove', exact: true }).click();
      await expect(dialog.getByRole('alert')).toContainText("is not down and can't be removed");
      await screenshot(page, 'node-remove-refused');
      await dialog.getByRole('button', { name: 'Cancel' }).click();
      await expect(dialog).toBeHidden();
    });

    await test.step('stop it, force-remove it: it disappears everywhere, live', async () => {
      await worker!.stop();
      await page.getByTestId('node-action-remove').click();
      const dialog = page.getByRole('dialog', { name: `Remove ${host} from the cluster?` });
      await expect(dialog).toBeVisible();
      // Right after the stop the manager may not have noticed yet: then it asks for force.
      const force = dialog.getByTestId('node-remove-force');
      if (await force.isVisible()) await force.check({ timeout: 2000 }).catch(() => undefined);
      await dialog.getByRole('button', { name: /^(Force remove|Remove)$/ }).click();
      await expect(page).toHaveURL(/\/nodes$/);
      await expect(page.getByTestId(`node-row-${host}`)).toHaveCount(0);
      await expect(page.getByTestId(`node-row-${swarm.hostname}`)).toBeVisible();
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Join' }).click();
      await expect(page.getByTestId(`join-node-${swarm.hostname}`)).toBeVisible();
      await expect(page.getByTestId(`join-node-${host}`)).toHaveCount(0);
      expect(await stillNoReload(page), 'the page was never reloaded').toBe(true);
    });
  } finally {
    await worker?.stop();
  }
});

test('a manager joins with the manager command from the page — live, as a reachable manager', async ({ page, context }) => {
  test.setTimeout(120_000);
  // A cluster of its own: two managers need both for quorum, so the shared one must not gain a member.
  const host = `e2e-manager-${randomBytes(3).toString('hex')}`;
  let a: SwarmNode | undefined;
  let joined: Worker | undefined;
  try {
    a = await startSwarmd({ hostname: 'join-m1', executor: 'sim' });
    await context.addCookies([{ name: a.session!.cookie.name, value: a.session!.cookie.value, url: a.url, httpOnly: true, sameSite: 'Strict' }]);
    await page.goto(`${a.url}/join`);
    await expect(page.getByTestId('connection-status')).toHaveAttribute('data-state', 'live', { timeout: 20_000 });
    const tokens = (await clusterInspect(a)).rootCa!.joinTokens;

    await test.step('the manager command carries the manager token and the address typed in', async () => {
      await page.getByLabel('Hostname of the new node').fill(host);
      await page.getByLabel('Remote API address of the new manager').fill('10.0.0.12:4242');
      const command = page.getByTestId('join-command-manager');
      await expect(command).toHaveText(`swarmd -d /var/lib/swarmd --hostname ${host} --join-addr ${a!.remoteApi} --join-token ${tokens.manager} --listen-remote-api 10.0.0.12:4242`);
      await expect(page.getByTestId('join-install-manager')).toContainText(`--join-token ${tokens.manager} --manager --hostname ${host} --listen-remote-api 10.0.0.12:4242`);
      await page.getByLabel('Remote API address of the new manager').fill('');
      await expect(command).not.toContainText('--listen-remote-api');
    });

    await test.step('run it for real (the harness adds a loopback remote API port): a second manager, live', async () => {
      joined = await runJoinCommand((await page.getByTestId('join-command-manager').textContent()) ?? '');
      const row = page.getByTestId(`join-node-${host}`);
      await expect(row, `manager output:\n${joined.output()}`).toBeVisible({ timeout: JOIN_BUDGET });
      await expect(row).toHaveAttribute('data-new', 'true');
      await expect(row.getByTestId('join-node-role')).toHaveText('manager (reachable)', { timeout: JOIN_BUDGET });
      await expect(page.getByTestId('join-node-join-m1').getByTestId('join-node-role')).toHaveText('manager (leader)');
      await screenshot(page, 'join-manager', { fullPage: true });
    });
  } finally {
    await page.goto('about:blank'); // no reconnect attempts to the stopped managers
    await joined?.stop();
    await a?.stop();
  }
});
