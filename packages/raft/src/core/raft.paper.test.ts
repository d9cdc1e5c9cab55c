/**
 * Paper tests: each test checks sentences of the Raft paper ("In Search of an
 * Understandable Consensus Algorithm", extended version) or Ongaro's thesis,
 * cited per test. Structure: init, drive via step/tick, check messages and state.
 * PreVote and CheckQuorum are off here, as the paper has neither.
 */
import { describe, expect, it } from 'vitest';
import { MemoryStorage } from './storage.js';
import { drain, elect, ent, msg, newTestRaft, storageWith, ticks } from '../testing/helpers.js';
import { SimCluster } from '../testing/sim.js';

import type { TestRaft } from '../testing/helpers.js';

const P3 = ['1', '2', '3'];

/** Every follower acknowledges the leader's log up to `index`. */
function ackAll(t: TestRaft, index: number): void {
  for (const v of t.raft.r.voters) if (v !== '1') t.raft.step(msg('appResp', v, '1', t.raft.r.term, { index }));
  drain(t);
}
const P5 = ['1', '2', '3', '4', '5'];

describe('§5.1 terms', () => {
  it('any role updates its term from a message with a higher term and becomes follower', () => {
    for (const setup of ['follower', 'candidate', 'leader'] as const) {
      const t = newTestRaft('1', P3);
      if (setup === 'candidate') t.raft.campaign();
      if (setup === 'leader') elect(t);
      drain(t);
      t.raft.step(msg('app', '2', '1', 5, { index: 0, logTerm: 0, entries: [] }));
      expect(t.raft.r.term).toBe(5);
      expect(t.raft.r.role.kind).toBe('follower');
      expect(t.raft.leader()).toBe('2');
    }
  });

  it('rejects (ignores) a request with a stale term', () => {
    const t = newTestRaft('1', P3, { storage: storageWith(P3, [], { term: 2 }) });
    expect(t.raft.step(msg('app', '2', '1', 1, { index: 0, logTerm: 0, entries: [ent(1, 1)] }))).toBe('stale-term');
    expect(t.raft.r.log.lastIndex()).toBe(0);
  });
});

describe('§5.2 leader election', () => {
  it('servers start as followers', () => {
    const t = newTestRaft('1', P3);
    expect(t.raft.r.role.kind).toBe('follower');
  });

  it('a leader sends heartbeats to all followers every heartbeat interval', () => {
    const t = newTestRaft('1', P3);
    elect(t);
    ticks(t, 1);
    const hb = drain(t).filter((m) => m.type === 'heartbeat');
    expect(hb.map((m) => m.to).sort()).toEqual(['2', '3']);
  });

  it('a follower that hears nothing for an election timeout becomes candidate, votes for itself and requests votes', () => {
    for (const from of ['follower', 'candidate'] as const) {
      const t = newTestRaft('1', P3);
      if (from === 'candidate') {
        t.raft.campaign();
        drain(t);
      }
      const term0 = t.raft.r.term;
      ticks(t, 10); // rng() = 0: the randomized timeout is exactly electionTick
      expect(t.raft.r.role.kind).toBe('candidate');
      expect(t.raft.r.term).toBe(term0 + 1);
      expect(t.raft.r.vote).toBe('1');
      const votes = drain(t).filter((m) => m.type === 'vote');
      expect(votes.map((m) => m.to).sort()).toEqual(['2', '3']);
      expect(votes.every((m) => m.term === term0 + 1)).toBe(true);
    }
  });

  it('a candidate wins with votes from a majority, loses with a majority of rejections, else keeps waiting', () => {
    const cases: [string[], Record<string, boolean>, string][] = [
      [P3, { '2': true }, 'leader'],
      [P3, { '2': true, '3': false }, 'leader'],
      [P5, { '2': true, '3': true }, 'leader'],
      [P5, { '2': true }, 'candidate'],
      [P5, { '2': false, '3': false }, 'candidate'],
      [P5, { '2': false, '3': false, '4': false }, 'follower'],
      [P3, { '2': false, '3': false }, 'follower'],
    ];
    for (const [peers, votes, want] of cases) {
      const t = newTestRaft('1', peers);
      t.raft.campaign();
      drain(t);
      for (const [from, granted] of Object.entries(votes)) {
        t.raft.step(msg('voteResp', from, '1', t.raft.r.term, granted ? {} : { reject: true }));
      }
      expect(t.raft.r.role.kind, JSON.stringify(votes)).toBe(want);
    }
  });

  it('each server votes for at most one candidate in a term, first come first served', () => {
    const t = newTestRaft('1', P3);
    t.raft.step(msg('vote', '2', '1', 1, { index: 0, logTerm: 0 }));
    t.raft.step(msg('vote', '3', '1', 1, { index: 0, logTerm: 0 }));
    const out = drain(t);
    expect(out.map((m) => [m.to, m.type, !!m.reject])).toEqual([
      ['2', 'voteResp', false],
      ['3', 'voteResp', true],
    ]);
    // repeating the request of the candidate we voted for is granted again
    t.raft.step(msg('vote', '2', '1', 1, { index: 0, logTerm: 0 }));
    expect(drain(t)[0]!.reject).toBeFalsy();
  });

  it('a candidate that receives AppendEntries from a leader of its term returns to follower', () => {
    const t = newTestRaft('1', P3);
    t.raft.campaign();
    drain(t);
    t.raft.step(msg('app', '2', '1', t.raft.r.term, { index: 0, logTerm: 0, entries: [] }));
    expect(t.raft.r.role.kind).toBe('follower');
    expect(t.raft.leader()).toBe('2');
  });

  it('election timeouts are chosen randomly from [T, 2T) so split votes are rare', () => {
    const seen = new Set<number>();
    for (let i = 0; i < 10; i++) {
      const t = newTestRaft('1', P3, { rng: () => i / 10 });
      let n = 0;
      while (t.raft.r.role.kind === 'follower') {
        t.raft.tick();
        n++;
      }
      seen.add(n);
      expect(n).toBeGreaterThanOrEqual(10);
      expect(n).toBeLessThan(20);
    }
    expect(seen.size).toBe(10);
  });
});

