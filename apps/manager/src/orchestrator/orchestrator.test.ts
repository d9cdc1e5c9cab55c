import { afterEach, describe, expect, it } from 'vitest';
import { type Task, TaskState, ok } from '@swarm/shared';
import type { Loop } from '../lib/control-loop.js';
import { createStore, type Store } from '../store/store.js';
import { makeNode, manualClock, type ManualClock, serviceSpec } from '../testing/fixtures.js';
import { CREATE_CHUNK, startReplicatedOrchestrator } from './orchestrator.js';

const S = TaskState;
/** Real elapsed time must not decide when these tests' reconciles run. */
const NO_THROTTLE = { minMs: Infinity, factor: 1 };

/** Drives the loop's debounce timers on the manual clock (5 ms steps) until it has nothing to do. */
async function quiesce(clock: ManualClock, loop: Loop): Promise<void> {
  for (let i = 0; i < 400; i++) {
    let idle = false;
    void loop.idle().then(() => {
      idle = true;
    });
    await new Promise((r) => setImmediate(r));
    if (idle) return;
    clock.advance(5);
    await new Promise((r) => setImmediate(r));
  }
  throw new Error('orchestrator never went idle');
}

const tasksOf = (store: Store, serviceId: string): Task[] =>
  store.view((tx) => tx.tasksByService(serviceId)).sort((a, b) => a.slot - b.slot || a.meta.createdAt - b.meta.createdAt);

/** A store holding the given nodes and one replicated service `svc`, on a manual clock. */
async function storeWithService(replicas: number, nodes: string[] = ['n1']): Promise<{ clock: ManualClock; store: Store }> {
  const clock = manualClock();
  const store = createStore({ clock });
  await store.update((tx) => {
    for (const n of nodes) tx.create('nodes', makeNode(n));
    tx.create('services', { id: 'svc', spec: serviceSpec('web', { mode: { kind: 'replicated', replicas } }), specVersion: 1 });
    return ok(undefined);
  });
  return { clock, store };
}

async function setTask(store: Store, id: string, patch: (t: Task) => Partial<Task>): Promise<void> {
  const r = await store.update((tx) => {
    const t = tx.get('tasks', id);
    if (!t) throw new Error(`no task ${id}`);
    return tx.update('tasks', { ...t, ...patch(t) });
  });
  if (!r.ok) throw new Error(JSON.stringify(r.error));
}

