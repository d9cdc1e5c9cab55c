/**
 * Replicated-service reconciliation as a pure function: from a service, its
 * tasks and the nodes, decide which tasks to create, which to stop, which
 * held replacements to start and which old tasks to delete. No IO, no clock:
 * `now` and `newId` are passed in. See SwarmKit's replicated orchestrator,
 * restart supervisor, updater and task reaper (swarmkit.md §4).
 */
import { type Node, type Service, type Task, TaskState } from '@swarm/shared';
import { type Plan, emptyPlan, hasStopped, isInvalidNode, isRunnable, isTaskDirty, newTask, restartPolicy, shouldRestart } from './task.js';
import { superviseUpdate } from './update.js';

export { emptyPlan };

export type { Plan } from './task.js';

export interface ReconcileInput {
  service: Service;
  tasks: readonly Task[];
  nodes: ReadonlyMap<string, Node>;
  now: number;
  newId: () => string;
  /** Tasks kept per slot, the live one included (cluster taskHistoryRetentionLimit). Negative: keep all. */
  historyLimit: number;
}

/** After this long a held replacement starts even if the old task never reported stopping. */
export const OLD_TASK_TIMEOUT_MS = 60_000;

const byCreated = (a: Task, b: Task) => a.meta.createdAt - b.meta.createdAt || a.meta.version - b.meta.version;


export function groupBySlot(tasks: readonly Task[]): Map<number, Task[]> {
  const slots = new Map<number, Task[]>();
  for (const t of tasks) {
    const s = slots.get(t.slot) ?? [];
    s.push(t);
    slots.set(t.slot, s);
  }
  for (const s of slots.values()) if (s.length > 1) s.sort(byCreated);
  return slots;
}

/** A slot is occupied while it has a runnable task, or its newest task stopped for good. */
export function isOccupied(slot: Task[], now: number): boolean {
  if (slot.some(isRunnable)) return true;
  const newest = slot[slot.length - 1];
  // Max attempts count too: a slot that used up its restarts is finished, not free for a new task.
  return !!newest && hasStopped(newest) && !shouldRestart(newest, restartsBefore(slot, newest, now)) && newest.desiredState !== TaskState.REMOVE;
}

/** Restarts that led to `t` in its slot (same spec version), within the restart window if there is one. */
export function restartsBefore(ts: Task[], t: Task, now: number): number {
  const policy = restartPolicy(t);
  const earlier = ts.filter((o) => o !== t && o.specVersion === t.specVersion && o.meta.createdAt <= t.meta.createdAt);
  return (policy.windowMs > 0 ? earlier.filter((o) => o.meta.createdAt >= now - policy.windowMs) : earlier).length;
}

export function reconcileReplicated(input: ReconcileInput): Plan {
  const { service, now } = input;
  const plan = emptyPlan();
  const slots = groupBySlot(input.tasks);
  const want = service.spec.mode.kind === 'replicated' ? service.spec.mode.replicas : 0;
  const occupied = [...slots.entries()].filter(([, ts]) => isOccupied(ts, now));

  let keep = occupied;
  if (occupied.length > want) {
    keep = chooseSlotsToKeep(occupied, want);
    const kept = new Set(keep.map(([n]) => n));
    for (const [n, ts] of occupied) {
      if (kept.has(n)) continue;
      for (const t of ts) if (t.desiredState < TaskState.REMOVE) plan.stop.push({ id: t.id, desiredState: TaskState.REMOVE });
    }
  } else if (occupied.length < want) {
    const used = new Set(occupied.map(([n]) => n));
    for (let n = 1, missing = want - occupied.length; missing > 0; n++) {
      if (used.has(n)) continue;
      plan.create.push(newTask(service, input.newId(), n, now));
      missing--;
    }
  }
  for (const [, ts] of keep) {
    dedupeSlot(input, ts, plan);
    restartSlot(input, ts, plan);
  }
  rollingUpdate(input, keep, plan);
  for (const ts of slots.values()) reapSlot(input, ts, plan);
  return plan;
}

