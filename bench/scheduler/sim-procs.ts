/**
 * Simulated nodes spread over child processes (`sim-child.ts`), as the
 * security bench does: thousands of agents in the measuring process would
 * starve each other and the bench's own polling. Each child joins its share
 * of nodes through the real join flow and runs the real agents; the parent
 * only sends the setup and waits.
 *
 *   parent ──setup{addr, token, first, count}──► child ── joins, startAgent × count
 *          ◄──progress{joined}── … ◄──ready{ids}──┘
 *          ──stop──► child stops its agents, removes its state dir, exits
 */
import { type ChildProcess, fork } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import type { NodeDescription } from '@swarm/shared';

/** The benchmark's cluster shape as engine labels: 5 % hdd, 2 % tier=db, 10 zones. */
export const benchShape = (i: number): Partial<NodeDescription> => ({
  engine: { engineVersion: 'sim', labels: { disk: i % 20 === 0 ? 'hdd' : 'ssd', zone: `z${i % 10}`, tier: i % 50 === 0 ? 'db' : 'app' }, plugins: [] },
});

export const ToChildSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('setup'), addr: z.string(), token: z.string(), first: z.number().int(), count: z.number().int(), concurrency: z.number().int(), tmpPrefix: z.string() }),
  z.object({ kind: z.literal('stop') }),
  z.object({ kind: z.literal('rpc') }),
]);
export type ToChild = z.infer<typeof ToChildSchema>;

export const FromChildSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('progress'), joined: z.number() }),
  z.object({ kind: z.literal('ready'), ids: z.array(z.string()) }),
  z.object({ kind: z.literal('stopped') }),
  z.object({ kind: z.literal('rpc'), counts: z.record(z.string(), z.number()) }),
  z.object({ kind: z.literal('fatal'), error: z.string() }),
]);
export type FromChild = z.infer<typeof FromChildSchema>;

/** Counters summed key by key. */
export function sumCounts(all: Iterable<Record<string, number>>): Record<string, number> {
  const sum: Record<string, number> = {};
  for (const counts of all) for (const [k, v] of Object.entries(counts)) sum[k] = (sum[k] ?? 0) + v;
  return sum;
}

export interface SimProcsOptions {
  addr: string;
  token: string;
  count: number;
  procs: number;
  /** Joins in flight per child. */
  concurrency: number;
  tmpPrefix: string;
  onProgress?: (joined: number) => void;
}

export interface SimProcs {
  ids: string[];
  pids: number[];
  /** The agents' RPC counters (heartbeats, statusCalls, …), summed over every child. */
  rpc(): Promise<Record<string, number>>;
  stop(): Promise<void>;
}

const here = path.dirname(fileURLToPath(import.meta.url));

function spawnChild(): { child: ChildProcess; next: () => Promise<FromChild> } {
  // BENCH_AGENT_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the agent processes.
  const extra = process.env['BENCH_AGENT_NODE_ARGS']?.split(' ').filter(Boolean) ?? [];
  const child = fork(path.join(here, 'sim-child.ts'), [], { execArgv: [...extra, '--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const inbox: FromChild[] = [];
  const waiting: Array<(m: FromChild) => void> = [];
  const deliver = (m: FromChild) => (waiting.length ? waiting.shift()!(m) : inbox.push(m));
  child.on('message', (raw) => {
    const r = FromChildSchema.safeParse(raw);
    deliver(r.success ? r.data : { kind: 'fatal', error: `bad message from a sim process: ${r.error.message}` });
  });
  child.on('exit', (code, signal) => deliver({ kind: 'fatal', error: `sim process exited (${code ?? signal})` }));
  const next = () => new Promise<FromChild>((resolve) => (inbox.length ? resolve(inbox.shift()!) : waiting.push(resolve)));
  return { child, next };
}

export async function startSimProcs(o: SimProcsOptions): Promise<SimProcs> {
  const kids = Array.from({ length: o.procs }, spawnChild);
  const stop = async () => {
    await Promise.all(
      kids.map(async ({ child }) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise<void>((r) => child.once('exit', () => r()));
        child.send({ kind: 'stop' } satisfies ToChild);
        const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
        await exited;
        clearTimeout(timer);
      }),
    );
  };
  try {
    const share = Math.ceil(o.count / o.procs);
    const joined = new Array<number>(o.procs).fill(0);
    const ids = await Promise.all(
      kids.map(async ({ child, next }, p) => {
        const first = p * share;
        const count = Math.max(0, Math.min(share, o.count - first));
        child.send({ kind: 'setup', addr: o.addr, token: o.token, first, count, concurrency: o.concurrency, tmpPrefix: o.tmpPrefix } satisfies ToChild);
        for (;;) {
          const m = await next();
          if (m.kind === 'ready') return m.ids;
          if (m.kind === 'fatal') throw new Error(m.error);
          if (m.kind === 'progress') {
            joined[p] = m.joined;
            o.onProgress?.(joined.reduce((a, b) => a + b, 0));
          }
        }
      }),
    );
    const rpc = async () => {
      const each: Array<Record<string, number>> = [];
      for (const { child, next } of kids) {
        child.send({ kind: 'rpc' } satisfies ToChild);
        const m = await next();
        if (m.kind !== 'rpc') throw new Error(`expected RPC counts from a sim process, got ${m.kind}`);
        each.push(m.counts);
      }
      return sumCounts(each);
    };
    return { ids: ids.flat(), pids: kids.map((k) => k.child.pid!), rpc, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
