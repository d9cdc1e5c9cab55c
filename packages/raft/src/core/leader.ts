/** Leader-side replication: appends, heartbeats, acknowledgements and commitment (Raft §5.3, §5.4). */
import { committedIndex, quorumSize } from './quorum.js';
import { becomeFollower, send, type RaftState } from './state.js';
import { StorageError } from './storage.js';
import { NONE, type Entry, type Message, type NodeId } from './types.js';
import { releaseDeferredReads, onReadAck } from './readindex.js';

/** Send an append (or a snapshot) to `to` if its progress allows. Returns true if something was sent. */
export function sendAppend(r: RaftState, to: NodeId, sendIfEmpty = true): boolean {
  const pr = r.prs.get(to);
  if (!pr || to === r.id || pr.isPaused()) return false;
  const prevIndex = pr.next - 1;
  const prevTerm = r.log.term(prevIndex);
  let ents: Entry[] | undefined;
  if (prevTerm !== undefined) {
    try {
      ents = r.log.entriesFrom(pr.next, r.cfg.maxSizePerMsg);
    } catch (e) {
      if (!(e instanceof StorageError)) throw e;
    }
  }
  if (prevTerm === undefined || ents === undefined) return sendSnapshot(r, to);
  if (ents.length === 0 && !sendIfEmpty) return false;
  const m: Message = { type: 'app', from: r.id, to, term: r.term, index: prevIndex, logTerm: prevTerm, entries: ents, commit: r.log.committed };
  // Only news is the commit index to a follower known to have everything: no acceptance answer needed.
  send(r, ents.length === 0 && pr.state === 'replicate' && pr.match === prevIndex ? { ...m, noAck: true } : m);
  pr.sentCommit = Math.max(pr.sentCommit, r.log.committed);
  pr.sentEntries(ents.length, prevIndex + ents.length);
  return true;
}

/** The entries the follower needs are compacted: send the latest snapshot (§7). */
function sendSnapshot(r: RaftState, to: NodeId): boolean {
  const pr = r.prs.get(to)!;
  if (!pr.recentActive) return false;
  const snap = r.log.snapshot();
  if (snap.meta.index === 0) throw new Error('need non-empty snapshot');
  pr.becomeSnapshot(snap.meta.index);
  send(r, { type: 'snap', from: r.id, to, term: r.term, snapshot: snap });
  return true;
}

export function bcastAppend(r: RaftState): void {
  for (const id of r.prs.keys()) if (id !== r.id) sendAppend(r, id);
}

/** The commit index advanced: tell the followers now, or later (lazyCommit, see flushCommit). */
function commitAdvanced(r: RaftState): void {
  if (r.cfg.lazyCommit) r.commitDue = true;
  else bcastAppend(r);
}

/** Send the commit index to every follower no append has carried it to yet. */
export function flushCommit(r: RaftState): void {
  if (!r.commitDue) return;
  r.commitDue = false;
  if (r.role.kind !== 'leader') return;
  for (const [id, pr] of r.prs) if (id !== r.id && pr.sentCommit < r.log.committed) sendAppend(r, id);
}

export function sendHeartbeat(r: RaftState, to: NodeId, context?: Uint8Array): void {
  const pr = r.prs.get(to);
  if (!pr) return;
  // Never tell a follower to commit past what it is known to have (it may not have those entries).
  const commit = Math.min(pr.match, r.log.committed);
  const m: Message = { type: 'heartbeat', from: r.id, to, term: r.term, commit };
  send(r, context ? { ...m, context } : m);
}

export function bcastHeartbeat(r: RaftState, context?: Uint8Array): void {
  for (const id of r.prs.keys()) if (id !== r.id) sendHeartbeat(r, id, context);
}

/**
 * Append entries proposed on this leader; stamps term and index. Returns the
 * last new index. They count as matched here only once durable (Raft.advance).
 */
export function appendEntries(r: RaftState, ents: readonly Pick<Entry, 'type' | 'data'>[]): number {
  let li = r.log.lastIndex();
  const stamped = ents.map((e): Entry => ({ term: r.term, index: ++li, type: e.type, data: e.data }));
  r.log.append(stamped);
  return li;
}

