/**
 * Job reconciliation as a pure function (swarmkit.md §4.3). Job tasks run to
 * completion (desired COMPLETE) and carry the service's job iteration; a spec
 * update bumps the iteration (control/services.ts), which re-runs the job and
 * removes the previous iteration's unfinished tasks.
 *  - replicated job: at most `maxConcurrent` tasks at once until
 *    `totalCompletions` tasks completed; slots are 0..totalCompletions-1.
 *  - global job: one task per ACTIVE, READY node matching the constraints.
 * Failed tasks are restarted per the restart policy (`any` acts as
 * `on-failure`: a completed task is never re-run).
 */
import { type Node, type Task, TaskState } from '@swarm/shared';
import { nodeMatches } from './constraints.js';
import type { ReconcileInput } from './replicated.js';
import { type NewTask, type Plan, emptyPlan, newTask, restartPolicy, wakeAt } from './task.js';

const isLive = (t: Task) => t.desiredState <= TaskState.COMPLETE;
const failed = (t: Task) => t.status.state > TaskState.COMPLETE;

function jobTask(input: ReconcileInput, slot: number, node?: Node): NewTask {
  const t = newTask(input.service, input.newId(), slot, input.now, node?.id);
  // SwarmKit gives job tasks desired COMPLETE. Our scheduler only places tasks desired ≤ RUNNING, so
  // tasks it must place get RUNNING (the agent runs a task to completion either way); preassigned
  // global-job tasks get COMPLETE.
  t.desiredState = node ? TaskState.COMPLETE : TaskState.RUNNING;
  t.jobIteration = input.service.jobStatus?.jobIteration ?? 0;
  if (node) t.status = { timestamp: input.now, state: TaskState.ASSIGNED, message: 'scheduler confirmed task can run on preassigned node' };
  return t;
}

/** Restart decision for a failed job task in its group (slot or node); true if the group still has work. */
function restartJobTask(input: ReconcileInput, group: Task[], plan: Plan, make: () => NewTask): boolean {
  const { now } = input;
  let pending = false;
  for (const t of group) {
    if (t.desiredState === TaskState.READY) {
      pending = true;
      if ((t.startAfter ?? 0) <= now) plan.start.push(t.id);
      else wakeAt(plan, t.startAfter ?? 0);
      continue;
    }
    if (!isLive(t) || !failed(t)) continue;
    plan.stop.push({ id: t.id, desiredState: TaskState.SHUTDOWN });
    const p = restartPolicy(t);
    const attempts = group.filter((o) => o !== t && o.meta.createdAt <= t.meta.createdAt).length;
    if (p.condition === 'none' || (p.maxAttempts > 0 && attempts >= p.maxAttempts)) continue;
    const repl = make();
    repl.desiredState = TaskState.READY;
    repl.startAfter = now + p.delayMs;
    plan.create.push(repl);
    wakeAt(plan, repl.startAfter);
    pending = true;
  }
  return pending;
}

export function reconcileJob(input: ReconcileInput): Plan {
  const { service } = input;
  const plan = emptyPlan();
  const iteration = service.jobStatus?.jobIteration ?? 0;
  const current: Task[] = [];
  for (const t of input.tasks) {
    if ((t.jobIteration ?? 0) === iteration) current.push(t);
    else if (t.status.state >= TaskState.COMPLETE || t.status.state < TaskState.ASSIGNED) plan.remove.push(t.id);
    else if (t.desiredState < TaskState.REMOVE) plan.stop.push({ id: t.id, desiredState: TaskState.REMOVE });
  }
  const groupOf = (key: (t: Task) => string | number) => {
    const m = new Map<string | number, Task[]>();
    for (const t of [...current].sort((a, b) => a.meta.createdAt - b.meta.createdAt)) m.set(key(t), [...(m.get(key(t)) ?? []), t]);
    return m;
  };
  const mode = service.spec.mode;
  if (mode.kind === 'replicated-job') {
    const slots = groupOf((t) => t.slot);
    let running = 0;
    const used = new Set<number>();
    for (const [slot, ts] of slots) {
      used.add(slot as number);
      const done = ts.some((t) => t.status.state === TaskState.COMPLETE);
      const live = ts.some((t) => isLive(t) && !failed(t) && t.status.state !== TaskState.COMPLETE);
      const retrying = restartJobTask(input, ts, plan, () => jobTask(input, slot as number));
      if (!done && (live || retrying)) running++;
    }
    let budget = Math.min(mode.maxConcurrent - running, mode.totalCompletions - used.size);
    for (let slot = 0; slot < mode.totalCompletions && budget > 0; slot++) {
      if (used.has(slot)) continue;
      plan.create.push(jobTask(input, slot));
      budget--;
    }
  } else if (mode.kind === 'global-job') {
    const nodes = groupOf((t) => t.nodeId ?? '');
    for (const [nodeId, ts] of nodes) {
      const node = input.nodes.get(nodeId as string);
      if (!node || node.status.state === 'DOWN' || node.spec.availability === 'DRAIN') {
        for (const t of ts) if (isLive(t) && t.status.state < TaskState.COMPLETE) plan.stop.push({ id: t.id, desiredState: TaskState.SHUTDOWN });
        continue;
      }
      restartJobTask(input, ts, plan, () => jobTask(input, 0, node));
    }
    for (const node of input.nodes.values()) {
      if (nodes.has(node.id) || node.status.state !== 'READY' || node.spec.availability !== 'ACTIVE' || !nodeMatches(service, node)) continue;
      plan.create.push(jobTask(input, 0, node));
    }
  }
  return plan;
}
