/**
 * A Raft node as a child process, driven over the Node IPC channel.
 * Used by the real-process kill -9 test and by the benchmark.
 *   RAFT_NODE_CONFIG='{"id":"m1","dir":"...","peers":{...},"machine":"list"}' tsx node-main.ts
 * Requests: {rid, op: 'propose'|'status'|'state'|'load'|'openLoad'|'stop', ...}; replies {rid, ...}.
 */
import { startRaftNode, type RaftNode } from '../node/node.js';
import { createDigestMachine, createListMachine } from './machines.js';
import { Session } from 'node:inspector/promises';
import { writeFileSync } from 'node:fs';

interface Config {
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

type Req = { rid: number; op: string; [k: string]: unknown };

const cfg = JSON.parse(process.env['RAFT_NODE_CONFIG'] ?? '{}') as Config;
const list = cfg.machine === 'list' ? createListMachine() : undefined;
const digest = cfg.machine === 'digest' ? createDigestMachine() : undefined;
const enc = new TextEncoder();
const reply = (m: object): void => {
  process.send?.(m);
};

/** Commit-path trace (benchmark): stage, highest index covered, wall-clock ms (comparable across processes). */
const traced = { on: false, stage: [] as string[], index: [] as number[], at: [] as number[] };
const wallNow = (): number => performance.timeOrigin + performance.now();

const node: RaftNode<number> = await startRaftNode({
  id: cfg.id,
  dir: cfg.dir,
  listen: cfg.peers[cfg.id]!,
  peers: cfg.peers,
  join: cfg.join ?? false,
  stateMachine: (list ?? digest)!,
  ...(cfg.tickMs ? { tickMs: cfg.tickMs } : {}),
  ...(cfg.electionTick ? { electionTick: cfg.electionTick } : {}),
  ...(cfg.snapshotInterval ? { snapshotInterval: cfg.snapshotInterval } : {}),
  ...(cfg.keepEntries !== undefined ? { keepEntries: cfg.keepEntries } : {}),
  log: (m) => process.stderr.write(`[${cfg.id}] ${Date.now()} ${m}\n`),
  trace: (stage, index) => {
    if (!traced.on || traced.at.length > 2_000_000) return;
    traced.stage.push(stage);
    traced.index.push(index);
    traced.at.push(wallNow());
  },
});

node.onLeadershipChange((c) => process.stderr.write(`[${cfg.id}] ${Date.now()} leader=${c.leader} term=${c.term} isLeader=${c.isLeader}\n`));

function status(): object {
  const s = node.status();
  const cpu = process.cpuUsage();
  return {
    id: s.id, role: s.role, leader: s.leader, term: s.term, commit: s.commit, applied: s.applied, lastIndex: s.lastIndex,
    count: list?.values.length ?? digest!.count, digest: digest?.digest, cpuMs: (cpu.user + cpu.system) / 1000, memory: process.memoryUsage(),
  };
}

function percentile(xs: number[], p: number): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

/** Closed loop: `concurrency` proposers, `count` proposals of `size` bytes in total. */
async function load(concurrency: number, count: number, size: number): Promise<object> {
  const payload = new Uint8Array(size).fill(120);
  let issued = 0;
  let ok = 0;
  let failed = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (issued < count) {
        issued++;
        const r = await node.propose(payload);
        if (r.ok) ok++;
        else failed++;
        if (!r.ok && r.error.kind === 'not-leader') return;
      }
    }),
  );
  return { ok, failed, elapsedMs: performance.now() - t0 };
}

/** Open loop: `rate` proposals per second for `seconds`; latency per proposal. */
async function openLoad(rate: number, seconds: number, size: number): Promise<object> {
  const payload = new Uint8Array(size).fill(121);
  const lat: number[] = [];
  const pending: Promise<void>[] = [];
  let failed = 0;
  const t0 = performance.now();
  let issued = 0;
  while (performance.now() - t0 < seconds * 1000) {
    const due = Math.floor(((performance.now() - t0) / 1000) * rate);
    for (; issued < due; issued++) {
      const s = performance.now();
      pending.push(
        node.propose(payload).then((r) => {
          if (r.ok) lat.push(performance.now() - s);
          else failed++;
        }),
      );
    }
    await new Promise((r) => setTimeout(r, 1));
  }
  await Promise.all(pending);
  return { ok: lat.length, failed, p50: percentile(lat, 50), p99: percentile(lat, 99), max: percentile(lat, 100) };
}

let profiler: Session | undefined;

process.on('message', (raw) => {
  const m = raw as Req;
  void (async () => {
    switch (m.op) {
      case 'propose': {
        const r = await node.propose(enc.encode(String(m['data'])));
        reply({ rid: m.rid, ok: r.ok, error: r.ok ? undefined : r.error });
        break;
      }
      case 'status':
        reply({ rid: m.rid, ...status() });
        break;
      case 'state':
        reply({ rid: m.rid, values: list?.values ?? [], ...status() });
        break;
      case 'load':
        reply({ rid: m.rid, ...(await load(Number(m['concurrency']), Number(m['count']), Number(m['size']))) });
        break;
      case 'openLoad':
        reply({ rid: m.rid, ...(await openLoad(Number(m['rate']), Number(m['seconds']), Number(m['size']))) });
        break;
      case 'trace':
        // {on: true} starts recording; {on: false} stops and returns what was recorded.
        traced.on = Boolean(m['on']);
        reply({ rid: m.rid, stage: traced.stage, index: traced.index, at: traced.at });
        traced.stage = [];
        traced.index = [];
        traced.at = [];
        break;
      case 'profile': {
        // {on: true} starts the V8 CPU profiler; {on: false, file} writes a .cpuprofile (diagnostics).
        if (m['on']) {
          profiler ??= new Session();
          profiler.connect();
          await profiler.post('Profiler.enable');
          await profiler.post('Profiler.start');
        } else if (profiler) {
          const { profile } = await profiler.post('Profiler.stop');
          writeFileSync(String(m['file']), JSON.stringify(profile));
          profiler.disconnect();
        }
        reply({ rid: m.rid });
        break;
      }
      case 'stop':
        await node.stop();
        reply({ rid: m.rid, stopped: true });
        process.exit(0);
    }
  })();
});
process.on('disconnect', () => {
  void node.stop().then(() => process.exit(0));
});
reply({ event: 'ready', id: cfg.id, port: node.port });
