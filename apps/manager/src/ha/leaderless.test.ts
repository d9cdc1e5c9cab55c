import type { LeadershipChange } from '@swarm/raft';
import { describe, expect, it } from 'vitest';
import { leaderlessMessage } from './raft-store.js';

/** A Raft node stand-in: three voters, a settable leader, and what the transport sees. */
function fakeRaft(o: { leader: string; reachable: Set<string> }) {
  const listeners = new Set<(c: LeadershipChange) => void>();
  return {
    status: () => ({ leader: o.leader, conf: { voters: ['a', 'b', 'c'], learners: [] } }) as never,
    reachable: (id: string) => o.reachable.has(id),
    onLeadershipChange: (cb: (c: LeadershipChange) => void) => (listeners.add(cb), () => listeners.delete(cb)),
    lose(leader = '') {
      o.leader = leader;
      for (const l of listeners) l({ leader, isLeader: false, term: 2 });
    },
  };
}

describe('leaderlessMessage', () => {
  it('peers known down: "no quorum" with the count at once', () => {
    const raft = fakeRaft({ leader: 'a', reachable: new Set(['a']) });
    const msg = leaderlessMessage(raft, 1000, () => 0);
    raft.lose();
    expect(msg()).toBe('no quorum (2 of 3 managers unreachable)');
  });

  it('peers that look up (a blackholed partition): "no leader elected yet", then "no quorum" after three election timeouts', () => {
    let now = 10_000;
    const raft = fakeRaft({ leader: 'b', reachable: new Set(['a', 'b', 'c']) });
    const msg = leaderlessMessage(raft, 1000, () => now);
    expect(msg()).toMatch(/^no leader elected yet/); // with a leader this is not asked; the wording is the base one
    raft.lose();
    now += 2_900;
    expect(msg()).toMatch(/^no leader elected yet \(3 of 3 managers reachable\)/);
    now += 200;
    expect(msg()).toBe('no quorum (no leader for 3.1 s: this manager cannot reach a majority of the 3 managers)');
    // A leader again: the clock restarts.
    raft.lose('c');
    raft.lose();
    expect(msg()).toMatch(/^no leader elected yet/);
  });
});
