/**
 * Issue 5 benchmark: a replicated manager group of three real `swarmd`
 * processes (`--executor sim`, mutual TLS, fsync'd Raft logs) on 127.0.0.1,
 * driven through the control socket's tRPC API exactly as `swarmctl` would.
 *   npm run bench:ha -- [--json] [--trials 10] [--runs 3] [--create-runs 1] [--seconds 20] [--rate 200] [--only latency] [--client trpc|wire|undici]
 *   (--only latency: just the scale open loop, api_write_p50_ms / api_write_p99_ms;
 *    --closed N: N writes in flight, each sent when one is acknowledged, instead of the open loop;
 *    --client: how the open loops send, bench/ha/client.ts: tRPC's client over node:http by default)
 *   SWARMD_BIN=<path to swarmd.js> benchmarks another build (before/after comparisons).
 *
 *   api_write_p50_ms / api_write_p99_ms: open loop at --rate writes/s for
 *     --seconds through one follower. Each write is a `service.scale` (to 0)
 *     of one of 400 pre-created 0-replica services, round robin, so the store
 *     keeps its size and no orchestration work follows: the API → forward →
 *     Raft → apply path is what is timed. Writes are scheduled at fixed instants
 *     and timed from the instant they were due (no coordinated omission). One
 *     warm-up of 2 s, then --runs runs; medians of the per-run figures. Each run
 *     also records every manager's CPU time (/proc) per acknowledged write, and
 *     this process's (cpu_ms_per_write): less noisy than latency on a shared machine.
 *     BENCH_HA_WRITES=<file> writes every timed write's due instant and latency.
 *   api_create_p50_ms / api_create_p99_ms: the same with `service.create`
 *     (0 replicas, new names, so the store grows by rate × seconds services),
 *     --create-runs runs (default 1).
 *   write_unavailable_median_ms / _max_ms: --trials trials of: steady state
 *     (one leader, all REACHABLE), a writer sending a `service.create` every
 *     20 ms alternately to both followers (each write in flight on its own,
 *     10 s client timeout), kill -9 of the leader, and the time from the kill
 *     until the first acknowledgement of a write *sent after the kill*. Writes
 *     refused after the kill are counted. The killed manager is restarted
 *     between trials, so each trial starts with three managers.
 *   dashboard_reconnect_ms: median over --dashboard-trials (3) of: kill -9 of the
 *     manager serving an open dashboard page until a write made through another
 *     manager shows on that page (bench/ha/dashboard.ts, Debian's Chromium).
 * The last stdout line is one JSON object with the figures and machine facts.
 */
import fs from 'node:fs';
import os from 'node:os';
import { type Cluster, type ProcNode, killAllStarted, startCluster } from '../../scripts/chaos-cluster.js';
import { machine, median, report } from '../lib.js';
import { type ClientKind, writeClient } from './client.js';

const argv = process.argv.slice(2);
const arg = (name: string, dflt: number): number => {
  const i = argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(argv[i + 1]) : NaN;
  return Number.isFinite(v) && v > 0 ? v : dflt;
};
const TRIALS = arg('trials', 10);
const RUNS = arg('runs', 3);
const SECONDS = arg('seconds', 20);
const RATE = arg('rate', 200);
const CREATE_RUNS = arg('create-runs', 1);
const DASHBOARD_TRIALS = arg('dashboard-trials', 3);
const ONLY = argv.includes('--only') ? argv[argv.indexOf('--only') + 1] : undefined;
if (ONLY !== undefined && ONLY !== 'latency') {
  console.error('usage: --only latency');
  process.exit(2);
}
const LATENCY_ONLY = ONLY === 'latency';
const POOL = 400;
/** BENCH_HA_WRITES=<file>: every timed write's due instant (epoch ms) and latency, as JSON, for correlating slow writes. */
const TRACE = process.env['BENCH_HA_WRITES'];
/** How the open loops send (bench/ha/client.ts): tRPC's client over node:http (default), tRPC's wire format by hand, or undici. */
const CLIENT = (argv.includes('--client') ? argv[argv.indexOf('--client') + 1] : 'trpc') as ClientKind;
if (!['trpc', 'wire', 'undici'].includes(CLIENT)) {
  console.error('usage: --client trpc|wire|undici');
  process.exit(2);
}
/** --closed N: a closed loop with N writes in flight instead of the open loop (same number of writes; CPU per write at fixed batching, for before/after comparisons on a busy machine). */
const CLOSED = argv.includes('--closed') ? arg('closed', 1) : 0;
const traced: [number, number][] = [];
const WRITER_PERIOD_MS = 20;
const IDLE_SAMPLE_MS = 3_000;

