/**
 * The dashboard's client-side copy of the cluster store.
 *
 * One `watch.stream` subscription per tab feeds it: a `snapshot` replaces
 * everything, each `commit` applies one store transaction. Commits at or
 * below the version we already hold are ignored, so a reconnect that replays
 * (tRPC re-sends `lastEventId`) is harmless. React reads it through
 * `useSyncExternalStore`; the state object is immutable, and each table map
 * is copied at most once per notification batch (copy-on-write), so a burst
 * of commits costs one render, and unchanged tables keep their identity.
 *
 * No React and no IO here: this module is plain data and is unit-testable.
 */
import type { Cluster, CommitEvent, Node, Service, StoreChange, StoreSnapshot, TableName, Task, WatchMessage } from '@swarm/shared';
import { events as deriveEvents, MAX_EVENTS, type LiveEvent } from './events';

export type ConnectionStatus =
  /** Not yet connected, or waiting for the first snapshot. */
  | { kind: 'connecting' }
  /** Streaming: the data is current. */
  | { kind: 'live' }
  /** The socket dropped; tRPC is retrying. Data is as of `version`. */
  | { kind: 'reconnecting'; error?: string }
  /** The server refused the subscription (not a transport problem). */
  | { kind: 'error'; error: string };

export interface LiveState {
  /** Store version of the last applied snapshot/commit; -1 before the first snapshot. */
  readonly version: number;
  readonly nodes: ReadonlyMap<string, Node>;
  readonly services: ReadonlyMap<string, Service>;
  readonly tasks: ReadonlyMap<string, Task>;
  readonly clusters: ReadonlyMap<string, Cluster>;
  readonly connection: ConnectionStatus;
  /** Wall-clock ms when the last snapshot/commit arrived. */
  readonly updatedAt: number;
  /** Timeline derived from the commits this tab received (`events.ts`), newest first, at most `MAX_EVENTS`. */
  readonly events: readonly LiveEvent[];
}

type Versioned = { id: string; meta: { version: number } };
type AnyTable = Map<string, Versioned>;

export const initialLiveState: LiveState = {
  version: -1,
  nodes: new Map(),
  services: new Map(),
  tasks: new Map(),
  clusters: new Map(),
  connection: { kind: 'connecting' },
  updatedAt: 0,
  events: [],
};

function byId<T extends { id: string }>(items: readonly T[]): Map<string, T> {
  return new Map(items.map((o) => [o.id, o]));
}

export function fromSnapshot(prev: LiveState, s: StoreSnapshot, now: number): LiveState {
  return {
    ...prev,
    version: s.version,
    nodes: byId(s.nodes),
    services: byId(s.services),
    tasks: byId(s.tasks),
    clusters: byId(s.clusters),
    updatedAt: now,
  };
}

/**
 * Applies one change to `tables`. Per-object versions guard against an
 * out-of-order update overwriting a newer object (cheap, and makes replays
 * idempotent even inside one commit).
 */
function applyChange(table: AnyTable, change: StoreChange): void {
  const obj: Versioned = change.object;
  if (change.action === 'delete') {
    table.delete(obj.id);
    return;
  }
  const current = table.get(obj.id);
  if (current && current.meta.version > obj.meta.version) return;
  table.set(obj.id, obj);
}

/**
 * A batcher that applies commits to private copies of the tables touched in
 * the current batch, and publishes a new immutable state on `flush()`.
 */
export interface LiveStore {
  getState(): LiveState;
  subscribe(listener: () => void): () => void;
  /** Applies a stream message; returns false if it was a stale replay and ignored. */
  apply(msg: WatchMessage): boolean;
  setConnection(status: ConnectionStatus): void;
}

export interface LiveStoreOptions {
  now?: () => number;
  /** How to defer listener notification; default: next macrotask (coalesces bursts). */
  schedule?: (fn: () => void) => void;
}

export function createLiveStore(opts: LiveStoreOptions = {}): LiveStore {
  const now = opts.now ?? Date.now;
  const schedule = opts.schedule ?? ((fn) => void setTimeout(fn, 0));
  const listeners = new Set<() => void>();
  let state: LiveState = initialLiveState;
  /** Tables already copied in the pending batch (safe to mutate in place). */
  let owned = new Set<TableName>();
  let scheduled = false;
  /** Event log, oldest first; published newest-first into `state.events` once per read. */
  let log: LiveEvent[] = [];
  let logDirty = false;

  const notify = () => {
    if (scheduled) return;
    scheduled = true;
    schedule(() => {
      scheduled = false;
      for (const l of listeners) l();
    });
  };

  const applyCommit = (event: CommitEvent) => {
    // Derive the timeline from the tables as they were before this commit.
    const derived = deriveEvents(event, state);
    if (derived.length > 0) {
      for (const e of derived) log.push(e);
      // Trim in chunks so a steady stream does not shift the array every commit.
      if (log.length > MAX_EVENTS + 256) log = log.slice(log.length - MAX_EVENTS);
      logDirty = true;
    }
    const next: Record<TableName, ReadonlyMap<string, Versioned>> = {
      nodes: state.nodes,
      services: state.services,
      tasks: state.tasks,
      clusters: state.clusters,
    };
    for (const change of event.changes) {
      if (!owned.has(change.table)) {
        next[change.table] = new Map(next[change.table]);
        owned.add(change.table);
      }
      // Owned in this batch: a private copy nobody has observed yet.
      applyChange(next[change.table] as AnyTable, change);
    }
    state = { ...state, ...(next as Pick<LiveState, TableName>), version: event.version, updatedAt: now() };
  };

  return {
    getState() {
      // Once React may have seen these maps, the next commit must copy them again.
      if (owned.size > 0) owned = new Set();
      if (logDirty) {
        logDirty = false;
        const start = Math.max(0, log.length - MAX_EVENTS);
        const out: LiveEvent[] = [];
        for (let i = log.length - 1; i >= start; i--) out.push(log[i] as LiveEvent);
        state = { ...state, events: out };
      }
      return state;
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    apply(msg) {
      if (msg.kind === 'snapshot') {
        state = fromSnapshot(state, msg.snapshot, now());
        // The snapshot's maps are fresh and unshared: treat them as owned.
        owned = new Set(['nodes', 'services', 'tasks', 'clusters']);
      } else {
        if (msg.event.version <= state.version) return false;
        applyCommit(msg.event);
      }
      if (state.connection.kind !== 'live') state = { ...state, connection: { kind: 'live' } };
      notify();
      return true;
    },
    setConnection(status) {
      if (status.kind === state.connection.kind && !('error' in status)) return;
      state = { ...state, connection: status };
      notify();
    },
  };
}
