/**
 * Rolling updates from the dashboard, against a real node and real Docker
 * containers: the service page's edit form starts an update (parallelism 2,
 * delay 2 s) and the page shows it as it happens (state, tasks on the new spec,
 * batch), to completion; then an update whose command fails pauses with a
 * message naming the failed task, and the Rollback button (with confirmation)
 * returns the service to its previous spec.
 */
import type { Locator, Page } from '@playwright/test';
import { containersOfService } from '../harness/docker.js';
import { expect, test } from '../harness/fixtures.js';
import { screenshot } from '../harness/screens.js';
import { createSleeper, removeService, uniqueName } from '../harness/services.js';

const UPDATE_BUDGET = 60_000;

const panel = (page: Page): Locator => page.getByTestId('rolling-update');
const runningCurrent = (page: Page): Locator => page.locator('[data-testid="task-row"][data-desired-state="RUNNING"][data-state="RUNNING"]');

async function openService(page: Page, name: string): Promise<void> {
  await page.goto(`/services/view?id=${encodeURIComponent(name)}`);
  await expect(page.getByTestId('connection-status')).toHaveAttribute('data-state', 'live');
  await expect(page.getByTestId('service-detail')).toHaveAttribute('data-service-name', name);
}

/** Records every (state, updated/total) the panel shows, in the page, so a fast step is not missed between polls. */
async function recordPanel(page: Page): Promise<() => Promise<string[]>> {
  await page.evaluate(() => {
    const w = window as unknown as { __rollout: string[] };
    w.__rollout = [];
    const root = document.querySelector('[data-testid="service-detail"]') as HTMLElement;
    const note = () => {
      const el = root.querySelector('[data-testid="rolling-update"]');
      if (!el) return;
      const s = `${el.getAttribute('data-update-state')} ${el.getAttribute('data-updated')}/${el.getAttribute('data-total')}`;
      if (w.__rollout[w.__rollout.length - 1] !== s) w.__rollout.push(s);
    };
    new MutationObserver(note).observe(root, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-update-state', 'data-updated', 'data-total'] });
    note();
  });
  return () => page.evaluate(() => (window as unknown as { __rollout: string[] }).__rollout);
}

async function editForm(page: Page): Promise<Locator> {
  await page.getByRole('button', { name: 'Edit service' }).click();
  const form = page.getByTestId('edit-service-form');
  await expect(form).toBeVisible();
  return form;
}

test('a rolling update started from the form, watched to completion', async ({ page, swarm }) => {
  test.setTimeout(150_000);
  const name = uniqueName('roll');
  await createSleeper(swarm, name, 4);
  try {
    await openService(page, name);
    await expect(runningCurrent(page)).toHaveCount(4, { timeout: 30_000 });
    await expect(page.getByTestId('slot-group')).toHaveCount(0); // no slot has history yet
    const before = new Set(await containersOfService(name, swarm.runLabel));
    const seen = await recordPanel(page);

    await test.step('edit: new arguments, update config parallelism 2, delay 2s, monitor 1s', async () => {
      const form = await editForm(page);
      await expect(form.getByLabel('Name')).toBeDisabled();
      await expect(form.getByLabel('Arguments')).toHaveValue('3600');
      await form.getByLabel('Arguments').fill('3601');
      const update = form.getByRole('group', { name: 'Update config' });
      await update.getByLabel('Parallelism').fill('2');
      await update.getByLabel('Delay').fill('2s');
      await update.getByLabel('Monitor').fill('1s');
      await expect(update.getByLabel('Failure action')).toHaveValue('pause');
      await screenshot(page, 'service-edit-form', { fullPage: true });
      await form.getByRole('button', { name: 'Update', exact: true }).click();
      await expect(form).toBeHidden();
    });

    await test.step('the page shows the update as it happens', async () => {
      await expect(panel(page)).toHaveAttribute('data-update-state', 'updating', { timeout: 15_000 });
      await expect(page.getByTestId('update-batch')).toContainText(/batch [12] of 2 \(parallelism 2, delay 2s, on failure pause, stop-first\)/);
      await expect(page.getByTestId('update-slot')).toHaveCount(4);
      await expect(panel(page)).toHaveAttribute('data-updated', '2', { timeout: UPDATE_BUDGET });
      await screenshot(page, 'rolling-update', { fullPage: true });
      await expect(panel(page)).toHaveAttribute('data-update-state', 'completed', { timeout: UPDATE_BUDGET });
      await expect(panel(page)).toHaveAttribute('data-updated', '4');
      await expect(page.getByTestId('update-message')).toHaveText('update completed');
      await expect(page.getByTestId('update-batch')).toContainText('2 batches');
      await expect(page.getByTestId('fact-update')).toContainText('parallelism 2, delay 2s, on failure pause, monitor 1s');
      await screenshot(page, 'rolling-update-done', { fullPage: true });
    });

    await test.step('progress went 0 → 2 → 4 of 4, in batches of two', async () => {
      const states = await seen();
      expect(states[states.length - 1]).toBe('completed 4/4');
      expect(states.find((s) => s.startsWith('updating'))).toBe('updating 0/4');
      expect(states).toContain('updating 2/4');
    });

    await test.step('tasks by slot: each slot has its new task running and the old one in its history', async () => {
      await expect(runningCurrent(page)).toHaveCount(4);
      await expect(page.getByTestId('slot-group')).toHaveCount(4);
      for (const group of await page.getByTestId('slot-group').all()) await expect(group).toContainText('2 tasks, 1 in history');
      await expect(page.locator('[data-testid="task-row"][data-desired-state="SHUTDOWN"]')).toHaveCount(4);
      // Real containers: four new ones run, none of the old ones does.
      await expect.poll(async () => (await containersOfService(name, swarm.runLabel)).filter((id) => !before.has(id)).length, { timeout: 15_000 }).toBe(4);
      expect((await containersOfService(name, swarm.runLabel)).filter((id) => before.has(id))).toEqual([]);
    });
  } finally {
    await removeService(swarm, name);
  }
});

test('an update whose tasks fail pauses with the failed task named; Rollback restores the previous spec', async ({ page, swarm }) => {
  test.setTimeout(150_000);
  const name = uniqueName('bad');
  await createSleeper(swarm, name, 3, { update: { parallelism: 1, delayMs: 0, failureAction: 'pause', monitorMs: 2000, maxFailureRatio: 0, order: 'stop-first' } });
  try {
    await openService(page, name);
    await expect(runningCurrent(page)).toHaveCount(3, { timeout: 30_000 });

    await test.step('update to a command that exits 3', async () => {
      const form = await editForm(page);
      await form.getByLabel('Command').fill('sh');
      await form.getByLabel('Arguments').fill("-c 'exit 3'");
      await form.getByRole('button', { name: 'Update', exact: true }).click();
      await expect(form).toBeHidden();
    });

    await test.step('paused, naming the failed task and why', async () => {
      await expect(panel(page)).toHaveAttribute('data-update-state', 'paused', { timeout: UPDATE_BUDGET });
      const message = page.getByTestId('update-message');
      await expect(message).toContainText('update paused due to failure or early termination of task');
      // The task it names is on the page, FAILED, with its error.
      const failedId = /task (\w+)/.exec((await message.textContent()) ?? '')?.[1] ?? '';
      const failed = page.locator(`[data-testid="task-row"][data-task-id="${failedId}"]`);
      await expect(failed).toHaveAttribute('data-state', 'FAILED');
      await expect(failed.getByTestId('task-error')).not.toBeEmpty();
      await expect(page.getByTestId('update-state')).toHaveText('paused');
      await expect(page.locator('[data-testid="update-slot"][data-state="failed"]')).not.toHaveCount(0);
      // Parallelism 1 and pause: the update stopped early, so at least one slot still runs the old spec (a task
      // that reports RUNNING before it exits lets the update move to the next slot, as in SwarmKit).
      expect(await page.locator('[data-testid="update-slot"][data-state="old"]').count()).toBeGreaterThanOrEqual(1);
      await screenshot(page, 'rolling-update-paused', { fullPage: true });
    });

    await test.step('Rollback asks first; Esc keeps the paused update', async () => {
      await panel(page).getByRole('button', { name: 'Rollback' }).click();
      const dialog = page.getByRole('dialog', { name: `Roll ${name} back?` });
      await expect(dialog).toBeVisible();
      await expect(dialog.getByRole('button', { name: 'Cancel' })).toBeFocused();
      await page.keyboard.press('Escape');
      await expect(dialog).toBeHidden();
      await expect(panel(page)).toHaveAttribute('data-update-state', 'paused');
    });

    await test.step('confirming rolls back to sleep 3600: all slots run again', async () => {
      await panel(page).getByRole('button', { name: 'Rollback' }).click();
      const dialog = page.getByRole('dialog', { name: `Roll ${name} back?` });
      await dialog.getByRole('button', { name: 'Rollback' }).click();
      await expect(dialog).toBeHidden();
      await expect(panel(page)).toHaveAttribute('data-update-state', /rollback_started|rollback_completed/);
      await expect(panel(page).getByRole('heading', { name: 'Rollback' })).toBeVisible();
      await expect(panel(page)).toHaveAttribute('data-update-state', 'rollback_completed', { timeout: UPDATE_BUDGET });
      await expect(page.getByTestId('update-message')).toHaveText('rollback completed');
      await expect(runningCurrent(page)).toHaveCount(3, { timeout: 30_000 });
      await expect(panel(page)).toHaveAttribute('data-updated', '3');
      await expect(page.getByTestId('replicas')).toHaveText('3/3');
      await screenshot(page, 'rolling-update-rolled-back', { fullPage: true });
    });
  } finally {
    await removeService(swarm, name);
  }
});

test('failure action rollback: the update rolls itself back and says why', async ({ page, swarm }) => {
  test.setTimeout(150_000);
  const name = uniqueName('auto');
  await createSleeper(swarm, name, 2);
  try {
    await openService(page, name);
    await expect(runningCurrent(page)).toHaveCount(2, { timeout: 30_000 });
    const seen = await recordPanel(page);
    const form = await editForm(page);
    await form.getByLabel('Command').fill('false');
    await form.getByLabel('Arguments').fill('');
    const update = form.getByRole('group', { name: 'Update config' });
    await update.getByLabel('Failure action').selectOption('rollback');
    await update.getByLabel('Monitor').fill('2s');
    await form.getByRole('button', { name: 'Update', exact: true }).click();
    await expect(form).toBeHidden();
    await expect(page.getByTestId('update-message')).toContainText('update rolled back due to failure or early termination of task', { timeout: UPDATE_BUDGET });
    await expect(panel(page)).toHaveAttribute('data-update-state', 'rollback_completed', { timeout: UPDATE_BUDGET });
    await expect(runningCurrent(page)).toHaveCount(2, { timeout: 30_000 });
    const states = await seen();
    expect(states.some((s) => s.startsWith('updating'))).toBe(true);
    expect(states.some((s) => s.startsWith('rollback_started'))).toBe(true);
  } finally {
    await removeService(swarm, name);
  }
});
