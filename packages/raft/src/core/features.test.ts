/** PreVote, CheckQuorum, membership, leadership transfer, ReadIndex and bad input. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { committedIndex, voteResult } from './quorum.js';
import type { Raft } from './raft.js';
import type { ConfChange } from './types.js';
import { drain, elect, ent, msg, newTestRaft, storageWith } from '../testing/helpers.js';
import { SimCluster } from '../testing/sim.js';

const P3 = ['1', '2', '3'];
const enc = new TextEncoder();

describe('quorum maths (property tests against a naive oracle)', () => {
  it('committedIndex equals the largest index acked by a majority', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(100), { minLength: 1, maxLength: 9 }), (acks) => {
        const voters = acks.map((_, i) => `v${i}`);
        const got = committedIndex(voters, (id) => acks[Number(id.slice(1))]!);
        let oracle = 0;
        for (let idx = 0; idx <= 100; idx++) if (acks.filter((a) => a >= idx).length > acks.length / 2) oracle = idx;
        return got === oracle;
      }),
      { numRuns: 2000 },
    );
  });
  it('voteResult agrees with counting', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom<boolean | undefined>(true, false, undefined), { minLength: 1, maxLength: 9 }), (vs) => {
        const voters = vs.map((_, i) => `v${i}`);
        const m = new Map<string, boolean>();
        vs.forEach((v, i) => v !== undefined && m.set(`v${i}`, v));
        const yes = vs.filter((v) => v === true).length;
        const no = vs.filter((v) => v === false).length;
        const q = Math.floor(vs.length / 2) + 1;
        const want = yes >= q ? 'won' : vs.length - no >= q ? 'pending' : 'lost';
        return voteResult(voters, m) === want;
      }),
      { numRuns: 2000 },
    );
  });
});

describe('PreVote and CheckQuorum (thesis §9.6, §6.2)', () => {
  it('a partitioned node does not inflate its term and does not disrupt the leader when it returns', () => {
    const c = new SimCluster({ ids: P3, seed: 11 });
    const l = c.waitLeader()!;
    const f = P3.find((x) => x !== l)!;
    const term = c.raft(l).r.term;
    c.isolate(f);
    c.runTicks(100);
    expect(c.raft(f).r.term).toBe(term);
    c.heal();
    c.runTicks(20);
    expect(c.leader()).toBe(l);
    expect(c.raft(l).r.term).toBe(term);
  });

  it('a leader that loses contact with a quorum steps down', () => {
    const c = new SimCluster({ ids: P3, seed: 12 });
    const l = c.waitLeader()!;
    c.isolate(l);
    c.runTicks(25);
    expect(c.raft(l).isLeader()).toBe(false);
  });

  it('a follower that heard from the leader recently ignores vote requests (leader lease)', () => {
    const t = newTestRaft('1', P3, { checkQuorum: true });
    t.raft.step(msg('app', '2', '1', 1, { index: 0, logTerm: 0, entries: [] }));
    drain(t);
    expect(t.raft.step(msg('vote', '3', '1', 2, { index: 5, logTerm: 1 }))).toBe('ignored');
    expect(t.raft.r.term).toBe(1);
  });
});

describe('membership changes, one server at a time (thesis §4.1)', () => {
  it('adds a learner, promotes it to voter, removes a voter; the removed leader steps down', () => {
    const c = new SimCluster({ ids: P3, seed: 13, snapshotInterval: 10 });
    const l = c.waitLeader()!;
    for (let i = 0; i < 15; i++) c.proposeToLeader(`pre${i}`);
    c.addNode('4');
    const apply = (cc: ConfChange): void => {
      const leader = c.leader()!;
      const res = c.raft(leader).proposeConfChange(cc);
      expect(res.ok, JSON.stringify(res)).toBe(true);
      c.runTicks(10);
    };
    apply({ kind: 'addLearner', node: '4' });
    expect(c.raft(l).confState().learners).toEqual(['4']);
    c.proposeToLeader('after-learner');
    expect(c.waitApplied('after-learner', ['1', '2', '3', '4'])).toBe(true);
    apply({ kind: 'addVoter', node: '4' });
    expect([...c.raft(l).confState().voters].sort()).toEqual(['1', '2', '3', '4']);
    // a second change is refused while one is pending
    const leader = c.leader()!;
    expect(c.raft(leader).proposeConfChange({ kind: 'remove', node: '2' }).ok).toBe(true);
    const again = c.raft(leader).proposeConfChange({ kind: 'remove', node: '3' });
    expect(again.ok).toBe(false);
    c.runTicks(10);
    // remove the leader itself: it steps down and the rest elect a new one
    const l2 = c.leader()!;
    expect(c.raft(l2).proposeConfChange({ kind: 'remove', node: l2 }).ok).toBe(true);
    c.runTicks(40);
    expect(c.raft(l2).isLeader()).toBe(false);
    const l3 = c.leader()!;
    expect(l3).not.toBe(l2);
    c.proposeToLeader('after-removal');
    const members = c.raft(l3).confState().voters;
    expect(members).not.toContain(l2);
    expect(c.waitApplied('after-removal', members)).toBe(true);
  });

  it('refuses to remove the last voter', () => {
    const c = new SimCluster({ ids: ['1'], seed: 14 });
    c.raft('1').campaign();
    c.processAll();
    const res = c.raft('1').proposeConfChange({ kind: 'remove', node: '1' });
    expect(res.ok).toBe(false);
  });
});

describe('leadership transfer (thesis §3.10)', () => {
  it('hands leadership to a caught-up follower, refusing proposals meanwhile', () => {
    const c = new SimCluster({ ids: P3, seed: 15 });
    const l = c.waitLeader()!;
    const target = P3.find((x) => x !== l)!;
    expect(c.raft(l).transferLeadership(target).ok).toBe(true);
    const res = c.raft(l).propose(enc.encode('x'));
    expect(res.ok ? 'ok' : res.error.kind).toMatch(/transferring|not-leader/);
    c.runTicks(5);
    expect(c.leader()).toBe(target);
  });
});

describe('ReadIndex (thesis §6.4)', () => {
  it('the leader answers after a heartbeat quorum; a follower gets the index via the leader', () => {
    const c = new SimCluster({ ids: P3, seed: 16 });
    const l = c.waitLeader()!;
    c.proposeToLeader('w');
    c.waitApplied('w');
    const seen: number[] = [];
    for (const id of P3) {
      const raft = c.raft(id);
      const o = raft.ready.bind(raft);
      raft.ready = () => {
        const rd = o();
        for (const rs of rd.readStates) seen.push(rs.index);
        return rd;
      };
    }
    expect(c.raft(l).readIndex(enc.encode('r1')).ok).toBe(true);
    const f = P3.find((x) => x !== l)!;
    expect(c.raft(f).readIndex(enc.encode('r2')).ok).toBe(true);
    c.runTicks(3);
    const commit = c.raft(l).r.log.committed;
    expect(seen).toEqual([commit, commit]);
  });

  it('an isolated leader cannot serve a read', () => {
    const c = new SimCluster({ ids: P3, seed: 17, checkQuorum: false });
    const l = c.waitLeader()!;
    c.isolate(l);
    let served = false;
    const raft = c.raft(l);
    const o = raft.ready.bind(raft);
    raft.ready = () => {
      const rd = o();
      if (rd.readStates.length > 0) served = true;
      return rd;
    };
    raft.readIndex(enc.encode('r'));
    c.runTicks(30);
    expect(served).toBe(false);
  });
});

describe('bad input', () => {
  it('drops messages from unknown members and from old terms, counting them', () => {
    const t = newTestRaft('1', P3);
    elect(t);
    expect(t.raft.step(msg('appResp', '9', '1', t.raft.r.term, { index: 100 }))).toBe('unknown-member');
    expect(t.raft.step(msg('vote', '2', '1', 0, { index: 0, logTerm: 0 }))).toBe('stale-term');
    expect(t.raft.dropped['unknown-member']).toBe(1);
    expect(t.raft.isLeader()).toBe(true);
  });

  it('still accepts appends from a current leader it does not know yet (it has not applied that member)', () => {
    const t = newTestRaft('1', P3);
    expect(t.raft.step(msg('app', '4', '1', 2, { index: 0, logTerm: 0, entries: [], commit: 0 }))).toBeUndefined();
    expect(t.raft.leader()).toBe('4');
    expect(t.raft.step(msg('vote', '5', '1', 3, { index: 9, logTerm: 9 }))).toBe('unknown-member');
  });

  it('drops malformed appends (gaps, terms going backwards or from the future) without touching the log', () => {
    const t = newTestRaft('1', P3);
    const bad = [
      [ent(1, 2)], // does not follow index 0
      [ent(1, 1), ent(1, 3)], // gap
      [ent(2, 1), ent(1, 2)], // term decreases
      [ent(5, 1)], // term above the sender's
    ];
    for (const entries of bad) {
      expect(t.raft.step(msg('app', '2', '1', 2, { index: 0, logTerm: 0, entries, commit: 2 }))).toBe('malformed');
    }
    expect(t.raft.step(msg('app', '2', '1', -1, { index: 0 }))).toBe('malformed');
    expect(t.raft.r.log.lastIndex()).toBe(0);
    expect(t.raft.dropped.malformed).toBe(5);
  });

  it('refuses an oversized entry with a clear error', () => {
    const t = newTestRaft('1', ['1'], { maxEntryBytes: 1024 });
    t.raft.campaign();
    drain(t);
    const res = t.raft.propose(new Uint8Array(2048));
    expect(res).toMatchObject({ ok: false, error: { kind: 'too-large' } });
    expect(res.ok ? '' : res.error.message).toContain('exceeds the limit of 1024');
  });
});

describe('asynchronous storage writes (several Readys in flight)', () => {
  type T = ReturnType<typeof newTestRaft>;
  const persist = (t: T, rd: ReturnType<Raft['ready']>): void => {
    t.storage.append(rd.entries);
    if (rd.hardState) t.storage.setHardState(rd.hardState);
  };
  const leader = (): { t: T; r: Raft; base: number } => {
    const t = newTestRaft('1', P3);
    elect(t);
    const r = t.raft;
    const base = r.r.log.lastIndex();
    for (const id of ['2', '3']) r.step(msg('appResp', id, '1', r.r.term, { index: base }));
    drain(t);
    return { t, r, base };
  };

  it('a leader counts its own entries only once durable; two followers commit without it', () => {
    const { t, r, base } = leader();
    r.proposeBatch([enc.encode('a1')]);
    const rdA = r.ready(); // being persisted
    r.step(msg('appResp', '2', '1', r.r.term, { index: base + 1 }));
    expect(r.r.log.committed).toBe(base); // leader (unsynced) + one follower is not a quorum
    r.step(msg('appResp', '3', '1', r.r.term, { index: base + 1 }));
    expect(r.r.log.committed).toBe(base + 1); // both followers are
    expect(r.ready().committed.map((e) => e.index)).toEqual([base + 1]); // may be applied before rdA is durable
    persist(t, rdA);
    r.advance(rdA);
    r.proposeBatch([enc.encode('b1')]);
    const rdB = r.ready();
    r.step(msg('appResp', '2', '1', r.r.term, { index: base + 2 }));
    expect(r.r.log.committed).toBe(base + 1);
    persist(t, rdB);
    r.advance(rdB); // now the leader's own copy counts
    expect(r.r.log.committed).toBe(base + 2);
    const next = r.ready();
    expect(next.committed.map((e) => e.index)).toEqual([base + 2]);
    expect(next.messages.filter((m) => m.type === 'app').map((m) => [m.to, m.commit])).toEqual([
      ['2', base + 2],
      ['3', base + 2],
    ]);
  });

  it('hands every entry and every committed entry out once, across Readys in flight', () => {
    const { t, r, base } = leader();
    r.proposeBatch([enc.encode('a1'), enc.encode('a2')]);
    const rd1 = r.ready();
    expect(r.hasReady()).toBe(false);
    r.proposeBatch([enc.encode('b1')]);
    const rd2 = r.ready();
    expect(rd1.entries.map((e) => e.index)).toEqual([base + 1, base + 2]);
    expect(rd2.entries.map((e) => e.index)).toEqual([base + 3]);
    expect(rd2.hardState).toBeUndefined();
    for (const id of ['2', '3']) r.step(msg('appResp', id, '1', r.r.term, { index: base + 3 }));
    const rd3 = r.ready();
    expect(rd3.entries).toEqual([]);
    expect(rd3.committed.map((e) => e.index)).toEqual([base + 1, base + 2, base + 3]);
    expect(rd3.hardState?.commit).toBe(base + 3);
    for (const rd of [rd1, rd2, rd3]) {
      persist(t, rd);
      r.advance(rd);
    }
    expect(r.hasReady()).toBe(false);
    expect(r.status().applied).toBe(base + 3);
    expect(r.stableIndex()).toBe(base + 3);
  });

  it('a follower whose entries in flight are replaced by a new leader hands the replacements out again', () => {
    const t = newTestRaft('1', P3, { storage: storageWith(P3, [1, 1], { term: 2 }) });
    const r = t.raft;
    r.step(msg('app', '2', '1', 2, { index: 2, logTerm: 1, entries: [ent(2, 3), ent(2, 4), ent(2, 5)], commit: 2 }));
    const rd1 = r.ready(); // 3..5 of term 2 being persisted
    expect(rd1.entries.map((e) => e.index)).toEqual([3, 4, 5]);
    r.step(msg('app', '3', '1', 3, { index: 3, logTerm: 2, entries: [ent(3, 4)], commit: 3 }));
    const rd2 = r.ready();
    expect(rd2.entries.map((e) => [e.index, e.term])).toEqual([[4, 3]]);
    persist(t, rd1);
    r.advance(rd1); // its last entry was replaced: nothing is marked stable (3 will be, with rd2)
    expect(r.stableIndex()).toBe(2);
    persist(t, rd2);
    r.advance(rd2);
    expect(r.stableIndex()).toBe(4);
    expect([1, 2, 3, 4].map((i) => r.r.log.term(i))).toEqual([1, 1, 2, 3]);
    expect(t.storage.lastIndex()).toBe(4);
  });
});

describe('commit-only appends need no answer', () => {
  it('the leader marks an empty append to a follower known to have everything; the others are answered as usual', () => {
    const t = newTestRaft('1', P3);
    elect(t);
    const term = t.raft.r.term;
    t.raft.step(msg('appResp', '2', '1', term, { index: 1 }));
    t.raft.step(msg('appResp', '3', '1', term, { index: 1 }));
    const first = drain(t).filter((m) => m.type === 'app');
    expect(first.map((m) => [m.to, m.entries?.length, m.commit, m.noAck === true])).toEqual([
      ['2', 0, 1, true],
      ['3', 0, 1, true],
    ]);
    t.raft.propose(enc.encode('x'));
    const withEntries = drain(t).filter((m) => m.type === 'app');
    expect(withEntries.every((m) => m.entries?.length === 1 && m.noAck !== true)).toBe(true);
    t.raft.step(msg('appResp', '2', '1', term, { index: 2 })); // commits 2; 3 has not answered yet
    const second = drain(t).filter((m) => m.type === 'app');
    expect(second.map((m) => [m.to, m.commit, m.noAck === true])).toEqual([
      ['2', 2, true],
      ['3', 2, false], // 3 may lack entry 2: its answer tells the leader where it is
    ]);
  });

  it('a follower applies the commit of an accepted one silently and still answers a rejected one', () => {
    const t = newTestRaft('2', P3, { storage: storageWith(P3, [1, 1], { term: 1 }) });
    t.raft.step(msg('app', '1', '2', 1, { index: 2, logTerm: 1, commit: 2, entries: [], noAck: true }));
    expect(drain(t).filter((m) => m.type === 'appResp')).toEqual([]);
    expect(t.raft.r.log.committed).toBe(2);
    t.raft.step(msg('app', '1', '2', 1, { index: 3, logTerm: 1, commit: 3, entries: [], noAck: true }));
    const answers = drain(t).filter((m) => m.type === 'appResp');
    expect(answers.map((m) => [m.reject, m.rejectHint])).toEqual([[true, 2]]);
  });

  it('lazyCommit: the commit waits for flushCommit, rides on an append sent meanwhile, and goes out at the next tick at the latest', () => {
    const t = newTestRaft('1', P3, { lazyCommit: true });
    elect(t);
    const term = t.raft.r.term;
    t.raft.step(msg('appResp', '2', '1', term, { index: 1 }));
    t.raft.step(msg('appResp', '3', '1', term, { index: 1 })); // 3 was probing: it gets its (empty) append as usual
    expect(drain(t).filter((m) => m.type === 'app').map((m) => m.to)).toEqual(['3']);
    expect(t.raft.commitDue()).toBe(true); // 2 has not been told
    t.raft.propose(enc.encode('x')); // appends carry commit 1 to both
    expect(drain(t).map((m) => [m.type, m.to, m.commit, m.entries?.length])).toEqual([
      ['app', '2', 1, 1],
      ['app', '3', 1, 1],
    ]);
    t.raft.flushCommit(); // nothing left to tell
    expect(drain(t)).toEqual([]);
    t.raft.step(msg('appResp', '2', '1', term, { index: 2 }));
    expect(t.raft.r.log.committed).toBe(2);
    t.raft.tick(); // heartbeat tick: the commit goes out first
    const out = drain(t);
    expect(out.filter((m) => m.type === 'app').map((m) => [m.to, m.commit, m.noAck === true])).toEqual([
      ['2', 2, true],
      ['3', 2, false],
    ]);
    expect(t.raft.commitDue()).toBe(false);
  });
});
