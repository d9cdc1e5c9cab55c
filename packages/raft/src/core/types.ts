/**
 * Wire and state types of the pure Raft core.
 *
 * Node IDs are non-empty strings (e.g. "m1" or a decimal raft id). They are
 * opaque to the core; the empty string means "none" (no vote, no leader).
 * Terms and indexes are JS numbers (safe up to 2^53, far beyond any log).
 */
export type NodeId = string;
export const NONE: NodeId = '';

export type EntryType = 'normal' | 'conf';

export interface Entry {
  readonly term: number;
  readonly index: number;
  readonly type: EntryType;
  /** Opaque application bytes (for 'conf' entries: an encoded ConfChange). */
  readonly data: Uint8Array;
}

export interface HardState {
  readonly term: number;
  readonly vote: NodeId;
  readonly commit: number;
}

export interface ConfState {
  readonly voters: readonly NodeId[];
  readonly learners: readonly NodeId[];
}

export interface SnapshotMeta {
  readonly index: number;
  readonly term: number;
  readonly conf: ConfState;
}

export interface Snapshot {
  readonly meta: SnapshotMeta;
  readonly data: Uint8Array;
}

export type ConfChangeKind = 'addVoter' | 'addLearner' | 'remove';
export interface ConfChange {
  readonly kind: ConfChangeKind;
  readonly node: NodeId;
  /** Opaque context (e.g. the new member's address), kept for the application. */
  readonly context?: string;
}

export type MessageType =
  | 'app'
  | 'appResp'
  | 'vote'
  | 'voteResp'
  | 'preVote'
  | 'preVoteResp'
  | 'heartbeat'
  | 'heartbeatResp'
  | 'snap'
  | 'timeoutNow'
  | 'readIndex'
  | 'readIndexResp'
  | 'prop'
  | 'transferLeader';

export interface Message {
  readonly type: MessageType;
  readonly from: NodeId;
  readonly to: NodeId;
  readonly term: number;
  /** app: term of entry at `index`; vote: candidate's last log term. */
  readonly logTerm?: number;
  /** app: index preceding `entries`; appResp: last matched or rejected index. */
  readonly index?: number;
  readonly entries?: readonly Entry[];
  readonly commit?: number;
  readonly reject?: boolean;
  /** appResp reject: follower's hint of the last index it might match. */
  readonly rejectHint?: number;
  readonly snapshot?: Snapshot;
  /** Opaque request context (read index requests, transfer campaign marker). */
  readonly context?: Uint8Array;
  /**
   * app: the leader knows the follower has every entry up to `index`; this append
   * only carries the commit index, so accepting it needs no answer (a rejection is
   * still answered).
   */
  readonly noAck?: boolean;
}

export type RoleKind = 'follower' | 'preCandidate' | 'candidate' | 'leader';

export interface SoftState {
  readonly leader: NodeId;
  readonly role: RoleKind;
}

export interface ReadState {
  readonly index: number;
  readonly context: Uint8Array;
}

/**
 * A batch of work the driver must do, in this order:
 *  1. persist `hardState` (if set), `snapshot` (if set) and `entries` — fsync if `mustSync`;
 *  2. send `messages`;
 *  3. apply `committed` entries (and the snapshot, if set) to the state machine;
 *  4. call `advance(ready)`.
 * Asynchronous writes: a driver may take the next Ready before advancing this one
 * (advancing all in order), send a leader's `app`/`heartbeat`/`snap`/`timeoutNow`
 * messages before persisting, and apply `committed` entries before persisting
 * (they are committed: a quorum has them durably). Everything else in `messages`
 * waits for this Ready's write, and a snapshot must be persisted before it is applied.
 * The core keeps no reference that the driver may mutate; the driver must not mutate the arrays.
 */
export interface Ready {
  readonly softState?: SoftState;
  readonly hardState?: HardState;
  readonly entries: readonly Entry[];
  readonly snapshot?: Snapshot;
  readonly committed: readonly Entry[];
  readonly messages: readonly Message[];
  readonly readStates: readonly ReadState[];
  readonly mustSync: boolean;
}

export function isEmptyHardState(h: HardState): boolean {
  return h.term === 0 && h.vote === NONE && h.commit === 0;
}

export function hardStateEqual(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}

export function isResponse(t: MessageType): boolean {
  return t === 'appResp' || t === 'voteResp' || t === 'preVoteResp' || t === 'heartbeatResp' || t === 'readIndexResp';
}

export function voteRespType(t: 'vote' | 'preVote'): MessageType {
  return t === 'vote' ? 'voteResp' : 'preVoteResp';
}

export function assertNever(x: never): never {
  throw new Error(`unexpected value: ${JSON.stringify(x)}`);
}

const enc = new TextEncoder();
const dec = new TextDecoder();
export function encodeConfChange(cc: ConfChange): Uint8Array {
  return enc.encode(JSON.stringify(cc));
}
export function decodeConfChange(data: Uint8Array): ConfChange | undefined {
  try {
    const v = JSON.parse(dec.decode(data)) as Partial<ConfChange>;
    if ((v.kind === 'addVoter' || v.kind === 'addLearner' || v.kind === 'remove') && typeof v.node === 'string' && v.node !== '') {
      return v.context === undefined ? { kind: v.kind, node: v.node } : { kind: v.kind, node: v.node, context: String(v.context) };
    }
  } catch {
    /* fallthrough */
  }
  return undefined;
}

export function entriesSize(ents: readonly Entry[]): number {
  let n = 0;
  for (const e of ents) n += e.data.length + 24;
  return n;
}
