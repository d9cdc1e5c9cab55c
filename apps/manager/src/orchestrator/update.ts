/**
 * The update supervisor as a pure step (SwarmKit's `update/updater.go`, swarmkit.md §4.5).
 *
 * Stateless: everything is derived from the service (spec, `updateStatus`, `previousSpec`) and
 * its tasks, so a new leader picks an update up where the old one left it. One call decides:
 *   - which dirty groups (slots, or nodes for global services) get a replacement now, within
 *     `parallelism` (in-flight groups and groups still sleeping `delay` after finishing count);
 *   - start-first groups whose new task is RUNNING: their old tasks are shut down;
 *   - failures (tasks of this update that failed before RUNNING or within `monitor` after it):
 *     above `maxFailureRatio` the failure action fires (pause, rollback, or nothing for continue);
 *   - the status change (updating → completed once nothing is dirty and the monitor window passed).
 * Times to come back (delay and monitor ends) are returned as `wakeAt`.
 */
import { type Service, type Task, TaskState, type UpdateConfig, type UpdateStatus } from '@swarm/shared';
import { type NewTask, isRunnable, isTaskDirty } from './task.js';

export const DEFAULT_UPDATE_CONFIG: UpdateConfig = {
  parallelism: 1,
  delayMs: 0,
  failureAction: 'pause',
  monitorMs: 5000,
  maxFailureRatio: 0,
  order: 'stop-first',
};

export interface UpdateGroup {
  /** Every task of the slot (replicated) or of the node (global), oldest first. */
  tasks: Task[];
  /** The restart supervisor created a replacement for this group in the same plan. */
  restarting: boolean;
}

export interface SuperviseInput {
  service: Service;
  groups: UpdateGroup[];
  /** Tasks already being stopped by this plan (restarts, scale-down). */
  stopping: ReadonlySet<string>;
  now: number;
  /** A new task (fresh spec) for the group; the supervisor sets its desired state. */
  replacement: (group: UpdateGroup) => NewTask;
}

export interface UpdateStep {
  create: NewTask[];
  stop: Array<{ id: string; desiredState: TaskState }>;
  /** Status to write; absent: unchanged. */
  status?: UpdateStatus;
  /** Roll the service back to its previous spec (automatic rollback). */
  rollback?: boolean;
  wakeAt?: number;
}

export type UpdateState = UpdateStatus['state'];
const isRollback = (s: UpdateState | undefined) => s === 'rollback_started' || s === 'rollback_paused';

/** The config that drives the current update: `rollback` while rolling back, else `update`. */
export function updateConfig(service: Service): UpdateConfig {
  const c = isRollback(service.updateStatus?.state) ? service.spec.rollback : service.spec.update;
  return c ?? DEFAULT_UPDATE_CONFIG;
}

/** Manager time at which a task stopped. */
const stoppedAt = (t: Task) => t.status.appliedAt ?? t.status.timestamp;

/** A task of this update that failed (or exited) before RUNNING or within the monitor window. */
export function isUpdateFailure(service: Service, t: Task, monitorMs: number): boolean {
  const st = service.updateStatus;
  if (!st || st.state === 'completed' || st.state === 'rollback_completed') return false;
  const s = t.status.state;
  if (s !== TaskState.FAILED && s !== TaskState.REJECTED && s !== TaskState.COMPLETE) return false;
  if (isTaskDirty(service, t) || stoppedAt(t) < (st.startedAt ?? 0)) return false;
  return t.runningAt === undefined || stoppedAt(t) - t.runningAt <= monitorMs;
}

function describeFailure(t: Task): string {
  const why = t.status.err || t.status.message;
  return `${t.id}${why ? `: ${why}` : ''}`;
}

interface Census {
  dirty: UpdateGroup[];
  inFlight: number;
  /** Groups that finished less than `delay` ago (their worker is still sleeping). */
  sleeping: number;
  lastRunningAt: number;
  wakeAt?: number;
  stop: UpdateStep['stop'];
}