describe('§5.3 log replication', () => {
  it('the leader appends a proposal to its log and sends AppendEntries with the preceding index and term', () => {
    const t = newTestRaft('1', P3);
    elect(t);
    const li = t.raft.r.log.lastIndex();
    ackAll(t, li);
    const res = t.raft.propose(new TextEncoder().encode('x'));
    expect(res.ok).toBe(true);
    const apps = drain(t).filter((m) => m.type === 'app');
    expect(apps.map((m) => m.to).sort()).toEqual(['2', '3']);
    for (const m of apps) {
      expect(m.entries!.map((e) => e.index)).toContain(li + 1);
      expect(m.entries![m.entries!.length - 1]!.index).toBe(li + 1);
    }
  });

  it('an entry is committed once the leader replicated it on a majority, and the commit index is sent on', () => {
    const t = newTestRaft('1', P5);
    elect(t);
    ackAll(t, t.raft.r.log.lastIndex());
    const res = t.raft.propose(new TextEncoder().encode('x'));
    if (!res.ok) throw new Error('propose');
    drain(t);
    t.raft.step(msg('appResp', '2', '1', t.raft.r.term, { index: res.value.index }));
    expect(t.raft.r.log.committed).toBeLessThan(res.value.index);
    t.raft.step(msg('appResp', '3', '1', t.raft.r.term, { index: res.value.index }));
    expect(t.raft.r.log.committed).toBe(res.value.index);
    const out = drain(t);
    expect(out.some((m) => m.type === 'app' && m.commit === res.value.index)).toBe(true);
    expect(t.applied.map((e) => e.index)).toContain(res.value.index);
  });

  it('committing an entry also commits all preceding entries, including those of previous terms', () => {
    const s = storageWith(P3, [1, 1, 2], { term: 2 });
    const t = newTestRaft('1', P3, { storage: s });
    elect(t);
    const li = t.raft.r.log.lastIndex();
    t.raft.step(msg('appResp', '2', '1', t.raft.r.term, { index: li }));
    expect(t.raft.r.log.committed).toBe(li);
    drain(t);
    expect(t.applied.map((e) => e.index)).toEqual([1, 2, 3, 4]);
  });

  it('a follower applies entries once it learns they are committed', () => {
    const t = newTestRaft('1', P3);
    t.raft.step(msg('app', '2', '1', 1, { index: 0, logTerm: 0, entries: [ent(1, 1, 'a'), ent(1, 2, 'b')], commit: 1 }));
    drain(t);
    expect(t.applied.map((e) => e.index)).toEqual([1]);
    t.raft.step(msg('heartbeat', '2', '1', 1, { commit: 2 }));
    drain(t);
    expect(t.applied.map((e) => e.index)).toEqual([1, 2]);
  });

  it('a follower refuses entries whose preceding index/term it does not have (consistency check)', () => {
    const cases: [number, number, boolean][] = [
      [0, 0, false],
      [2, 2, false],
      [2, 1, true],
      [3, 2, true],
      [1, 1, false],
    ];
    for (const [index, logTerm, reject] of cases) {
      const t = newTestRaft('1', P3, { storage: storageWith(P3, [1, 2], { term: 2 }) });
      t.raft.step(msg('app', '2', '1', 2, { index, logTerm, entries: [], commit: 0 }));
      const resp = drain(t).find((m) => m.type === 'appResp')!;
      expect(!!resp.reject, `${index}/${logTerm}`).toBe(reject);
    }
  });

  it('a conflicting entry and all that follow it are deleted, then new entries appended', () => {
    const t = newTestRaft('1', P3, { storage: storageWith(P3, [1, 2, 2], { term: 3 }) });
    t.raft.step(msg('app', '2', '1', 3, { index: 1, logTerm: 1, entries: [ent(3, 2), ent(3, 3), ent(3, 4)] }));
    drain(t);
    expect(t.raft.r.log.allEntries().map((e) => e.term)).toEqual([1, 3, 3, 3]);
    // already-present entries are not truncated by a stale, shorter append
    t.raft.step(msg('app', '2', '1', 3, { index: 1, logTerm: 1, entries: [ent(3, 2)] }));
    drain(t);
    expect(t.raft.r.log.lastIndex()).toBe(4);
  });

  it('the leader forces followers to duplicate its log (Figure 7, followers a-f)', () => {
    const leader = [1, 1, 1, 4, 4, 5, 5, 6, 6, 6];
    const followers = [
      [1, 1, 1, 4, 4, 5, 5, 6, 6],
      [1, 1, 1, 4],
      [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6],
      [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7],
      [1, 1, 1, 4, 4, 4, 4],
      [1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3],
    ];
    for (const f of followers) {
      const storages = new Map<string, MemoryStorage>([
        ['L', storageWith(['L', 'F', 'X'], leader, { term: 8 })],
        ['F', storageWith(['L', 'F', 'X'], f, { term: 7 })],
        ['X', storageWith(['L', 'F', 'X'], [], { term: 7 })],
      ]);
      const c = new SimCluster({ ids: ['L', 'F', 'X'], seed: 1, storages, preVote: false });
      c.raft('L').campaign();
      c.deliverAll();
      expect(c.raft('L').isLeader()).toBe(true);
      c.runTicks(3);
      const want = c.raft('L').r.log.allEntries().map((e) => `${e.index}/${e.term}`);
      expect(c.raft('F').r.log.allEntries().map((e) => `${e.index}/${e.term}`), JSON.stringify(f)).toEqual(want);
    }
  });
});

