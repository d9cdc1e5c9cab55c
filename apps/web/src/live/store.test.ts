import { describe, expect, it } from 'vitest';
import type { CommitEvent, Service, StoreSnapshot, Task, WatchMessage } from '@swarm/shared';
import { MAX_EVENTS } from './events';
import { createLiveStore } from './store';

const meta = (version: number) => ({ version, createdAt: 0, updatedAt: 0 });
const service = (id: string, version: number, replicas = 1) =>
  ({ id, meta: meta(version), specVersion: version, spec: { annotations: { name: id, labels: {} }, mode: { kind: 'replicated', replicas } } }) as unknown as Service;
const task = (id: string, version: number, state = 512) =>
  ({ id, meta: meta(version), serviceId: 's1', slot: 1, status: { state, timestamp: 0 }, desiredState: 512 }) as unknown as Task;

const snapshot = (version: number, s: Partial<StoreSnapshot> = {}): WatchMessage => ({
  kind: 'snapshot',
  snapshot: { version, nodes: [], services: [], tasks: [], clusters: [], ...s },
});
const commit = (version: number, changes: CommitEvent['changes']): WatchMessage => ({ kind: 'commit', event: { version, changes } });

/** A store whose notifications run when `flush()` is called. */
function testStore() {
  const queue: (() => void)[] = [];
  const store = createLiveStore({ now: () => 1, schedule: (fn) => queue.push(fn) });
  let notified = 0;
  store.subscribe(() => notified++);
  return { store, flush: () => queue.splice(0).forEach((f) => f()), notified: () => notified };
}

describe('live store', () => {
  it('starts empty and connecting, goes live on the first snapshot', () => {
    const { store } = testStore();
    expect(store.getState().version).toBe(-1);
    expect(store.getState().connection.kind).toBe('connecting');
    store.apply(snapshot(7, { services: [service('s1', 7)] }));
    expect(store.getState().version).toBe(7);
    expect(store.getState().services.get('s1')?.meta.version).toBe(7);
    expect(store.getState().connection.kind).toBe('live');
  });

  it('applies commits: create, update, delete', () => {
    const { store } = testStore();
    store.apply(snapshot(1));
    store.apply(commit(2, [{ table: 'tasks', action: 'create', object: task('t1', 2, 0) }]));
    store.apply(commit(3, [{ table: 'tasks', action: 'update', object: task('t1', 3, 512) }]));
    expect(store.getState().tasks.get('t1')?.status.state).toBe(512);
    store.apply(commit(4, [{ table: 'tasks', action: 'delete', object: task('t1', 3) }]));
    expect(store.getState().tasks.size).toBe(0);
    expect(store.getState().version).toBe(4);
  });

  it('ignores replayed commits at or below its version (idempotent resume)', () => {
    const { store } = testStore();
    store.apply(snapshot(5, { tasks: [task('t1', 5, 512)] }));
    expect(store.apply(commit(5, [{ table: 'tasks', action: 'delete', object: task('t1', 5) }]))).toBe(false);
    expect(store.apply(commit(3, [{ table: 'tasks', action: 'update', object: task('t1', 3, 0) }]))).toBe(false);
    expect(store.getState().tasks.get('t1')?.status.state).toBe(512);
  });

  it('a later snapshot replaces everything (cursor compacted away)', () => {
    const { store } = testStore();
    store.apply(snapshot(5, { tasks: [task('t1', 5)] }));
    store.apply(snapshot(9, { tasks: [task('t2', 9)] }));
    expect([...store.getState().tasks.keys()]).toEqual(['t2']);
    expect(store.getState().version).toBe(9);
  });

  it('keeps untouched tables identical and never mutates a map React has seen', () => {
    const { store, flush } = testStore();
    store.apply(snapshot(1, { services: [service('s1', 1)], tasks: [task('t1', 1)] }));
    flush();
    const seen = store.getState();
    store.apply(commit(2, [{ table: 'tasks', action: 'update', object: task('t1', 2, 704) }]));
    const next = store.getState();
    expect(next.services).toBe(seen.services);
    expect(next.tasks).not.toBe(seen.tasks);
    expect(seen.tasks.get('t1')?.status.state).toBe(512);
    // getState() was called: the next commit must copy again rather than mutate `next.tasks`.
    store.apply(commit(3, [{ table: 'tasks', action: 'create', object: task('t2', 3) }]));
    expect(next.tasks.has('t2')).toBe(false);
    expect(store.getState().tasks.has('t2')).toBe(true);
  });

  it('coalesces a burst of commits into one notification', () => {
    const { store, flush, notified } = testStore();
    store.apply(snapshot(1));
    for (let v = 2; v < 50; v++) store.apply(commit(v, [{ table: 'tasks', action: 'create', object: task(`t${v}`, v) }]));
    expect(notified()).toBe(0);
    flush();
    expect(notified()).toBe(1);
    expect(store.getState().tasks.size).toBe(48);
  });

  it('does not let an older object overwrite a newer one within a commit', () => {
    const { store } = testStore();
    store.apply(snapshot(1));
    store.apply(
      commit(3, [
        { table: 'tasks', action: 'update', object: task('t1', 3, 512) },
        { table: 'tasks', action: 'update', object: task('t1', 2, 0) },
      ]),
    );
    expect(store.getState().tasks.get('t1')?.status.state).toBe(512);
  });

  it('tracks connection state', () => {
    const { store } = testStore();
    store.apply(snapshot(1));
    store.setConnection({ kind: 'reconnecting', error: 'socket closed' });
    expect(store.getState().connection).toEqual({ kind: 'reconnecting', error: 'socket closed' });
    store.apply(commit(2, []));
    expect(store.getState().connection.kind).toBe('live');
  });
});

