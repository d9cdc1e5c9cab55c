/**
 * Chaos run for the replicated manager group (issue 5), shared by
 * `npm run chaos` (scripts/chaos.ts) and the CI test
 * (apps/manager/test/chaos.test.ts).
 *
 * Three managers and 1–2 workers as real `swarmd --executor sim` processes
 * (scripts/chaos-cluster.ts). Writers create, scale and remove services
 * through random managers' control sockets the whole time, recording every
 * acknowledged write. Each round waits for a healthy cluster, lets the load run,
 * then applies one random fault:
 *   kill       kill -9 of a manager (the leader half of the time), restart after 0.5–3 s
 *   pause      SIGSTOP of a manager (the leader half of the time) for 1–4 s, then SIGCONT;
 *              from the other managers' view this is a partition of that manager
 *              (its sockets stay open but nothing answers)
 *   quorum     two managers down at once (kill -9 or SIGTERM): no quorum for 1–3 s,
 *              then both restarted together
 *   isolate, split, oneway, flaky
 *              real network faults between managers: every manager dials the
 *              others through its own fault-injecting TCP proxies (one per
 *              directed pair, swarmd's test-only SWARM_TEST_PEER_ROUTES), which
 *              blackhole, reset or delay the traffic; see scripts/chaos-partitions.ts
 *              (an isolated leader must step down, the majority elect a new one,
 *              and writes to the isolated manager be refused with "no quorum")
 *
 * After the rounds: a healthy cluster, then the checks (each failure is a
 * violation): every manager's copy is identical (service/node/task lists and
 * the cluster object, read through each manager with consistent reads);
 * every acknowledged create is present and every acknowledged remove absent,
 * on every manager; a service whose last write was an acknowledged scale has
 * that replica count; no two services share a name; tasks converge (RUNNING
 * count = replicas for every service) and no slot runs twice.
 *
 * A write that failed (error or client timeout) may or may not have been
 * committed: its service is frozen (no further writes) and only what is
 * certain about it is checked.
 */
import { TaskState, canonicalJson, seededRng } from '@swarm/shared';
import { type Cluster, type ProcNode, startCluster } from './chaos-cluster.js';
import { PARTITION_FAULTS, type PartitionFault, applyPartitionFault } from './chaos-partitions.js';

export type FaultKind = 'kill' | 'pause' | 'quorum' | PartitionFault;
export const FAULTS: FaultKind[] = ['kill', 'pause', 'quorum', ...PARTITION_FAULTS];
const isPartition = (f: FaultKind): f is PartitionFault => (PARTITION_FAULTS as FaultKind[]).includes(f);

export interface ChaosOptions {
  rounds: number;
  seed?: number;
  /** Sim workers besides the three managers (default 2). */
  workers?: number;
  /** Concurrent writer loops (default 3). */
  writers?: number;
  faults?: FaultKind[];
  /** 'random' (default): each round draws its fault; 'cycle': round k applies faults[(k-1) % faults.length]. */
  order?: 'random' | 'cycle';
  log?: (m: string) => void;
  /** How long the final checks may wait for convergence (default 90 s). */
  convergeTimeoutMs?: number;
}

export interface RoundReport {
  round: number;
  fault: FaultKind;
  detail: string;
  leaderBefore?: string | undefined;
  /** From the fault until the cluster was healthy again (every manager up, one leader, all REACHABLE/READY). */
  recoverMs: number;
  acked: number;
  failed: number;
}

export interface ChaosReport {
  ok: boolean;
  seed: number;
  rounds: RoundReport[];
  writes: {
    acked: Record<Op, number>;
    failed: Record<Op, number>;
    /** Error messages of failed writes (ids elided), most frequent first. */
    errors: [string, number][];
  };
  final: { services: number; tasks: number; nodes: number; identicalAfterMs?: number | undefined; convergedAfterMs?: number | undefined };
  violations: string[];
  durationMs: number;
}

type Op = 'create' | 'scale' | 'remove';

