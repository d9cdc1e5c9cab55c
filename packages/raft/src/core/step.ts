/**
 * Message dispatch: term rules common to every role (Raft §5.1), then one
 * handler per message type and role.
 */
import { handleVoteRequest, handleVoteResponse, hup, isTransferCampaign } from './election.js';
import { handleAppend, handleHeartbeat, handleSnapshot } from './follower.js';
import { handleAppendResponse, handleHeartbeatResponse } from './leader.js';
import { followerReadIndex, leaderReadIndex } from './readindex.js';
import { becomeFollower, send, type RaftState } from './state.js';
import { NONE, assertNever, type Message } from './types.js';

export type StepError = 'unknown-member' | 'stale-term' | 'ignored' | 'malformed';

/** Returns undefined when the message was processed, or why it was dropped. */
export function step(r: RaftState, m: Message): StepError | undefined {
  if (!wellFormed(m)) return 'malformed';
  if (isFromStranger(r, m)) return 'unknown-member';
  if (m.term > r.term) {
    if (!onHigherTerm(r, m)) return 'ignored';
  } else if (m.term < r.term) {
    onLowerTerm(r, m);
    return 'stale-term';
  }
  switch (m.type) {
    case 'vote':
    case 'preVote':
      handleVoteRequest(r, m);
      return undefined;
    case 'voteResp':
    case 'preVoteResp':
      handleVoteResponse(r, m);
      return undefined;
    case 'app':
    case 'heartbeat':
    case 'snap':
      return onLeaderMessage(r, m);
    case 'appResp':
      if (r.role.kind === 'leader') handleAppendResponse(r, m);
      return undefined;
    case 'heartbeatResp':
      if (r.role.kind === 'leader') handleHeartbeatResponse(r, m);
      return undefined;
    case 'timeoutNow':
      if (r.role.kind === 'follower') hup(r, true);
      return undefined;
    case 'readIndex':
      if (r.role.kind === 'leader') leaderReadIndex(r, m);
      else followerReadIndex(r, m);
      return undefined;
    case 'readIndexResp':
      if (r.role.kind !== 'leader') followerReadIndex(r, m);
      return undefined;
    case 'prop':
    case 'transferLeader':
      return 'ignored'; // local-only requests are API calls, never network messages
    default:
      return assertNever(m.type);
  }
}

const nat = (x: number | undefined): boolean => x === undefined || (Number.isSafeInteger(x) && x >= 0);

/** Shape checks a peer's message must pass before it may touch the log. */
export function wellFormed(m: Message): boolean {
  if (!nat(m.term) || !nat(m.index) || !nat(m.logTerm) || !nat(m.commit) || !nat(m.rejectHint) || m.from === '') return false;
  if (m.entries) {
    let expect = (m.index ?? 0) + 1;
    let prevTerm = m.logTerm ?? 0;
    for (const e of m.entries) {
      // contiguous after `index`, terms never decreasing and never above the sender's term
      if (e.index !== expect++ || !nat(e.term) || e.term < prevTerm || e.term > m.term) return false;
      prevTerm = e.term;
    }
  }
  const s = m.snapshot;
  if (s && (!nat(s.meta.index) || !nat(s.meta.term) || s.meta.term > m.term || s.meta.index === 0)) return false;
  return true;
}

/**
 * Messages from nodes outside our (applied) configuration are dropped — this is
 * how removed members are kept out — except what a leader of a term at least
 * ours sends: a member that has not yet applied a newer configuration must
 * still accept the leader that will bring it up to date.
 */
function isFromStranger(r: RaftState, m: Message): boolean {
  if (r.prs.size === 0 || r.prs.has(m.from) || m.from === r.id) return false;
  const fromLeader = m.type === 'app' || m.type === 'heartbeat' || m.type === 'snap';
  return !(fromLeader && m.term >= r.term);
}

/** Returns false when the message must be ignored. */
function onHigherTerm(r: RaftState, m: Message): boolean {
  if (m.type === 'vote' || m.type === 'preVote') {
    // Leader lease: a node that heard from a leader within the minimum election
    // timeout ignores vote requests (thesis §4.2.3), unless it is a transfer.
    const inLease = r.cfg.checkQuorum && r.lead !== NONE && r.electionElapsed < r.cfg.electionTick;
    if (inLease && !isTransferCampaign(m)) return false;
    if (m.type === 'preVote') return true; // never change term on a pre-vote
    becomeFollower(r, m.term, NONE);
    return true;
  }
  if (m.type === 'preVoteResp' && !m.reject) return true; // our own pre-vote granted at the future term
  const lead = m.type === 'app' || m.type === 'heartbeat' || m.type === 'snap' ? m.from : NONE;
  becomeFollower(r, m.term, lead);
  return true;
}

function onLowerTerm(r: RaftState, m: Message): void {
  if ((r.cfg.checkQuorum || r.cfg.preVote) && (m.type === 'app' || m.type === 'heartbeat')) {
    // A stale leader (e.g. after a partition) learns our term and steps down.
    send(r, { type: 'appResp', from: r.id, to: m.from, term: r.term });
  } else if (m.type === 'preVote') {
    send(r, { type: 'preVoteResp', from: r.id, to: m.from, term: r.term, reject: true });
  }
}

function onLeaderMessage(r: RaftState, m: Message): StepError | undefined {
  const kind = r.role.kind;
  if (kind === 'leader') return 'ignored'; // impossible in a correct cluster: two leaders of one term
  if (kind !== 'follower' || r.lead !== m.from) becomeFollower(r, m.term, m.from);
  r.electionElapsed = 0;
  if (m.type === 'app') handleAppend(r, m);
  else if (m.type === 'heartbeat') handleHeartbeat(r, m);
  else handleSnapshot(r, m);
  return undefined;
}
