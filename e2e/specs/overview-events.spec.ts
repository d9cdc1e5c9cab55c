/**
 * The operator's cockpit (issue 8): the Overview landing page and the live
 * Events timeline, both derived in the browser from the one commit stream.
 * A service is created through the API, one of its containers is killed with
 * `docker kill`, and the failure (with its error) appears on the open pages
 * without reload; node availability changes show up too.
 */
import { randomBytes } from 'node:crypto';
import type { Service } from '@swarm/shared';
import { mutate, nodeList } from '../harness/api.js';
import { containersOfService, kill } from '../harness/docker.js';
import { expect, test } from '../harness/fixtures.js';
import { screenshot } from '../harness/screens.js';

test('overview and events: create, docker kill, drain — all appear live', async ({ page, swarm, pageGuard }) => {
  test.setTimeout(150_000);
  const name = `ev-${randomBytes(3).toString('hex')}`;
  const nav = page.getByRole('navigation', { name: 'Main' });
  const self = (await nodeList(swarm)).find((n) => n.description?.hostname === swarm.hostname);
  expect(self).toBeTruthy();

  await test.step('the overview is the landing page', async () => {
    await page.goto('/');
    await expect(page.getByTestId('connection-status')).toHaveAttribute('data-state', 'live');
    await expect(page.getByRole('heading', { level: 1, name: 'Overview' })).toBeVisible();
    await expect(nav.getByRole('link', { name: 'Overview' })).toHaveAttribute('aria-current', 'page');
    const managers = page.getByRole('region', { name: 'Managers and Raft' });
    await expect(managers.getByTestId('overview-manager')).toHaveCount(1);
    await expect(managers.getByRole('link', { name: swarm.hostname })).toBeVisible();
    await expect(page.getByTestId('stat-reachable').locator('dd')).toHaveText('1');
    await expect(page.getByTestId('stat-unreachable').locator('dd')).toHaveText('0');
    await expect(page.getByTestId('stat-ready').locator('dd')).toHaveText('1');
    await expect(page.getByTestId('stat-active').locator('dd')).toHaveText('1');
    await page.evaluate(() => ((window as unknown as { __noReload: boolean }).__noReload = true));
  });

  let taskId = '';
  await test.step('a service created through the API converges on the overview, with its events', async () => {
    const converged = Number((await page.getByTestId('stat-converged').locator('dd').textContent()) ?? '0');
    const created = await mutate<Service>(swarm, 'service.create', {
      spec: {
        annotations: { name, labels: {} },
        task: { container: { image: 'local/busybox:1', command: ['sleep'], args: ['3600'], env: [] } },
        mode: { kind: 'replicated', replicas: 2 },
      },
    });
    expect(created.spec.annotations.name).toBe(name);
    const recent = page.getByRole('region', { name: 'Recent events' });
    await expect(recent.locator(`[data-testid="event"][data-kind="service"][data-action="created"][data-object="${name}"]`)).toBeVisible();
    await expect(recent.locator(`[data-testid="event"][data-kind="task"][data-action="running"][data-object^="${name}."]`).first()).toBeVisible({ timeout: 30_000 });
    await expect(page.getByTestId('stat-converged').locator('dd')).toHaveText(String(converged + 1), { timeout: 30_000 });
    await expect.poll(() => containersOfService(name, swarm.runLabel), { timeout: 15_000 }).toHaveLength(2);
    await screenshot(page, 'overview', { fullPage: true });
  });

  await test.step('docker kill: the failure and its error appear on the open Events page', async () => {
    await nav.getByRole('link', { name: 'Events' }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'Events' })).toBeVisible();
    const [containerId] = await containersOfService(name, swarm.runLabel);
    expect(containerId).toBeTruthy();
    await kill(containerId as string);
    const failed = page.locator(`[data-testid="event"][data-kind="task"][data-action="failed"][data-object^="${name}."]`);
    await expect(failed).toHaveCount(1, { timeout: 15_000 });
    await expect(failed).toHaveAttribute('data-severity', 'error');
    await expect(failed).toContainText(/exit|kill|137|fail/i);
    // Newest first: the failure is above the service's creation.
    const order = await page.getByTestId('event').evaluateAll((els) => els.map((e) => `${e.getAttribute('data-kind')}:${e.getAttribute('data-action')}`));
    expect(order.indexOf('task:failed')).toBeLessThan(order.indexOf('service:created'));
    // Each entry carries a machine-readable timestamp.
    const dt = await failed.locator('time').getAttribute('datetime');
    expect(Date.now() - Date.parse(dt ?? '')).toBeLessThan(120_000);
    // The replacement runs (the restart delay is 5 s).
    await expect(page.locator(`[data-testid="event"][data-kind="task"][data-action="running"][data-object^="${name}."]`)).toHaveCount(3, { timeout: 30_000 });
    taskId = (await page.locator(`[data-testid="event"][data-action="failed"]`).first().getAttribute('data-object')) ?? '';
  });

  await test.step('filters: kind, object, text, problems — synced to the URL', async () => {
    const filters = page.getByRole('search', { name: 'Filter events' });
    await filters.getByLabel('Kind').selectOption('service');
    await expect(page).toHaveURL(/kind=service/);
    await expect(page.locator('[data-testid="event"]:not([data-kind="service"])')).toHaveCount(0);
    await expect(page.locator(`[data-testid="event"][data-object="${name}"]`)).toHaveCount(1);
    await filters.getByLabel('Kind').selectOption('');
    await filters.getByLabel('Object').fill(name);
    await expect(page.locator('[data-testid="event"]')).toHaveCount(1 + 3 + 1); // created, 3 running, 1 failed
    await filters.getByLabel('Problems only').check();
    await expect(page.getByTestId('event')).toHaveCount(1);
    await expect(page).toHaveURL(/problems=1/);
    await filters.getByLabel('Problems only').uncheck();
    await filters.getByLabel('Text').fill('failed');
    await expect(page.getByTestId('event')).toHaveCount(1);
    await expect(page.getByTestId('event')).toHaveAttribute('data-object', taskId);
    await filters.getByLabel('Text').fill('');
    await filters.getByLabel('Object').fill('');
    await expect(page.getByTestId('events-count')).not.toContainText(' of ');
  });

  await test.step('drain and reactivate the node: both appear live', async () => {
    await mutate(swarm, 'node.update', { ref: self!.id, availability: 'DRAIN' });
    await expect(page.locator(`[data-testid="event"][data-kind="node"][data-action="drain"][data-object="${swarm.hostname}"]`)).toBeVisible();
    await mutate(swarm, 'node.update', { ref: self!.id, availability: 'ACTIVE' });
    await expect(page.locator(`[data-testid="event"][data-kind="node"][data-action="active"][data-object="${swarm.hostname}"]`)).toBeVisible();
    await screenshot(page, 'events', { fullPage: false });
  });

  await test.step('dark theme', async () => {
    await page.emulateMedia({ colorScheme: 'dark' });
    await nav.getByRole('link', { name: 'Overview' }).click();
    await expect(page.getByRole('region', { name: 'Recent events' }).getByTestId('event').first()).toBeVisible();
    await screenshot(page, 'overview-dark');
    await page.emulateMedia({ colorScheme: 'light' });
  });

  await test.step('remove the service: the event arrives and its containers go', async () => {
    await mutate(swarm, 'service.remove', { ref: name });
    await expect(page.getByRole('region', { name: 'Recent events' }).locator(`[data-testid="event"][data-kind="service"][data-action="removed"][data-object="${name}"]`)).toBeVisible();
    await expect.poll(() => containersOfService(name, swarm.runLabel), { timeout: 30_000 }).toHaveLength(0);
  });

  expect(await page.evaluate(() => (window as unknown as { __noReload?: boolean }).__noReload)).toBe(true);
  expect(pageGuard.sockets).toHaveLength(1);
});
