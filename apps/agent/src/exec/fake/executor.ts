/**
 * Scriptable in-memory executor for worker/agent tests and simulations.
 * Runtime state lives in the executor, not the controller, so a recreated
 * agent "adopts" what an earlier one started.
 */
import { ok, type NodeDescription, type Task } from '@swarm/shared';
import { aborted, done, fatal, onAbort, type Controller, type ExecFailure, type Executor, type OpResult } from '../executor.js';
import { localDescription } from '../local-node.js';

type Op = 'prepare' | 'start' | 'wait' | 'shutdown' | 'terminate' | 'remove';

interface Runtime {
  state: 'created' | 'running' | 'exited';
  exitCode?: number;
  exited: Promise<void>;
  exit: () => void;
}

export interface FakeExecutor extends Executor {
  /** Every controller call, in order. */
  readonly calls: Array<{ taskId: string; op: Op }>;
  /** Make a running task exit with `code`. */
  exit(taskId: string, code: number): void;
  /** The next `op` call for `taskId` fails. */
  failNext(taskId: string, op: Op, failure: ExecFailure): void;
  /** Runtime state of a task, if any. */
  runtime(taskId: string): Runtime['state'] | undefined;
  /** Resolves once some task reaches the runtime state (no polling by the caller). */
  until(pred: () => boolean): Promise<void>;
}

export function createFakeExecutor(description?: Partial<NodeDescription>): FakeExecutor {
  const calls: FakeExecutor['calls'] = [];
  const runtimes = new Map<string, Runtime>();
  const failures = new Map<string, ExecFailure>();
  const waiters: Array<{ pred: () => boolean; resolve: () => void }> = [];

  const changed = () => {
    for (const w of [...waiters]) {
      if (w.pred()) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  };

  const newRuntime = (): Runtime => {
    let exit!: () => void;
    const exited = new Promise<void>((r) => (exit = r));
    return { state: 'created', exited, exit };
  };

  const record = (taskId: string, op: Op): OpResult | undefined => {
    calls.push({ taskId, op });
    changed();
    const f = failures.get(`${taskId}/${op}`);
    if (!f) return undefined;
    failures.delete(`${taskId}/${op}`);
    return { ok: false, error: f };
  };

  const controller = (task: Task): Controller => {
    const id = task.id;
    const finish = (code: number) => {
      const rt = runtimes.get(id);
      if (!rt || rt.state === 'exited') return;
      rt.state = 'exited';
      rt.exitCode = code;
      rt.exit();
      changed();
    };
    return {
      async prepare() {
        const f = record(id, 'prepare');
        if (f) return f;
        if (!runtimes.has(id)) runtimes.set(id, newRuntime());
        changed();
        return done({ containerId: `fake-${id}` });
      },
      async start() {
        const f = record(id, 'start');
        if (f) return f;
        const rt = runtimes.get(id);
        if (!rt) return fatal('container not found');
        if (rt.state === 'created') rt.state = 'running';
        changed();
        return done({ containerId: `fake-${id}`, pid: 1 });
      },
      async wait(signal) {
        const f = record(id, 'wait');
        if (f) return f;
        const rt = runtimes.get(id);
        if (!rt) return fatal('container not found');
        await Promise.race([rt.exited, onAbort(signal)]);
        if (rt.state !== 'exited') return aborted();
        const code = rt.exitCode ?? 0;
        return code === 0 ? done({ exitCode: 0 }) : fatal(`task: non-zero exit (${code})`, { exitCode: code });
      },
      async shutdown() {
        const f = record(id, 'shutdown');
        if (f) return f;
        finish(143);
        return done();
      },
      async terminate() {
        record(id, 'terminate');
        finish(137);
        return done();
      },
      async remove() {
        const f = record(id, 'remove');
        if (f) return f;
        finish(137);
        runtimes.delete(id);
        changed();
        return done();
      },
      async inspect() {
        const rt = runtimes.get(id);
        if (!rt) return ok({ kind: 'absent' as const });
        if (rt.state === 'running') return ok({ kind: 'running' as const, info: { containerId: `fake-${id}` } });
        if (rt.state === 'created') return ok({ kind: 'created' as const, info: { containerId: `fake-${id}` } });
        return ok({ kind: 'exited' as const, info: { containerId: `fake-${id}`, exitCode: rt.exitCode ?? 0 } });
      },
      close() {},
    };
  };

  return {
    name: 'sim',
    calls,
    controller,
    describe: async () => ({ ...localDescription('fake'), ...description }),
    async close() {},
    exit(taskId, code) {
      const rt = runtimes.get(taskId);
      if (!rt || rt.state === 'exited') return;
      rt.state = 'exited';
      rt.exitCode = code;
      rt.exit();
      changed();
    },
    failNext(taskId, op, failure) {
      failures.set(`${taskId}/${op}`, failure);
    },
    runtime: (taskId) => runtimes.get(taskId)?.state,
    until(pred) {
      if (pred()) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ pred, resolve }));
    },
  };
}