/** SwarmKit's scale-down order: keep running tasks, lower slots, and nodes with fewer copies. */
function chooseSlotsToKeep(occupied: Array<[number, Task[]]>, want: number): Array<[number, Task[]]> {
  const live = (ts: Task[]) => ts.filter(isRunnable);
  const isRunning = (ts: Task[]) => live(ts).some((t) => t.status.state === TaskState.RUNNING);
  const ordered = [...occupied].sort(([na, a], [nb, b]) => Number(isRunning(b)) - Number(isRunning(a)) || na - nb);
  const perNode = new Map<string, number>();
  const rank = new Map<number, number>();
  for (const [n, ts] of ordered) {
    const l = live(ts);
    const node = l.length === 1 ? l[0]?.nodeId : undefined;
    if (!node) {
      rank.set(n, Number.MAX_SAFE_INTEGER);
      continue;
    }
    const c = (perNode.get(node) ?? 0) + 1;
    perNode.set(node, c);
    rank.set(n, c);
  }
  return ordered
    .map((e, i) => ({ e, i }))
    .sort((a, b) => (rank.get(a.e[0]) ?? 0) - (rank.get(b.e[0]) ?? 0) || a.i - b.i)
    .slice(0, want)
    .map(({ e }) => e);
}

/**
 * A slot holds at most one task of the current spec wanted up (desired READY or RUNNING) on a usable
 * node: of several, the one furthest along stays (then the older) and the others are shut down. One
 * leader never makes two; this is the safety net for a decision taken twice across a leadership change.
 * Tasks of an older spec (a start-first update) and tasks on DOWN / DRAIN nodes are the update and
 * restart supervisors' business.
 */
function dedupeSlot(input: ReconcileInput, ts: Task[], plan: Plan): void {
  if (ts.length < 2) return;
  const up = ts.filter((t) => {
    if (t.desiredState !== TaskState.READY && t.desiredState !== TaskState.RUNNING) return false;
    if (hasStopped(t) || isTaskDirty(input.service, t)) return false;
    return !(t.nodeId && isInvalidNode(input.nodes.get(t.nodeId)));
  });
  if (up.length < 2) return;
  const rank = (t: Task) => t.status.state * 2 + (t.desiredState === TaskState.RUNNING ? 1 : 0);
  const keep = up.reduce((a, b) => (rank(b) > rank(a) ? b : a)); // ts is oldest first: ties keep the older
  for (const t of up) if (t !== keep) plan.stop.push({ id: t.id, desiredState: TaskState.SHUTDOWN });
}

/**
 * Restart supervisor: stopped tasks and tasks on invalid nodes get a held replacement.
 * No restart delay when the node is the problem (DOWN or DRAIN): SwarmKit waits the delay for
 * DOWN nodes too; we don't, so a dead node's tasks run elsewhere within 5 s.
 */
export function restartSlot(input: ReconcileInput, ts: Task[], plan: Plan, replacement?: (t: Task) => Plan['create'][number]): void {
  const { service, now } = input;
  for (const t of ts) {
    if (!isRunnable(t)) continue;
    const node = t.nodeId ? input.nodes.get(t.nodeId) : undefined;
    const badNode = !!t.nodeId && isInvalidNode(node);
    if (!hasStopped(t) && !badNode) continue;
    if (!hasStopped(t) && drainStartFirst(input, ts, t, node, plan, replacement)) continue;
    plan.stop.push({ id: t.id, desiredState: TaskState.SHUTDOWN });
    const policy = restartPolicy(t);
    if (!badNode && !shouldRestart(t, restartsBefore(ts, t, now))) continue;
    const repl = replacement ? replacement(t) : newTask(service, input.newId(), t.slot, now);
    repl.desiredState = TaskState.READY;
    repl.startAfter = now + (badNode ? 0 : policy.delayMs);
    plan.create.push(repl);
    if (repl.startAfter > now) plan.wakeAt = Math.min(plan.wakeAt ?? Infinity, repl.startAfter);
  }
  startHeld(input, ts, plan);
}

/**
 * Drain with update order start-first: the running task stays until its replacement (started at
 * once, elsewhere) is RUNNING, then it is shut down. Returns true when it handled `t`.
 */
function drainStartFirst(input: ReconcileInput, ts: Task[], t: Task, node: Node | undefined, plan: Plan, replacement?: (t: Task) => Plan['create'][number]): boolean {
  if (!node || node.status.state === 'DOWN' || node.spec.availability !== 'DRAIN') return false;
  if (input.service.spec.update?.order !== 'start-first' || input.service.spec.mode.kind !== 'replicated') return false;
  const others = ts.filter((o) => o !== t && isRunnable(o) && !hasStopped(o));
  if (others.some((o) => o.status.state === TaskState.RUNNING)) {
    plan.stop.push({ id: t.id, desiredState: TaskState.SHUTDOWN });
    return true;
  }
  if (others.length > 0) return true; // replacement on its way
  const repl = replacement ? replacement(t) : newTask(input.service, input.newId(), t.slot, input.now);
  plan.create.push(repl); // desired RUNNING: starts now, next to the old task
  return true;
}

