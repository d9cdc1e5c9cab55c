/** Majority-quorum maths (pure). */
import type { NodeId } from './types.js';

export type VoteResult = 'pending' | 'lost' | 'won';

/**
 * The largest index acknowledged by a majority of `voters`.
 * `acked(id)` returns the match index of a voter (0 if unknown).
 * An empty configuration commits everything (Infinity), as in etcd.
 */
export function committedIndex(voters: readonly NodeId[], acked: (id: NodeId) => number): number {
  const n = voters.length;
  if (n === 0) return Number.MAX_SAFE_INTEGER;
  const idx = voters.map(acked).sort((a, b) => b - a);
  return idx[Math.floor(n / 2)]!;
}

/** Outcome of an election given the votes received so far (true = granted). */
export function voteResult(voters: readonly NodeId[], votes: ReadonlyMap<NodeId, boolean>): VoteResult {
  if (voters.length === 0) return 'won';
  let granted = 0;
  let rejected = 0;
  for (const id of voters) {
    const v = votes.get(id);
    if (v === true) granted++;
    else if (v === false) rejected++;
  }
  const q = quorumSize(voters.length);
  if (granted >= q) return 'won';
  if (voters.length - rejected >= q) return 'pending';
  return 'lost';
}

export function quorumSize(n: number): number {
  return Math.floor(n / 2) + 1;
}
