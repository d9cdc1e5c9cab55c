/**
 * API tokens from the Settings page: the secret is shown once, works as a
 * bearer token against the real API, and stops working when revoked.
 */
import { randomBytes } from 'node:crypto';
import { nodeListWithToken } from '../harness/api.js';
import { expect, test } from '../harness/fixtures.js';
import { screenshot } from '../harness/screens.js';

test('create an API token, use it with fetch, revoke it: 401', async ({ page, swarm }) => {
  test.skip(!swarm.session, 'this node has no sign-in (tokens are not checked)');
  const name = `ci-${randomBytes(3).toString('hex')}`;

  await page.goto('/settings');
  await expect(page.getByTestId('connection-status')).toHaveAttribute('data-state', 'live', { timeout: 20_000 });
  await expect(page.getByTestId('user-menu')).toContainText(swarm.session!.username);
  await expect(page.getByRole('heading', { level: 2, name: 'API tokens' })).toBeVisible();

  let token = '';
  await test.step('create: the secret is shown once', async () => {
    await page.getByLabel('Token name').fill(name);
    await page.getByRole('button', { name: 'Create token' }).click();
    const shown = page.getByTestId('new-token-value');
    await expect(shown).toHaveText(/^swt_\S+$/);
    token = (await shown.textContent()) ?? '';
    const row = page.locator(`[data-testid="token-row"][data-token-name="${name}"]`);
    await expect(row).toBeVisible();
    await expect(row.getByRole('cell').nth(2)).toHaveText(swarm.session!.username); // created by
    await expect(row).not.toContainText(token.slice(4));
    await screenshot(page, 'settings-token-created', { fullPage: true });
    await page.getByRole('button', { name: 'Done, I stored it' }).click();
    await expect(page.getByTestId('new-token')).toHaveCount(0);
    await expect(page.getByText(token)).toHaveCount(0);
  });

  await test.step('it works as a bearer token', async () => {
    const r = await nodeListWithToken(swarm, token);
    expect(r.status).toBe(200);
    expect(r.nodes?.map((n) => n.description?.hostname)).toContain(swarm.hostname);
  });

  await test.step('revoke through the dialog: the same request is refused', async () => {
    const row = page.locator(`[data-testid="token-row"][data-token-name="${name}"]`);
    await row.getByRole('button', { name: `Revoke ${name}` }).click();
    const dialog = page.getByRole('dialog', { name: `Revoke the API token “${name}”?` });
    await expect(dialog).toHaveAccessibleDescription(/refused \(HTTP 401\)/);
    await dialog.getByRole('button', { name: 'Revoke token' }).click();
    await expect(dialog).toBeHidden();
    await expect(row).toHaveCount(0);
    expect((await nodeListWithToken(swarm, token)).status).toBe(401);
    await screenshot(page, 'settings');
  });
});