function census(input: SuperviseInput, cfg: UpdateConfig): Census {
  const { service, now } = input;
  const c: Census = { dirty: [], inFlight: 0, sleeping: 0, lastRunningAt: 0, stop: [] };
  for (const g of input.groups) {
    // One pass over the group (this runs for every slot of the service on every reconcile).
    const fresh: Task[] = [];
    const stale: Task[] = [];
    let running: Task | undefined;
    for (const t of g.tasks) {
      if (!isRunnable(t) || input.stopping.has(t.id)) continue;
      if (isTaskDirty(service, t)) {
        stale.push(t);
        continue;
      }
      fresh.push(t);
      if (!running && t.status.state === TaskState.RUNNING) running = t;
      if ((t.runningAt ?? 0) > c.lastRunningAt) c.lastRunningAt = t.runningAt ?? 0;
    }
    if (fresh.length === 0) {
      if (g.restarting) c.inFlight++;
      else if (stale.length > 0) c.dirty.push(g);
      continue;
    }
    if (stale.length > 0 && running) {
      // Start-first: the new task runs, the old ones go now.
      for (const t of stale) c.stop.push({ id: t.id, desiredState: TaskState.SHUTDOWN });
    }
    if (!running || g.restarting) {
      c.inFlight++;
      continue;
    }
    const doneAt = running.runningAt ?? 0;
    if (cfg.delayMs > 0 && doneAt + cfg.delayMs > now && doneAt >= (service.updateStatus?.startedAt ?? Infinity)) {
      c.sleeping++;
      c.wakeAt = Math.min(c.wakeAt ?? Infinity, doneAt + cfg.delayMs);
    }
  }
  return c;
}

/** The failure action, if the failures of this update exceed the allowed ratio. */
function failureAction(input: SuperviseInput, cfg: UpdateConfig): Pick<UpdateStep, 'status' | 'rollback'> | undefined {
  const { service, now } = input;
  const st = service.updateStatus;
  if (cfg.failureAction === 'continue' || !st || (st.state !== 'updating' && st.state !== 'rollback_started')) return undefined;
  const failed = input.groups.flatMap((g) => g.tasks).filter((t) => isUpdateFailure(service, t, cfg.monitorMs));
  if (failed.length === 0 || failed.length <= cfg.maxFailureRatio * Math.max(1, input.groups.length)) return undefined;
  const last = failed.reduce((a, b) => (stoppedAt(b) > stoppedAt(a) ? b : a));
  const what = `due to failure or early termination of task ${describeFailure(last)}`;
  const base = { startedAt: st.startedAt ?? now };
  if (st.state === 'rollback_started') return { status: { ...base, state: 'rollback_paused', message: `rollback paused ${what}` } };
  if (cfg.failureAction === 'rollback') {
    if (!service.previousSpec) return { status: { ...base, state: 'paused', message: `update paused ${what} (no previous spec to roll back to)` } };
    return { rollback: true, status: { state: 'rollback_started', startedAt: now, message: `update rolled back ${what}` } };
  }
  return { status: { ...base, state: 'paused', message: `update paused ${what}` } };
}

export function superviseUpdate(input: SuperviseInput): UpdateStep {
  const { service, now } = input;
  const step: UpdateStep = { create: [], stop: [] };
  const state = service.updateStatus?.state;
  if (state === 'paused' || state === 'rollback_paused') return step;
  const cfg = updateConfig(service);
  const action = failureAction(input, cfg);
  if (action) return { ...step, ...action };

  const c = census(input, cfg);
  step.stop.push(...c.stop);
  if (c.wakeAt !== undefined) step.wakeAt = c.wakeAt;
  if (!service.updateStatus && c.dirty.length > 0) {
    step.status = { state: 'updating', startedAt: now, message: 'update in progress' };
  }
  let budget = cfg.parallelism === 0 ? Infinity : Math.max(0, cfg.parallelism - c.inFlight - c.sleeping);
  for (const g of c.dirty) {
    if (budget-- <= 0) break;
    const repl = input.replacement(g);
    if (cfg.order === 'start-first') {
      repl.desiredState = TaskState.RUNNING;
    } else {
      for (const t of g.tasks) if (isRunnable(t) && !input.stopping.has(t.id)) step.stop.push({ id: t.id, desiredState: TaskState.SHUTDOWN });
      repl.desiredState = TaskState.READY;
      repl.startAfter = now;
    }
    step.create.push(repl);
  }
  if (c.dirty.length === 0 && c.inFlight === 0 && (state === 'updating' || state === 'rollback_started')) {
    const doneAt = Math.max(c.lastRunningAt, service.updateStatus?.startedAt ?? 0) + cfg.monitorMs;
    if (now >= doneAt) {
      const rb = state === 'rollback_started';
      step.status = {
        state: rb ? 'rollback_completed' : 'completed',
        startedAt: service.updateStatus?.startedAt ?? now,
        completedAt: now,
        message: rb ? 'rollback completed' : 'update completed',
      };
    } else {
      step.wakeAt = Math.min(step.wakeAt ?? Infinity, doneAt);
    }
  }
  return step;
}
