/**
 * Network faults of a chaos round (scripts/chaos-lib.ts), through the fault
 * proxies between managers (cluster.links, scripts/chaos-links.ts):
 *   isolate   the leader (a random manager if none is known) cut off
 *             from every other manager, both ways (blackhole), for 7–10 s. The
 *             round checks what a partition must do: the isolated leader steps
 *             down (CheckQuorum), the majority elects a new leader and goes on
 *             acknowledging writes, and writes sent to the isolated manager are
 *             refused with "no quorum" (not left to time out).
 *   split     a random minority (⌊n/2⌋ managers) against the majority, both
 *             ways, as a blackhole or as refused connections (reset), 2–6 s
 *   oneway    one direction only, A→B blackholed (B→A flows), A or B the
 *             leader half the time, 2–6 s
 *   flaky     most links delayed by 0–250 ms (each its own), some with their
 *             connections reset once, 3–6 s
 * Every fault heals (all links pass) before the round waits for a healthy cluster.
 */
import type { Cluster, ProcNode } from './chaos-cluster.js';
import { describeError } from './chaos-lib.js';

export type PartitionFault = 'isolate' | 'split' | 'oneway' | 'flaky';
export const PARTITION_FAULTS: PartitionFault[] = ['isolate', 'split', 'oneway', 'flaky'];

export interface PartitionContext {
  cluster: Cluster;
  leader: ProcNode | undefined;
  rand: () => number;
  log: (m: string) => void;
  /** Writes acknowledged so far through the given managers (the writers' count). */
  ackedVia: (ms: ProcNode[]) => number;
}

