/**
 * Equivalents of the MIT 6.5840 Raft lab tests (3A-3D), run on the simulator.
 * Safety invariants are checked on every Ready by the SimCluster itself.
 */
import { describe, expect, it } from 'vitest';
import { pick } from './rng.js';
import { SimCluster } from './sim.js';

const ids = (n: number): string[] => Array.from({ length: n }, (_, i) => `s${i + 1}`);
const others = (all: string[], x: string): string[] => all.filter((y) => y !== x);

describe('6.5840 3A: election', () => {
  it('TestInitialElection: one leader, and the term stays put without failures', () => {
    const c = new SimCluster({ ids: ids(3), seed: 1 });
    const l = c.waitLeader()!;
    const term = c.raft(l).r.term;
    c.runTicks(50);
    expect(c.leader()).toBe(l);
    expect(c.raft(l).r.term).toBe(term);
  });

  it('TestReElection: a new leader after the leader fails; none without quorum; the old leader rejoins quietly', () => {
    const all = ids(3);
    const c = new SimCluster({ ids: all, seed: 2 });
    const l1 = c.waitLeader()!;
    c.isolate(l1);
    c.runTicks(40);
    const l2 = c.leaders().find((x) => x !== l1);
    expect(l2).toBeDefined();
    c.heal();
    c.runTicks(10);
    expect(c.leaders()).toEqual([l2]);
    // no quorum: no leader
    c.isolate(l2!);
    c.cutLink(others(all, l2!)[0]!, others(all, l2!)[1]!);
    c.runTicks(40);
    const termNow = Math.max(...all.map((x) => c.raft(x).r.term));
    c.runTicks(40);
    for (const x of all) if (c.raft(x).isLeader()) expect(c.raft(x).r.term).toBeLessThanOrEqual(termNow);
    c.heal();
    expect(c.waitLeader()).toBeDefined();
  });

  it('TestManyElections: 7 servers, 3 random ones disconnected repeatedly, a leader always emerges', () => {
    const all = ids(7);
    const c = new SimCluster({ ids: all, seed: 3 });
    expect(c.waitLeader()).toBeDefined();
    for (let i = 0; i < 10; i++) {
      const cut = [...all].sort(() => c.rng() - 0.5).slice(0, 3);
      const majority = all.filter((x) => !cut.includes(x));
      c.partition(cut, majority);
      let t = 0;
      // like 6.5840's checkOneLeader: the leader of the newest term must be on the majority side
      while (!majority.includes(c.leader() ?? '') && t++ < 200) c.runTicks(1);
      expect(majority).toContain(c.leader());
      c.heal();
    }
  });
});

describe('6.5840 3B: agreement', () => {
  it('TestBasicAgree and TestFailAgree: agreement continues with a follower disconnected, which catches up', () => {
    const all = ids(3);
    const c = new SimCluster({ ids: all, seed: 4 });
    c.waitLeader();
    c.proposeToLeader('a');
    expect(c.waitApplied('a')).toBe(true);
    const f = others(all, c.leader()!)[0]!;
    c.isolate(f);
    for (const v of ['b', 'c', 'd']) c.proposeToLeader(v);
    expect(c.waitApplied('d', others(all, f))).toBe(true);
    c.heal();
    expect(c.waitApplied('d', all)).toBe(true);
  });

  it('TestFailNoAgree: no commit without a majority, progress resumes after reconnection', () => {
    const all = ids(5);
    const c = new SimCluster({ ids: all, seed: 5 });
    const l = c.waitLeader()!;
    const cut = others(all, l).slice(0, 3);
    for (const x of cut) c.isolate(x);
    expect(c.propose(l, 'lost?')).toBe(true);
    c.runTicks(30);
    expect(c.node(l).values).not.toContain('lost?');
    c.heal();
    c.proposeToLeader('after');
    expect(c.waitApplied('after')).toBe(true);
    expect(c.checkConverged()).toBeUndefined();
  });

  it('TestRejoin: a partitioned leader whose entries never committed rejoins and adopts the new log', () => {
    const all = ids(3);
    const c = new SimCluster({ ids: all, seed: 6 });
    const l1 = c.waitLeader()!;
    c.proposeToLeader('101');
    c.waitApplied('101');
    c.isolate(l1);
    for (const v of ['102', '103', '104']) c.propose(l1, v);
    c.runTicks(40);
    c.proposeToLeader('103b');
    expect(c.waitApplied('103b', others(all, l1))).toBe(true);
    const l2 = c.leader()!;
    c.isolate(l2);
    c.heal();
    c.isolate(l2);
    c.proposeToLeader('104b');
    c.heal();
    expect(c.waitApplied('104b', all)).toBe(true);
    expect(c.checkConverged()).toBeUndefined();
    for (const x of all) expect(c.node(x).values).not.toContain('102');
  });

  it('TestBackup: a leader backs up quickly over 50 incorrect follower entries', () => {
    const all = ids(5);
    const c = new SimCluster({ ids: all, seed: 7 });
    const l1 = c.waitLeader()!;
    c.proposeToLeader('start');
    c.waitApplied('start');
    // leader and one follower in a minority accept 50 entries that never commit
    const f1 = others(all, l1)[0]!;
    c.partition([l1, f1], others(others(all, l1), f1));
    for (let i = 0; i < 50; i++) c.propose(l1, `junk${i}`);
    c.runTicks(3);
    // the majority commits 50 others
    c.runTicks(30);
    for (let i = 0; i < 50; i++) c.proposeToLeader(`good${i}`);
    const maj = others(others(all, l1), f1);
    expect(c.waitApplied('good49', maj)).toBe(true);
    // now the old partition comes back and must discard its junk
    c.heal();
    const before = c.delivered;
    c.proposeToLeader('end');
    expect(c.waitApplied('end', all)).toBe(true);
    expect(c.delivered - before).toBeLessThan(2000);
    for (const x of all) expect(c.node(x).values.some((v) => v.startsWith('junk'))).toBe(false);
  });
});

