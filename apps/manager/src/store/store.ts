/**
 * The cluster store: in-memory tables, serializable transactions, and
 * commit-delimited events. It is the only bus between manager components.
 *
 *   update(fn) ──► queue ──► batch: run fns over stacked overlays
 *                              │
 *                              ▼
 *                   proposer.propose(commits)   (fsync / Raft)
 *                              │
 *                              ▼
 *              apply to tables ─► version++ ─► listeners(CommitEvent)
 *
 * Writes are acknowledged only after the proposer made them durable; reads
 * never see an uncommitted write. Many queued transactions share one propose
 * (group commit).
 */
import type { CommitEvent, StoreSnapshot, TableName } from '@swarm/shared';
import { type Clock, type Result, err, systemClock } from '@swarm/shared';
import { applyToTables, emptyTables, type AnyObject, type BaseTables } from './tables.js';
import { createReadTx, createWriteTx, type Overlay, type ReadTx, type WriteTx } from './tx.js';

export interface Proposer {
  /** Makes the commits durable (and later replicated). Rejects if they could not be. */
  propose(commits: CommitEvent[]): Promise<void>;
}

export const nullProposer: Proposer = { propose: async () => {} };

/**
 * Thrown by a proposer when the commits were computed on a state that another
 * manager's write changed first (replicated stores): the store re-runs the
 * transactions once it has caught up, instead of failing them.
 */
export class WriteConflictError extends Error {
  constructor(readonly atVersion: number) {
    super(`write conflict: the store moved to version ${atVersion}`);
  }
}
/** Re-runs allowed per transaction before it fails as a conflict. */
const MAX_CONFLICT_RETRIES = 50;

export type ProposeError = { kind: 'propose-failed'; message: string };

type Listener = (event: CommitEvent) => void;
type Queued = {
  fn: (tx: WriteTx) => Result<unknown, unknown>;
  retries: number;
  resolve: (r: Result<unknown, unknown>) => void;
  reject: (e: unknown) => void;
};

export interface Store {
  version(): number;
  view<T>(fn: (tx: ReadTx) => T): T;
  /** Runs `fn` in a write transaction; an `{ ok: false }` result aborts it. */
  update<T, E>(fn: (tx: WriteTx) => Result<T, E>): Promise<Result<T, E | ProposeError>>;
  /** Called synchronously after each commit, in order. Returns an unsubscribe function. */
  subscribe(listener: Listener): () => void;
  /** Commits after `version`, or null if some of them are no longer retained. */
  eventsSince(version: number): CommitEvent[] | null;
  snapshot(): StoreSnapshot;
  /** Replaces the whole state (recovery, Raft snapshot install). */
  restore(snapshot: StoreSnapshot): void;
  /** Applies an already-durable commit (WAL replay, Raft follower). */
  applyCommitted(event: CommitEvent): void;
  setProposer(p: Proposer): void;
}

export interface StoreOptions {
  clock?: Clock;
  proposer?: Proposer;
  /** How many recent commits are kept for resuming watchers. */
  retainEvents?: number;
  /**
   * ...and at most this many changed objects over those commits (default 50,000): a retained commit keeps
   * every object version it wrote alive, and one commit can carry thousands (a 100,000-task create).
   */
  retainChanges?: number;
}

