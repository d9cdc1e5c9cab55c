/**
 * The store over Raft. Any manager runs transactions on its own copy and
 * proposes the resulting commits as one Raft entry: the leader directly, a
 * follower through the leader (`forward`). Every manager applies committed
 * entries in log order; an entry whose first commit does not follow the
 * store's version was computed on a state another write changed first, so
 * every manager skips it alike and its proposer re-runs the transactions
 * (optimistic concurrency: deterministic, no locks across managers).
 *
 *   store.update ─► propose(commits) ─► leader: raft.propose ──► raft log (replicated, fsync)
 *                        │ follower: forward ─► leader ─┘               │ committed
 *   every manager: apply(entry) ◄──────────────────────────────────────┘
 *        version follows? ─ yes ─► store.applyCommitted ─► {applied}
 *                         └ no ──► {conflict, version} ─► WriteConflictError ─► re-run
 *
 * The leader applies the entries it proposed itself from the commits it
 * encoded them from (SwarmKit's leader likewise commits its own transaction in
 * memory once Raft has the entry); everything else (followers, forwarded
 * writes, WAL replay) is decoded and validated. In tests every own entry is
 * decoded as well and must give the same objects (SWARM_CHECK_OWN_ENTRIES).
 */
import type { AppliedEntry, RaftNode, StateMachine } from '@swarm/raft';
import type { CommitEvent, StoreSnapshot, TableName } from '@swarm/shared';
import { formatZodError, jsonEqual } from '@swarm/shared';
import { CorruptEntryError, type DecodedEntry, decodeEntry, encodeEntry } from './entry-codec.js';
import { StoreSnapshotSchema } from './persist.js';
import { type Proposer, type Store, WriteConflictError } from './store.js';
import type { AnyObject } from './tables.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export { CorruptEntryError };

/** What applying one entry did, on every manager alike. */
export type ApplyOutcome = { kind: 'applied'; index: number } | { kind: 'conflict'; index: number; version: number } | { kind: 'none'; index: number };

/** One Raft entry for the commits of a store batch (format 2, entry-codec.ts), against the store's committed state. */
export function encodeCommits(store: Store, commits: CommitEvent[]): Uint8Array {
  return store.view((tx) => encodeEntry(commits, (table, id) => tx.get(table, id) as AnyObject | undefined));
}

/**
 * Entries this manager proposed as leader, per store, with the commits they encode (keyed by the entry's
 * data: Raft hands the proposed buffer itself to the state machine). Decoding and validating a 2,000-task
 * entry the leader has just built from those very objects was ~11 % of its CPU in the 100,000-task converge.
 */
const proposedHere = new WeakMap<Store, WeakMap<Uint8Array, CommitEvent[]>>();
const proposedBy = (store: Store) => {
  let m = proposedHere.get(store);
  if (!m) proposedHere.set(store, (m = new WeakMap()));
  return m;
};
/**
 * SWARM_CHECK_OWN_ENTRIES=1 (set for every test run, and inherited by the managers tests start): an own entry
 * is also decoded and compared, so a write path whose objects a follower would see differently fails its tests.
 */
const CHECK_OWN_ENTRIES = process.env['SWARM_CHECK_OWN_ENTRIES'] === '1';

/** The objects of `own` and of the decoded entry are the same (key order and undefined members aside). */
function assertDecodesAlike(store: Store, data: Uint8Array, own: CommitEvent[]): void {
  const decoded = decodeCommits(store, data);
  if (!jsonEqual(decoded, own)) {
    throw new Error(`store bug: an entry decodes to other objects than the leader's own commits:\nown     ${JSON.stringify(own).slice(0, 2000)}\ndecoded ${JSON.stringify(decoded).slice(0, 2000)}`);
  }
}

/**
 * The entry's commits, resolved against `store` (which must be at the version just before them).
 * Every commit is resolved before any is applied: a corrupt entry changes nothing.
 */
export function decodeCommits(store: Store, data: Uint8Array | DecodedEntry): CommitEvent[] {
  const entry = data instanceof Uint8Array ? decodeEntry(data) : data;
  const after = new Map<string, AnyObject | null>();
  const get = (table: TableName, id: string): AnyObject | undefined => {
    const k = `${table}/${id}`;
    return after.has(k) ? (after.get(k) ?? undefined) : (store.view((tx) => tx.get(table, id)) as AnyObject | undefined);
  };
  return entry.versions.map((_, i) => {
    const c = entry.resolve(i, get);
    for (const ch of c.changes) after.set(`${ch.table}/${ch.object.id}`, ch.action === 'delete' ? null : (ch.object as AnyObject));
    return c;
  });
}