/** A held replacement starts once its delay passed and the slot's older tasks stopped. */
export function startHeld(input: Pick<ReconcileInput, 'now' | 'nodes'>, ts: Task[], plan: Plan): void {
  const { now } = input;
  for (const t of ts) {
    if (t.desiredState !== TaskState.READY) continue;
    const at = t.startAfter ?? 0;
    if (at > now) {
      plan.wakeAt = Math.min(plan.wakeAt ?? Infinity, at);
      continue;
    }
    const blocking = ts.filter((o) => {
      if (o === t || hasStopped(o) || o.meta.createdAt > t.meta.createdAt) return false;
      if (o.status.state < TaskState.ASSIGNED && o.desiredState > TaskState.RUNNING) return false; // never ran
      const node = o.nodeId ? input.nodes.get(o.nodeId) : undefined;
      return !(o.nodeId && (!node || node.status.state === 'DOWN'));
    });
    if (blocking.length === 0 || now - at >= OLD_TASK_TIMEOUT_MS) plan.start.push(t.id);
    else plan.wakeAt = Math.min(plan.wakeAt ?? Infinity, at + OLD_TASK_TIMEOUT_MS);
  }
}

/** The update supervisor over the kept slots; its status change and rollback go into the plan. */
function rollingUpdate(input: ReconcileInput, keep: Array<[number, Task[]]>, plan: Plan): void {
  const { service, now } = input;
  const restarting = new Set(plan.create.map((t) => t.slot));
  const step = superviseUpdate({
    service,
    groups: keep.map(([n, tasks]) => ({ tasks, restarting: restarting.has(n) })),
    stopping: new Set(plan.stop.map((s) => s.id)),
    now,
    replacement: (g) => newTask(service, input.newId(), (g.tasks[0] as Task).slot, now),
  });
  plan.create.push(...step.create);
  plan.stop.push(...step.stop);
  if (step.status) plan.updateStatus = step.status;
  if (step.rollback) plan.rollback = true;
  if (step.wakeAt !== undefined) plan.wakeAt = Math.min(plan.wakeAt ?? Infinity, step.wakeAt);
}

/** Task reaper: removed tasks go once stopped; history beyond the limit goes oldest-first. */
/** The plan's stop / remove IDs as sets, grown as the (append-only) lists grow: one reapSlot per slot must not rebuild them. */
const planIds = new WeakMap<Plan, { stopN: number; stop: Set<string>; removeN: number; remove: Set<string> }>();
function idsOf(plan: Plan): { stop: Set<string>; remove: Set<string> } {
  let c = planIds.get(plan);
  if (!c) planIds.set(plan, (c = { stopN: 0, stop: new Set(), removeN: 0, remove: new Set() }));
  for (; c.stopN < plan.stop.length; c.stopN++) c.stop.add(plan.stop[c.stopN]!.id);
  for (; c.removeN < plan.remove.length; c.removeN++) c.remove.add(plan.remove[c.removeN]!);
  return c;
}

export function reapSlot(input: Pick<ReconcileInput, 'historyLimit'>, ts: Task[], plan: Plan): void {
  const stoppingNow = idsOf(plan).stop;
  for (const t of ts) {
    if (t.desiredState === TaskState.REMOVE && (t.status.state >= TaskState.COMPLETE || t.status.state < TaskState.ASSIGNED)) {
      plan.remove.push(t.id);
    }
  }
  const policy = ts[0] ? restartPolicy(ts[0]) : undefined;
  const limit = policy && policy.maxAttempts > 0 ? policy.maxAttempts + 1 : input.historyLimit;
  if (limit < 0) return;
  const removed = idsOf(plan).remove;
  const remaining = ts.filter((t) => !removed.has(t.id));
  let excess = remaining.length - limit;
  for (const t of remaining) {
    if (excess <= 0) break;
    const dead = !isRunnable(t) && !stoppingNow.has(t.id) && (hasStopped(t) || t.status.state < TaskState.ASSIGNED);
    if (dead) {
      plan.remove.push(t.id);
      excess--;
    }
  }
}