const log = (m: string) => process.stderr.write(`${m}\n`);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const spec = (name: string) => ({
  annotations: { name, labels: {} },
  task: { container: { image: 'x', command: ['sleep'] }, placement: { constraints: [], preferences: [], platforms: [], maxReplicas: 0 } },
  mode: { kind: 'replicated' as const, replicas: 0 },
});
const pct = (xs: number[], p: number) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};
const r1 = (x: number) => Math.round(x * 10) / 10;

let seq = 0;

/** CPU time (user + system, ms) a process used so far, from /proc (Linux); NaN elsewhere. */
function cpuMs(pid: number | undefined): number {
  try {
    const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100; // fields 14, 15 in clock ticks (USER_HZ = 100)
  } catch {
    return NaN;
  }
}

/** Open loop: `rate` writes/s for `seconds` through `via`; latency from each write's due instant. */
async function openLoop(via: ProcNode, rate: number, seconds: number, tag: string, pool?: string[]) {
  const period = 1000 / rate;
  const total = Math.round(rate * seconds);
  const lat: number[] = [];
  const errors: string[] = [];
  const inflight = new Set<Promise<void>>();
  const client = writeClient(CLIENT, via.socket, via.client);
  const t0 = performance.now() + 50;
  if (CLOSED) {
    // Closed loop: CLOSED writes in flight, each sent when one is acknowledged. With 1, every write is its own
    // store batch and Raft entry however busy the machine is: CPU per write comparable between builds.
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < total; i = next++) {
        const sent = performance.now();
        await (pool ? client.scale(pool[i % pool.length]!, 0) : client.create(spec(`${tag}-${seq++}`))).then(
          () => void lat.push(performance.now() - sent),
          (e: Error) => void errors.push(e.message),
        );
      }
    };
    await Promise.all(Array.from({ length: CLOSED }, worker));
  }
  for (let i = CLOSED ? total : 0; i < total; i++) {
    const due = t0 + i * period;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    const write = pool ? client.scale(pool[i % pool.length]!, 0) : client.create(spec(`${tag}-${seq++}`));
    const p = write
      .then(
        () => {
          lat.push(performance.now() - due);
          if (TRACE) traced.push([Math.round(performance.timeOrigin + due), Math.round((performance.now() - due) * 10) / 10]);
        },
        (e: Error) => void errors.push(e.message),
      )
      .finally(() => inflight.delete(p));
    inflight.add(p);
  }
  await Promise.all(inflight);
  client.close();
  const elapsed = (performance.now() - t0) / 1000;
  return { ok: lat.length, failed: errors.length, p50: pct(lat, 50), p99: pct(lat, 99), max: Math.max(...lat), achieved_per_s: lat.length / elapsed, errors: [...new Set(errors)].slice(0, 3) };
}

/** One failover trial: see the header. */
async function failoverTrial(cluster: Cluster, k: number) {
  const leader = await cluster.waitHealthy(120_000);
  await sleep(500); // heartbeats flowing, managerStatus settled
  const followers = cluster.managers.filter((m) => m !== leader);
  let killedAt = Infinity;
  let firstAckAfter = Infinity;
  let refusedAfter = 0;
  let inflightAtKillFailed = 0;
  let sentAfter = 0;
  const errors = new Map<string, number>();
  const inflight = new Set<Promise<void>>();
  let stop = false;
  let acksBefore = 0;
  const writer = (async () => {
    for (let i = 0; !stop; i++) {
      const via = followers[i % followers.length]!;
      const sentAt = performance.now();
      const after = sentAt >= killedAt;
      if (after) sentAfter++;
      const p = via.client.service.create
        .mutate({ spec: spec(`fo${k}-${seq++}`) })
        .then(
          () => {
            const t = performance.now();
            if (after) firstAckAfter = Math.min(firstAckAfter, t);
            else if (killedAt === Infinity) acksBefore++;
          },
          (e: Error) => {
            if (after) refusedAfter++;
            else if (killedAt !== Infinity) inflightAtKillFailed++;
            const msg = e.message.replace(/[0-9a-z]{25}/g, '<id>').slice(0, 160);
            errors.set(msg, (errors.get(msg) ?? 0) + 1);
          },
        )
        .finally(() => inflight.delete(p));
      inflight.add(p);
      await sleep(WRITER_PERIOD_MS);
    }
  })();
  const warmEnd = Date.now() + 10_000;
  while (acksBefore < 10 && Date.now() < warmEnd) await sleep(20);
  if (acksBefore < 10) throw new Error(`trial ${k}: only ${acksBefore} writes acknowledged before the kill`);
  const victim = leader;
  killedAt = performance.now();
  const killed = victim.kill9();
  const end = Date.now() + 60_000;
  while (firstAckAfter === Infinity && Date.now() < end) await sleep(5);
  stop = true;
  await writer;
  await killed;
  await Promise.all(inflight);
  if (firstAckAfter === Infinity) throw new Error(`trial ${k}: no write acknowledged within 60 s of killing the leader ${victim.name}`);
  const newLeader = await cluster.leader(10_000);
  await victim.restart();
  return { ms: firstAckAfter - killedAt, victim: victim.name, newLeader: newLeader?.name, refusedAfter, sentAfter, inflightAtKillFailed, errors: Object.fromEntries(errors) };
}

