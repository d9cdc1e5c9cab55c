/** Follower-side handling of appends, heartbeats and snapshots (Raft §5.3, §7). */
import { send, setConf, type RaftState } from './state.js';
import type { Message, Snapshot } from './types.js';

export function handleAppend(r: RaftState, m: Message): void {
  const index = m.index ?? 0;
  if (index < r.log.committed) {
    send(r, { type: 'appResp', from: r.id, to: m.from, term: r.term, index: r.log.committed });
    return;
  }
  const lastNew = r.log.maybeAppend(index, m.logTerm ?? 0, m.commit ?? 0, m.entries ?? []);
  if (lastNew !== undefined) {
    if (m.noAck && (m.entries?.length ?? 0) === 0) return;
    send(r, { type: 'appResp', from: r.id, to: m.from, term: r.term, index: lastNew });
    return;
  }
  // Reject, with a hint for fast backup: the last index whose term is <= the leader's term at `index`.
  const hintIndex = r.log.findConflictByTerm(Math.min(index, r.log.lastIndex()), m.logTerm ?? 0);
  send(r, {
    type: 'appResp',
    from: r.id,
    to: m.from,
    term: r.term,
    index,
    reject: true,
    rejectHint: hintIndex,
    logTerm: r.log.termOr0(hintIndex),
  });
}

export function handleHeartbeat(r: RaftState, m: Message): void {
  r.log.commitTo(Math.min(m.commit ?? 0, r.log.lastIndex()));
  const resp: Message = { type: 'heartbeatResp', from: r.id, to: m.from, term: r.term };
  send(r, m.context ? { ...resp, context: m.context } : resp);
}

export function handleSnapshot(r: RaftState, m: Message): void {
  if (m.snapshot && restore(r, m.snapshot)) {
    send(r, { type: 'appResp', from: r.id, to: m.from, term: r.term, index: r.log.lastIndex() });
  } else {
    send(r, { type: 'appResp', from: r.id, to: m.from, term: r.term, index: r.log.committed });
  }
}

/** Install a snapshot unless we already have everything it covers. */
function restore(r: RaftState, s: Snapshot): boolean {
  if (s.meta.index <= r.log.committed) return false;
  if (r.log.matchTerm(s.meta.index, s.meta.term)) {
    // We already have the entries; just fast-forward the commit index.
    r.log.commitTo(s.meta.index);
    return false;
  }
  r.log.restore(s);
  setConf(r, s.meta.conf);
  return true;
}
