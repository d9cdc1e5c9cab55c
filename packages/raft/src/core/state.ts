/**
 * The mutable state of one Raft peer and the role transitions.
 * All functions here are pure in the IO sense: they only mutate `r` and
 * queue outgoing messages in `r.msgs`.
 */
import { RaftLog } from './log.js';
import { Progress } from './progress.js';
import type { Storage } from './storage.js';
import { NONE, type ConfState, type Message, type NodeId, type ReadState } from './types.js';

export interface Config {
  readonly id: NodeId;
  readonly storage: Storage;
  /** Election timeout in ticks; the randomized timeout is in [electionTick, 2*electionTick). Default 10. */
  readonly electionTick?: number;
  /** Heartbeat interval in ticks. Default 1. */
  readonly heartbeatTick?: number;
  /** Random source in [0, 1); injected so runs are reproducible. */
  readonly rng: () => number;
  readonly preVote?: boolean;
  readonly checkQuorum?: boolean;
  /** Max bytes of entries per append message. Default 1 MiB. */
  readonly maxSizePerMsg?: number;
  /** Max append messages in flight per follower in replicate state. Default 256. */
  readonly maxInflightMsgs?: number;
  /** Proposals with a larger payload are refused. Default 1.5 MiB (SwarmKit's limit). */
  readonly maxEntryBytes?: number;
  /** Last applied index when restarting (entries up to it are not handed out again). */
  readonly applied?: number;
  /**
   * A leader does not broadcast a new commit index at once: the driver calls
   * Raft.flushCommit() when it sees fit (appends sent meanwhile carry it; the
   * next heartbeat tick sends it at the latest). Default false (etcd's eager broadcast).
   */
  readonly lazyCommit?: boolean;
}

export interface PendingRead {
  readonly key: string;
  readonly index: number;
  readonly from: NodeId;
  readonly context: Uint8Array;
  readonly acks: Set<NodeId>;
}

export type Role =
  | { readonly kind: 'follower' }
  | { readonly kind: 'preCandidate'; readonly votes: Map<NodeId, boolean> }
  | { readonly kind: 'candidate'; readonly votes: Map<NodeId, boolean> }
  | {
      readonly kind: 'leader';
      /** ReadIndex requests waiting for a heartbeat quorum, in arrival order. */
      reads: PendingRead[];
      /** ReadIndex requests received before an entry of this term committed. */
      deferredReads: Message[];
      transferee: NodeId;
      transferElapsed: number;
    };

export interface RaftState {
  readonly id: NodeId;
  readonly cfg: Required<Omit<Config, 'applied' | 'storage'>>;
  term: number;
  vote: NodeId;
  lead: NodeId;
  role: Role;
  readonly log: RaftLog;
  voters: NodeId[];
  learners: NodeId[];
  /** Progress of every member (including self); meaningful on the leader. */
  prs: Map<NodeId, Progress>;
  electionElapsed: number;
  heartbeatElapsed: number;
  randomizedElectionTimeout: number;
  /** Index of the latest conf change proposed by this leader that may be unapplied. */
  pendingConfIndex: number;
  msgs: Message[];
  readStates: ReadState[];
  /** Set when this node has applied its own removal. */
  removed: boolean;
  /** Leader, lazyCommit: the commit index advanced and is not yet broadcast. */
  commitDue: boolean;
}