describe('§5.4 safety', () => {
  it('§5.4.1 a vote request carries the candidate last log index and term', () => {
    const t = newTestRaft('1', P3, { storage: storageWith(P3, [1, 2], { term: 2 }) });
    t.raft.campaign();
    for (const m of drain(t).filter((m) => m.type === 'vote')) {
      expect([m.index, m.logTerm]).toEqual([2, 2]);
    }
  });

  it('§5.4.1 a voter denies its vote if its own log is more up-to-date', () => {
    // voter log: [1, 1]; request (index, logTerm) -> granted?
    const cases: [number, number, boolean][] = [
      [2, 1, true],
      [3, 1, true],
      [1, 1, false],
      [1, 2, true],
      [5, 0, false],
      [0, 0, false],
    ];
    for (const [index, logTerm, grant] of cases) {
      const t = newTestRaft('1', P3, { storage: storageWith(P3, [1, 1], { term: 1 }) });
      t.raft.step(msg('vote', '2', '1', 3, { index, logTerm }));
      const resp = drain(t).find((m) => m.type === 'voteResp')!;
      expect(!resp.reject, `${index}/${logTerm}`).toBe(grant);
    }
  });

  it('§5.4.2 a leader never commits entries from previous terms by counting replicas', () => {
    const t = newTestRaft('1', P3, { storage: storageWith(P3, [1, 2], { term: 2 }) });
    elect(t); // term 3, appends an empty entry at 3
    t.raft.step(msg('appResp', '2', '1', 3, { index: 2 }));
    expect(t.raft.r.log.committed).toBe(0);
    t.raft.step(msg('appResp', '2', '1', 3, { index: 3 }));
    expect(t.raft.r.log.committed).toBe(3);
  });

  it('§5.4.2 / Figure 8: an old-term entry on a majority is not committed until an entry of the leader term is', () => {
    // (c) S1 leads term 3 with [1:1, 2:2] plus its no-op 3:3; S2 and S3 have 2:2 (a majority of 5 holds it).
    const t = newTestRaft('1', P5, { storage: storageWith(P5, [1, 2], { term: 2 }) });
    elect(t);
    expect(t.raft.r.term).toBe(3);
    t.raft.step(msg('appResp', '2', '1', 3, { index: 2 }));
    t.raft.step(msg('appResp', '3', '1', 3, { index: 2 }));
    expect(t.raft.r.log.committed).toBe(0); // (d) S5 could still overwrite index 2
    // (e) once the term-3 entry is on a majority, it and everything before it commit.
    t.raft.step(msg('appResp', '2', '1', 3, { index: 3 }));
    t.raft.step(msg('appResp', '3', '1', 3, { index: 3 }));
    expect(t.raft.r.log.committed).toBe(3);
  });

  it('§5.4.2 / Figure 8 (d): an uncommitted entry replicated on a majority can be overwritten by a later leader', () => {
    const t = newTestRaft('3', P5, { storage: storageWith(P5, [1, 2], { term: 3 }) });
    t.raft.step(msg('app', '5', '3', 4, { index: 1, logTerm: 1, entries: [ent(3, 2, 'y')], commit: 0 }));
    drain(t);
    expect(t.raft.r.log.allEntries().map((e) => e.term)).toEqual([1, 3]);
  });
});

