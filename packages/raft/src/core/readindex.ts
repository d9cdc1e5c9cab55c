/**
 * Linearizable reads without log writes (ReadIndex, Raft thesis §6.4):
 * the leader records its commit index, confirms it is still leader with a
 * round of heartbeats acknowledged by a quorum, then releases the read at
 * that index. A leader first needs an entry of its own term committed.
 */
import { quorumSize } from './quorum.js';
import { send, type RaftState } from './state.js';
import type { Message, NodeId } from './types.js';
import { bcastHeartbeat } from './leader.js';

export function contextKey(ctx: Uint8Array): string {
  return Buffer.from(ctx.buffer, ctx.byteOffset, ctx.byteLength).toString('hex');
}

function committedEntryInCurrentTerm(r: RaftState): boolean {
  return r.log.term(r.log.committed) === r.term;
}

/** Handle a read request addressed to the leader (`m.from` is self for local requests). */
export function leaderReadIndex(r: RaftState, m: Message): void {
  const role = r.role;
  if (role.kind !== 'leader') return;
  const ctx = m.context ?? new Uint8Array();
  if (!committedEntryInCurrentTerm(r)) {
    role.deferredReads.push(m);
    return;
  }
  if (r.voters.length === 1 && r.voters[0] === r.id) {
    respond(r, m.from, r.log.committed, ctx);
    return;
  }
  const key = contextKey(ctx);
  if (role.reads.some((p) => p.key === key)) return; // duplicate request
  role.reads.push({ key, index: r.log.committed, from: m.from, context: ctx, acks: new Set([r.id]) });
  bcastHeartbeat(r, ctx);
}

function respond(r: RaftState, to: NodeId, index: number, context: Uint8Array): void {
  if (to === r.id) r.readStates.push({ index, context });
  else send(r, { type: 'readIndexResp', from: r.id, to, term: r.term, index, context });
}

/** A heartbeat response carrying a read context arrived from `from`. */
export function onReadAck(r: RaftState, from: NodeId, ctx: Uint8Array): void {
  const role = r.role;
  if (role.kind !== 'leader' || !r.voters.includes(from)) return;
  const key = contextKey(ctx);
  const at = role.reads.findIndex((p) => p.key === key);
  if (at < 0) return;
  const pr = role.reads[at]!;
  pr.acks.add(from);
  let votes = 0;
  for (const v of r.voters) if (pr.acks.has(v)) votes++;
  if (votes < quorumSize(r.voters.length)) return;
  // Confirmed leadership at this point also confirms every earlier request.
  const done = role.reads.splice(0, at + 1);
  for (const d of done) respond(r, d.from, d.index, d.context);
}

export function releaseDeferredReads(r: RaftState): void {
  const role = r.role;
  if (role.kind !== 'leader' || role.deferredReads.length === 0 || !committedEntryInCurrentTerm(r)) return;
  const pending = role.deferredReads;
  role.deferredReads = [];
  for (const m of pending) leaderReadIndex(r, m);
}

/** Follower side: forward to the leader, or record the leader's answer. */
export function followerReadIndex(r: RaftState, m: Message): void {
  if (m.type === 'readIndex') {
    if (r.lead === '') return;
    send(r, { type: 'readIndex', from: r.id, to: r.lead, term: r.term, ...(m.context ? { context: m.context } : {}) });
  } else if (m.type === 'readIndexResp') {
    r.readStates.push({ index: m.index ?? 0, context: m.context ?? new Uint8Array() });
  }
}
