/**
 * A follower installing a leader's snapshot: the async driver keeps ticking
 * and may campaign (e.g. it lost its connection to the leader) while that
 * Ready is still being persisted. The entries between its applied index and
 * the snapshot are then compacted away; campaigning used to scan them for
 * unapplied conf changes and threw (the kill -9 test's node crash).
 */
import { describe, expect, it } from 'vitest';
import { drain, msg, newTestRaft, storageWith, ticks } from '../testing/helpers.js';
import { SimCluster } from '../testing/sim.js';
import type { Snapshot } from './types.js';

const P3 = ['1', '2', '3'];
const enc = new TextEncoder();

function snapshotAt(index: number, term: number): Snapshot {
  return { meta: { index, term, conf: { voters: P3, learners: [] } }, data: enc.encode('[]') };
}

describe('campaigning while a snapshot is being installed', () => {
  it('a follower does not campaign (nor throw) until the snapshot is persisted, then does', () => {
    // Follower 1 has entries 1..5 of term 1, applied up to 3; leader 2 sends a snapshot at 50.
    const t = newTestRaft('1', P3, { storage: storageWith(P3, [1, 1, 1, 1, 1], { term: 2, commit: 3 }), applied: 3 });
    t.raft.step(msg('snap', '2', '1', 2, { snapshot: snapshotAt(50, 2) }));
    const rd = t.raft.ready(); // handed to the driver, which is now persisting it
    expect(rd.snapshot?.meta.index).toBe(50);
    expect(() => t.raft.campaign()).not.toThrow();
    expect(() => ticks(t, 40)).not.toThrow();
    expect(t.raft.r.role.kind).toBe('follower');
    expect(t.raft.r.term).toBe(2);
    // persisted: now it may campaign
    t.storage.applySnapshot(rd.snapshot!);
    t.raft.advance(rd);
    drain(t);
    t.raft.campaign();
    expect(t.raft.r.role.kind).toBe('candidate');
    expect(t.raft.r.term).toBe(3);
    const votes = drain(t).filter((m) => m.type === 'vote');
    expect(votes.map((m) => [m.to, m.index, m.logTerm])).toEqual([
      ['2', 50, 2],
      ['3', 50, 2],
    ]);
  });

  it('a conf change committed after the snapshot still blocks a campaign', () => {
    const t = newTestRaft('1', P3, { storage: storageWith(P3, [1, 1, 1], { term: 2, commit: 3 }), applied: 3 });
    t.raft.step(msg('snap', '2', '1', 2, { snapshot: snapshotAt(20, 2) }));
    drain(t);
    const cc = { term: 2, index: 21, type: 'conf' as const, data: enc.encode(JSON.stringify({ kind: 'addLearner', node: '4' })) };
    t.raft.step(msg('app', '2', '1', 2, { index: 20, logTerm: 2, entries: [cc], commit: 21 }));
    const rd = t.raft.ready(); // the conf change is committed but not applied yet
    expect(rd.committed.map((e) => e.index)).toEqual([21]);
    t.raft.campaign();
    expect(t.raft.r.role.kind).toBe('follower');
  });

  it('in the simulator: the leader dies while a follower slowly installs its snapshot; no crash, nothing lost', () => {
    const c = new SimCluster({ ids: P3, seed: 41, snapshotInterval: 10, keepEntries: 2, slowSnapshotUnits: 250 });
    const l = c.waitLeader()!;
    const [f, g] = P3.filter((x) => x !== l) as [string, string];
    c.isolate(f);
    for (let i = 0; i < 30; i++) expect(c.proposeToLeader(`v${i}`)).toBe(l);
    expect(c.waitApplied('v29', [l, g])).toBe(true);
    expect(c.node(l).snapshotIndex).toBeGreaterThan(c.node(f).appliedIndex + 2);
    c.heal();
    // f gets the snapshot and starts persisting it (slowly)
    const installing = (): boolean => c.node(f).writes.some((w) => w.rd.snapshot);
    for (let t = 0; t < 10 && !installing(); t++) c.runTicks(1);
    expect(installing()).toBe(true);
    c.crash(l);
    c.cutLink(f, g); // f hears from nobody: its election timer runs out while the snapshot is in flight
    expect(() => c.runTicks(30)).not.toThrow();
    expect(installing()).toBe(false);
    expect(c.node(f).appliedIndex).toBeGreaterThan(20);
    c.heal();
    c.restart(l);
    expect(c.proposeToLeader('after')).toBeDefined();
    expect(c.checkConverged()).toBeUndefined();
    for (let i = 0; i < 30; i++) expect(c.acked.has(`v${i}`)).toBe(true);
  });
});
