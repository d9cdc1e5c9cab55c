/**
 * Where converge_30's time goes: one swarmd (docker executor), a 30-replica
 * service, the task list polled every 15 ms; prints when the tasks first
 * reached each state (first / median / last, ms after `service create`).
 * Then the engine alone: 30 concurrent create + start with the same options.
 *   npx tsx bench/orchestration/phases.ts [runs]
 */
import { readFileSync, readdirSync } from 'node:fs';
import Docker from 'dockerode';
import { TaskState } from '@swarm/shared';
import { startNode } from '../../apps/manager/test/harness.js';
import { median, until } from '../lib.js';
import { engineAlone } from './engine-alone.js';

const RUNS = Number(process.argv[2] ?? 2);
const docker = new Docker({ socketPath: '/var/run/docker.sock' });
const IMAGE = 'local/busybox:1';
const STATES = ['ASSIGNED', 'ACCEPTED', 'PREPARING', 'READY', 'STARTING', 'RUNNING'] as const;

const spec = (name: string) => ({
  annotations: { name, labels: {} },
  task: { container: { image: IMAGE, command: ['sleep'], args: ['3600'], env: [] }, restart: { condition: 'any' as const, delayMs: 0, maxAttempts: 0, windowMs: 0 } },
  mode: { kind: 'replicated' as const, replicas: 30 },
});

/** CPU seconds (user + system, children included once reaped) of swarmd and of the engine's processes. */
function cpu(swarmdPid: number): { swarmd: number; engine: number } {
  const ticks = (pid: string) => {
    try {
      const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      return (Number(f[11]) + Number(f[12])) / 100;
    } catch {
      return 0;
    }
  };
  let engine = 0;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    let comm = '';
    try {
      comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    } catch {
      continue;
    }
    if (comm === 'dockerd' || comm === 'containerd' || comm.startsWith('containerd-shim')) engine += ticks(pid);
  }
  return { swarmd: ticks(String(swarmdPid)), engine };
}

async function main() {
  const runLabel = `phases-${Date.now().toString(36)}`;
  const node = await startNode({ runLabel, hostname: 'phases', extraArgs: ['--container-network', 'host'] });
  try {
    for (let r = 0; r <= RUNS; r++) {
      const first = new Map<string, Map<string, number>>();
      const pid = node.proc().pid!;
      const c0 = cpu(pid);
      const t0 = performance.now();
      const id = (await node.client.service.create.mutate({ spec: spec(`ph${r}`) })).id;
      if (process.env['PHASES_POLL'] === 'service') {
        // The benchmark's own check: service.list every 10 ms (no per-state times).
        await until(async () => (await node.client.service.list.query()).find((l) => l.service.id === id)?.running === 30, 120_000, 'converge', 50);
      } else await until(async () => {
        const ts = await node.client.task.list.query({ service: id });
        const now = performance.now() - t0;
        for (const t of ts) {
          const m = first.get(t.id) ?? new Map<string, number>();
          first.set(t.id, m);
          for (const s of STATES) if (t.status.state >= TaskState[s] && !m.has(s)) m.set(s, now);
        }
        return ts.filter((t) => t.status.state === TaskState.RUNNING).length === 30;
      }, 120_000, 'converge', 15);
      const total = performance.now() - t0;
      const c1 = cpu(pid);
      const line = STATES.map((s) => {
        const xs = [...first.values()].map((m) => m.get(s) ?? NaN).filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
        return `${s} ${Math.round(xs[0] ?? 0)}/${Math.round(median(xs))}/${Math.round(xs.at(-1) ?? 0)}`;
      }).join('  ');
      await node.client.service.remove.mutate({ ref: id });
      await until(async () => (await docker.listContainers({ all: true, filters: { label: [`com.swarm.test-run=${runLabel}`] } })).length === 0, 60_000, 'removed', 100);
      const alone = await engineAlone(`${runLabel}-e${r}`);
      console.log(`${r === 0 ? 'warm-up ' : `run ${r}   `} total ${Math.round(total)} ms (cpu swarmd ${(c1.swarmd - c0.swarmd).toFixed(2)} s, engine ${(c1.engine - c0.engine).toFixed(2)} s)  engine-alone ${Math.round(alone)} ms  | ${line}`);
    }
  } finally {
    await node.stop();
  }
}
void main();
