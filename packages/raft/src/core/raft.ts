/**
 * The public face of the pure Raft core (etcd's RawNode).
 *
 *   tick()/step()/propose()/... mutate the state and queue work;
 *   hasReady()/ready() hand the queued work to the driver;
 *   advance(ready) tells the core that the driver persisted, sent and applied it.
 *
 * Asynchronous storage writes (etcd's AsyncStorageWrites): the driver may take
 * further Readys while earlier ones are still being persisted, and advances
 * each one, in order, once it is durable. Entries handed out are not handed
 * out again. A leader counts its own log towards commitment only up to what
 * is durable (advanced), so a commit never rests on an unsynced local write.
 *
 * Deterministic: no IO, no timers, no randomness except the injected rng.
 */
import { hup, tickElection } from './election.js';
import { appendEntries, bcastAppend, flushCommit, maybeCommit, tickHeartbeat } from './leader.js';
import { applyConfChange, checkConfChange, confState, transferLeadership } from './membership.js';
import { leaderReadIndex } from './readindex.js';
import { newState, type Config, type RaftState } from './state.js';
import { step, type StepError } from './step.js';
import {
  encodeConfChange,
  hardStateEqual,
  type ConfChange,
  type ConfState,
  type HardState,
  type Message,
  type NodeId,
  type Ready,
  type SoftState,
} from './types.js';

export type Result<T, E> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: E };

export type ProposeError =
  | { readonly kind: 'not-leader'; readonly leader?: NodeId; readonly message: string }
  | { readonly kind: 'too-large'; readonly message: string }
  | { readonly kind: 'transferring'; readonly message: string }
  | { readonly kind: 'conf-change-rejected'; readonly message: string };

/** Where a proposal landed; it is committed iff the entry applied at `index` has this `term`. */
export interface Proposed {
  readonly index: number;
  readonly term: number;
}

export interface Status {
  readonly id: NodeId;
  readonly term: number;
  readonly vote: NodeId;
  readonly leader: NodeId;
  readonly role: SoftState['role'];
  readonly commit: number;
  readonly applied: number;
  readonly lastIndex: number;
  readonly conf: ConfState;
  readonly progress: ReadonlyMap<NodeId, { match: number; next: number; state: string }>;
}

export function notLeader(leader: NodeId): ProposeError {
  return leader
    ? { kind: 'not-leader', leader, message: `raft: not leader, leader is ${leader}` }
    : { kind: 'not-leader', message: 'raft: not leader, no elected cluster leader' };
}

export class Raft {
  /** Exposed for tests and the simulator; drivers should use the methods. */
  readonly r: RaftState;
  private prevHard: HardState;
  private prevSoft: SoftState;
  /** Counters of dropped inbound messages, by reason. */
  readonly dropped: Record<StepError, number> = { 'unknown-member': 0, 'stale-term': 0, ignored: 0, malformed: 0 };

  constructor(cfg: Config) {
    this.r = newState(cfg);
    this.prevHard = this.hardState();
    this.prevSoft = this.softState();
  }