describe('§5.5 follower and candidate crashes', () => {
  it('RPCs to a crashed follower are retried until it comes back', () => {
    const c = new SimCluster({ ids: P3, seed: 3 });
    const l = c.waitLeader()!;
    const f = P3.find((x) => x !== l)!;
    c.crash(f);
    c.proposeToLeader('while-down');
    c.runTicks(5);
    c.restart(f);
    expect(c.waitApplied('while-down', [f])).toBe(true);
  });
});

describe('§7 log compaction', () => {
  it('a follower too far behind receives InstallSnapshot and resumes replication', () => {
    const c = new SimCluster({ ids: P3, seed: 7, snapshotInterval: 5, keepEntries: 1 });
    const l = c.waitLeader()!;
    const f = P3.find((x) => x !== l)!;
    c.crash(f);
    for (let i = 0; i < 30; i++) c.proposeToLeader(`v${i}`);
    c.runTicks(2);
    expect(c.node(l).storage.firstIndex()).toBeGreaterThan(2);
    c.restart(f);
    expect(c.waitApplied('v29', [f])).toBe(true);
    expect(c.node(f).snapshotIndex).toBeGreaterThan(0);
    expect(c.checkConverged()).toBeUndefined();
  });
});

describe('§8 client interaction', () => {
  it('a follower refuses proposals and names the leader', () => {
    const c = new SimCluster({ ids: P3, seed: 4 });
    const l = c.waitLeader()!;
    const f = P3.find((x) => x !== l)!;
    const res = c.raft(f).propose(new Uint8Array([1]));
    expect(res).toEqual({ ok: false, error: { kind: 'not-leader', leader: l, message: `raft: not leader, leader is ${l}` } });
  });

  it('a new leader commits a no-op entry of its term at the start of its term', () => {
    const t = newTestRaft('1', P3);
    elect(t);
    const last = t.raft.r.log.allEntries().at(-1)!;
    expect([last.term, last.data.length]).toEqual([t.raft.r.term, 0]);
  });
});
