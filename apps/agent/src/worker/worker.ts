/**
 * The worker reconciles the manager's assignment set with local task runners
 * (SwarmKit agent/worker.go). COMPLETE replaces the whole set (unknown local
 * tasks are shut down and removed); INCREMENTAL updates or removes single tasks.
 * Every status change is persisted and handed to the reporter.
 */
import type { Logger } from 'pino';
import { TaskState, systemClock, type Clock, type Task, type TaskStatus } from '@swarm/shared';
import type { Executor } from '../exec/executor.js';
import { createTaskStore, type StoredTask } from './task-store.js';
import { startTaskRunner, type TaskRunner } from './task-runner.js';

export interface WorkerOptions {
  executor: Executor;
  stateDir: string;
  onStatus: (taskId: string, status: TaskStatus) => void;
  /** Called when a task leaves the node. */
  onForget?: (taskId: string) => void;
  clock?: Clock;
  logger?: Logger;
}

export interface Worker {
  /** Load persisted tasks and restart their loops (adopting running work). */
  init(): Promise<void>;
  /** COMPLETE assignment: the full set of tasks for this node. */
  assign(tasks: Task[]): Promise<void>;
  /** INCREMENTAL assignment. */
  update(updated: Task[], removed: string[]): Promise<void>;
  /** Latest local status of every task (re-reported after a new session). */
  statuses(): Array<{ taskId: string; status: TaskStatus }>;
  /** Waits until pending persistence is on disk. */
  flush(): Promise<void>;
  /** Stop all loops. With leaveTasks=false, also shut down and remove every task. */
  close(opts?: { leaveTasks?: boolean }): Promise<void>;
}

export function createWorker(opts: WorkerOptions): Worker {
  const clock = opts.clock ?? systemClock;
  const log = opts.logger;
  const runners = new Map<string, TaskRunner>();
  /** Removals in progress; a task re-assigned meanwhile waits for them. */
  const removing = new Map<string, Promise<void>>();
  const stored = (r: TaskRunner): StoredTask => ({ task: r.task(), status: r.status() });
  const store = createTaskStore(
    opts.stateDir,
    {
      get: (id) => {
        const r = runners.get(id);
        return r ? stored(r) : undefined;
      },
      all: () => [...runners.values()].map(stored),
    },
    log,
  );
  let closed = false;

  const start = (task: Task, status: TaskStatus) => {
    const runner = startTaskRunner(task, status, {
      controller: opts.executor.controller(task),
      clock,
      ...(log ? { logger: log } : {}),
      onStatus: (t, s) => {
        if (runners.get(t.id) !== runner) return;
        opts.onStatus(t.id, s);
        store.touchStatus(t.id);
        store.saveSoon();
      },
    });
    runners.set(task.id, runner);
    store.touch(task.id);
  };

  const upsert = async (task: Task) => {
    const existing = runners.get(task.id);
    if (existing) {
      store.touch(task.id);
      return existing.update(task);
    }
    await removing.get(task.id);
    if (closed || runners.has(task.id)) return;
    start(task, task.status);
  };

  const remove = (taskId: string): Promise<void> => {
    const runner = runners.get(taskId);
    if (!runner) return removing.get(taskId) ?? Promise.resolve();
    runners.delete(taskId);
    store.touch(taskId);
    opts.onForget?.(taskId);
    const p = runner
      .remove()
      .catch((e: unknown) => log?.error({ err: e, task: taskId }, 'removing task failed'))
      .finally(() => removing.delete(taskId));
    removing.set(taskId, p);
    return p;
  };

  return {
    async init() {
      for (const { task, status } of await store.load()) {
        if (!runners.has(task.id)) start(task, status.state > task.status.state ? status : task.status);
      }
      log?.info({ tasks: runners.size }, 'worker restored tasks');
    },
    async assign(tasks) {
      const wanted = new Set(tasks.map((t) => t.id));
      // Removals stop containers (up to the grace period): don't hold the assignment stream for them.
      for (const id of [...runners.keys()]) if (!wanted.has(id)) void remove(id);
      await Promise.all(tasks.map((t) => upsert(t)));
      await store.save();
    },
    async update(updated, removed) {
      for (const id of removed) void remove(id);
      await Promise.all(updated.map((t) => upsert(t)));
      await store.save();
    },
    statuses: () =>
      [...runners.values()]
        .filter((r) => r.status().state > TaskState.ASSIGNED)
        .map((r) => ({ taskId: r.id, status: r.status() })),
    flush: () => store.save(),
    async close(o = {}) {
      closed = true;
      const all = [...runners.keys()];
      if (o.leaveTasks === false) {
        await Promise.all(all.map((id) => remove(id)));
      } else {
        await Promise.all([...runners.values()].map((r) => r.close()));
      }
      await Promise.all(removing.values());
      await store.close();
    },
  };
}