/**
 * Advance the commit index to the highest index replicated on a majority, but
 * only if that entry is from the current term (§5.4.2, Figure 8).
 */
export function maybeCommit(r: RaftState): boolean {
  const mci = committedIndex(r.voters, (id) => r.prs.get(id)?.match ?? 0);
  const ok = r.log.maybeCommit(Math.min(mci, r.log.lastIndex()), r.term);
  if (ok) releaseDeferredReads(r);
  return ok;
}

export function onBecomeLeader(r: RaftState): void {
  // An empty entry of the new term lets the leader commit entries of earlier terms (§5.4.2, §8).
  appendEntries(r, [{ type: 'normal', data: new Uint8Array() }]);
  bcastAppend(r);
}

export function handleAppendResponse(r: RaftState, m: Message): void {
  const pr = r.prs.get(m.from);
  if (!pr) return;
  pr.recentActive = true;
  if (m.reject) {
    let hint = m.rejectHint ?? 0;
    if ((m.logTerm ?? 0) > 0) hint = r.log.findConflictByTerm(hint, m.logTerm!);
    if (pr.maybeDecrTo(m.index ?? 0, hint)) {
      if (pr.state === 'replicate') pr.becomeProbe();
      sendAppend(r, m.from);
    }
    return;
  }
  const oldPaused = pr.isPaused();
  const idx = m.index ?? 0;
  const updated = pr.maybeUpdate(idx);
  if (pr.state === 'snapshot' && pr.match >= pr.pendingSnapshot) {
    // The follower has everything the snapshot covered (it may have had it already).
    pr.becomeProbe();
    if (pr.match + 1 >= r.log.firstIndex()) pr.becomeReplicate();
    if (!updated) {
      sendAppend(r, m.from);
      return;
    }
  } else if (!updated) {
    return;
  } else if (pr.state === 'probe') pr.becomeReplicate();
  else if (pr.state === 'replicate') pr.inflights.freeLE(idx);

  if (maybeCommit(r)) commitAdvanced(r);
  else if (oldPaused) sendAppend(r, m.from);
  while (sendAppend(r, m.from, false)) {
    /* keep the pipeline full */
  }
  const role = r.role;
  if (role.kind === 'leader' && m.from === role.transferee && pr.match === r.log.lastIndex()) {
    send(r, { type: 'timeoutNow', from: r.id, to: m.from, term: r.term });
  }
}

export function handleHeartbeatResponse(r: RaftState, m: Message): void {
  const pr = r.prs.get(m.from);
  if (!pr) return;
  pr.recentActive = true;
  pr.probeSent = false;
  if (pr.state === 'replicate' && pr.inflights.full()) pr.inflights.freeFirstOne();
  if (pr.match < r.log.lastIndex()) sendAppend(r, m.from);
  if (m.context && m.context.length > 0) onReadAck(r, m.from, m.context);
}

/** Leader tick: heartbeats, CheckQuorum (§6.2 of the thesis) and transfer timeout. */
export function tickHeartbeat(r: RaftState): void {
  const role = r.role;
  if (role.kind !== 'leader') return;
  flushCommit(r);
  r.heartbeatElapsed++;
  r.electionElapsed++;
  if (r.electionElapsed >= r.cfg.electionTick) {
    r.electionElapsed = 0;
    if (r.cfg.checkQuorum) {
      if (!quorumActive(r)) {
        becomeFollower(r, r.term, NONE);
        return;
      }
    }
    if (role.transferee !== NONE) role.transferee = NONE; // transfer timed out
    for (const pr of r.prs.values()) {
      // A snapshot that got no answer for a whole election timeout is presumed lost.
      if (pr.state === 'snapshot' && ++pr.snapshotRounds >= 2) pr.becomeProbe();
    }
  }
  if (r.heartbeatElapsed >= r.cfg.heartbeatTick) {
    r.heartbeatElapsed = 0;
    bcastHeartbeat(r);
  }
}

function quorumActive(r: RaftState): boolean {
  let active = 0;
  for (const id of r.voters) {
    const pr = r.prs.get(id);
    if (id === r.id || pr?.recentActive) active++;
  }
  for (const [id, pr] of r.prs) if (id !== r.id) pr.recentActive = false;
  return active >= quorumSize(r.voters.length);
}
