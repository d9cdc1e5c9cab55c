import { afterEach, describe, expect, it } from 'vitest';
import { type Task, TaskState, ok } from '@swarm/shared';
import type { Loop } from '../lib/control-loop.js';
import { createStore, type Store } from '../store/store.js';
import { makeNode, manualClock, type ManualClock, serviceSpec } from '../testing/fixtures.js';
import { startReplicatedOrchestrator } from './orchestrator.js';

const S = TaskState;

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
    const clock = manualClock();
    const store = createStore({ clock });
    await store.update((tx) => {
      tx.create('nodes', makeNode('n1'));
      tx.create('nodes', makeNode('n2'));
      tx.create('services', { id: 'svc', spec: serviceSpec('web', { mode: { kind: 'replicated', replicas } }), specVersion: 1 });
      return ok(undefined);
    });
    loop = startReplicatedOrchestrator({ store, clock });
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
});
