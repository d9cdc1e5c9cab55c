/**
 * The store over Raft (issue 5's foundation): the leader proposes each batch
 * of commits as one Raft entry; every manager (leader included) applies
 * committed entries to its store through the state machine. Entries are
 * validated on the way in like any other boundary: a manager never applies
 * data it cannot parse.
 *
 *   store.update ─► RaftProposer.propose(commits) ─► raft log (replicated, fsync)
 *                                                          │ committed
 *   every manager: StoreStateMachine.apply(entry) ◄────────┘ ─► store.applyCommitted
 */
import type { RaftNode, StateMachine } from '@swarm/raft';
import type { CommitEvent, StoreSnapshot } from '@swarm/shared';
import { formatZodError } from '@swarm/shared';
import { z } from 'zod';
import { CommitEventSchema, StoreSnapshotSchema } from './persist.js';
import type { Proposer, Store } from './store.js';

const EntrySchema = z.object({ commits: z.array(CommitEventSchema) });
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class CorruptEntryError extends Error {}

export function encodeCommits(commits: CommitEvent[]): Uint8Array {
  return encoder.encode(JSON.stringify({ commits }));
}

export function decodeCommits(data: Uint8Array): CommitEvent[] {
  let json: unknown;
  try {
    json = JSON.parse(decoder.decode(data));
  } catch {
    throw new CorruptEntryError('raft entry is not JSON');
  }
  const parsed = EntrySchema.safeParse(json);
  if (!parsed.success) throw new CorruptEntryError(`invalid raft entry: ${formatZodError(parsed.error)}`);
  return parsed.data.commits as CommitEvent[];
}

/** Applies committed entries to the store; snapshots are the store's own. */
export function storeStateMachine(store: Store): StateMachine<void> {
  return {
    apply(entry) {
      if (entry.data.length === 0) return; // leader no-ops and conf changes carry no commits
      for (const c of decodeCommits(entry.data)) store.applyCommitted(c);
    },
    snapshot: () => encoder.encode(JSON.stringify(store.snapshot())),
    restore(data) {
      const parsed = StoreSnapshotSchema.safeParse(JSON.parse(decoder.decode(data)));
      if (!parsed.success) throw new CorruptEntryError(`invalid raft snapshot: ${formatZodError(parsed.error)}`);
      store.restore(parsed.data as StoreSnapshot);
    },
  };
}

/** Writes go through Raft; a follower refuses with who the leader is. */
export function raftProposer(node: Pick<RaftNode<void>, 'propose'>): Proposer {
  return {
    async propose(commits) {
      const r = await node.propose(encodeCommits(commits));
      if (!r.ok) throw new Error(r.error.message);
    },
  };
}
