/**
 * Membership changes one server at a time (Raft thesis §4.1) and leadership
 * transfer (thesis §3.10). A conf change is an entry of type 'conf'; it takes
 * effect when the driver applies it and calls applyConfChange().
 */
import { bcastAppend, maybeCommit, sendAppend } from './leader.js';
import { becomeFollower, send, setConf, type RaftState } from './state.js';
import { NONE, type ConfChange, type ConfState, type NodeId } from './types.js';

export function confState(r: RaftState): ConfState {
  return { voters: [...r.voters], learners: [...r.learners] };
}

/** Validate a proposed change against the current configuration; returns an error message or undefined. */
export function checkConfChange(r: RaftState, cc: ConfChange): string | undefined {
  if (r.pendingConfIndex > r.log.applied) return 'a configuration change is already in progress; wait until it is applied';
  if (cc.kind === 'remove') {
    if (!r.voters.includes(cc.node) && !r.learners.includes(cc.node)) return `node ${cc.node} is not a member`;
    if (r.voters.length === 1 && r.voters[0] === cc.node) return 'cannot remove the last voter';
  }
  if (cc.kind === 'addVoter' && r.voters.includes(cc.node)) return `node ${cc.node} is already a voter`;
  if (cc.kind === 'addLearner' && r.voters.includes(cc.node)) return `node ${cc.node} is a voter; demote by removing it first`;
  return undefined;
}

/** Apply a committed configuration change; returns the new configuration. */
export function applyConfChange(r: RaftState, cc: ConfChange): ConfState {
  let voters = r.voters.filter((v) => v !== cc.node);
  let learners = r.learners.filter((l) => l !== cc.node);
  if (cc.kind === 'addVoter') voters = [...voters, cc.node];
  else if (cc.kind === 'addLearner') learners = [...learners, cc.node];
  setConf(r, { voters, learners });
  if (cc.node === r.id && cc.kind === 'remove') r.removed = true;
  if (cc.node === r.id && cc.kind !== 'remove') r.removed = false;
  const role = r.role;
  if (role.kind === 'leader') {
    if (r.removed || !r.voters.includes(r.id)) {
      // A removed (or demoted) leader steps down; the others elect a new one.
      becomeFollower(r, r.term, NONE);
    } else {
      if (role.transferee !== NONE && !r.voters.includes(role.transferee)) role.transferee = NONE;
      if (maybeCommit(r)) bcastAppend(r);
      else bcastAppend(r);
    }
  }
  return confState(r);
}

/** Leader: hand leadership to `to` once it is caught up (TimeoutNow). */
export function transferLeadership(r: RaftState, to: NodeId): string | undefined {
  const role = r.role;
  if (role.kind !== 'leader') return 'not leader';
  if (to === r.id) return undefined;
  if (!r.voters.includes(to)) return `node ${to} is not a voter`;
  if (role.transferee === to) return undefined;
  role.transferee = to;
  role.transferElapsed = 0;
  r.electionElapsed = 0; // the transfer must finish within one election timeout
  const pr = r.prs.get(to)!;
  if (pr.match === r.log.lastIndex()) send(r, { type: 'timeoutNow', from: r.id, to, term: r.term });
  else sendAppend(r, to);
  return undefined;
}
