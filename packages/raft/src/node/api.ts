/** The public types of the driver: what the cluster store implements and calls. */
import type * as grpc from '@grpc/grpc-js';
import type { ProposeError, Result, Status } from '../core/raft.js';
import type { ConfState, NodeId } from '../core/types.js';
import type { WaitError } from './wait.js';

export interface AppliedEntry {
  readonly index: number;
  readonly term: number;
  readonly data: Uint8Array;
}

/** The application the log drives (the cluster store plugs in here). Calls are serialized. */
export interface StateMachine<R = unknown> {
  apply(entry: AppliedEntry): R;
  snapshot(): Uint8Array;
  restore(data: Uint8Array): void;
}

export interface RaftNodeOptions<R> {
  readonly id: NodeId;
  readonly dir: string;
  /** host:port to listen on for Raft traffic. */
  readonly listen: string;
  /** Founding members (id -> address, including this node) of a new cluster; with `join`, just whom to talk to. */
  readonly peers: Readonly<Record<NodeId, string>>;
  /** Join an existing cluster instead of bootstrapping one (a member must add us first). */
  readonly join?: boolean;
  readonly stateMachine: StateMachine<R>;
  /** Length of a tick in ms. Default 100. */
  readonly tickMs?: number;
  /** Election timeout is random in [electionTick, 2*electionTick) ticks. Default 10. */
  readonly electionTick?: number;
  /** Heartbeat every heartbeatTick ticks. Default 1. */
  readonly heartbeatTick?: number;
  /** Snapshot and compact after this many applied entries. Default 10,000 (SwarmKit). */
  readonly snapshotInterval?: number;
  /** Entries kept below a snapshot for slow followers. Default 500 (SwarmKit). */
  readonly keepEntries?: number;
  /** Largest proposal accepted, in bytes. Default 1.5 MiB (SwarmKit). */
  readonly maxEntryBytes?: number;
  /** Append messages in flight per follower. Default 256. */
  readonly maxInflightMsgs?: number;
  /** Serve Raft on this already-bound server (e.g. the manager's remote API); `listen` is then the advertised address. */
  readonly server?: grpc.Server;
  /** Refuses an inbound Raft stream when it returns a reason (e.g. the caller's certificate is not a manager's). */
  readonly authorize?: (call: grpc.ServerReadableStream<Buffer, Buffer>) => string | undefined;
  /**
   * Disaster recovery: keep every committed entry, drop the rest, and restart as the only
   * member (etcd's --force-new-cluster). The old directory is kept beside `dir` as a backup.
   */
  readonly forceNewCluster?: boolean;
  /** mTLS: pass credentials built from the CA's certificates. Default insecure. */
  readonly serverCredentials?: grpc.ServerCredentials;
  readonly channelCredentials?: grpc.ChannelCredentials;
  /** Where to dial a member known at `address` (default: `address`); tests route through fault proxies. */
  readonly dialAddress?: (id: NodeId, address: string) => string;
  /** Randomness for election jitter. Default Math.random. */
  readonly rng?: () => number;
  /** Operational warnings (torn WAL tail, dropped strangers, fatal loop errors). */
  readonly log?: (msg: string) => void;
  /** Latency tracing (benchmarks): called at each stage of the commit path with the highest log index it covers. */
  readonly trace?: (stage: TraceStage, index: number) => void;
}

/**
 * Commit-path stages: a proposal batch entered the log; a Ready with entries
 * started persisting; its fsync finished; a follower received an append; the
 * leader received an acknowledgement; a Ready carried commits; entries were
 * applied; a snapshot started / finished (its file is durable).
 */
export type TraceStage = 'propose' | 'append' | 'persisted' | 'recv' | 'ack' | 'commit' | 'apply' | 'snapStart' | 'snapEnd';

export type NodeError = ProposeError | WaitError;

export interface LeadershipChange {
  readonly leader: NodeId;
  readonly isLeader: boolean;
  readonly term: number;
}

/**
 * A running member. `propose` resolves when the entry is applied here (value =
 * what StateMachine.apply returned); it never forwards: on a follower it fails
 * fast with `{kind: 'not-leader', leader}`.
 */
export interface RaftNode<R> {
  readonly id: NodeId;
  /** The bound port of the Raft listener. */
  readonly port: number;
  propose(data: Uint8Array): Promise<Result<R, NodeError>>;
  /** Linearizable read barrier: resolves with an index once this node applied at least up to it. */
  readIndex(): Promise<Result<number, NodeError>>;
  addMember(id: NodeId, address: string, learner?: boolean): Promise<Result<ConfState, NodeError>>;
  removeMember(id: NodeId): Promise<Result<ConfState, NodeError>>;
  transferLeadership(to: NodeId): Result<void, ProposeError>;
  status(): Status;
  members(): ReadonlyMap<NodeId, string>;
  /** Whether the transport's last frame to `id` got through (always true for this node). */
  reachable(id: NodeId): boolean;
  /** Snapshot the state machine at the applied index now (and compact the log). */
  snapshotNow(): void;
  onLeadershipChange(cb: (c: LeadershipChange) => void): () => void;
  stop(): Promise<void>;
}