/** Applies committed entries to the store; snapshots are the store's own. */
export function storeStateMachine(store: Store): StateMachine<ApplyOutcome> {
  return {
    apply(entry: AppliedEntry): ApplyOutcome {
      if (entry.data.length === 0) return { kind: 'none', index: entry.index }; // leader no-ops carry no commits
      const own = proposedBy(store).get(entry.data);
      if (own && own.length > 0) {
        proposedBy(store).delete(entry.data);
        if (own[0]!.version !== store.version() + 1) return { kind: 'conflict', index: entry.index, version: store.version() };
        if (CHECK_OWN_ENTRIES) assertDecodesAlike(store, entry.data, own);
        for (const c of own) store.applyCommitted(c);
        return { kind: 'applied', index: entry.index };
      }
      const decoded = decodeEntry(entry.data);
      if (decoded.versions.length === 0) return { kind: 'none', index: entry.index };
      if (decoded.versions[0] !== store.version() + 1) return { kind: 'conflict', index: entry.index, version: store.version() };
      for (const c of decodeCommits(store, decoded)) store.applyCommitted(c);
      return { kind: 'applied', index: entry.index };
    },
    snapshot: () => encoder.encode(JSON.stringify(store.snapshot())),
    restore(data) {
      const parsed = StoreSnapshotSchema.safeParse(JSON.parse(decoder.decode(data)));
      if (!parsed.success) throw new CorruptEntryError(`invalid raft snapshot: ${formatZodError(parsed.error)}`);
      store.restore(parsed.data as StoreSnapshot);
    },
  };
}

/** Resolves once the store reached `version` (or rejects after `timeoutMs`). */
export function untilVersion(store: Store, version: number, timeoutMs: number): Promise<void> {
  if (store.version() >= version) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`timed out waiting for this manager to apply version ${version} (at ${store.version()})`));
    }, timeoutMs);
    const off = store.subscribe(() => {
      if (store.version() < version) return;
      clearTimeout(timer);
      off();
      resolve();
    });
  });
}

export interface ReplicatedProposerDeps {
  raft: Pick<RaftNode<ApplyOutcome>, 'propose' | 'status'>;
  store: Store;
  /** Sends the entry to the leader, which proposes it and answers with the outcome. */
  forward(leaderId: string, data: Uint8Array): Promise<ApplyOutcome>;
  /** The error when no leader is known, e.g. "no quorum (2 of 3 managers unreachable)". */
  noLeader(): string;
  /** How long a write may wait for commitment. Default 5 s. */
  timeoutMs?: number;
}

/** Writes go through Raft, from whichever manager made them. */
export function replicatedProposer(d: ReplicatedProposerDeps): Proposer {
  const timeoutMs = d.timeoutMs ?? 5_000;
  const local = async (data: Uint8Array): Promise<ApplyOutcome> => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`write not committed within ${timeoutMs} ms (${d.noLeader()})`)), timeoutMs);
    });
    try {
      const r = await Promise.race([d.raft.propose(data), timeout]);
      if (r.ok) return r.value;
      throw new Error(r.error.kind === 'not-leader' && !('leader' in r.error && r.error.leader) ? d.noLeader() : r.error.message);
    } finally {
      clearTimeout(timer);
    }
  };
  return {
    async propose(commits) {
      const data = encodeCommits(d.store, commits);
      const st = d.raft.status();
      let outcome: ApplyOutcome;
      if (st.role === 'leader') {
        proposedBy(d.store).set(data, commits);
        outcome = await local(data);
      } else if (st.leader) {
        outcome = await d.forward(st.leader, data);
        // Read your writes: this manager's copy has the entry before the write is acknowledged.
        if (outcome.kind === 'applied') await untilVersion(d.store, commits.at(-1)!.version, timeoutMs);
      } else throw new Error(d.noLeader());
      if (outcome.kind === 'conflict') {
        await untilVersion(d.store, outcome.version, timeoutMs);
        throw new WriteConflictError(outcome.version);
      }
    },
  };
}

/** "no quorum (2 of 3 managers unreachable)" from what this manager's transport saw. */
export function noQuorumMessage(raft: Pick<RaftNode<unknown>, 'status' | 'reachable'>): string {
  const voters = raft.status().conf.voters;
  const down = voters.filter((id) => !raft.reachable(id)).length;
  const quorum = Math.floor(voters.length / 2) + 1;
  if (voters.length - down < quorum) return `no quorum (${down} of ${voters.length} managers unreachable)`;
  return `no leader elected yet (${voters.length - down} of ${voters.length} managers reachable); retry shortly`;
}