describe('live store under a long churn (the soak of bench:web, in miniature)', () => {
  /** A `churn` task of slot `slot`: `id` is new on every scale-up, as the orchestrator makes it. */
  const churnTask = (id: string, slot: number, version: number, state: number, desiredState = 512) =>
    ({ id, meta: meta(version), serviceId: 'churn', slot, nodeId: 'n1', annotations: { name: '' }, serviceAnnotations: { name: 'churn' }, status: { state, timestamp: version }, desiredState }) as unknown as Task;

  it('holds only the live objects and a capped timeline, however many tasks came and went', () => {
    const { store, flush } = testStore();
    const fixed = [1, 2, 3, 4].map((slot) => churnTask(`keep-${slot}`, slot, 1, 512));
    store.apply(snapshot(1, { services: [service('churn', 1, 4)], tasks: fixed }));
    let v = 1;
    const cycles = 400; // 400 × 8 = 3,200 task objects created and deleted
    for (let c = 0; c < cycles; c++) {
      const ids = [5, 6, 7, 8, 9, 10, 11, 12].map((slot) => ({ id: `c${c}-${slot}`, slot }));
      store.apply(commit(++v, [{ table: 'services', action: 'update', object: service('churn', v, 12) }, ...ids.map(({ id, slot }) => ({ table: 'tasks' as const, action: 'create' as const, object: churnTask(id, slot, v, 0) }))]));
      store.apply(commit(++v, ids.map(({ id, slot }) => ({ table: 'tasks' as const, action: 'update' as const, object: churnTask(id, slot, v, 512) }))));
      store.apply(commit(++v, [{ table: 'services', action: 'update', object: service('churn', v, 4) }, ...ids.map(({ id, slot }) => ({ table: 'tasks' as const, action: 'update' as const, object: churnTask(id, slot, v, 512, 800) }))]));
      store.apply(commit(++v, ids.map(({ id, slot }) => ({ table: 'tasks' as const, action: 'update' as const, object: churnTask(id, slot, v, 640, 800) }))));
      store.apply(commit(++v, ids.map(({ id, slot }) => ({ table: 'tasks' as const, action: 'delete' as const, object: churnTask(id, slot, v, 640, 800) }))));
      // React reads the state between bursts (the copy-on-write path is the one a tab takes).
      if (c % 7 === 0) {
        flush();
        store.getState();
      }
    }
    const s = store.getState();
    expect([...s.tasks.keys()].sort()).toEqual(['keep-1', 'keep-2', 'keep-3', 'keep-4']);
    expect(s.services.size).toBe(1);
    expect(s.version).toBe(v);
    // 3 events per task (running, shutdown…) plus 2 scale events per cycle: far past the cap, which holds.
    expect(s.events).toHaveLength(MAX_EVENTS);
    expect(s.events[0]!.version).toBe(v - 1);
  });
});
