/**
 * The live stream survives the node restarting under an open page: the tab
 * shows that it is reconnecting, resumes on its own (wsLink re-sends the last
 * event id), and keeps updating without a reload.
 */
import { randomBytes } from 'node:crypto';
import { expect, test } from '../harness/fixtures.js';

test('the open page reconnects and resumes after the node restarts', async ({ page, swarm, pageGuard }) => {
  test.setTimeout(120_000);
  // While the node is down Chromium logs the failed socket attempts (and the
  // session check the page makes when the stream drops).
  pageGuard.allow(/WebSocket connection to '.*\/trpc' failed/);
  pageGuard.allow(/Failed to load resource: net::ERR_(CONNECTION_REFUSED|CONNECTION_RESET|EMPTY_RESPONSE)/);
  const status = page.getByTestId('connection-status');

  await page.goto('/services');
  await expect(status).toHaveAttribute('data-state', 'live');
  await page.evaluate(() => {
    const w = window as unknown as { __noReload: boolean; __states: string[] };
    w.__noReload = true;
    w.__states = [];
    const el = document.querySelector('[data-testid="connection-status"]') as HTMLElement;
    new MutationObserver(() => w.__states.push(el.dataset['state'] ?? '')).observe(el, { attributes: true, attributeFilter: ['data-state'] });
  });

  await swarm.restart();
  await expect(status).toHaveAttribute('data-state', 'live', { timeout: 30_000 });
  const states = await page.evaluate(() => (window as unknown as { __states: string[] }).__states);
  expect(states).toContain('reconnecting');

  // Still live: a service created now shows up and runs on the same page.
  const name = `re-${randomBytes(3).toString('hex')}`;
  await page.getByRole('button', { name: 'Create service' }).click();
  const form = page.getByTestId('create-service-form');
  await form.getByLabel('Name').fill(name);
  await form.getByLabel('Command').fill('sleep');
  await form.getByLabel('Arguments').fill('3600');
  await form.getByRole('button', { name: 'Create', exact: true }).click();
  await expect(page.getByTestId(`service-row-${name}`).getByTestId('replicas')).toHaveText('1/1', { timeout: 30_000 });

  await page.getByTestId(`service-row-${name}`).getByRole('link', { name }).click();
  await page.getByRole('button', { name: 'Remove service' }).click();
  await page.getByRole('group', { name: `Confirm removing ${name}` }).getByRole('button', { name: 'Remove', exact: true }).click();
  await expect(page.getByTestId(`service-row-${name}`)).toHaveCount(0);
  expect(await page.evaluate(() => (window as unknown as { __noReload?: boolean }).__noReload)).toBe(true);
});
