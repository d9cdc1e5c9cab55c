import type { LeadershipChange, NodeError } from '@swarm/raft';
import type { Result } from '@swarm/shared';
import { describe, expect, it, vi } from 'vitest';
import { leaderCaughtUp, runLeaderDuties } from './duties.js';

type ReadResult = Result<number, NodeError>;

/** A Raft node stand-in whose ReadIndex answers are handed out by the test. */
function fakeRaft(role: 'leader' | 'follower') {
  const listeners = new Set<(c: LeadershipChange) => void>();
  const reads: Array<(r: ReadResult) => void> = [];
  const raft = {
    role,
    reads,
    status: () => ({ role: raft.role }) as never,
    readIndex: () => new Promise<ReadResult>((res) => reads.push(res)),
    onLeadershipChange: (cb: (c: LeadershipChange) => void) => (listeners.add(cb), () => listeners.delete(cb)),
    become(r: 'leader' | 'follower') {
      raft.role = r;
      for (const l of listeners) l({ leader: r === 'leader' ? 'me' : '', isLeader: r === 'leader', term: 2 });
    },
  };
  return raft;
}

const until = async (cond: () => boolean, ms = 3000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe('leader duties', () => {
  it('start only once the new leader applied what its predecessor committed (a ReadIndex round)', async () => {
    const raft = fakeRaft('leader');
    let starts = 0;
    const duties = runLeaderDuties({ raft, log: () => {}, start: async () => (starts++, []) });
    await until(() => raft.reads.length === 1);
    await new Promise((r) => setTimeout(r, 50));
    expect(starts).toBe(0); // the store may still lack committed entries: nothing decides on it yet
    expect(duties.isActive()).toBe(false);
    raft.reads[0]!({ ok: true, value: 7 });
    await until(() => starts === 1);
    expect(duties.isActive()).toBe(true);
    await duties.stop();
  });

  it('leadership lost before the barrier: nothing starts', async () => {
    const raft = fakeRaft('leader');
    let starts = 0;
    const duties = runLeaderDuties({ raft, log: () => {}, start: async () => (starts++, []) });
    await until(() => raft.reads.length === 1);
    raft.become('follower'); // the read is never answered (a deposed leader drops it)
    await duties.idle();
    expect(starts).toBe(0);
    expect(duties.isActive()).toBe(false);
    await duties.stop();
  });
});

describe('leaderCaughtUp', () => {
  it('asks again after a refusal or an unanswered read, and gives up when leadership ends', async () => {
    const raft = fakeRaft('leader');
    const done = leaderCaughtUp(raft, () => raft.role === 'leader', 20);
    await until(() => raft.reads.length === 1);
    raft.reads[0]!({ ok: false, error: { kind: 'not-leader', message: 'raft: not leader' } as NodeError });
    await until(() => raft.reads.length === 2);
    await until(() => raft.reads.length === 3); // the second read timed out unanswered
    raft.reads[2]!({ ok: true, value: 3 });
    expect(await done).toBe(true);

    const lost = leaderCaughtUp(raft, () => raft.role === 'leader', 20);
    await until(() => raft.reads.length === 4);
    raft.role = 'follower';
    expect(await lost).toBe(false);
  });

  it('a refusal that ends leadership returns at once, without waiting out the retry pause', async () => {
    vi.useFakeTimers();
    try {
      const raft = fakeRaft('leader');
      const done = leaderCaughtUp(raft, () => raft.role === 'leader', 10_000);
      expect(raft.reads).toHaveLength(1);
      raft.role = 'follower'; // stopping: the read is refused because leadership is gone
      raft.reads[0]!({ ok: false, error: { kind: 'not-leader', message: 'raft: not leader' } as NodeError });
      let settled: boolean | undefined;
      void done.then((v) => (settled = v));
      await vi.advanceTimersByTimeAsync(1); // far less than the 10 s pause
      expect(settled).toBe(false);
    } finally {
      vi.useRealTimers();
    }
  });
});
