/**
 * The node page: every fact about the node, its certificate's expiry (an
 * absolute date and "in N days", matching the API), its tasks, and actions
 * that confirm first and report the server's refusal: availability, labels,
 * demotion, removal.
 */
import { nodeList } from '../harness/api.js';
import { expect, test } from '../harness/fixtures.js';
import { screenshot } from '../harness/screens.js';

test('the node page shows the certificate expiry, edits labels, and refuses to demote or remove the only manager with the server’s reason', async ({ page, swarm, pageGuard }) => {
  pageGuard.allow(/Failed to load resource: the server responded with a status of 400/); // the refused removal, on purpose
  const self = (await nodeList(swarm)).find((n) => n.description?.hostname === swarm.hostname);
  expect(self?.certificate, 'the manager node has a certificate').toBeTruthy();
  const cert = self!.certificate!;

  await page.goto('/nodes');
  await expect(page.getByTestId('connection-status')).toHaveAttribute('data-state', 'live', { timeout: 20_000 });
  await page.getByTestId(`node-row-${swarm.hostname}`).getByRole('link', { name: swarm.hostname }).click();
  await expect(page).toHaveURL(new RegExp(`/nodes/view\\?id=${self!.id}$`));
  const detail = page.getByTestId('node-detail');
  await expect(detail).toHaveAttribute('data-hostname', swarm.hostname);
  await expect(page.getByRole('heading', { level: 1, name: swarm.hostname })).toBeVisible();
  await expect(page.getByTestId('node-role')).toContainText('manager');

  await test.step('certificate expiry: absolute UTC date and days left', async () => {
    const expiry = page.getByTestId('cert-expiry');
    const utc = `${new Date(cert.notAfter).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
    const days = Math.floor((cert.notAfter - Date.now()) / 86_400_000);
    await expect(expiry).toContainText(utc);
    await expect(page.getByTestId('cert-expiry-relative')).toHaveText(new RegExp(`^\\(in (${days}|${days - 1}) days\\)$`));
    await expect(expiry).not.toHaveAttribute('data-warn'); // freshly issued
    await expect(expiry.locator('time')).toHaveAttribute('datetime', new Date(cert.notAfter).toISOString());
  });

  await test.step('availability actions confirm first; Esc leaves the node as it was', async () => {
    await expect(page.getByTestId('node-action-active')).toHaveAttribute('aria-pressed', 'true');
    await page.getByTestId('node-action-pause').click();
    const dialog = page.getByRole('dialog', { name: `Pause ${swarm.hostname}?` });
    await expect(dialog).toHaveAccessibleDescription(/No new tasks are scheduled/);
    await page.keyboard.press('Escape');
    await expect(dialog).toBeHidden();
    await expect(detail).toHaveAttribute('data-availability', 'ACTIVE');
  });

  await test.step('labels: edited on the page with line errors, stored, shown live, then cleared', async () => {
    await page.getByTestId('node-action-labels').click();
    const dialog = page.getByRole('dialog', { name: `Labels of ${swarm.hostname}` });
    const input = dialog.getByLabel(`Labels of ${swarm.hostname}, one key=value per line`);
    await input.fill('e2e-rack=r7\nno equals sign');
    await dialog.getByRole('button', { name: 'Save labels' }).click();
    await expect(dialog.getByRole('alert')).toContainText('line 2: "no equals sign" is not key=value');
    await input.fill('e2e-rack=r7\ne2e-disk=ssd');
    await dialog.getByRole('button', { name: 'Save labels' }).click();
    await expect(dialog).toBeHidden();
    await expect(page.getByTestId('node-labels')).toContainText('e2e-rack');
    await expect(page.getByTestId('node-labels')).toContainText('r7');
    await expect.poll(async () => (await nodeList(swarm)).find((n) => n.id === self!.id)?.spec.annotations.labels).toEqual({ 'e2e-rack': 'r7', 'e2e-disk': 'ssd' });
    await page.getByTestId('node-action-labels').click();
    await expect(input).toHaveValue('e2e-disk=ssd\ne2e-rack=r7');
    await input.fill('');
    await dialog.getByRole('button', { name: 'Save labels' }).click();
    await expect(dialog).toBeHidden();
    await expect.poll(async () => (await nodeList(swarm)).find((n) => n.id === self!.id)?.spec.annotations.labels).toEqual({});
  });

  await test.step('demoting the only manager is refused: the dialog shows why', async () => {
    await page.getByTestId('node-action-role').click();
    const dialog = page.getByRole('dialog', { name: `Demote ${swarm.hostname}?` });
    await expect(dialog).toHaveAccessibleDescription(/leaves Raft/);
    await dialog.getByRole('button', { name: 'Demote', exact: true }).click();
    await expect(dialog.getByRole('alert')).toContainText("can't demote");
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await expect(dialog).toBeHidden();
    await expect(page.getByTestId('node-role')).toContainText('manager');
  });

  await test.step('removing the manager is refused: the dialog shows why', async () => {
    await page.getByTestId('node-action-remove').click();
    const dialog = page.getByRole('dialog', { name: `Remove ${swarm.hostname} from the cluster?` });
    await dialog.getByTestId('node-remove-force').check();
    await dialog.getByRole('button', { name: 'Force remove' }).click();
    await expect(dialog.getByRole('alert')).toContainText("is this manager and can't be removed");
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await expect(dialog).toBeHidden();
    await expect(detail).toBeVisible();
  });
  await screenshot(page, 'node-manager', { fullPage: true });
});
