/**
 * One randomized chaos run: a cluster under drops, delays, reordering,
 * duplication, partitions and crash/restart, with proposals throughout.
 * Safety invariants are checked on every Ready (see invariants.ts); at the
 * end the network heals and every node must converge with every
 * acknowledged proposal applied.
 */
import { pick, randInt } from './rng.js';
import { SimCluster } from './sim.js';

export interface ChaosResult {
  readonly seed: number;
  readonly size: number;
  readonly acked: number;
  readonly checks: number;
  readonly delivered: number;
}

export function runChaos(seed: number, phases = 8): ChaosResult {
  const size = seed % 2 === 0 ? 3 : 5;
  const ids = Array.from({ length: size }, (_, i) => `n${i + 1}`);
  // One seed in three also changes membership (add learner/voter, promote, remove — leader included).
  const membership = seed % 3 === 1;
  const snapshotInterval = [0, 8, 25][Math.floor(seed / 3) % 3]!;
  // One seed in four runs the real driver's asynchronous writes; one in four installs snapshots slowly.
  const asyncWriteUnits = seed % 4 === 3 ? 30 : 0;
  const slowSnapshotUnits = seed % 4 === 2 ? 80 : 0;
  // Three seeds in five broadcast commits lazily, as the real driver does.
  const lazyCommit = seed % 5 >= 2;
  const c = new SimCluster({ ids, seed, snapshotInterval, keepEntries: 3, asyncWriteUnits, slowSnapshotUnits, lazyCommit });
  const rng = c.rng;
  let next = 0;
  try {
    for (let p = 0; p < phases; p++) {
      chaosPhase(c, ids);
      if (membership) changeMembership(c, ids);
      const ticks = randInt(rng, 10, 40);
      for (let t = 0; t < ticks; t++) {
        if (rng() < 0.5) {
          const l = c.leader();
          const target = l !== undefined && rng() < 0.8 ? l : pick(rng, ids);
          c.propose(target, `s${seed}-v${next++}`);
        }
        c.runTicks(1);
      }
    }
    c.heal();
    c.reliable();
    for (const id of ids) c.restart(id);
    if (c.proposeToLeader(`s${seed}-final`) === undefined) throw new Error('no leader after healing');
    const why = c.checkConverged(1000);
    if (why) throw new Error(`did not converge: ${why}`);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    const mode = `async writes ${asyncWriteUnits}, slow snapshots ${slowSnapshotUnits}, lazy commit ${lazyCommit}`;
    throw new Error(`chaos seed ${seed} (size ${size}, snapshots every ${snapshotInterval}, membership ${membership}, ${mode}): ${msg}`, { cause: e });
  }
  return { seed, size, acked: c.acked.size, checks: c.inv.checks, delivered: c.delivered };
}

function changeMembership(c: SimCluster, ids: string[]): void {
  const rng = c.rng;
  const l = c.leader();
  if (l === undefined || rng() < 0.3) return;
  const conf = c.raft(l).confState();
  if (conf.learners.length > 0 && rng() < 0.6) {
    c.raft(l).proposeConfChange({ kind: 'addVoter', node: pick(rng, conf.learners) });
  } else if (conf.voters.length > 3 && rng() < 0.5) {
    c.raft(l).proposeConfChange({ kind: 'remove', node: pick(rng, conf.voters) });
  } else if (ids.length < 9) {
    const id = `n${ids.length + 1}`;
    c.addNode(id);
    ids.push(id);
    c.raft(l).proposeConfChange({ kind: rng() < 0.5 ? 'addLearner' : 'addVoter', node: id });
  }
  c.processAll();
}

function chaosPhase(c: SimCluster, ids: string[]): void {
  const rng = c.rng;
  c.faults.drop = rng() < 0.5 ? 0 : rng() * 0.2;
  c.faults.duplicate = rng() < 0.5 ? 0 : rng() * 0.1;
  c.faults.maxDelay = rng() < 0.5 ? 2 : randInt(rng, 2, 40);
  const action = rng();
  if (action < 0.2) {
    c.heal();
  } else if (action < 0.4) {
    const shuffled = [...ids].sort(() => rng() - 0.5);
    const cutAt = randInt(rng, 1, ids.length);
    c.partition(shuffled.slice(0, cutAt), shuffled.slice(cutAt));
  } else if (action < 0.55) {
    const l = c.leader();
    c.heal();
    if (l !== undefined) c.isolate(l);
  } else if (action < 0.75) {
    // crash a random node (sometimes the leader), possibly losing quorum for a while
    const up = c.up();
    if (up.length > 0) c.crash(rng() < 0.5 && c.leader() !== undefined ? c.leader()! : pick(rng, up));
  } else if (action < 0.9) {
    for (const id of ids) if (rng() < 0.7) c.restart(id);
  } else {
    // crash and immediately restart everyone (all lose volatile state)
    for (const id of c.up()) c.crash(id);
    for (const id of ids) c.restart(id);
  }
}