export function createStore(opts: StoreOptions = {}): Store {
  const clock = opts.clock ?? systemClock;
  let proposer = opts.proposer ?? nullProposer;
  const retain = opts.retainEvents ?? 10_000;
  const retainChanges = opts.retainChanges ?? 50_000;
  let base: BaseTables = emptyTables();
  let version = 0;
  let recent: CommitEvent[] = [];
  /** Changes over `recent`. */
  let recentChanges = 0;
  /** Trims `recent` to the newest commits within both budgets (amortized: only once either is exceeded twice over). */
  const trimRecent = (): void => {
    if (recent.length <= retain * 2 && recentChanges <= retainChanges * 2) return;
    let keep = 0;
    let changes = 0;
    for (let i = recent.length - 1; i >= 0 && keep < retain; i--, keep++) {
      const n = recent[i]!.changes.length;
      if (changes + n > retainChanges) break;
      changes += n;
    }
    recent = recent.slice(recent.length - keep);
    recentChanges = changes;
  };
  const listeners = new Set<Listener>();
  const queue: Queued[] = [];
  let draining = false;

  const apply = (event: CommitEvent): void => {
    if (event.version <= version) return; // already applied (idempotent replay)
    for (const c of event.changes) applyToTables(base, c.table, c.object.id, c.action === 'delete' ? null : (c.object as AnyObject));
    version = event.version;
    recent.push(event);
    recentChanges += event.changes.length;
    trimRecent();
    for (const l of listeners) {
      try {
        l(event);
      } catch (e) {
        // A listener bug must not break the store; surface it loudly.
        queueMicrotask(() => {
          throw e;
        });
      }
    }
  };

  const runBatch = async (batch: Queued[]): Promise<void> => {
    const overlays: Overlay[] = [];
    const commits: CommitEvent[] = [];
    const settle: Array<() => void> = [];
    const committed: Array<{ q: Queued; r: Result<unknown, unknown> }> = [];
    for (const q of batch) {
      const next = version + commits.length + 1;
      const { tx, overlay, changes } = createWriteTx(base, overlays, next, clock.now());
      let r: Result<unknown, unknown>;
      try {
        r = q.fn(tx);
      } catch (e) {
        settle.push(() => q.reject(e));
        continue;
      }
      const ch = r.ok ? changes() : [];
      if (ch.length === 0) {
        settle.push(() => q.resolve(r));
        continue;
      }
      overlays.push(overlay);
      commits.push({ version: next, changes: ch });
      committed.push({ q, r });
    }
    if (commits.length > 0) {
      try {
        await proposer.propose(commits);
        for (const c of commits) apply(c);
        for (const { q, r } of committed) settle.push(() => q.resolve(r));
      } catch (e) {
        const message = e instanceof Error ? e.message : String(e);
        const retry = e instanceof WriteConflictError ? committed.filter(({ q }) => ++q.retries <= MAX_CONFLICT_RETRIES).map(({ q }) => q) : [];
        queue.unshift(...retry);
        for (const { q } of committed) if (!retry.includes(q)) settle.push(() => q.resolve(err({ kind: 'propose-failed', message })));
      }
    }
    for (const s of settle) s();
  };

  const drain = async (): Promise<void> => {
    if (draining) return;
    draining = true;
    try {
      while (queue.length > 0) await runBatch(queue.splice(0, 512));
    } finally {
      draining = false;
    }
  };

  return {
    version: () => version,
    view: (fn) => fn(createReadTx(base, [])),
    update<T, E>(fn: (tx: WriteTx) => Result<T, E>) {
      return new Promise<Result<T, E | ProposeError>>((resolve, reject) => {
        queue.push({ fn, retries: 0, resolve: resolve as Queued['resolve'], reject });
        void drain();
      });
    },
    subscribe(l) {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    eventsSince(v) {
      if (v > version) return null; // the client is ahead of us (another manager's history): start over
      if (v === version) return [];
      const first = recent[0];
      if (!first || first.version > v + 1) return null;
      return recent.filter((e) => e.version > v);
    },
    snapshot() {
      return {
        version,
        nodes: [...base.nodes.values()],
        services: [...base.services.values()],
        tasks: [...base.tasks.values()],
        clusters: [...base.clusters.values()],
      };
    },
    restore(s) {
      base = emptyTables();
      const tables: TableName[] = ['nodes', 'services', 'tasks', 'clusters'];
      for (const t of tables) for (const o of s[t]) applyToTables(base, t, o.id, o as AnyObject);
      version = s.version;
      recent = [];
      recentChanges = 0;
    },
    applyCommitted: apply,
    setProposer(p) {
      proposer = p;
    },
  };
}