  tick(): void {
    if (this.r.role.kind === 'leader') tickHeartbeat(this.r);
    else tickElection(this.r);
  }
  /** Start an election now (e.g. bootstrapping a single node). */
  campaign(): void {
    hup(this.r, false);
  }
  /** lazyCommit: a new commit index waits to be broadcast (see flushCommit). */
  commitDue(): boolean {
    return this.r.commitDue;
  }
  /** lazyCommit: send the new commit index to the followers no append carried it to yet. */
  flushCommit(): void {
    flushCommit(this.r);
  }
  step(m: Message): StepError | undefined {
    const err = step(this.r, m);
    if (err) this.dropped[err]++;
    return err;
  }
  propose(data: Uint8Array): Result<Proposed, ProposeError> {
    const pre = this.checkLeader(data.length);
    if (pre) return { ok: false, error: pre };
    const index = appendEntries(this.r, [{ type: 'normal', data }]);
    bcastAppend(this.r);
    return { ok: true, value: { index, term: this.r.term } };
  }
  /** Propose many entries at once (one append message per follower). */
  proposeBatch(datas: readonly Uint8Array[]): Result<Proposed[], ProposeError> {
    for (const d of datas) {
      const pre = this.checkLeader(d.length);
      if (pre) return { ok: false, error: pre };
    }
    if (datas.length === 0) return { ok: true, value: [] };
    const last = appendEntries(this.r, datas.map((data) => ({ type: 'normal' as const, data })));
    bcastAppend(this.r);
    const first = last - datas.length + 1;
    return { ok: true, value: datas.map((_, i) => ({ index: first + i, term: this.r.term })) };
  }
  proposeConfChange(cc: ConfChange): Result<Proposed, ProposeError> {
    const data = encodeConfChange(cc);
    const pre = this.checkLeader(data.length);
    if (pre) return { ok: false, error: pre };
    const bad = checkConfChange(this.r, cc);
    if (bad) return { ok: false, error: { kind: 'conf-change-rejected', message: `raft: ${bad}` } };
    const index = appendEntries(this.r, [{ type: 'conf', data }]);
    this.r.pendingConfIndex = index;
    bcastAppend(this.r);
    return { ok: true, value: { index, term: this.r.term } };
  }
  /** The driver calls this when it applies a committed 'conf' entry. */
  applyConfChange(cc: ConfChange): ConfState {
    return applyConfChange(this.r, cc);
  }
  /** Request a linearizable read; the answer arrives as a ReadState with the same context. */
  readIndex(context: Uint8Array): Result<void, ProposeError> {
    const r = this.r;
    if (r.role.kind === 'leader') {
      leaderReadIndex(r, { type: 'readIndex', from: r.id, to: r.id, term: 0, context });
      return { ok: true, value: undefined };
    }
    if (r.lead === '') return { ok: false, error: notLeader('') };
    r.msgs.push({ type: 'readIndex', from: r.id, to: r.lead, term: r.term, context });
    return { ok: true, value: undefined };
  }
  transferLeadership(to: NodeId): Result<void, ProposeError> {
    if (this.r.role.kind !== 'leader') return { ok: false, error: notLeader(this.r.lead) };
    const err = transferLeadership(this.r, to);
    return err ? { ok: false, error: { kind: 'conf-change-rejected', message: `raft: ${err}` } } : { ok: true, value: undefined };
  }

  /**
   * The transport saw the connection to `id` fail. If `id` is our leader, forget
   * it (and with it the leader lease) so the driver may campaign early instead of
   * waiting a full election timeout. Safe: PreVote still requires a quorum that
   * has also lost the leader, and term/vote rules are untouched.
   */
  leaderLost(id: NodeId): boolean {
    if (this.r.role.kind === 'follower' && this.r.lead === id && id !== '') {
      this.r.lead = '';
      return true;
    }
    return false;
  }

  /** The transport could not deliver to `id`: stop optimistic pipelining to it. */
  reportUnreachable(id: NodeId): void {
    const pr = this.r.prs.get(id);
    if (this.r.role.kind === 'leader' && pr?.state === 'replicate') pr.becomeProbe();
  }
  /** The transport finished (or failed) sending a snapshot to `id`. */
  reportSnapshot(id: NodeId, ok: boolean): void {
    const pr = this.r.prs.get(id);
    if (this.r.role.kind !== 'leader' || pr?.state !== 'snapshot') return;
    if (!ok) pr.pendingSnapshot = 0;
    pr.becomeProbe();
    pr.probeSent = true; // wait for the follower's answer (or the next heartbeat) before probing
  }

  private checkLeader(size: number): ProposeError | undefined {
    const role = this.r.role;
    if (role.kind !== 'leader') return notLeader(this.r.lead);
    if (role.transferee !== '') return { kind: 'transferring', message: `raft: leadership is being transferred to ${role.transferee}` };
    if (size > this.r.cfg.maxEntryBytes) {
      return { kind: 'too-large', message: `raft: entry of ${size} bytes exceeds the limit of ${this.r.cfg.maxEntryBytes}` };
    }
    return undefined;
  }

