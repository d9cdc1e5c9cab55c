/**
 * Global-service reconciliation as a pure function (swarmkit.md §4.2): one
 * task per eligible node (not DOWN, not DRAIN, matching the constraints).
 * Tasks are created on their node (slot 0, status ASSIGNED: the node is
 * preset, there is nothing to schedule); tasks on nodes that stop being
 * eligible are shut down; a PAUSE node keeps what it has but gets nothing new
 * and no restarts. Restarts, rolling updates (grouped by node) and history
 * reaping reuse the replicated machinery.
 */
import { type Node, type Task, TaskState } from '@swarm/shared';
import { nodeMatches } from './constraints.js';
import { type ReconcileInput, isOccupied, reapSlot, restartSlot, startHeld } from './replicated.js';
import { type NewTask, type Plan, emptyPlan, hasStopped, isRunnable, newTask, wakeAt } from './task.js';
import { superviseUpdate } from './update.js';

export function globalTask(input: ReconcileInput, node: Node): NewTask {
  const t = newTask(input.service, input.newId(), 0, input.now, node.id);
  t.status = { timestamp: input.now, state: TaskState.ASSIGNED, message: 'scheduler confirmed task can run on preassigned node' };
  return t;
}

const byCreated = (a: Task, b: Task) => a.meta.createdAt - b.meta.createdAt || a.meta.version - b.meta.version;

export function reconcileGlobal(input: ReconcileInput): Plan {
  const { service, now } = input;
  const plan = emptyPlan();
  const byNode = new Map<string, Task[]>();
  for (const t of input.tasks) {
    const k = t.nodeId ?? '';
    byNode.set(k, [...(byNode.get(k) ?? []), t]);
  }
  for (const ts of byNode.values()) ts.sort(byCreated);
  const groups: Array<{ tasks: Task[]; restarting: boolean }> = [];
  for (const [nodeId, ts] of byNode) {
    const node = input.nodes.get(nodeId);
    if (!node) {
      // Node deleted (or never set): the tasks go.
      for (const t of ts) if (hasStopped(t) || t.status.state < TaskState.ASSIGNED || !nodeId) plan.remove.push(t.id);
      else if (t.desiredState < TaskState.SHUTDOWN) plan.stop.push({ id: t.id, desiredState: TaskState.SHUTDOWN });
      continue;
    }
    const eligible = node.status.state !== 'DOWN' && node.spec.availability !== 'DRAIN' && nodeMatches(service, node);
    // PAUSE: nothing new, no updates, no restarts; stopped tasks are only shut down (SwarmKit).
    if (!eligible || node.spec.availability === 'PAUSE') {
      for (const t of ts) if (isRunnable(t) && (!eligible || hasStopped(t))) plan.stop.push({ id: t.id, desiredState: TaskState.SHUTDOWN });
      if (eligible) startHeld(input, ts, plan);
      reapSlot(input, ts, plan);
      continue;
    }
    const before = plan.create.length;
    restartSlot(input, ts, plan, () => globalTask(input, node));
    groups.push({ tasks: ts, restarting: plan.create.length > before });
    reapSlot(input, ts, plan);
  }
  for (const node of input.nodes.values()) {
    if (byNode.has(node.id) && isOccupied(byNode.get(node.id) as Task[], now)) continue;
    if (node.status.state === 'DOWN' || node.spec.availability !== 'ACTIVE' || !nodeMatches(service, node)) continue;
    if (byNode.get(node.id)?.some((t) => isRunnable(t))) continue;
    plan.create.push(globalTask(input, node));
  }
  const step = superviseUpdate({
    service,
    groups,
    stopping: new Set(plan.stop.map((s) => s.id)),
    now,
    replacement: (g) => globalTask(input, input.nodes.get((g.tasks[0] as Task).nodeId as string) as Node),
  });
  plan.create.push(...step.create);
  plan.stop.push(...step.stop);
  if (step.status) plan.updateStatus = step.status;
  if (step.rollback) plan.rollback = true;
  if (step.wakeAt !== undefined) wakeAt(plan, step.wakeAt);
  return plan;
}