async function main() {
  const load0 = os.loadavg();
  let result: [Record<string, unknown>, Record<string, unknown>] | undefined;
  const cluster = await startCluster({ managers: 3, workers: 0, callTimeoutMs: 10_000, log });
  const cleanup = () => {
    killAllStarted();
    process.exit(130);
  };
  process.once('SIGINT', cleanup);
  process.once('SIGTERM', cleanup);
  try {
    const leader = await cluster.waitHealthy(120_000);
    const follower = cluster.managers.find((m) => m !== leader)!;
    log(`leader ${leader.name}; open loop through follower ${follower.name} at ${RATE}/s`);

    const pool: string[] = [];
    for (let i = 0; i < POOL; i += 40) pool.push(...(await Promise.all(Array.from({ length: 40 }, (_, k) => leader.client.service.create.mutate({ spec: spec(`pool-${i + k}`) })))).map((x) => x.id));
    const show = (what: string, x: Awaited<ReturnType<typeof openLoop>>) =>
      log(`${what}: ${x.ok} ok, ${x.failed} failed, ${x.achieved_per_s.toFixed(0)}/s, p50 ${x.p50.toFixed(1)} ms, p99 ${x.p99.toFixed(1)} ms, max ${x.max.toFixed(0)} ms${x.errors.length ? `; errors: ${x.errors.join(' | ')}` : ''}`);
    await openLoop(follower, RATE, 2, 'warm', pool);
    const lat: Awaited<ReturnType<typeof openLoop>>[] = [];
    const cpu: Record<string, number>[] = [];
    const label = (m: ProcNode) => `${m.name}${m === leader ? ' (leader)' : m === follower ? ' (via)' : ''}`;
    // What each manager spends with no writes (heartbeats, ticks, status), per second: reported so a slow run's per-write figures can be read net of it.
    const idle0 = cluster.managers.map((m) => cpuMs(m.pid()));
    const idleT0 = performance.now();
    await sleep(IDLE_SAMPLE_MS);
    const idleSeconds = (performance.now() - idleT0) / 1000;
    const idle = cluster.managers.map((m, i) => (cpuMs(m.pid()) - idle0[i]!) / idleSeconds);
    log(`  idle CPU ms per second: ${JSON.stringify(Object.fromEntries(cluster.managers.map((m, i) => [label(m), r1(idle[i]!)])))}`);
    for (let r = 0; r < RUNS; r++) {
      const c0 = cluster.managers.map((m) => cpuMs(m.pid()));
      const self0 = process.cpuUsage();
      const w0 = performance.now();
      lat.push(await openLoop(follower, RATE, SECONDS, `lat${r}`, pool));
      const seconds = (performance.now() - w0) / 1000;
      // CPU per acknowledged write on each manager (and this load generator). Less noisy than latency, but it still
      // depends on batching: on a busy machine more writes share an entry and each costs less (see --closed).
      const n = Math.max(1, lat.at(-1)!.ok);
      const self = process.cpuUsage(self0);
      const used = cluster.managers.map((m, i) => cpuMs(m.pid()) - c0[i]!);
      cpu.push({
        ...Object.fromEntries(cluster.managers.map((m, i) => [label(m), r1(used[i]! / n)])),
        client: r1((self.user + self.system) / 1000 / n),
      });
      show(`${CLOSED ? `closed loop (${CLOSED} in flight)` : 'open loop'} (scale) ${r + 1}/${RUNS}`, lat.at(-1)!);
      log(`  CPU ms per write: ${JSON.stringify(cpu.at(-1))}`);
      log(`  net of idle: ${JSON.stringify(Object.fromEntries(cluster.managers.map((m, i) => [label(m), Math.round(((used[i]! - idle[i]! * seconds) / n) * 100) / 100])))}`);
    }
    const creates = [];
    for (let r = 0; r < (LATENCY_ONLY ? 0 : CREATE_RUNS); r++) {
      creates.push(await openLoop(follower, RATE, SECONDS, `cr${r}`));
      show(`open loop (create) ${r + 1}/${CREATE_RUNS}`, creates.at(-1)!);
    }

    const trials = [];
    for (let k = 0; k < (LATENCY_ONLY ? 0 : TRIALS); k++) {
      const t = await failoverTrial(cluster, k);
      trials.push(t);
      log(`failover ${k + 1}/${TRIALS}: killed leader ${t.victim} → new leader ${t.newLeader ?? '?'}; writes failed for ${t.ms.toFixed(0)} ms (${t.refusedAfter} of ${t.sentAfter} sent after the kill refused, ${t.inflightAtKillFailed} in flight at the kill failed)`);
    }
    const fo = trials.map((t) => t.ms);
    const errorKinds: Record<string, number> = {};
    for (const t of trials) for (const [m, n] of Object.entries(t.errors)) errorKinds[m] = (errorKinds[m] ?? 0) + n;
    const load1 = os.loadavg();
    result = [
      {
        write_unavailable_median_ms: Math.round(median(fo)),
        write_unavailable_max_ms: Math.round(Math.max(...fo)),
        api_write_p50_ms: r1(median(lat.map((x) => x.p50))),
        api_write_p99_ms: r1(median(lat.map((x) => x.p99))),
        api_create_p50_ms: r1(median(creates.map((x) => x.p50))),
        api_create_p99_ms: r1(median(creates.map((x) => x.p99))),
        api_create_failed: creates.reduce((a, x) => a + x.failed, 0),
        targets: { write_unavailable_median_ms: 1500, api_write_p99_ms: 50, dashboard_reconnect_ms: 3000 },
        trials: TRIALS,
        latency_runs: RUNS,
        create_runs: CREATE_RUNS,
        rate_per_s: RATE,
        client: CLIENT,
        seconds: SECONDS,
        refused_writes_after_kill_median: median(trials.map((t) => t.refusedAfter)),
        machine: { ...machine(), loadavg_start: load0.map(r1), loadavg_end: load1.map(r1) },
      },
      {
        failover_ms: fo.map(Math.round),
        failover: trials.map(({ errors: _, ...t }) => ({ ...t, ms: Math.round(t.ms) })),
        failover_errors: errorKinds,
        cpu_ms_per_write: cpu,
        idle_cpu_ms_per_s: Object.fromEntries(cluster.managers.map((m, i) => [label(m), r1(idle[i]!)])),
        latency: [...lat, ...creates].map((x) => ({ ...x, p50: r1(x.p50), p99: r1(x.p99), max: r1(x.max), achieved_per_s: r1(x.achieved_per_s) })),
      },
    ];
  } finally {
    await cluster.stop();
  }
  // The dashboard figure needs its own clusters (with dashboards), after the one above is gone.
  const reconnect: number[] = [];
  if (!LATENCY_ONLY) {
    // Loaded here, not at startup: Playwright would otherwise sit in this process's heap during the open loops.
    const { dashboardReconnectTrial } = await import('./dashboard.js');
    for (let k = 0; k < DASHBOARD_TRIALS; k++) {
      reconnect.push(await dashboardReconnectTrial(k));
      log(`dashboard ${k + 1}/${DASHBOARD_TRIALS}: the open page showed a write made after kill -9 of its manager in ${reconnect.at(-1)!.toFixed(0)} ms`);
    }
  }
  if (TRACE) fs.writeFileSync(TRACE, JSON.stringify(traced));
  const [figures, extra] = result!;
  report({ ...figures, dashboard_reconnect_ms: Math.round(median(reconnect)), dashboard_trials: DASHBOARD_TRIALS }, { ...extra, dashboard_reconnect_ms: reconnect.map(Math.round) });
}

await main();
