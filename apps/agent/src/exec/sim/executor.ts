/**
 * Simulated executor for scale benchmarks: no processes, no timers. A task is
 * RUNNING as soon as it starts and `wait` resolves only when the task is shut
 * down (or the caller aborts). Per task it holds one small record.
 */
import { ok, type Task } from '@swarm/shared';
import { aborted, done, onAbort, type Controller, type Executor } from '../executor.js';
import { localDescription } from '../local-node.js';

export interface SimExecutorOptions {
  /** Overrides for the described node (e.g. a virtual hostname or resources). */
  describe?: () => ReturnType<typeof localDescription>;
}

export function createSimExecutor(opts: SimExecutorOptions = {}): Executor {
  /** taskId → resolves the task's pending waits when it is shut down. */
  const running = new Map<string, { stopped: Promise<void>; stop: () => void }>();

  const ensure = (id: string) => {
    let r = running.get(id);
    if (!r) {
      let stop!: () => void;
      const stopped = new Promise<void>((res) => (stop = res));
      running.set(id, (r = { stopped, stop }));
    }
    return r;
  };

  const controller = (task: Task): Controller => ({
    prepare: async () => done(),
    async start() {
      ensure(task.id);
      return done();
    },
    async wait(signal) {
      // A RUNNING task restored after an agent restart is adopted: it keeps running.
      const r = ensure(task.id);
      await Promise.race([r.stopped, onAbort(signal)]);
      return signal.aborted ? aborted() : done({ exitCode: 0 });
    },
    async shutdown() {
      running.get(task.id)?.stop();
      return done();
    },
    async terminate() {
      running.get(task.id)?.stop();
      return done();
    },
    async remove() {
      running.get(task.id)?.stop();
      running.delete(task.id);
      return done();
    },
    inspect: async () => ok(running.has(task.id) ? { kind: 'running' as const, info: {} } : { kind: 'absent' as const }),
    close() {},
  });

  return {
    name: 'sim',
    controller,
    describe: async () => opts.describe?.() ?? localDescription('sim'),
    async close() {},
  };
}
