/**
 * Runs a task's command + args as a local child process (the image is ignored).
 * Used when no Docker engine answers. Children are not adopted after an agent
 * restart: a RUNNING task whose process is gone fails with "process not found".
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Logger } from 'pino';
import { ok, systemClock, type Clock, type Task } from '@swarm/shared';
import { aborted, done, fatal, onAbort, type Controller, type Executor, type OpResult } from '../executor.js';
import { localDescription } from '../local-node.js';
import { DEFAULT_GRACE_MS, exitMessage } from '../docker/spec.js';

export interface ProcessExecutorOptions {
  logger?: Logger;
  clock?: Clock;
  /** Extra environment for every child (merged over the agent's own). */
  env?: Record<string, string>;
}

interface Child {
  proc: ChildProcess;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function createProcessExecutor(opts: ProcessExecutorOptions = {}): Executor {
  const clock = opts.clock ?? systemClock;
  const children = new Map<string, Child>();

  const controller = (task: Task): Controller => {
    const c = task.spec.container;
    const argv = [...c.command, ...c.args];
    const grace = c.stopGracePeriodMs ?? DEFAULT_GRACE_MS;

    const exitResult = (code: number | null, signal: NodeJS.Signals | null, pid: number | undefined): OpResult => {
      const exitCode = code ?? 128 + signalNumber(signal);
      return exitCode === 0 ? done({ exitCode, pid }) : fatal(exitMessage(exitCode), { exitCode });
    };

    return {
      async prepare() {
        if (argv.length === 0) return fatal('no command specified');
        return done();
      },
      async start() {
        const existing = children.get(task.id);
        if (existing) return done({ pid: existing.proc.pid });
        const env: Record<string, string> = { ...(process.env as Record<string, string>), ...opts.env };
        for (const kv of c.env) {
          const i = kv.indexOf('=');
          if (i > 0) env[kv.slice(0, i)] = kv.slice(i + 1);
        }
        const proc = spawn(argv[0]!, argv.slice(1), { cwd: c.dir, env, stdio: 'ignore' });
        const spawned = await new Promise<Error | undefined>((resolve) => {
          proc.once('spawn', () => resolve(undefined));
          proc.once('error', (e) => resolve(e));
        });
        if (spawned) return fatal(`starting container failed: ${spawned.message}`);
        const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
          proc.once('exit', (code, signal) => resolve({ code, signal })),
        );
        children.set(task.id, { proc, exit });
        opts.logger?.debug({ task: task.id, pid: proc.pid }, 'process started');
        return done({ pid: proc.pid });
      },
      async wait(signal) {
        const child = children.get(task.id);
        if (!child) return fatal('process not found');
        const r = await Promise.race([child.exit, onAbort(signal).then(() => undefined)]);
        if (!r) return aborted();
        return exitResult(r.code, r.signal, child.proc.pid);
      },
      async shutdown() {
        const child = children.get(task.id);
        if (!child || child.proc.exitCode !== null || child.proc.signalCode !== null) return done();
        child.proc.kill('SIGTERM');
        const timer = clock.setTimeout(() => child.proc.kill('SIGKILL'), grace);
        const r = await child.exit;
        timer.cancel();
        return done({ exitCode: r.code ?? 128 + signalNumber(r.signal) });
      },
      async terminate() {
        children.get(task.id)?.proc.kill('SIGKILL');
        return done();
      },
      async remove() {
        const child = children.get(task.id);
        if (child && child.proc.exitCode === null && child.proc.signalCode === null) {
          child.proc.kill('SIGKILL');
          await child.exit;
        }
        children.delete(task.id);
        return done();
      },
      async inspect() {
        const child = children.get(task.id);
        if (!child) return ok({ kind: 'absent' as const });
        const { exitCode, signalCode, pid } = child.proc;
        if (exitCode === null && signalCode === null) return ok({ kind: 'running' as const, info: { pid } });
        return ok({ kind: 'exited' as const, info: { pid, exitCode: exitCode ?? 128 + signalNumber(signalCode) } });
      },
      close() {},
    };
  };

  return {
    name: 'process',
    controller,
    describe: async () => localDescription('process'),
    async close() {},
  };
}

const SIGNALS: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15, SIGQUIT: 3, SIGABRT: 6 };
const signalNumber = (s: NodeJS.Signals | null): number => (s ? (SIGNALS[s] ?? 0) : 0);