  hardState(): HardState {
    return { term: this.r.term, vote: this.r.vote, commit: this.r.log.committed };
  }
  softState(): SoftState {
    return { leader: this.r.lead, role: this.r.role.kind };
  }
  confState(): ConfState {
    return confState(this.r);
  }
  isLeader(): boolean {
    return this.r.role.kind === 'leader';
  }
  leader(): NodeId {
    return this.r.lead;
  }

  hasReady(): boolean {
    const r = this.r;
    return (
      r.msgs.length > 0 ||
      r.readStates.length > 0 ||
      r.log.unstable.hasPending() ||
      r.log.hasNextEnts() ||
      !hardStateEqual(this.hardState(), this.prevHard) ||
      !softEqual(this.softState(), this.prevSoft)
    );
  }

  /**
   * Collect pending work. May be called again before advance() (the next Ready
   * holds only what is new); advance every Ready, in order.
   */
  ready(): Ready {
    const r = this.r;
    const hs = this.hardState();
    const ss = this.softState();
    const entries = r.log.unstableEntries();
    const snapshot = r.log.unstable.snapshotInProgress ? undefined : r.log.unstable.snapshot;
    const committed = r.log.nextEnts();
    if (committed.length > 0) r.log.applying = committed[committed.length - 1]!.index;
    const hardChanged = !hardStateEqual(hs, this.prevHard);
    const rd: Ready = {
      ...(softEqual(ss, this.prevSoft) ? {} : { softState: ss }),
      ...(hardChanged ? { hardState: hs } : {}),
      ...(snapshot ? { snapshot } : {}),
      entries,
      committed,
      messages: r.msgs,
      readStates: r.readStates,
      mustSync: entries.length > 0 || hs.term !== this.prevHard.term || hs.vote !== this.prevHard.vote || snapshot !== undefined,
    };
    r.msgs = [];
    r.readStates = [];
    r.log.unstable.acceptInProgress();
    this.prevHard = hs;
    this.prevSoft = ss;
    return rd;
  }

  /** `rd` is durable (and its committed entries applied); call for every Ready, in order. */
  advance(rd: Ready): void {
    const log = this.r.log;
    if (rd.snapshot) {
      log.stableSnapTo(rd.snapshot.meta.index);
      if (log.applied < rd.snapshot.meta.index) {
        log.applied = rd.snapshot.meta.index;
        log.applying = Math.max(log.applying, log.applied);
      }
    }
    const last = rd.entries[rd.entries.length - 1];
    if (last) {
      log.stableTo(last.index, last.term);
      this.selfDurable(last.index, last.term);
    }
    const lastApplied = rd.committed[rd.committed.length - 1];
    if (lastApplied && lastApplied.index > log.applied) log.appliedTo(lastApplied.index);
  }

  /** A leader's own entries up to (index, term) are durable: they count towards commitment now. */
  private selfDurable(index: number, term: number): void {
    const r = this.r;
    if (r.role.kind !== 'leader' || !r.log.matchTerm(index, term)) return;
    if (r.prs.get(r.id)?.maybeUpdate(index) && maybeCommit(r)) bcastAppend(r);
  }

  /**
   * The driver applied the committed entries handed out so far up to `index`
   * (before advancing their Ready: committed entries may be applied before
   * the Ready's own entries are durable, since a quorum has them).
   */
  appliedTo(index: number): void {
    const log = this.r.log;
    if (index > log.applied && index <= log.applying) log.appliedTo(index);
  }

  /** End of the log that is durable here (see RaftLog.stableIndex): snapshots may be taken up to it. */
  stableIndex(): number {
    return this.r.log.stableIndex();
  }

  status(): Status {
    const r = this.r;
    const progress = new Map<NodeId, { match: number; next: number; state: string }>();
    if (r.role.kind === 'leader') for (const [id, p] of r.prs) progress.set(id, { match: p.match, next: p.next, state: p.state });
    return {
      id: r.id,
      term: r.term,
      vote: r.vote,
      leader: r.lead,
      role: r.role.kind,
      commit: r.log.committed,
      applied: r.log.applied,
      lastIndex: r.log.lastIndex(),
      conf: confState(r),
      progress,
    };
  }
}

function softEqual(a: SoftState, b: SoftState): boolean {
  return a.leader === b.leader && a.role === b.role;
}