describe('replicated orchestrator loop', () => {
  let loop: Loop | undefined;
  afterEach(async () => {
    await loop?.stop();
    loop = undefined;
  });

  async function setup(replicas: number) {
    const { clock, store } = await storeWithService(replicas, ['n1', 'n2']);
    loop = startReplicatedOrchestrator({ store, clock, throttle: NO_THROTTLE });
    await quiesce(clock, loop);
    return { clock, store, loop };
  }

  it('creates the tasks of a new service, and scales on update', async () => {
    const { clock, store, loop } = await setup(3);
    expect(tasksOf(store, 'svc').map((t) => [t.slot, t.desiredState, t.status.state])).toEqual([
      [1, S.RUNNING, S.NEW],
      [2, S.RUNNING, S.NEW],
      [3, S.RUNNING, S.NEW],
    ]);
    await store.update((tx) => {
      const s = tx.get('services', 'svc');
      if (!s) throw new Error('gone');
      return tx.update('services', { ...s, spec: { ...s.spec, mode: { kind: 'replicated', replicas: 1 } } });
    });
    await quiesce(clock, loop);
    // Never-assigned tasks that are removed are deleted at once.
    expect(tasksOf(store, 'svc').map((t) => t.slot)).toEqual([1]);
  });

  it('replaces a failed task after the restart delay, woken by the clock', async () => {
    const { clock, store, loop } = await setup(1);
    const [first] = tasksOf(store, 'svc');
    if (!first) throw new Error('no task');
    await setTask(store, first.id, (t) => ({ nodeId: 'n1', status: { ...t.status, state: S.RUNNING } }));
    await quiesce(clock, loop);
    await setTask(store, first.id, (t) => ({ status: { ...t.status, state: S.FAILED } }));
    const failedAt = clock.now();
    await quiesce(clock, loop);
    let ts = tasksOf(store, 'svc');
    expect(ts.map((t) => [t.id === first.id, t.desiredState])).toEqual([
      [true, S.SHUTDOWN],
      [false, S.READY],
    ]);
    const repl = ts[1] as Task;
    expect(repl.startAfter).toBeGreaterThanOrEqual(failedAt + 5000);
    expect(repl.startAfter).toBeLessThanOrEqual(clock.now() + 5000);

    clock.set((repl.startAfter ?? 0) - 1);
    await quiesce(clock, loop);
    expect(store.view((tx) => tx.get('tasks', repl.id)?.desiredState)).toBe(S.READY);
    clock.set(repl.startAfter ?? 0);
    await quiesce(clock, loop);
    ts = tasksOf(store, 'svc');
    expect(store.view((tx) => tx.get('tasks', repl.id))).toMatchObject({ desiredState: S.RUNNING });
    expect(store.view((tx) => tx.get('tasks', repl.id)?.startAfter)).toBeUndefined();
    expect(ts).toHaveLength(2);
  });

  it('replaces the tasks of a node that goes DOWN', async () => {
    const { clock, store, loop } = await setup(2);
    const [a, b] = tasksOf(store, 'svc');
    if (!a || !b) throw new Error('no tasks');
    await setTask(store, a.id, (t) => ({ nodeId: 'n1', status: { ...t.status, state: S.RUNNING } }));
    await setTask(store, b.id, (t) => ({ nodeId: 'n2', status: { ...t.status, state: S.RUNNING } }));
    await quiesce(clock, loop);
    await store.update((tx) => {
      const n = tx.get('nodes', 'n1');
      if (!n) throw new Error('gone');
      return tx.update('nodes', { ...n, status: { ...n.status, state: 'DOWN', message: 'heartbeat failure' } });
    });
    await quiesce(clock, loop);
    const slot1 = tasksOf(store, 'svc').filter((t) => t.slot === a.slot);
    // No restart delay when the node is the problem: the replacement starts at once (it does not wait for the old task).
    expect(slot1.map((t) => [t.id === a.id, t.desiredState])).toEqual([
      [true, S.SHUTDOWN],
      [false, S.RUNNING],
    ]);
    // The task on the healthy node is untouched.
    expect(store.view((tx) => tx.get('tasks', b.id)?.desiredState)).toBe(S.RUNNING);
  });

  it('a deleted service: running tasks get desired REMOVE, then are deleted once they stop', async () => {
    const { clock, store, loop } = await setup(2);
    const [a, b] = tasksOf(store, 'svc');
    if (!a || !b) throw new Error('no tasks');
    await setTask(store, a.id, (t) => ({ nodeId: 'n1', status: { ...t.status, state: S.RUNNING } }));
    await quiesce(clock, loop);
    await store.update((tx) => tx.delete('services', 'svc'));
    await quiesce(clock, loop);
    // b never got past NEW: deleted; a is asked to stop.
    expect(tasksOf(store, 'svc').map((t) => [t.id, t.desiredState])).toEqual([[a.id, S.REMOVE]]);
    await setTask(store, a.id, (t) => ({ status: { ...t.status, state: S.SHUTDOWN } }));
    await quiesce(clock, loop);
    expect(tasksOf(store, 'svc')).toEqual([]);
  });

  it('a large service is reconciled again no sooner than factor × its last reconcile took', async () => {
    const { clock, store } = await storeWithService(2);
    // Every reconcile "takes" 50 ms of elapsed time: the next one waits 3 × 50 ms more (factor 4).
    let fake = 0;
    const elapsed = () => (fake += 50);
    let reconciles = 0;
    const unsub = store.subscribe((e) => void (reconciles += e.changes.some((c) => c.table === 'tasks' && c.action === 'create') ? 1 : 0));
    loop = startReplicatedOrchestrator({ store, clock, throttle: { minMs: 20, factor: 4 }, elapsed });
    await quiesce(clock, loop);
    expect(tasksOf(store, 'svc')).toHaveLength(2);
    const [a] = tasksOf(store, 'svc');
    if (!a) throw new Error('no task');
    // The task fails right away: the replacement must wait for the throttle (150 ms), not just the debounce.
    await setTask(store, a.id, (t) => ({ nodeId: 'n1', status: { ...t.status, state: S.FAILED } }));
    for (let i = 0; i < 20; i++) {
      clock.advance(5);
      await new Promise((r) => setImmediate(r));
    }
    expect(store.view((tx) => tx.get('tasks', a.id)?.desiredState)).toBe(S.RUNNING); // not reconciled yet (100 ms < 150 ms)
    clock.advance(100);
    await quiesce(clock, loop);
    expect(store.view((tx) => tx.get('tasks', a.id)?.desiredState)).toBe(S.SHUTDOWN);
    expect(tasksOf(store, 'svc')).toHaveLength(3);
    unsub();
    expect(reconciles).toBe(2);
  });

  it('a plan computed before the service changed is not applied: the service is reconciled again', async () => {
    const { clock, store } = await storeWithService(5);
    // The first write of the orchestrator is preceded by a scale-down to 1 (as if it raced an API call).
    let race = true;
    const racing: Store = {
      ...store,
      async update(fn) {
        if (race) {
          race = false;
          await store.update((tx) => {
            const s = tx.get('services', 'svc');
            if (!s) throw new Error('gone');
            return tx.update('services', { ...s, spec: { ...s.spec, mode: { kind: 'replicated', replicas: 1 } } });
          });
        }
        return store.update(fn);
      },
    };
    let created = 0;
    const unsub = store.subscribe((e) => void (created += e.changes.filter((c) => c.table === 'tasks' && c.action === 'create').length));
    loop = startReplicatedOrchestrator({ store: racing, clock, throttle: NO_THROTTLE });
    await quiesce(clock, loop);
    unsub();
    expect(tasksOf(store, 'svc')).toHaveLength(1);
    expect(created).toBe(1); // the stale plan's five creates never happened
  });

  it('a node change that leaves its state and availability alone reconciles no service on it', async () => {
    const { clock, store } = await storeWithService(1);
    let reconciles = 0;
    const elapsed = () => (reconciles += 0.5); // called twice per service reconcile
    loop = startReplicatedOrchestrator({ store, clock, throttle: NO_THROTTLE, elapsed });
    await quiesce(clock, loop);
    const [a] = tasksOf(store, 'svc');
    if (!a) throw new Error('no task');
    await setTask(store, a.id, (t) => ({ nodeId: 'n1', status: { ...t.status, state: S.RUNNING } }));
    await quiesce(clock, loop);
    const before = reconciles;
    const editNode = (edit: (n: ReturnType<typeof makeNode>) => ReturnType<typeof makeNode>) =>
      store.update((tx) => {
        const n = tx.get('nodes', 'n1');
        if (!n) throw new Error('gone');
        return tx.update('nodes', edit(n));
      });
    // A session re-registering the node READY, with a new address.
    await editNode((n) => ({ ...n, status: { ...n.status, state: 'READY', addr: '10.0.0.9' } }));
    await quiesce(clock, loop);
    expect(reconciles).toBe(before);
    await editNode((n) => ({ ...n, spec: { ...n.spec, availability: 'DRAIN' } }));
    await quiesce(clock, loop);
    expect(reconciles).toBeGreaterThan(before);
    expect(store.view((tx) => tx.get('tasks', a.id)?.desiredState)).toBe(S.SHUTDOWN);
  });

  it('creates a big service in transactions of CREATE_CHUNK tasks', async () => {
    const clock = manualClock();
    const store = createStore({ clock });
    await store.update((tx) => {
      tx.create('services', { id: 'svc', spec: serviceSpec('web', { mode: { kind: 'replicated', replicas: 2 * CREATE_CHUNK + 5 } }), specVersion: 1 });
      return ok(undefined);
    });
    const perCommit: number[] = [];
    const unsub = store.subscribe((e) => {
      const n = e.changes.filter((c) => c.table === 'tasks' && c.action === 'create').length;
      if (n > 0) perCommit.push(n);
    });
    loop = startReplicatedOrchestrator({ store, clock, throttle: NO_THROTTLE });
    await quiesce(clock, loop);
    unsub();
    expect(perCommit).toEqual([CREATE_CHUNK, CREATE_CHUNK, 5]);
    expect(new Set(tasksOf(store, 'svc').map((t) => t.slot)).size).toBe(2 * CREATE_CHUNK + 5);
  });
});
