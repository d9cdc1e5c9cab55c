import { describe, expect, it } from 'vitest';
import type { CommitEvent, Service, StoreSnapshot, Task, WatchMessage } from '@swarm/shared';
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
