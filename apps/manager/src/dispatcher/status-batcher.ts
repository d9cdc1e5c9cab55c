/**
 * Task status reports from agents, queued per task (latest wins) and written
 * in one transaction per flush. Lower or equal states are dropped: task
 * states only move forward.
 */
import { type Clock, type TaskStatus, TaskState, ok } from '@swarm/shared';
import type { Store } from '../store/store.js';

export interface StatusBatcher {
  add(taskId: string, status: TaskStatus): void;
  flush(): Promise<void>;
  stop(): Promise<void>;
}

export function createStatusBatcher(opts: { store: Store; clock: Clock; managerId: () => string; flushMs?: number; maxQueued?: number }): StatusBatcher {
  const flushMs = opts.flushMs ?? 10;
  const maxQueued = opts.maxQueued ?? 10_000;
  let queue = new Map<string, TaskStatus>();
  let timer: { cancel(): void } | undefined;
  let inFlight: Promise<void> = Promise.resolve();

  const write = async (batch: Map<string, TaskStatus>) => {
    const r = await opts.store.update((tx) => {
      for (const [id, status] of batch) {
        const t = tx.get('tasks', id);
        if (!t) continue;
        const forward = status.state > t.status.state;
        const sameStateNews = status.state === t.status.state && (status.message !== t.status.message || status.err !== t.status.err || (status.container?.pid ?? 0) !== (t.status.container?.pid ?? 0));
        if (!forward && !sameStateNews) continue;
        const runningAt = t.runningAt ?? (status.state === TaskState.RUNNING ? tx.now : undefined);
        tx.update('tasks', { ...t, ...(runningAt !== undefined ? { runningAt } : {}), status: { ...status, appliedBy: opts.managerId(), appliedAt: tx.now } });
      }
      return ok(undefined);
    });
    if (!r.ok) throw new Error(`task status write failed: ${JSON.stringify(r.error)}`);
  };

  const flush = (): Promise<void> => {
    timer?.cancel();
    timer = undefined;
    if (queue.size === 0) return inFlight;
    const batch = queue;
    queue = new Map();
    inFlight = inFlight
      .catch(() => {})
      .then(() => write(batch))
      .catch((e) => {
        // The agent was told OK; keep its reports and try again rather than lose them.
        for (const [id, st] of batch) {
          const newer = queue.get(id);
          if (!newer || newer.state < st.state) queue.set(id, st);
        }
        timer ??= opts.clock.setTimeout(() => void flush().catch(() => {}), 250);
        throw e;
      });
    return inFlight;
  };

  return {
    add(taskId, status) {
      const prev = queue.get(taskId);
      if (prev && prev.state > status.state) return;
      queue.set(taskId, status);
      if (queue.size >= maxQueued) void flush();
      else timer ??= opts.clock.setTimeout(() => void flush().catch(() => {}), flushMs);
    },
    flush,
    async stop() {
      await flush().catch(() => {});
    },
  };
}
