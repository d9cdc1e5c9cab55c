/**
 * One loop per task: `step` decides, the controller acts, `applyOutcome`
 * records. The loop sleeps until the task changes when there is nothing to do.
 * A change of desired state aborts an in-flight call (typically `wait`) so the
 * next step can shut the task down.
 */
import type { Logger } from 'pino';
import { TaskState, invariant, taskStateName, type Clock, type Task, type TaskStatus } from '@swarm/shared';
import type { Controller, RuntimeInfo } from '../exec/executor.js';
import { applyOutcome, mergeRuntime, step, type ControllerOp } from '../exec/step.js';

export interface TaskRunner {
  readonly id: string;
  task(): Task;
  status(): TaskStatus;
  /** A newer version of the task from the manager. */
  update(task: Task): void;
  /** Stop the loop; the runtime object is left alone. */
  close(): Promise<void>;
  /** Stop the loop, shut the task down if it is not finished, and remove its runtime object. */
  remove(): Promise<void>;
}

export interface TaskRunnerDeps {
  controller: Controller;
  clock: Clock;
  onStatus: (task: Task, status: TaskStatus) => void;
  logger?: Logger;
}

export function startTaskRunner(initial: Task, initialStatus: TaskStatus, deps: TaskRunnerDeps): TaskRunner {
  const { controller, clock } = deps;
  let task = initial;
  let status = initialStatus;
  let closed = false;
  let version = 0;
  let wake: (() => void) | undefined;
  let op: { name: ControllerOp; abort: AbortController } | undefined;
  const log = deps.logger?.child({ task: task.id });

  const bump = () => {
    version++;
    wake?.();
  };

  /** Resolves when the task changed since `since`, the runner closed, or `ms` passed. */
  const changed = (since: number, ms?: number) =>
    new Promise<void>((resolve) => {
      if (closed || version !== since) return resolve();
      const t = ms !== undefined ? clock.setTimeout(() => resolve(), ms) : undefined;
      wake = () => {
        t?.cancel();
        wake = undefined;
        resolve();
      };
    });

  const setStatus = (next: TaskStatus) => {
    invariant(next.state >= status.state, `task ${task.id}: ${taskStateName(status.state)} → ${taskStateName(next.state)}`);
    status = next;
    log?.debug({ state: taskStateName(next.state), message: next.message, err: next.err }, 'task status');
    deps.onStatus(task, status);
  };

  /** Runtime details a running task's controller learned later (a PID): same state, same timestamp. */
  const learn = (info: RuntimeInfo) => {
    if (closed || status.state !== TaskState.RUNNING) return;
    const container = mergeRuntime(status.container, info);
    if (container && JSON.stringify(container) !== JSON.stringify(status.container)) setStatus({ ...status, container });
  };

  /** After a restart, a container that is already running is RUNNING, whatever we last recorded. */
  async function adopt(): Promise<void> {
    if (status.state < TaskState.READY || status.state >= TaskState.RUNNING) return;
    const seen = await controller.inspect();
    if (seen.ok && seen.value.kind === 'running' && !closed) {
      const container = { containerId: seen.value.info.containerId ?? '', pid: seen.value.info.pid ?? 0 };
      setStatus({ timestamp: clock.now(), state: TaskState.RUNNING, message: 'started', container });
    }
  }

  async function loop(): Promise<void> {
    await adopt();
    while (!closed) {
      const seen = version;
      const action = step(task, status);
      if (action.kind === 'noop') {
        await changed(seen);
        continue;
      }
      if (action.kind === 'transition') {
        setStatus({ ...status, timestamp: clock.now(), state: action.state, message: action.message, err: undefined });
        continue;
      }
      const abort = new AbortController();
      op = { name: action.op, abort };
      const r = action.op === 'wait' ? await controller.wait(abort.signal, learn) : await controller[action.op](abort.signal);
      op = undefined;
      if (closed && !r.ok && r.error.kind === 'aborted') break;
      const next = applyOutcome(
        status,
        r.ok ? { kind: 'ok', ...action.onSuccess, info: r.value } : { kind: 'failed', failure: r.error },
        clock.now(),
      );
      if (next.kind === 'again') continue;
      setStatus(next.status);
      if (next.kind === 'retry') {
        log?.warn({ op: action.op, err: next.status.err }, 'temporary error; retrying');
        await changed(seen, next.delayMs);
      }
    }
  }

  const done = loop().catch((e: unknown) => log?.error({ err: e }, 'task loop crashed'));

  const stop = async () => {
    closed = true;
    op?.abort.abort();
    bump();
    await done;
  };

  return {
    id: task.id,
    task: () => task,
    status: () => status,
    update(next) {
      const desiredChanged = next.desiredState !== task.desiredState;
      task = next;
      if (next.status.state > status.state && next.status.state > TaskState.ASSIGNED) status = next.status;
      if (desiredChanged && op && op.name !== 'shutdown') op.abort.abort();
      bump();
    },
    close: stop,
    async remove() {
      await stop();
      if (status.state < TaskState.COMPLETE) {
        const r = await controller.shutdown(new AbortController().signal);
        if (!r.ok) {
          log?.warn({ err: r.error.message }, 'shutdown before removal failed; terminating');
          await controller.terminate();
        }
      }
      const r = await controller.remove();
      if (!r.ok) log?.warn({ err: r.error.message }, 'remove failed');
      controller.close();
    },
  };
}