export function newState(c: Config): RaftState {
  const cfg = {
    id: c.id,
    electionTick: c.electionTick ?? 10,
    heartbeatTick: c.heartbeatTick ?? 1,
    rng: c.rng,
    preVote: c.preVote ?? true,
    checkQuorum: c.checkQuorum ?? true,
    maxSizePerMsg: c.maxSizePerMsg ?? 1024 * 1024,
    maxInflightMsgs: c.maxInflightMsgs ?? 256,
    maxEntryBytes: c.maxEntryBytes ?? 1.5 * 1024 * 1024,
    lazyCommit: c.lazyCommit ?? false,
  };
  if (c.id === NONE) throw new Error('cannot use empty id as raft id');
  if (cfg.heartbeatTick <= 0 || cfg.electionTick <= cfg.heartbeatTick) throw new Error('electionTick must be greater than heartbeatTick > 0');
  const { hardState, conf } = c.storage.initialState();
  const log = new RaftLog(c.storage);
  const r: RaftState = {
    id: c.id,
    cfg,
    term: 0,
    vote: NONE,
    lead: NONE,
    role: { kind: 'follower' },
    log,
    voters: [],
    learners: [],
    prs: new Map(),
    electionElapsed: 0,
    heartbeatElapsed: 0,
    randomizedElectionTimeout: cfg.electionTick,
    pendingConfIndex: 0,
    msgs: [],
    readStates: [],
    removed: false,
    commitDue: false,
  };
  setConf(r, conf);
  if (hardState.commit < log.committed || hardState.commit > log.lastIndex()) {
    throw new Error(`hardstate commit ${hardState.commit} is out of range [${log.committed}, ${log.lastIndex()}]`);
  }
  r.term = hardState.term;
  r.vote = hardState.vote;
  log.committed = hardState.commit;
  if (c.applied !== undefined && c.applied > 0) log.appliedTo(Math.min(c.applied, log.committed));
  becomeFollower(r, r.term, NONE);
  return r;
}

export function setConf(r: RaftState, conf: ConfState): void {
  r.voters = [...conf.voters];
  r.learners = [...conf.learners];
  const next = new Map<NodeId, Progress>();
  for (const id of [...conf.voters, ...conf.learners]) {
    const old = r.prs.get(id);
    const learner = conf.learners.includes(id);
    if (old && old.learner === learner) next.set(id, old);
    else {
      const p = new Progress(r.log.lastIndex() + 1, r.cfg.maxInflightMsgs, learner);
      if (old) {
        p.match = old.match;
        p.next = old.next;
      }
      p.recentActive = true;
      next.set(id, p);
    }
  }
  r.prs = next;
}

export function isVoter(r: RaftState, id: NodeId): boolean {
  return r.voters.includes(id);
}
export function promotable(r: RaftState): boolean {
  return isVoter(r, r.id) && !r.removed;
}

export function send(r: RaftState, m: Message): void {
  r.msgs.push(m);
}

function reset(r: RaftState, term: number): void {
  if (r.term !== term) {
    r.term = term;
    r.vote = NONE;
  }
  r.lead = NONE;
  r.electionElapsed = 0;
  r.heartbeatElapsed = 0;
  r.randomizedElectionTimeout = r.cfg.electionTick + Math.floor(r.cfg.rng() * r.cfg.electionTick);
  const last = r.log.lastIndex();
  for (const [id, p] of r.prs) {
    const np = new Progress(last + 1, r.cfg.maxInflightMsgs, p.learner);
    np.recentActive = true;
    if (id === r.id) np.match = last;
    r.prs.set(id, np);
  }
  r.pendingConfIndex = 0;
}

export function becomeFollower(r: RaftState, term: number, lead: NodeId): void {
  reset(r, term);
  r.role = { kind: 'follower' };
  r.lead = lead;
}

export function becomePreCandidate(r: RaftState): void {
  if (r.role.kind === 'leader') throw new Error('invalid transition [leader -> pre-candidate]');
  // PreVote does not change term or vote (Raft thesis §9.6).
  r.role = { kind: 'preCandidate', votes: new Map() };
  r.lead = NONE;
}

export function becomeCandidate(r: RaftState): void {
  if (r.role.kind === 'leader') throw new Error('invalid transition [leader -> candidate]');
  reset(r, r.term + 1);
  r.vote = r.id;
  r.role = { kind: 'candidate', votes: new Map() };
}

export function becomeLeader(r: RaftState): void {
  if (r.role.kind === 'follower') throw new Error('invalid transition [follower -> leader]');
  reset(r, r.term);
  r.lead = r.id;
  r.role = { kind: 'leader', reads: [], deferredReads: [], transferee: NONE, transferElapsed: 0 };
  const self = r.prs.get(r.id);
  if (self) self.becomeReplicate();
  // Conservatively assume there may be an unapplied conf change in the log (etcd does the same).
  r.pendingConfIndex = r.log.lastIndex();
}

export function pastElectionTimeout(r: RaftState): boolean {
  return r.electionElapsed >= r.randomizedElectionTimeout;
}
