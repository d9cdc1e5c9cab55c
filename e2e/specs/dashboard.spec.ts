/**
 * The walking skeleton, end to end against a real node and real Docker:
 * create a service through the form, watch its tasks reach RUNNING, scale it,
 * `docker kill` one container and watch the failure and the replacement
 * arrive on the open page (no reload), then remove the service.
 */
import { randomBytes } from 'node:crypto';
import type { Locator, Page } from '@playwright/test';
import { containersOfService, containersOfTask, kill } from '../harness/docker.js';
import { expect, test } from '../harness/fixtures.js';
import { screenshot } from '../harness/screens.js';

const RESTART_BUDGET = 30_000; // restart delay is 5 s; allow for Docker and scheduling

/** Current tasks (desired state RUNNING) in the service's task table. */
const currentTasks = (page: Page): Locator => page.locator('[data-testid="task-row"][data-desired-state="RUNNING"]');
const runningTasks = (page: Page): Locator => page.locator('[data-testid="task-row"][data-desired-state="RUNNING"][data-state="RUNNING"]');

test('create, scale, survive docker kill, remove — all live', async ({ page, swarm, pageGuard }) => {
  test.setTimeout(180_000);
  const name = `web-${randomBytes(3).toString('hex')}`;

  await test.step('open the dashboard', async () => {
    await page.goto('/');
    await expect(page.getByTestId('connection-status')).toHaveAttribute('data-state', 'live');
    await expect(page.getByRole('heading', { level: 1, name: 'Overview' })).toBeVisible();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Services' }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'Services' })).toBeVisible();
    await expect(page.getByTestId('cluster-health')).toBeVisible();
    // A marker that a reload would wipe: checked at the end.
    await page.evaluate(() => ((window as unknown as { __noReload: boolean }).__noReload = true));
  });

  await test.step('create a service through the form', async () => {
    await page.getByRole('button', { name: 'Create service' }).click();
    const form = page.getByTestId('create-service-form');
    await expect(form.getByLabel('Image')).toHaveValue('local/busybox:1');
    await form.getByLabel('Name').fill(name);
    await form.getByLabel('Command').fill('sleep');
    await form.getByLabel('Arguments').fill('3600');
    await form.getByLabel('Replicas', { exact: true }).fill('2');
    await screenshot(page, 'create-service-form');
    await form.getByRole('button', { name: 'Create', exact: true }).click();
    await expect(form).toBeHidden();
    const row = page.getByTestId(`service-row-${name}`);
    await expect(row).toBeVisible();
    await expect(row.getByTestId('replicas')).toHaveText('2/2', { timeout: 30_000 });
    await screenshot(page, 'services');
  });

  await test.step('its tasks reach RUNNING', async () => {
    await page.getByTestId(`service-row-${name}`).getByRole('link', { name }).click();
    await expect(page.getByTestId('service-detail')).toHaveAttribute('data-service-name', name);
    await expect(runningTasks(page)).toHaveCount(2, { timeout: 30_000 });
    await expect(currentTasks(page)).toHaveCount(2);
    // Each running task names a container that Docker really runs, labelled for this run.
    for (const row of await runningTasks(page).all()) {
      const taskId = (await row.getAttribute('data-task-id')) ?? '';
      await expect.poll(() => containersOfTask(taskId, swarm.runLabel)).toHaveLength(1);
    }
    await expect(runningTasks(page).first().getByRole('cell').nth(2)).toHaveText(swarm.hostname);
  });

  await test.step('scale to 3', async () => {
    await page.getByLabel(`Replicas for ${name}`).fill('3');
    await page.getByRole('button', { name: `Scale ${name}` }).click();
    await expect(runningTasks(page)).toHaveCount(3, { timeout: 30_000 });
    await expect(page.getByTestId('replicas')).toHaveText('3/3');
    await expect.poll(() => containersOfService(name, swarm.runLabel), { timeout: 15_000 }).toHaveLength(3);
  });

  await test.step('docker kill a container: FAILED, then replaced — without reload', async () => {
    const victim = runningTasks(page).first();
    const taskId = (await victim.getAttribute('data-task-id')) ?? '';
    const slot = (await victim.getAttribute('data-slot')) ?? '';
    const [containerId] = await containersOfTask(taskId, swarm.runLabel);
    expect(containerId, `container of task ${taskId}`).toBeTruthy();
    await kill(containerId as string);

    const killed = page.locator(`[data-testid="task-row"][data-task-id="${taskId}"]`);
    await expect(killed).toHaveAttribute('data-state', 'FAILED', { timeout: 15_000 });
    await expect(killed.getByRole('cell').nth(4)).not.toBeEmpty(); // the error column
    // A new task takes the same slot and runs.
    const replacement = page.locator(`[data-testid="task-row"][data-slot="${slot}"][data-desired-state="RUNNING"]:not([data-task-id="${taskId}"])`);
    await expect(replacement).toHaveAttribute('data-state', 'RUNNING', { timeout: RESTART_BUDGET });
    await expect(runningTasks(page)).toHaveCount(3);
    await expect(page.getByTestId('replicas')).toHaveText('3/3');
    await screenshot(page, 'service-detail', { fullPage: true });
    expect(await page.evaluate(() => (window as unknown as { __noReload?: boolean }).__noReload)).toBe(true);
  });

  await test.step('nodes and tasks screens', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Nodes' }).click();
    const node = page.getByTestId(`node-row-${swarm.hostname}`);
    await expect(node).toHaveAttribute('data-status', 'READY');
    await expect(node.getByLabel(`Availability of ${swarm.hostname}`)).toHaveValue('ACTIVE');
    await expect(node.getByRole('cell').nth(3)).toHaveText('3'); // running tasks on the node
    // Availability round-trips through node.update and comes back on the stream.
    const availability = node.getByLabel(`Availability of ${swarm.hostname}`);
    await availability.selectOption('PAUSE');
    await expect(availability).toBeEnabled();
    await expect(availability).toHaveValue('PAUSE');
    await availability.selectOption('ACTIVE');
    await expect(availability).toBeEnabled();
    await expect(availability).toHaveValue('ACTIVE');
    await screenshot(page, 'nodes');

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Tasks' }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'Tasks' })).toBeVisible();
    await expect(page.locator(`[data-testid="task-row"][data-task-name^="${name}."][data-state="RUNNING"]`)).toHaveCount(3);
    await expect(page.locator(`[data-testid="task-row"][data-task-name^="${name}."][data-state="FAILED"]`)).toHaveCount(1);
    await page.getByLabel('Filter tasks').fill('failed');
    await expect(page.getByTestId('task-row')).toHaveCount(1);
    await page.getByLabel('Filter tasks').fill(name);
    await expect(page.getByTestId('task-row')).toHaveCount(4);
    await screenshot(page, 'tasks', { fullPage: true });
  });

  await test.step('remove the service', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Services' }).click();
    await page.getByTestId(`service-row-${name}`).getByRole('link', { name }).click();
    await page.getByRole('button', { name: 'Remove service' }).click();
    await page.getByRole('group', { name: `Confirm removing ${name}` }).getByRole('button', { name: 'Remove', exact: true }).click();
    await expect(page).toHaveURL(/\/services$/);
    await expect(page.getByTestId(`service-row-${name}`)).toHaveCount(0);
    await expect.poll(() => containersOfService(name, swarm.runLabel), { timeout: 30_000 }).toHaveLength(0);
  });

  // One page load, one live stream for the whole session.
  expect(await page.evaluate(() => (window as unknown as { __noReload?: boolean }).__noReload)).toBe(true);
  expect(pageGuard.sockets).toHaveLength(1);
});

