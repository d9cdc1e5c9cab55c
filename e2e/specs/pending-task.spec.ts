/**
 * A task the scheduler cannot place: its reason ("no suitable node (…)", the
 * scheduler's explanation in the task's status) on the Tasks list, the
 * service page and the task's own page; then a label makes the node fit and
 * the open task page shows the task placed and running, without reload.
 * Second case: a task that only a node which does not exist yet can take
 * (a zone label no node has); a real second swarmd joins with the worker
 * token and that label (`--node-labels`, set at join: nothing to do after
 * it), and the open task page shows the task placed on the new node and
 * RUNNING, live.
 */
import { randomBytes } from 'node:crypto';
import { joinCommands, mutate, nodeList, removeNode } from '../harness/api.js';
import { expect, test } from '../harness/fixtures.js';
import { screenshot } from '../harness/screens.js';
import { createSleeper, removeService, uniqueName } from '../harness/services.js';
import { runJoinCommand, type Worker } from '../harness/worker.js';

const LABEL = 'e2e-zone';

test('a pending task shows why it cannot be placed, and runs once a node fits', async ({ page, swarm }) => {
  test.setTimeout(120_000);
  const name = uniqueName('pend');
  const [node] = await nodeList(swarm);
  if (!node) throw new Error('no node');
  const labels = node.spec.annotations.labels;
  await createSleeper(swarm, name, 1, {}, { placement: { constraints: [`node.labels.${LABEL}==blue`], preferences: [], platforms: [], maxReplicas: 0 } });
  try {
    const row = page.locator(`[data-testid="task-row"][data-task-name="${name}.1"]`);
    await test.step('the Tasks list shows the reason in the task row', async () => {
      await page.goto(`/tasks?q=${name}`);
      await expect(page.getByTestId('connection-status')).toHaveAttribute('data-state', 'live', { timeout: 30_000 }); // first page of a cold tab
      await expect(row).toHaveAttribute('data-state', 'PENDING', { timeout: 15_000 });
      await expect(row.getByTestId('pending-reason')).toContainText('no suitable node (scheduling constraints not satisfied on 1 node)');
    });

    await test.step('the service page says how many tasks wait, and why', async () => {
      await row.getByRole('link', { name, exact: true }).click(); // the service link under the task name
      await expect(page.getByTestId('service-detail')).toHaveAttribute('data-service-name', name);
      const notice = page.getByTestId('pending-notice');
      await expect(notice).toContainText('1 task pending');
      await expect(notice).toContainText('no suitable node (scheduling constraints not satisfied on 1 node)');
      await expect(row.getByTestId('pending-reason')).toBeVisible();
    });

    await test.step('the task page shows the reason; a fitting label places it, live', async () => {
      await row.getByRole('link', { name: `${name}.1`, exact: true }).click();
      const detail = page.getByTestId('task-detail');
      await expect(detail).toHaveAttribute('data-state', 'PENDING');
      await expect(page.getByTestId('task-pending').getByTestId('pending-reason')).toContainText('no suitable node (scheduling constraints not satisfied on 1 node)');
      await expect(page.getByTestId('task-error-fact')).toContainText('scheduling constraints not satisfied');
      await screenshot(page, 'task-pending', { fullPage: true });

      await mutate(swarm, 'node.update', { ref: node.id, labels: { ...labels, [LABEL]: 'blue' } });
      await expect(detail).toHaveAttribute('data-state', 'RUNNING', { timeout: 30_000 });
      await expect(page.getByTestId('task-pending')).toHaveCount(0);
      const log = page.getByTestId('status-log');
      await expect(log.getByTestId('task-state').first()).toHaveAttribute('data-state', 'PENDING');
      await expect(log.getByTestId('task-state').last()).toHaveAttribute('data-state', 'RUNNING');
      await screenshot(page, 'task-running', { fullPage: true });
    });
  } finally {
    await removeService(swarm, name);
    await mutate(swarm, 'node.update', { ref: node.id, labels });
  }
});

test('a pending task is placed on a fitting node once it joins, live', async ({ page, swarm }, testInfo) => {
  test.setTimeout(120_000);
  const name = uniqueName('pendjoin');
  const zone = `z${randomBytes(3).toString('hex')}`;
  const host = `e2e-fit-${zone}`;
  let worker: Worker | undefined;
  let placed = false;
  await createSleeper(swarm, name, 1, {}, { placement: { constraints: [`node.labels.${LABEL}==${zone}`], preferences: [], platforms: [], maxReplicas: 0 } });
  try {
    const detail = page.getByTestId('task-detail');
    await test.step('the task page shows why the task waits', async () => {
      await page.goto(`/tasks?q=${name}`);
      await expect(page.getByTestId('connection-status')).toHaveAttribute('data-state', 'live', { timeout: 30_000 }); // first page of a cold tab
      const row = page.locator(`[data-testid="task-row"][data-task-name="${name}.1"]`);
      await expect(row).toHaveAttribute('data-state', 'PENDING', { timeout: 15_000 });
      await row.getByRole('link', { name: `${name}.1`, exact: true }).click();
      await expect(detail).toHaveAttribute('data-state', 'PENDING');
      await expect(page.getByTestId('task-pending').getByTestId('pending-reason')).toContainText('no suitable node (scheduling constraints not satisfied on 1 node)');
      await expect(detail.getByRole('link', { name: host })).toHaveCount(0);
    });

    await test.step('a new node with the label joins: the open page shows the task on it, RUNNING', async () => {
      const { worker: line } = await joinCommands(swarm);
      worker = await runJoinCommand(`${line.swarmd} --hostname ${host} --node-labels ${LABEL}=${zone}`);
      await expect(detail).toHaveAttribute('data-state', 'RUNNING', { timeout: 45_000 });
      await expect(page.getByTestId('task-pending')).toHaveCount(0);
      // The Node fact links the new node by its hostname; the slot's table names it too.
      await expect(detail.getByRole('link', { name: host, exact: true })).toBeVisible();
      const slotRow = detail.locator(`[data-testid="task-row"][data-task-name="${name}.1"]`);
      await expect(slotRow).toHaveAttribute('data-state', 'RUNNING');
      await expect(slotRow).toContainText(host);
      const log = page.getByTestId('status-log');
      await expect(log.getByTestId('task-state').first()).toHaveAttribute('data-state', 'PENDING');
      await expect(log.getByTestId('task-state').last()).toHaveAttribute('data-state', 'RUNNING');
      placed = true;
    });
  } finally {
    if (worker && !placed) await testInfo.attach('worker.log', { body: worker.output(), contentType: 'text/plain' });
    await removeService(swarm, name);
    await worker?.stop();
    if (worker) await removeNode(swarm, host, true).catch(() => undefined);
  }
});
