/**
 * The Tasks page at scale: a node with the simulated executor runs a service
 * of 2,000 replicas; the page filters by service, node, state and desired
 * state (kept in the URL), and the table is virtualized: only rows near the
 * viewport are in the DOM, yet scrolling reaches the last task.
 */
import type { Service } from '@swarm/shared';
import { mutate } from '../harness/api.js';
import { expect, test } from '../harness/fixtures.js';
import { startSwarmd } from '../harness/swarmd.js';

const REPLICAS = 2000;

test('tasks: filters in the URL, 2,000 rows virtualized', async ({ browser }) => {
  test.setTimeout(150_000);
  const node = await startSwarmd({ executor: 'sim', hostname: 'sim-node' });
  try {
    await mutate<Service>(node, 'service.create', {
      spec: {
        annotations: { name: 'many', labels: {} },
        task: { container: { image: 'local/busybox:1', command: ['sleep'], args: ['3600'], env: [] } },
        mode: { kind: 'replicated', replicas: REPLICAS },
      },
    });
    await mutate<Service>(node, 'service.create', {
      spec: { annotations: { name: 'few', labels: {} }, task: { container: { image: 'local/busybox:1', command: [], args: [], env: [] } }, mode: { kind: 'replicated', replicas: 3 } },
    });
    const context = await browser.newContext({ baseURL: node.url });
    const s = node.session;
    if (s) await context.addCookies([{ name: s.cookie.name, value: s.cookie.value, url: node.url, httpOnly: true, sameSite: 'Strict' }]);
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('console', (m) => void (m.type() === 'error' && errors.push(m.text())));
    page.on('pageerror', (e) => errors.push(e.message));

    await page.goto('/tasks');
    await expect(page.getByTestId('connection-status')).toHaveAttribute('data-state', 'live');
    const table = page.getByTestId('tasks-table');
    await expect(table).toHaveAttribute('aria-rowcount', String(REPLICAS + 3 + 1), { timeout: 60_000 });
    await expect(table).toHaveAttribute('data-virtual', 'true');
    const inDom = await page.getByTestId('task-row').count();
    expect(inDom).toBeGreaterThan(5);
    expect(inDom).toBeLessThan(120);

    // Scroll to the end: the last task is rendered, the first is not.
    await expect(page.locator('[data-testid="task-row"][data-slot="1"][data-task-name="few.1"]')).toHaveCount(1);
    await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
    await expect(page.locator(`[data-testid="task-row"][data-task-name="many.${REPLICAS}"]`)).toBeVisible();
    await expect(page.locator('[data-testid="task-row"][data-task-name="few.1"]')).toHaveCount(0);
    await page.evaluate(() => window.scrollTo(0, 0));

    // Filters: each one is a labelled control and lands in the URL.
    const filters = page.getByRole('search', { name: 'Task filters' });
    await filters.getByLabel('Service').selectOption({ label: 'few' });
    await expect(page).toHaveURL(/service=/);
    await expect(page.getByTestId('task-row')).toHaveCount(3);
    await expect(table).not.toHaveAttribute('data-virtual', 'true');
    await filters.getByLabel('Node').selectOption({ label: 'sim-node' });
    await filters.getByLabel('State', { exact: true }).selectOption('RUNNING');
    await filters.getByLabel('Desired state').selectOption('RUNNING');
    await expect(page).toHaveURL(/node=.*state=RUNNING.*desired=RUNNING/);
    await expect(page.locator('[data-testid="task-row"][data-state="RUNNING"]')).toHaveCount(3);
    await filters.getByLabel('Desired state').selectOption('SHUTDOWN');
    await expect(page.getByTestId('task-row')).toHaveCount(0);
    await expect(page.getByText('No matching tasks')).toBeVisible();
    // A reload keeps the filters.
    await page.reload();
    await expect(page.getByRole('search', { name: 'Task filters' }).getByLabel('Desired state')).toHaveValue('SHUTDOWN');
    await expect(page.getByText('No matching tasks')).toBeVisible();

    // A service's own page virtualizes its task list too.
    await page.goto('/services/view?id=many');
    await expect(page.getByTestId('tasks-table')).toHaveAttribute('data-virtual', 'true', { timeout: 30_000 });
    expect(await page.getByTestId('task-row').count()).toBeLessThan(120);
    expect(errors).toEqual([]);
    await context.close();
  } finally {
    await node.stop();
  }
});
