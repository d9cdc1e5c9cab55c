/**
 * @swarm/raft — Raft consensus: a pure core (./core) and an async driver (./node).
 * Knows nothing about orchestration; the cluster store plugs in as a StateMachine.
 */
// Pure core
export { Raft, notLeader } from './core/raft.js';
export type { Result, ProposeError, Proposed, Status } from './core/raft.js';
export type { Config as RaftConfig } from './core/state.js';
export type { StepError } from './core/step.js';
export { MemoryStorage, StorageError } from './core/storage.js';
export type { Storage } from './core/storage.js';
export { NONE, encodeConfChange, decodeConfChange } from './core/types.js';
export type {
  NodeId,
  Entry,
  EntryType,
  HardState,
  ConfState,
  ConfChange,
  ConfChangeKind,
  Snapshot,
  SnapshotMeta,
  Message,
  MessageType,
  Ready,
  ReadState,
  RoleKind,
  SoftState,
} from './core/types.js';

// Driver
export { startRaftNode } from './node/node.js';
export type { RaftNode, RaftNodeOptions, StateMachine, AppliedEntry, NodeError, LeadershipChange, TraceStage } from './node/node.js';
export type { WaitError } from './node/wait.js';
export { DiskStore } from './node/disk.js';
export { WalCorruptError } from './node/wal.js';
export { SnapshotCorruptError } from './node/snapfile.js';
export { CodecError } from './node/codec.js';
export { createGrpcTransport } from './node/transport.js';
export type { Transport, TransportOptions } from './node/transport.js';
