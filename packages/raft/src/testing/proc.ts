/**
 * Parent side of node-main.ts: spawn a node as a child process (tsx), talk to
 * it over IPC, kill it with SIGKILL by PID. Used by tests and the benchmark.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('./node-main.ts', import.meta.url));

export interface NodeProcConfig {
  id: string;
  dir: string;
  peers: Record<string, string>;
  join?: boolean;
  machine: 'list' | 'digest';
  tickMs?: number;
  electionTick?: number;
  snapshotInterval?: number;
  keepEntries?: number;
}

export interface NodeProc {
  readonly id: string;
  readonly child: ChildProcess;
  /** Resolves once the node listens. */
  readonly ready: Promise<void>;
  call<T = Record<string, unknown>>(op: string, args?: Record<string, unknown>, timeoutMs?: number): Promise<T>;
  kill9(): Promise<void>;
  alive(): boolean;
}

export function spawnNode(cfg: NodeProcConfig): NodeProc {
  const child = fork(MAIN, [], {
    // RAFT_NODE_ARGS: extra Node flags for the nodes (diagnostics, e.g. --trace-gc or --cpu-prof).
    execArgv: ['--import', 'tsx', ...(process.env['RAFT_NODE_ARGS']?.split(' ').filter(Boolean) ?? [])],
    env: { ...process.env, RAFT_NODE_CONFIG: JSON.stringify(cfg) },
    stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
  });
  // Node logs: drained, or shown with RAFT_PROC_LOG=1.
  child.stderr?.on('data', (d: Buffer) => {
    if (process.env['RAFT_PROC_LOG']) process.stderr.write(d);
  });
  const waits = new Map<number, (m: Record<string, unknown>) => void>();
  let rid = 0;
  let exited = false;
  const exit = new Promise<void>((res) => child.once('exit', () => ((exited = true), res())));
  const ready = new Promise<void>((res, rej) => {
    child.on('message', (raw) => {
      const m = raw as Record<string, unknown>;
      if (m['event'] === 'ready') res();
      const w = waits.get(m['rid'] as number);
      if (w) {
        waits.delete(m['rid'] as number);
        w(m);
      }
    });
    void exit.then(() => rej(new Error(`node ${cfg.id} exited`)));
  });
  ready.catch(() => {});
  return {
    id: cfg.id,
    child,
    ready,
    call<T>(op: string, args: Record<string, unknown> = {}, timeoutMs = 30_000): Promise<T> {
      return new Promise((res, rej) => {
        if (exited || !child.connected) return rej(new Error(`node ${cfg.id} is down`));
        const id = ++rid;
        const timer = setTimeout(() => {
          waits.delete(id);
          rej(new Error(`node ${cfg.id}: ${op} timed out`));
        }, timeoutMs);
        waits.set(id, (m) => {
          clearTimeout(timer);
          res(m as T);
        });
        void exit.then(() => {
          if (waits.delete(id)) {
            clearTimeout(timer);
            rej(new Error(`node ${cfg.id} died during ${op}`));
          }
        });
        child.send({ rid: id, op, ...args });
      });
    },
    async kill9() {
      if (!exited && child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
      await exit;
    },
    alive: () => !exited,
  };
}
