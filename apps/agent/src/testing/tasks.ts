/** Test helpers: task factory, manual clock, status recorder. Not part of the build. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, vi } from 'vitest';
import { TaskSpecSchema, TaskState, newId, type Clock, type Task, type TaskStatus } from '@swarm/shared';

export function makeTask(opts: {
  id?: string;
  args?: string[];
  command?: string[];
  image?: string;
  desired?: TaskState;
  state?: TaskState;
  service?: string;
  slot?: number;
  nodeId?: string;
  container?: Record<string, unknown>;
} = {}): Task {
  return {
    id: opts.id ?? newId(),
    meta: { version: 1, createdAt: 0, updatedAt: 0 },
    spec: TaskSpecSchema.parse({
      container: { image: opts.image ?? 'local/busybox:1', args: opts.args ?? ['sleep', '300'], command: opts.command ?? [], ...opts.container },
    }),
    specVersion: 1,
    serviceId: 'svc1',
    slot: opts.slot ?? 1,
    nodeId: opts.nodeId ?? 'node1',
    annotations: { name: '', labels: {} },
    serviceAnnotations: { name: opts.service ?? 'web', labels: {} },
    status: { timestamp: 0, state: opts.state ?? TaskState.ASSIGNED, message: 'scheduler assigned task to node' },
    desiredState: opts.desired ?? TaskState.RUNNING,
  };
}

export const withDesired = (t: Task, desiredState: TaskState): Task => ({ ...t, desiredState, meta: { ...t.meta, version: t.meta.version + 1 } });

const made: string[] = [];
/** Every test file that makes temp dirs removes them when it finishes. */
afterAll(async () => {
  await Promise.all(made.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

export const tempDir = async (prefix = 'agent-test-'): Promise<string> => {
  const d = await mkdtemp(join(tmpdir(), prefix));
  made.push(d);
  return d;
};

/** A clock whose timers fire only on `advance`. */
export function manualClock(start = 1_000_000): Clock & { advance(ms: number): void; pending(): number } {
  let now = start;
  let timers: Array<{ at: number; fn: () => void; cancelled: boolean }> = [];
  return {
    now: () => now,
    setTimeout(fn, ms) {
      const t = { at: now + ms, fn, cancelled: false };
      timers.push(t);
      return { cancel: () => (t.cancelled = true) };
    },
    advance(ms) {
      now += ms;
      const due = timers.filter((t) => !t.cancelled && t.at <= now).sort((a, b) => a.at - b.at);
      timers = timers.filter((t) => !t.cancelled && t.at > now);
      for (const t of due) t.fn();
    },
    pending: () => timers.filter((t) => !t.cancelled).length,
  };
}

/** Records every status per task, in order. */
export function statusLog() {
  const all = new Map<string, TaskStatus[]>();
  return {
    onStatus: (taskId: string, s: TaskStatus) => {
      const l = all.get(taskId) ?? [];
      l.push(s);
      all.set(taskId, l);
    },
    states: (taskId: string) => (all.get(taskId) ?? []).map((s) => s.state),
    last: (taskId: string) => all.get(taskId)?.at(-1),
  };
}

/** Poll-until-condition with a generous timeout (the machine is shared and often loaded). */
export const eventually = <T>(fn: () => T | Promise<T>, timeout = 20_000): Promise<T> => vi.waitFor(fn, { timeout, interval: 10 });