describe('6.5840 3C: persistence', () => {
  it('TestPersist: crashes and restarts of any node lose nothing committed', () => {
    const all = ids(3);
    const c = new SimCluster({ ids: all, seed: 8 });
    c.waitLeader();
    c.proposeToLeader('p1');
    c.waitApplied('p1');
    for (const x of all) c.crash(x);
    for (const x of all) c.restart(x);
    c.proposeToLeader('p2');
    expect(c.waitApplied('p2')).toBe(true);
    const l = c.leader()!;
    c.crash(l);
    c.proposeToLeader('p3');
    c.restart(l);
    expect(c.waitApplied('p3', all)).toBe(true);
    expect(c.checkConverged()).toBeUndefined();
  });

  for (const unreliable of [false, true]) {
    it(`TestFigure8${unreliable ? 'Unreliable' : ''}: leaders crash at random moments, safety holds and the log converges`, () => {
      const all = ids(5);
      const c = new SimCluster({ ids: all, seed: unreliable ? 91 : 9 });
      if (unreliable) {
        c.faults.drop = 0.1;
        c.faults.maxDelay = 30;
        c.faults.duplicate = 0.05;
      }
      let up = all.length;
      for (let iter = 0; iter < 300; iter++) {
        const l = c.leader();
        if (l !== undefined) c.propose(l, `f${iter}`);
        c.run(c.rng() < 0.1 ? 1 + Math.floor(c.rng() * 100) : 1 + Math.floor(c.rng() * 13));
        if (l !== undefined && c.rng() < 0.5 && c.node(l).raft) {
          c.crash(l);
          up--;
        }
        if (up < 3) {
          const down = all.filter((x) => !c.node(x).raft);
          c.restart(pick(c.rng, down));
          up++;
        }
      }
      c.reliable();
      for (const x of all) c.restart(x);
      c.proposeToLeader('final');
      expect(c.checkConverged()).toBeUndefined();
    });
  }

  for (const unreliable of [false, true]) {
    it(`Test${unreliable ? 'Unreliable' : 'Reliable'}Churn: nodes crash, restart and partition while clients propose everywhere`, () => {
      const all = ids(5);
      const c = new SimCluster({ ids: all, seed: unreliable ? 101 : 10, snapshotInterval: 20 });
      if (unreliable) {
        c.faults.drop = 0.1;
        c.faults.maxDelay = 20;
      }
      for (let iter = 0; iter < 80; iter++) {
        for (const x of all) if (c.rng() < 0.3) c.propose(x, `c${iter}-${x}`);
        const r = c.rng();
        const x = pick(c.rng, all);
        if (r < 0.2) c.crash(x);
        else if (r < 0.5) c.restart(x);
        else if (r < 0.6) c.isolate(x);
        else if (r < 0.8) c.heal();
        c.runTicks(1 + Math.floor(c.rng() * 5));
      }
      c.heal();
      c.reliable();
      for (const x of all) c.restart(x);
      c.proposeToLeader('final');
      expect(c.checkConverged(1000)).toBeUndefined();
      expect(c.acked.size).toBeGreaterThan(5);
    });
  }
});

describe('6.5840 3D: snapshots', () => {
  for (const mode of ['install', 'crash', 'unreliable'] as const) {
    it(`TestSnapshotInstall${mode === 'install' ? '' : mode === 'crash' ? 'Crash' : 'Unreliable'}: lagging followers catch up via InstallSnapshot`, () => {
      const all = ids(3);
      const c = new SimCluster({ ids: all, seed: 20 + mode.length, snapshotInterval: 9, keepEntries: 1 });
      if (mode === 'unreliable') {
        c.faults.drop = 0.1;
        c.faults.maxDelay = 15;
      }
      c.waitLeader();
      let n = 0;
      for (let round = 0; round < 12; round++) {
        const victim = pick(c.rng, all);
        if (mode === 'crash') c.crash(victim);
        else c.isolate(victim);
        for (let i = 0; i < 11; i++) c.proposeToLeader(`v${n++}`);
        c.runTicks(2);
        c.heal();
        c.restart(victim);
        c.proposeToLeader(`v${n++}`);
      }
      c.reliable();
      expect(c.checkConverged(1000)).toBeUndefined();
      expect(all.some((x) => c.node(x).snapshotIndex > 0)).toBe(true);
    });
  }
});