test('the form reports invalid input next to the field', async ({ page }) => {
  await page.goto('/services');
  await expect(page.getByTestId('connection-status')).toHaveAttribute('data-state', 'live');
  await page.getByRole('button', { name: 'Create service' }).click();
  const form = page.getByTestId('create-service-form');
  await form.getByLabel('Name').fill('not a name!');
  await form.getByRole('button', { name: 'Create', exact: true }).click();
  const name = form.getByLabel('Name');
  await expect(name).toHaveAttribute('aria-invalid', 'true');
  await expect(form.getByRole('alert')).toContainText('invalid name');
  await screenshot(page, 'create-service-error');
  // Cancel closes the form and returns focus to the button that opened it.
  await form.getByRole('button', { name: 'Cancel' }).click();
  await expect(form).toBeHidden();
  await expect(page.getByRole('button', { name: 'Create service' })).toBeFocused();
});

test('keyboard: skip link first, then the navigation, and the form works without a mouse', async ({ page, swarm }) => {
  await page.goto('/services');
  await expect(page.getByTestId('connection-status')).toHaveAttribute('data-state', 'live');
  if (swarm.session) await expect(page.getByTestId('user-menu')).toBeVisible();
  await page.keyboard.press('Tab');
  await expect(page.getByRole('link', { name: 'Skip to content' })).toBeFocused();
  await page.keyboard.press('Tab');
  await expect(page.getByRole('link', { name: 'Swarm dashboard home' })).toBeFocused();
  await page.keyboard.press('Tab');
  if (swarm.session) {
    await expect(page.getByRole('button', { name: 'Sign out' })).toBeFocused();
    await page.keyboard.press('Tab');
  }
  await expect(page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Overview' })).toBeFocused();
  await page.keyboard.press('Tab');
  await expect(page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Services' })).toBeFocused();
  await expect(page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Services' })).toHaveAttribute('aria-current', 'page');
  // Open the form from the keyboard: the name field takes focus; Enter submits and validates.
  await page.getByRole('button', { name: 'Create service' }).focus();
  await page.keyboard.press('Enter');
  const nameField = page.getByTestId('create-service-form').getByLabel('Name');
  await expect(nameField).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(nameField).toHaveAttribute('aria-invalid', 'true');
});

test('dark theme follows the system preference', async ({ page }) => {
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.goto('/nodes');
  await expect(page.getByTestId('connection-status')).toHaveAttribute('data-state', 'live');
  const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  expect(bg).toBe('rgb(15, 17, 21)');
  await screenshot(page, 'nodes-dark');
});
