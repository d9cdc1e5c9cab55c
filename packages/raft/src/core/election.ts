/** Leader election: timeouts, (pre-)campaigns, votes (Raft §5.2, §5.4.1; thesis §9.6 PreVote). */
import { onBecomeLeader } from './leader.js';
import { voteResult } from './quorum.js';
import {
  becomeCandidate,
  becomeFollower,
  becomeLeader,
  becomePreCandidate,
  pastElectionTimeout,
  promotable,
  send,
  type RaftState,
} from './state.js';
import { NONE, voteRespType, type Message } from './types.js';

export const TRANSFER_CONTEXT = new TextEncoder().encode('transfer');

export function isTransferCampaign(m: Message): boolean {
  return m.context !== undefined && m.context.length === TRANSFER_CONTEXT.length && m.context.every((b, i) => b === TRANSFER_CONTEXT[i]);
}

/** Follower/candidate tick: start an election when the randomized timeout passes (§5.2). */
export function tickElection(r: RaftState): void {
  r.electionElapsed++;
  if (promotable(r) && pastElectionTimeout(r)) {
    r.electionElapsed = 0;
    hup(r, false);
  }
}

/**
 * Committed but unapplied entries include a conf change. Entries covered by a
 * snapshot are not scanned (they may be compacted; the snapshot's configuration
 * is already in force).
 */
function hasUnappliedConfChange(r: RaftState): boolean {
  const lo = Math.max(r.log.applied + 1, r.log.firstIndex());
  if (r.log.committed < lo) return false;
  const ents = r.log.slice(lo, r.log.committed + 1, Number.MAX_SAFE_INTEGER);
  return ents.some((e) => e.type === 'conf');
}

/**
 * Start an election (or pre-election) unless this node cannot lead. Not while
 * a snapshot received from a leader is being installed: the driver may tick or
 * campaign while a Ready is still being persisted, and the entries between the
 * applied index and the snapshot are then already compacted away.
 */
export function hup(r: RaftState, transfer: boolean): void {
  if (r.role.kind === 'leader' || !promotable(r)) return;
  if (r.log.unstable.snapshot !== undefined || hasUnappliedConfChange(r)) return;
  if (r.cfg.preVote && !transfer) campaign(r, 'preVote', false);
  else campaign(r, 'vote', transfer);
}

function campaign(r: RaftState, type: 'preVote' | 'vote', transfer: boolean): void {
  let term: number;
  if (type === 'preVote') {
    becomePreCandidate(r);
    term = r.term + 1; // the term we would use; r.term itself is not bumped
  } else {
    becomeCandidate(r);
    term = r.term;
  }
  if (tally(r, r.id, true) === 'won') return;
  for (const id of r.voters) {
    if (id === r.id) continue;
    const m: Message = { type, from: r.id, to: id, term, index: r.log.lastIndex(), logTerm: r.log.lastTerm() };
    send(r, transfer ? { ...m, context: TRANSFER_CONTEXT } : m);
  }
}

/** Record a vote and act on the outcome. */
function tally(r: RaftState, from: string, granted: boolean): 'won' | 'lost' | 'pending' {
  const role = r.role;
  if (role.kind !== 'candidate' && role.kind !== 'preCandidate') return 'pending';
  if (!role.votes.has(from)) role.votes.set(from, granted);
  const res = voteResult(r.voters, role.votes);
  if (res === 'won') {
    if (role.kind === 'preCandidate') campaign(r, 'vote', false);
    else {
      becomeLeader(r);
      onBecomeLeader(r);
    }
  } else if (res === 'lost') {
    becomeFollower(r, r.term, NONE);
  }
  return res;
}

/** A candidate or pre-candidate receives a vote response for its own term. */
export function handleVoteResponse(r: RaftState, m: Message): void {
  const kind = r.role.kind;
  if ((kind === 'preCandidate' && m.type === 'preVoteResp') || (kind === 'candidate' && m.type === 'voteResp')) {
    tally(r, m.from, !m.reject);
  }
}

/**
 * Any role receives a (pre-)vote request whose term is >= ours (§5.2, §5.4.1):
 * grant when we have not voted for someone else this term and the candidate's
 * log is at least as up to date as ours.
 */
export function handleVoteRequest(r: RaftState, m: Message): void {
  const t = m.type as 'vote' | 'preVote';
  const canVote =
    r.vote === m.from ||
    (r.vote === NONE && r.lead === NONE) ||
    (t === 'preVote' && m.term > r.term);
  if (canVote && r.log.isUpToDate(m.index ?? 0, m.logTerm ?? 0)) {
    // A pre-vote reply carries the requested term so the pre-candidate counts it.
    send(r, { type: voteRespType(t), from: r.id, to: m.from, term: m.term });
    if (t === 'vote') {
      r.electionElapsed = 0;
      r.vote = m.from;
    }
  } else {
    send(r, { type: voteRespType(t), from: r.id, to: m.from, term: r.term, reject: true });
  }
}
