/**
 * SwarmKit's controller `Do` (agent/exec/controller.go) split in two:
 *  - `step(task, observed)` is pure: it decides the next action;
 *  - `applyOutcome` is pure: it turns an action's outcome into the next status.
 * The task runner (worker/task-runner.ts) performs the controller call in between.
 *
 * Rules (swarmkit.md §3.2):
 *  - desired ≥ SHUTDOWN: observed < COMPLETE ⇒ shutdown, report SHUTDOWN; else nothing.
 *  - observed > desired ⇒ nothing.
 *  - PREPARING → prepare → READY, STARTING → start → RUNNING, RUNNING → wait → COMPLETE,
 *    even when that overtakes desired.
 *  - pause states only advance while observed < desired:
 *    NEW/PENDING/ASSIGNED → ACCEPTED, ACCEPTED → PREPARING, READY → STARTING.
 *  - fatal error before STARTING ⇒ REJECTED, else FAILED; temporary ⇒ retry in 1 s.
 */
import { TaskState, type Task, type TaskStatus } from '@swarm/shared';
import type { ExecFailure, RuntimeInfo } from './executor.js';

export type ControllerOp = 'prepare' | 'start' | 'wait' | 'shutdown';

export type StepAction =
  | { kind: 'noop' }
  /** A bookkeeping transition that needs no controller call. */
  | { kind: 'transition'; state: TaskState; message: string }
  /** Call the controller; on success move to `onSuccess`. */
  | { kind: 'call'; op: ControllerOp; onSuccess: { state: TaskState; message: string } };

export const RETRY_DELAY_MS = 1000;

export function step(task: Pick<Task, 'desiredState'>, observed: Pick<TaskStatus, 'state'>): StepAction {
  const s = observed.state;
  const desired = task.desiredState;
  if (desired >= TaskState.SHUTDOWN) {
    if (s >= TaskState.COMPLETE) return { kind: 'noop' };
    return { kind: 'call', op: 'shutdown', onSuccess: { state: TaskState.SHUTDOWN, message: 'shutdown' } };
  }
  if (s > desired) return { kind: 'noop' };
  switch (s) {
    case TaskState.PREPARING:
      return { kind: 'call', op: 'prepare', onSuccess: { state: TaskState.READY, message: 'prepared' } };
    case TaskState.STARTING:
      return { kind: 'call', op: 'start', onSuccess: { state: TaskState.RUNNING, message: 'started' } };
    case TaskState.RUNNING:
      return { kind: 'call', op: 'wait', onSuccess: { state: TaskState.COMPLETE, message: 'finished' } };
  }
  if (s >= desired) return { kind: 'noop' };
  switch (s) {
    case TaskState.NEW:
    case TaskState.PENDING:
    case TaskState.ASSIGNED:
      return { kind: 'transition', state: TaskState.ACCEPTED, message: 'accepted' };
    case TaskState.ACCEPTED:
      return { kind: 'transition', state: TaskState.PREPARING, message: 'preparing' };
    case TaskState.READY:
      return { kind: 'transition', state: TaskState.STARTING, message: 'starting' };
    default:
      return { kind: 'noop' };
  }
}

export type Outcome =
  | { kind: 'ok'; state: TaskState; message: string; info?: RuntimeInfo }
  | { kind: 'failed'; failure: ExecFailure };

/** What to do with the task status after a step: a new status, a retry, or nothing (aborted). */
export type Next =
  | { kind: 'status'; status: TaskStatus }
  | { kind: 'retry'; status: TaskStatus; delayMs: number }
  | { kind: 'again' };

export function applyOutcome(current: TaskStatus, outcome: Outcome, now: number): Next {
  if (outcome.kind === 'ok') {
    const status: TaskStatus = { timestamp: now, state: outcome.state, message: outcome.message };
    const container = mergeRuntime(current.container, outcome.info);
    if (container) status.container = container;
    return { kind: 'status', status };
  }
  const f = outcome.failure;
  if (f.kind === 'aborted') return { kind: 'again' };
  const container = mergeRuntime(current.container, { containerId: f.containerId, exitCode: f.exitCode });
  const base: TaskStatus = { ...current, timestamp: now, err: f.message };
  if (container) base.container = container;
  if (f.kind === 'temporary') return { kind: 'retry', status: base, delayMs: RETRY_DELAY_MS };
  const state = current.state < TaskState.STARTING ? TaskState.REJECTED : TaskState.FAILED;
  return { kind: 'status', status: { ...base, state, message: f.message } };
}

/** The status's runtime details with `info` laid over them (undefined when there are none). */
export function mergeRuntime(prev: TaskStatus['container'], info: RuntimeInfo | undefined): TaskStatus['container'] {
  const containerId = info?.containerId ?? prev?.containerId;
  const pid = info?.pid ?? prev?.pid;
  const exitCode = info?.exitCode ?? prev?.exitCode;
  if (containerId === undefined && pid === undefined && exitCode === undefined) return undefined;
  const out: NonNullable<TaskStatus['container']> = { containerId: containerId ?? '', pid: pid ?? 0 };
  if (exitCode !== undefined) out.exitCode = exitCode;
  return out;
}