interface Svc {
  name: string;
  id?: string;
  created: 'acked' | 'maybe';
  removed: 'no' | 'acked' | 'maybe';
  /** Last acknowledged replica count, if no write with an unknown outcome followed it. */
  replicas?: number | undefined;
  frozen: boolean;
  busy: boolean;
}

/** A seeded PRNG (mulberry32, from @swarm/shared), so a seed replays the same fault and operation choices. */
export function rng(seed: number): () => number {
  const r = seededRng(seed);
  return () => r.next();
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const spec = (name: string, replicas: number) => ({
  annotations: { name, labels: {} },
  task: { container: { image: 'x', command: ['sleep'] }, placement: { constraints: [], preferences: [], platforms: [], maxReplicas: 0 } },
  mode: { kind: 'replicated' as const, replicas },
});
/** The message with its cause chain ("fetch failed ← other side closed (UND_ERR_SOCKET)"). */
export function describeError(e: unknown): string {
  const parts: string[] = [];
  for (let c = e as { message?: string; code?: string; name?: string; cause?: unknown } | undefined, i = 0; c && i < 4; c = c.cause as typeof c, i++) {
    const m = c.message ?? String(c);
    parts.push(c.code && !m.includes(c.code) ? `${m} (${c.code})` : m);
  }
  return [...new Set(parts)].join(' ← ');
}
const normalize = (m: string) => m.replace(/\b[0-9a-z]{25}\b/g, '<id>').replace(/\b\d+(\.\d+)?\b/g, 'N').slice(0, 200);
const RUNNING = TaskState.RUNNING;

type Snapshot = { services: unknown[]; nodes: unknown[]; tasks: unknown[]; cluster: unknown };

async function snapshotOf(m: ProcNode): Promise<Snapshot> {
  const byId = <T>(xs: T[], id: (x: T) => string) => [...xs].sort((a, b) => (id(a) < id(b) ? -1 : id(a) > id(b) ? 1 : 0));
  const [services, nodes, tasks, cluster] = await Promise.all([
    m.client.service.list.query(),
    m.client.node.list.query(),
    m.client.task.list.query({ all: true }),
    m.client.cluster.inspect.query(),
  ]);
  return {
    services: byId(services, (s) => s.service.id),
    nodes: byId(nodes, (n) => n.id),
    tasks: byId(tasks, (t) => t.id),
    cluster,
  };
}

/** What differs between two managers' copies, table by table (ids only). */
function diff(a: Snapshot, b: Snapshot): string[] {
  const out: string[] = [];
  const idOf = (x: unknown) => ((x as { service?: { id: string } }).service?.id ?? (x as { id: string }).id) as string;
  for (const table of ['services', 'nodes', 'tasks'] as const) {
    // By content: the leader keeps the objects it wrote, the others the ones they decoded (same fields, maybe another key order).
    const ma = new Map(a[table].map((x) => [idOf(x), canonicalJson(x)]));
    const mb = new Map(b[table].map((x) => [idOf(x), canonicalJson(x)]));
    const only1 = [...ma.keys()].filter((k) => !mb.has(k));
    const only2 = [...mb.keys()].filter((k) => !ma.has(k));
    const changed = [...ma.keys()].filter((k) => mb.has(k) && mb.get(k) !== ma.get(k));
    if (only1.length || only2.length || changed.length) {
      out.push(`${table}: ${only1.length} only in the first [${only1.slice(0, 5).join(', ')}], ${only2.length} only in the second [${only2.slice(0, 5).join(', ')}], ${changed.length} differ [${changed.slice(0, 5).join(', ')}]`);
    }
  }
  if (canonicalJson(a.cluster) !== canonicalJson(b.cluster)) out.push('cluster object differs');
  return out;
}

export async function runChaos(o: ChaosOptions): Promise<ChaosReport> {
  const t0 = Date.now();
  const seed = o.seed ?? Math.floor(Math.random() * 2 ** 31);
  const rand = rng(seed);
  const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const between = (lo: number, hi: number) => lo + rand() * (hi - lo);
  const log = o.log ?? (() => undefined);
  const faults = o.faults?.length ? o.faults : FAULTS;
  const violations: string[] = [];
  const services = new Map<string, Svc>();
  const acked: Record<Op, number> = { create: 0, scale: 0, remove: 0 };
  const failed: Record<Op, number> = { create: 0, scale: 0, remove: 0 };
  const errors = new Map<string, number>();
  /** Acknowledged writes per manager name (partition rounds check the majority side kept going). */
  const ackedBy = new Map<string, number>();
  const rounds: RoundReport[] = [];
  let seq = 0;
  let stopWriters = false;
  let identicalAfterMs: number | undefined;
  let convergedAfterMs: number | undefined;
  let finalCounts = { services: 0, tasks: 0, nodes: 0 };

  log(`chaos: seed ${seed}, ${o.rounds} rounds, faults ${faults.join('/')}`);
  const cluster: Cluster = await startCluster({ managers: 3, workers: o.workers ?? 2, callTimeoutMs: 10_000, log, faultProxies: true });
  try {
    await cluster.waitHealthy(120_000);

    // Writers: each op goes to a random manager that is not dead (a paused one just times out).
    // Each writer loop has its own PRNG seeded from the run's seed: ops interleave by timing anyway.
    const writer = async (w: number) => {
      const r = rng(seed + 1000 + w);
      while (!stopWriters) {
        const targets = cluster.managers.filter((m) => m.state() !== 'dead');
        if (targets.length === 0) {
          await sleep(50);
          continue;
        }
        const via = targets[Math.floor(r() * targets.length)]!;
        const live = [...services.values()].filter((s) => s.created === 'acked' && s.removed === 'no' && !s.frozen && !s.busy);
        const x = r();
        const op: Op = live.length < 3 || x < 0.5 ? 'create' : x < 0.8 ? 'scale' : 'remove';
        const replicas = Math.floor(r() * 4);
        let svc: Svc;
        if (op === 'create') {
          svc = { name: `chaos-${seq++}`, created: 'maybe', removed: 'no', frozen: true, busy: true };
          services.set(svc.name, svc);
        } else {
          svc = live[Math.floor(r() * live.length)]!;
          svc.busy = true;
        }
        try {
          if (op === 'create') {
            const s = await via.client.service.create.mutate({ spec: spec(svc.name, replicas) });
            Object.assign(svc, { id: s.id, created: 'acked', replicas, frozen: false });
          } else if (op === 'scale') {
            await via.client.service.scale.mutate({ ref: svc.id!, replicas });
            svc.replicas = replicas;
          } else {
            await via.client.service.remove.mutate({ ref: svc.id! });
            svc.removed = 'acked';
          }
          acked[op]++;
          ackedBy.set(via.name, (ackedBy.get(via.name) ?? 0) + 1);
        } catch (e) {
          failed[op]++;
          const msg = `${op} via ${via.name}: ${normalize(describeError(e))}`;
          errors.set(msg, (errors.get(msg) ?? 0) + 1);
          svc.frozen = true;
          if (op === 'scale') svc.replicas = undefined;
          if (op === 'remove') svc.removed = 'maybe';
          await sleep(50);
        } finally {
          svc.busy = false;
        }
        await sleep(20 + r() * 60);
      }
    };
    const writers = Array.from({ length: o.writers ?? 3 }, (_, w) => writer(w));

    for (let round = 1; round <= o.rounds; round++) {
      try {
        await cluster.waitHealthy(90_000);
      } catch (e) {
        violations.push(`before round ${round}: ${(e as Error).message}`);
        break;
      }
      await sleep(between(1000, 2000));
      const a0 = acked.create + acked.scale + acked.remove;
      const f0 = failed.create + failed.scale + failed.remove;
      const fault = o.order === 'cycle' ? faults[(round - 1) % faults.length]! : pick(faults);
      const leader = await cluster.leader(5_000);
      const ms = cluster.managers;
      const victim = () => (leader && rand() < 0.5 ? leader : pick(ms));
      let detail = '';
      const tf = Date.now();
      if (fault === 'kill') {
        const v = victim();
        const down = between(500, 3000);
        detail = `kill -9 ${v.name}${v === leader ? ' (leader)' : ''}, restart after ${Math.round(down)} ms`;
        log(`round ${round}: ${detail}`);
        await v.kill9();
        await sleep(down);
        await v.restart();
      } else if (fault === 'pause') {
        const v = victim();
        const paused = between(1000, 4000);
        detail = `SIGSTOP ${v.name}${v === leader ? ' (leader)' : ''} for ${Math.round(paused)} ms`;
        log(`round ${round}: ${detail}`);
        v.pause();
        await sleep(paused);
        v.resume();
      } else if (isPartition(fault)) {
        const r = await applyPartitionFault(fault, {
          cluster,
          leader,
          rand,
          log: (m) => log(`round ${round}: ${m}`),
          ackedVia: (xs) => xs.reduce((a, m) => a + (ackedBy.get(m.name) ?? 0), 0),
        });
        detail = r.detail;
        for (const v of r.violations) violations.push(`round ${round}: ${v}`);
      } else {
        const first = pick(ms);
        const second = pick(ms.filter((m) => m !== first));
        const sig = rand() < 0.5 ? 'SIGKILL' : 'SIGTERM';
        const down = between(1000, 3000);
        const names = [first, second].map((m) => `${m.name}${m === leader ? ' (leader)' : ''}`).join(' + ');
        detail = `${sig} ${names} (no quorum), restart both after ${Math.round(down)} ms`;
        log(`round ${round}: ${detail}`);
        const exits = await Promise.all([first, second].map(async (m) => (sig === 'SIGKILL' ? (await m.kill9(), undefined) : await m.terminate(10_000))));
        if (sig === 'SIGTERM') {
          const how = exits.map((x, k) => `${[first, second][k]!.name} exited in ${x!.ms} ms${x!.forced ? ' (SIGKILL after 10 s)' : ''}`).join(', ');
          detail += `; ${how}`;
          log(`round ${round}: ${how}`);
          // SIGTERM must end a manager promptly even with its peers gone (it once waited ~10 s on open gRPC streams).
          if (exits.some((x) => x!.forced)) violations.push(`round ${round}: a manager needed SIGKILL after SIGTERM (${how})`);
        }
        await sleep(down);
        await Promise.all([first.restart(), second.restart()]);
      }
      let recoverMs = NaN;
      try {
        await cluster.waitHealthy(90_000);
        recoverMs = Date.now() - tf;
      } catch (e) {
        violations.push(`round ${round} (${detail}): ${(e as Error).message}`);
      }
      rounds.push({ round, fault, detail, leaderBefore: leader?.name, recoverMs, acked: acked.create + acked.scale + acked.remove - a0, failed: failed.create + failed.scale + failed.remove - f0 });
      log(`round ${round}: healthy again after ${recoverMs} ms; ${rounds.at(-1)!.acked} writes acknowledged, ${rounds.at(-1)!.failed} failed during the round`);
      if (violations.length) break;
    }
    stopWriters = true;
    await Promise.all(writers);

    // Final checks.
    const deadline = Date.now() + (o.convergeTimeoutMs ?? 90_000);
    const tc = Date.now();
    try {
      await cluster.waitHealthy(Math.max(1_000, deadline - Date.now()));
    } catch (e) {
      violations.push(`after the rounds: ${(e as Error).message}`);
    }

    // 1. Identical copies (consistent reads through each manager; polled while the last writes settle).
    let snaps: Snapshot[] = [];
    let lastDiff: string[] = ['not compared'];
    while (Date.now() < deadline) {
      const got = await Promise.all(cluster.managers.map((m) => snapshotOf(m).catch((e: Error) => e)));
      const bad = got.findIndex((g) => g instanceof Error);
      if (bad >= 0) lastDiff = [`${cluster.managers[bad]!.name}: read failed: ${(got[bad] as Error).message}`];
      else {
        snaps = got as Snapshot[];
        lastDiff = snaps.slice(1).flatMap((s, i) => diff(snaps[0]!, s).map((d) => `${cluster.managers[0]!.name} vs ${cluster.managers[i + 1]!.name}: ${d}`));
        if (lastDiff.length === 0) {
          identicalAfterMs = Date.now() - tc;
          break;
        }
      }
      await sleep(250);
    }
    if (identicalAfterMs === undefined) violations.push(`managers' copies differ: ${lastDiff.join('; ')}`);

    // 2. Acknowledged writes, on every manager's copy.
    for (const [i, s] of snaps.entries()) {
      const m = cluster.managers[i]!.name;
      const list = s.services as { service: { id: string; spec: { annotations: { name: string }; mode: { kind: string; replicas?: number } } } }[];
      const byId = new Map(list.map((x) => [x.service.id, x.service]));
      const names = list.map((x) => x.service.spec.annotations.name);
      const dups = names.filter((n, k) => names.indexOf(n) !== k);
      if (dups.length) violations.push(`${m}: duplicate service names: ${[...new Set(dups)].join(', ')}`);
      const lost: string[] = [];
      const resurrected: string[] = [];
      const wrongScale: string[] = [];
      for (const svc of services.values()) {
        if (svc.created !== 'acked') continue;
        const found = byId.get(svc.id!);
        if (svc.removed === 'no' && !found) lost.push(svc.name);
        if (svc.removed === 'acked' && found) resurrected.push(svc.name);
        if (found && svc.removed === 'no' && svc.replicas !== undefined && found.spec.mode.replicas !== svc.replicas) wrongScale.push(`${svc.name}: ${found.spec.mode.replicas} ≠ acknowledged ${svc.replicas}`);
      }
      if (lost.length) violations.push(`${m}: ${lost.length} acknowledged creates missing: ${lost.slice(0, 10).join(', ')}`);
      if (resurrected.length) violations.push(`${m}: ${resurrected.length} acknowledged removes still present: ${resurrected.slice(0, 10).join(', ')}`);
      if (wrongScale.length) violations.push(`${m}: ${wrongScale.length} services not at their acknowledged scale: ${wrongScale.slice(0, 10).join('; ')}`);
    }

    // 3. Tasks converge; no slot runs twice.
    let lastWhy = 'not checked';
    while (Date.now() < deadline) {
      const m = cluster.managers[0]!;
      const r = await Promise.all([m.client.service.list.query(), m.client.task.list.query({ all: true })]).catch((e: Error) => e);
      if (r instanceof Error) lastWhy = `read failed: ${r.message}`;
      else {
        const [list, tasks] = r;
        const running = tasks.filter((t) => t.status.state === RUNNING && t.desiredState <= RUNNING);
        const slots = running.filter((t) => t.slot !== undefined).map((t) => `${t.serviceId}/${t.slot}`);
        const twice = slots.filter((s, k) => slots.indexOf(s) !== k);
        if (twice.length) {
          violations.push(`slots running twice: ${[...new Set(twice)].slice(0, 10).join(', ')}`);
          break;
        }
        const short = list.filter((x) => x.service.spec.mode.kind === 'replicated' && running.filter((t) => t.serviceId === x.service.id).length !== (x.service.spec.mode as { replicas: number }).replicas);
        finalCounts = { services: list.length, tasks: running.length, nodes: (snaps[0]?.nodes.length ?? 0) };
        if (short.length === 0) {
          convergedAfterMs = Date.now() - tc;
          break;
        }
        lastWhy = `${short.length} services not converged, e.g. ${short.slice(0, 3).map((x) => `${x.service.spec.annotations.name} ${running.filter((t) => t.serviceId === x.service.id).length}/${(x.service.spec.mode as { replicas: number }).replicas}`).join(', ')}`;
      }
      await sleep(500);
    }
    if (convergedAfterMs === undefined) violations.push(`tasks did not converge: ${lastWhy}`);
  } finally {
    stopWriters = true;
    if (violations.length) {
      for (const m of cluster.all()) log(`--- last output of ${m.name} (${m.state()}) ---\n${m.output().slice(-3000)}`);
    }
    await cluster.stop();
  }
  return {
    ok: violations.length === 0,
    seed,
    rounds,
    writes: { acked, failed, errors: [...errors.entries()].sort((a, b) => b[1] - a[1]) },
    final: { ...finalCounts, identicalAfterMs, convergedAfterMs },
    violations,
    durationMs: Date.now() - t0,
  };
}
