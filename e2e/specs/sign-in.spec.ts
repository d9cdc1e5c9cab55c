/**
 * Sign-in, when the node requires it: an anonymous visitor is sent to the
 * sign-in page and, once signed in, back to the page they asked for, live.
 */
import { expect, test } from '../harness/fixtures.js';
import { startSwarmd } from '../harness/swarmd.js';
import { screenshot } from '../harness/screens.js';

test('anonymous visitors sign in and land where they were going', async ({ browser, swarm }) => {
  test.skip(!swarm.session, 'this node has no sign-in');
  const session = swarm.session!;
  const context = await browser.newContext({ baseURL: swarm.url });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));

  await page.goto('/nodes');
  await expect(page).toHaveURL(/\/signin\?next=%2Fnodes/);
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();

  await page.getByLabel('Username').fill(session.username);
  await page.getByLabel('Password').fill('wrong password!');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByTestId('credentials-form').getByRole('alert')).toContainText('wrong username or password');
  await screenshot(page, 'sign-in');

  await page.getByLabel('Password').fill(session.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/nodes$/);
  await expect(page.getByTestId('connection-status')).toHaveAttribute('data-state', 'live');
  await expect(page.getByTestId('user-menu')).toContainText(session.username);

  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/signin$/);
  expect(errors).toEqual([]);
  await context.close();
});

test('first start: the one-time setup link creates the admin and opens the console', async ({ browser }) => {
  test.setTimeout(90_000);
  const node = await startSwarmd({ signIn: false, hostname: 'setup-node' });
  try {
    test.skip(!node.setupLink, 'this node has no sign-in');
    const link = new URL(node.setupLink!);
    const context = await browser.newContext({ baseURL: node.url });
    const page = await context.newPage();
    await page.goto(link.pathname + link.search);
    await expect(page.getByRole('heading', { name: 'Create the first admin' })).toBeVisible();
    const form = page.getByTestId('credentials-form');
    await form.getByLabel('Username').fill('admin');
    await form.getByLabel('Password', { exact: true }).fill('a-long-password');
    await form.getByLabel('Repeat password').fill('another-password');
    await form.getByRole('button', { name: 'Create admin and sign in' }).click();
    await expect(form.getByRole('alert')).toContainText('do not match');
    await form.getByLabel('Repeat password').fill('a-long-password');
    await screenshot(page, 'setup');
    await form.getByRole('button', { name: 'Create admin and sign in' }).click();
    await expect(page).toHaveURL(/\/$/);
    await expect(page.getByTestId('connection-status')).toHaveAttribute('data-state', 'live');
    await expect(page.getByTestId('user-menu')).toContainText('admin');
    await context.close();
  } finally {
    await node.stop();
  }
});
