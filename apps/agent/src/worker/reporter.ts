/**
 * Status reporter (SwarmKit agent/reporter.go): coalesces per task — the
 * latest state wins, a lower state than one already queued or acknowledged is
 * dropped — and sends batches through the current session, retrying until the
 * dispatcher acknowledges. With no session, statuses wait in the queue.
 *
 * RUNNING and every later state are sent at once (the manager decides on them:
 * replacements, updates, what the user waits for). The states before RUNNING
 * (ACCEPTED … STARTING) only inform, so they wait up to `holdMs` (default
 * 200 ms) to go with the next batch: a converge's create phase then costs the
 * manager a few status writes (each a Raft commit with an fsync, competing with
 * the engine that is creating the containers) instead of one per create.
 *
 * A report is sent at the end of the current turn of the event loop, not in
 * the middle of it: the tasks of one assignment that reach RUNNING together
 * (the worker starts them all in one turn) go as one batch, not as a first
 * lone task and then the rest once it is acknowledged.
 */
import type { Logger } from 'pino';
import { TaskState, systemClock, type Clock, type Result, type TaskStatus } from '@swarm/shared';

export interface StatusUpdate {
  taskId: string;
  status: TaskStatus;
}

export type SendStatuses = (updates: StatusUpdate[]) => Promise<Result<void, string>>;

export interface Reporter {
  report(taskId: string, status: TaskStatus): void;
  /** Install (or clear, with undefined) the session's sender. */
  setSender(send: SendStatuses | undefined): void;
  /** Forget a task (it left the node). */
  forget(taskId: string): void;
  pending(): number;
  /** Resolves when the queue is empty and nothing is in flight. */
  idle(): Promise<void>;
  close(): void;
}

export interface ReporterOptions {
  clock?: Clock;
  logger?: Logger;
  maxBatch?: number;
  retryMs?: { initial: number; max: number };
  /** How long a state before RUNNING may wait for company (default 200 ms; 0 = send at once). */
  holdMs?: number;
}

/** States the manager acts on: sent without waiting. */
export const isUrgent = (s: TaskStatus): boolean => s.state >= TaskState.RUNNING;

export function createReporter(opts: ReporterOptions = {}): Reporter {
  const clock = opts.clock ?? systemClock;
  const maxBatch = opts.maxBatch ?? 1000;
  const retry = opts.retryMs ?? { initial: 100, max: 2000 };
  const holdMs = opts.holdMs ?? 200;
  const sendsAtOnce = (s: TaskStatus) => holdMs <= 0 || isUrgent(s);
  const queue = new Map<string, TaskStatus>();
  const acked = new Map<string, number>();
  let send: SendStatuses | undefined;
  let inflight = false;
  let retryTimer: { cancel(): void } | undefined;
  /** Pending while only states before RUNNING are queued: they are sent when it fires, or with an urgent one. */
  let holdTimer: { cancel(): void } | undefined;
  let urgentQueued = false;
  let failures = 0;
  let closed = false;
  let idleWaiters: Array<() => void> = [];
  /** A pump is due at the end of this turn. */
  let turnEnd = false;
  const pumpAtTurnEnd = () => {
    if (turnEnd) return;
    turnEnd = true;
    setImmediate(() => {
      turnEnd = false;
      void pump();
    });
  };

  const enqueue = (taskId: string, status: TaskStatus) => {
    const queuedState = queue.get(taskId)?.state ?? -1;
    const ackedState = acked.get(taskId) ?? -1;
    if (status.state < queuedState || status.state < ackedState) return false;
    queue.set(taskId, status);
    if (sendsAtOnce(status)) urgentQueued = true;
    return true;
  };

  /** Starts the hold for a queue of non-urgent states, or ends it once something urgent is queued. */
  const arm = () => {
    if (urgentQueued) {
      holdTimer?.cancel();
      holdTimer = undefined;
    } else if (!holdTimer && queue.size > 0) {
      holdTimer = clock.setTimeout(() => {
        holdTimer = undefined;
        urgentQueued = queue.size > 0;
        void pump();
      }, holdMs);
    }
  };

  const settleIdle = () => {
    if (queue.size > 0 || inflight) return;
    const ws = idleWaiters;
    idleWaiters = [];
    for (const w of ws) w();
  };

  async function pump(): Promise<void> {
    if (closed || inflight || retryTimer || !send || queue.size === 0) return settleIdle();
    if (!urgentQueued) return arm();
    const batch: StatusUpdate[] = [];
    for (const [taskId, status] of queue) {
      batch.push({ taskId, status });
      queue.delete(taskId);
      if (batch.length >= maxBatch) break;
    }
    urgentQueued = [...queue.values()].some(sendsAtOnce);
    arm();
    inflight = true;
    let r: Result<void, string>;
    try {
      r = await send(batch);
    } catch (e) {
      r = { ok: false, error: String(e) };
    }
    inflight = false;
    if (r.ok) {
      failures = 0;
      for (const u of batch) if (u.status.state > (acked.get(u.taskId) ?? -1)) acked.set(u.taskId, u.status.state);
    } else {
      for (const u of batch) enqueue(u.taskId, u.status);
      urgentQueued = queue.size > 0; // a retry sends everything
      const delay = Math.min(retry.initial * 2 ** failures, retry.max);
      failures++;
      opts.logger?.debug({ err: r.error, delay, n: batch.length }, 'status report failed; retrying');
      retryTimer = clock.setTimeout(() => {
        retryTimer = undefined;
        void pump();
      }, delay);
    }
    void pump();
  }

  return {
    report(taskId, status) {
      if (!enqueue(taskId, status)) return;
      arm();
      pumpAtTurnEnd();
    },
    setSender(s) {
      send = s;
      failures = 0;
      retryTimer?.cancel();
      retryTimer = undefined;
      pumpAtTurnEnd();
    },
    forget(taskId) {
      queue.delete(taskId);
      acked.delete(taskId);
      if (queue.size === 0) urgentQueued = false;
      settleIdle();
    },
    pending: () => queue.size + (inflight ? 1 : 0),
    idle() {
      if (queue.size === 0 && !inflight && !turnEnd) return Promise.resolve();
      return new Promise((r) => idleWaiters.push(r));
    },
    close() {
      closed = true;
      retryTimer?.cancel();
      retryTimer = undefined;
      holdTimer?.cancel();
      holdTimer = undefined;
    },
  };
}