export interface PartitionResult {
  detail: string;
  violations: string[];
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const spec = (name: string) => ({
  annotations: { name, labels: {} },
  task: { container: { image: 'x', command: ['sleep'] }, placement: { constraints: [], preferences: [], platforms: [], maxReplicas: 0 } },
  mode: { kind: 'replicated' as const, replicas: 0 },
});
let probeSeq = 0;
/**
 * Probes sent this long after the cut must be refused with "no quorum": the
 * isolated manager lost its leader (or leadership) within two election
 * timeouts (≤ 2 s at the default 100 ms tick) and says "no quorum" after
 * three more (ha/raft-store.ts leaderlessMessage); one second of slack.
 */
const LATE_MS = 6_000;

export async function applyPartitionFault(fault: PartitionFault, c: PartitionContext): Promise<PartitionResult> {
  const { cluster, leader, rand, log } = c;
  const links = cluster.links;
  if (!links) throw new Error(`fault ${fault} needs a cluster started with faultProxies`);
  const ms = cluster.managers;
  const between = (lo: number, hi: number) => Math.round(lo + rand() * (hi - lo));
  const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const tag = (m: ProcNode) => `${m.name}${m === leader ? ' (leader)' : ''}`;
  try {
    if (fault === 'isolate') return await isolate(c, leader ?? pick(ms), between(7000, 10000));
    if (fault === 'split') {
      const minority = [...ms].sort(() => rand() - 0.5).slice(0, Math.floor(ms.length / 2));
      const majority = ms.filter((m) => !minority.includes(m));
      const mode = rand() < 0.5 ? ({ kind: 'blackhole' } as const) : ({ kind: 'reset' } as const);
      const forMs = between(2000, 6000);
      const detail = `split {${minority.map(tag).join(', ')}} | {${majority.map(tag).join(', ')}} (${mode.kind}) for ${forMs} ms`;
      log(detail);
      links.partition(minority, majority, mode);
      await sleep(forMs);
      return { detail, violations: [] };
    }
    if (fault === 'oneway') {
      const a = leader && rand() < 0.5 ? leader : pick(ms);
      const b = pick(ms.filter((m) => m !== a));
      const [from, to] = rand() < 0.5 ? [a, b] : [b, a];
      const forMs = between(2000, 6000);
      const detail = `one-way cut ${tag(from)} → ${tag(to)} (blackhole; ${to.name} → ${from.name} flows) for ${forMs} ms`;
      log(detail);
      links.set(from, to, { kind: 'blackhole' });
      await sleep(forMs);
      return { detail, violations: [] };
    }
    const resets: string[] = [];
    for (const from of ms) {
      for (const to of ms) {
        if (from === to) continue;
        const x = rand();
        // Reset once: the open connections are cut (peers see resets and reconnect), new ones pass.
        if (x < 0.2) {
          links.get(from, to).set({ kind: 'reset' });
          links.set(from, to, { kind: 'pass' });
          resets.push(`${from.name}→${to.name}`);
        }
        if (x < 0.8) links.set(from, to, { kind: 'delay', ms: between(0, 250) });
      }
    }
    const forMs = between(3000, 6000);
    const detail = `flaky links for ${forMs} ms: ${links.describe()}${resets.length ? `; connections reset once on ${resets.join(', ')}` : ''}`;
    log(detail);
    await sleep(forMs);
    return { detail, violations: [] };
  } finally {
    links.heal();
  }
}

/** Isolates `v` and checks the partition semantics (see the header). */
async function isolate(c: PartitionContext, v: ProcNode, durationMs: number): Promise<PartitionResult> {
  const { cluster, leader, log } = c;
  const others = cluster.managers.filter((m) => m !== v);
  const wasLeader = v === leader;
  const detail = `isolate ${v.name}${wasLeader ? ' (leader)' : ''} from ${others.map((m) => m.name).join(', ')} (blackhole) for ${durationMs} ms`;
  log(detail);
  const violations: string[] = [];
  const t0 = Date.now();
  const acked0 = c.ackedVia(others);
  cluster.links!.partition([v], others);
  // Probe writes to the isolated manager, one at a time: how each ends, and how fast.
  const probes: { sentAt: number; ms: number; error?: string }[] = [];
  const prober = (async () => {
    while (Date.now() - t0 < durationMs - 500) {
      const sentAt = Date.now() - t0;
      const err = await v.client.service.create.mutate({ spec: spec(`probe-${probeSeq++}`) }).then(
        () => undefined,
        (e: unknown) => describeError(e),
      );
      probes.push({ sentAt, ms: Date.now() - t0 - sentAt, ...(err !== undefined ? { error: err } : {}) });
      await sleep(300);
    }
  })();
  await sleep(durationMs);
  await prober;
  // Before healing: who leads the majority side now (their own copies, stale reads)?
  const views = await Promise.all(others.map((m) => m.stale.node.list.query().catch(() => undefined)));
  const majorityLeaders = new Set(views.flatMap((ns) => ns?.filter((n) => n.managerStatus?.leader).map((n) => n.id) ?? []));
  const ackedOnMajority = c.ackedVia(others) - acked0;
  const late = probes.filter((p) => p.sentAt >= LATE_MS);
  const summary = probes.map((p) => `${p.sentAt}+${p.ms}ms ${p.error ? p.error.slice(0, 60) : 'ACKED'}`);
  log(`isolate ${v.name}: majority acknowledged ${ackedOnMajority} writes; majority sees leader ${[...majorityLeaders].join(',') || 'none'}; probes to ${v.name}: ${summary.join(' | ')}`);

  if (ackedOnMajority === 0) violations.push(`${detail}: the majority side acknowledged no write during the partition`);
  if (majorityLeaders.size !== 1 || majorityLeaders.has(v.id)) {
    violations.push(`${detail}: the majority side should see one new leader, not ${[...majorityLeaders].join(', ') || 'none'}`);
  }
  // A write the isolated manager acknowledged after the cut would have to be on the majority's log: only possible before the cut.
  const acked = probes.filter((p) => p.error === undefined && p.sentAt > 1_000);
  if (acked.length) violations.push(`${detail}: the isolated manager acknowledged ${acked.length} writes (first sent ${acked[0]!.sentAt} ms after the cut)`);
  // Fail fast: refused with "no quorum" (see LATE_MS), never left to time out.
  if (late.length === 0) violations.push(`${detail}: no probe write was sent to the isolated manager ${LATE_MS} ms after the cut`);
  const slow = late.filter((p) => !p.error || !/no quorum/.test(p.error) || /not committed within|aborted|timeout/i.test(p.error));
  if (slow.length) violations.push(`${detail}: writes to the isolated manager must be refused with "no quorum", got: ${slow.slice(0, 3).map((p) => `${p.error ?? 'acknowledged'} after ${p.ms} ms`).join('; ')}`);
  return { detail, violations };
}
