import { afterEach, describe, expect, it } from 'vitest';
import { type Node, type Task, TaskState, ok } from '@swarm/shared';
import { makeNode, makeTask, taskSpec } from '../testing/fixtures.js';
import { createStore } from '../store/store.js';
import type { Loop } from '../lib/control-loop.js';
import { createNodeIndex } from './node-info.js';
import { nodeMajor, startScheduler } from './scheduler.js';

const S = TaskState;
const newTask = (id: string, spec: Parameters<typeof taskSpec>[0] = {}, serviceId = 'svc'): Task => ({
  ...makeTask({ id, state: S.NEW, serviceId }),
  spec: taskSpec(spec),
  status: { timestamp: 0, state: S.NEW, message: 'created' },
});
const cpu = (n: number) => ({ resources: { limits: { nanoCpus: 0, memoryBytes: 0, generic: {} }, reservations: { nanoCpus: n, memoryBytes: 0, generic: {} } } });

describe('node index (incremental)', () => {
  it('moves a task between nodes and forgets it when it stops', () => {
    const idx = createNodeIndex();
    idx.putNode(makeNode('a'));
    idx.putNode(makeNode('b'));
    const t = { ...makeTask({ id: 't', nodeId: 'a', state: S.RUNNING, serviceId: 's' }), spec: taskSpec(cpu(1e9)) };
    idx.putTask(t);
    expect(idx.get('a')).toMatchObject({ active: 1, reserved: { nanoCpus: 1e9 } });
    idx.putTask({ ...t, nodeId: 'b' });
    expect(idx.get('a')).toMatchObject({ active: 0, reserved: { nanoCpus: 0 } });
    expect(idx.get('b')?.perService.get('s')).toBe(1);
    idx.putTask({ ...t, nodeId: 'b', desiredState: S.SHUTDOWN });
    expect(idx.get('b')).toMatchObject({ active: 0, reserved: { nanoCpus: 1e9 } }); // still holds its reservation
    idx.putTask({ ...t, nodeId: 'b', status: { ...t.status, state: S.COMPLETE } });
    expect(idx.get('b')).toMatchObject({ active: 0, reserved: { nanoCpus: 0 } });
    idx.deleteTask('t');
    expect(idx.nodeOf('t')).toBeUndefined();
  });

  it('keeps tasks of a node it has not seen yet, and only lists known nodes', () => {
    const idx = createNodeIndex();
    idx.putTask(makeTask({ id: 't', nodeId: 'ghost', state: S.RUNNING }));
    expect([...idx.nodes()]).toEqual([]);
    idx.putNode(makeNode('ghost'));
    expect([...idx.nodes()].map((i) => [i.node.id, i.active])).toEqual([['ghost', 1]]);
    idx.deleteNode('ghost');
    expect([...idx.nodes()]).toEqual([]);
  });
});

describe('scheduler loop', () => {
  let loop: Loop | undefined;
  afterEach(async () => {
    await loop?.stop();
    loop = undefined;
  });

  it('an unplaceable task explains itself and is placed once a fitting node appears', async () => {
    const store = createStore();
    await store.update((tx) => {
      tx.create('nodes', makeNode('small', { memory: 1e9 }));
      tx.create('nodes', makeNode('down', { state: 'DOWN' }));
      tx.create('tasks', newTask('t', { placement: { constraints: ['node.labels.gpu==yes'], preferences: [], platforms: [], maxReplicas: 0 } }));
      return ok(undefined);
    });
    loop = startScheduler({ store });
    await loop.idle();
    expect(store.view((tx) => tx.get('tasks', 't'))?.status).toMatchObject({
      state: S.PENDING,
      err: 'no suitable node (1 node not available for new tasks; scheduling constraints not satisfied on 1 node)',
    });
    // Labelling the node makes it fit.
    await store.update((tx) => {
      const n = tx.get('nodes', 'small')!;
      return tx.update('nodes', { ...n, spec: { ...n.spec, annotations: { ...n.spec.annotations, labels: { gpu: 'yes' } } } });
    });
    await loop.idle();
    const t = store.view((tx) => tx.get('tasks', 't'))!;
    expect(t).toMatchObject({ nodeId: 'small', status: { state: S.ASSIGNED } });
    expect(t.status.err).toBeUndefined();
  });

  it('a task that stops frees its node for an unplaceable one', async () => {
    const store = createStore();
    await store.update((tx) => {
      tx.create('nodes', makeNode('n', { cpus: 1e9 }));
      tx.create('tasks', { ...makeTask({ id: 'old', nodeId: 'n', state: S.RUNNING, serviceId: 'other' }), spec: taskSpec(cpu(1e9)) });
      tx.create('tasks', newTask('new', cpu(1e9)));
      return ok(undefined);
    });
    loop = startScheduler({ store });
    await loop.idle();
    expect(store.view((tx) => tx.get('tasks', 'new'))?.status.err).toBe('no suitable node (insufficient cpu on 1 node)');
    await store.update((tx) => {
      const o = tx.get('tasks', 'old')!;
      return tx.update('tasks', { ...o, status: { ...o.status, state: S.COMPLETE } });
    });
    await loop.idle();
    expect(store.view((tx) => tx.get('tasks', 'new'))).toMatchObject({ nodeId: 'n', status: { state: S.ASSIGNED } });
  });

  it('places many tasks in bounded transactions without overcommitting, spread evenly', async () => {
    const store = createStore();
    const nodes: Node[] = Array.from({ length: 10 }, (_, i) => makeNode(`n${i}`, { cpus: 10e9 }));
    await store.update((tx) => {
      for (const n of nodes) tx.create('nodes', n);
      for (let i = 0; i < 120; i++) tx.create('tasks', newTask(`t${i}`, cpu(1e9)));
      return ok(undefined);
    });
    const sizes: number[] = [];
    store.subscribe((e) => sizes.push(e.changes.length));
    loop = startScheduler({ store, chunk: 16 });
    await loop.idle();
    const tasks = store.view((tx) => tx.list('tasks'));
    const perNode = new Map<string, number>();
    for (const t of tasks) if (t.nodeId) perNode.set(t.nodeId, (perNode.get(t.nodeId) ?? 0) + 1);
    expect([...perNode.values()]).toEqual(Array(10).fill(10));
    expect(tasks.filter((t) => t.status.err === 'no suitable node (insufficient cpu on 10 nodes)')).toHaveLength(20);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(16);
  });

  it('a big arrival is written node by node: each node gets its share in one transaction, not one task per round', async () => {
    const store = createStore();
    await store.update((tx) => {
      for (let i = 0; i < 4; i++) tx.create('nodes', makeNode(`n${i}`));
      for (let i = 0; i < 80; i++) tx.create('tasks', newTask(`t${i}`));
      return ok(undefined);
    });
    const nodesPerWrite: number[] = [];
    store.subscribe((e) => nodesPerWrite.push(new Set(e.changes.map((c) => (c.table === 'tasks' ? c.object.nodeId : undefined))).size));
    loop = startScheduler({ store, chunk: 20 });
    await loop.idle();
    const perNode = new Map<string, number>();
    for (const t of store.view((tx) => tx.list('tasks'))) if (t.nodeId) perNode.set(t.nodeId, (perNode.get(t.nodeId) ?? 0) + 1);
    expect([...perNode.values()]).toEqual([20, 20, 20, 20]); // spread is unchanged
    expect(nodesPerWrite).toEqual([1, 1, 1, 1]); // placed round-robin, each write would have touched all four
  });

  it('a write that fails (not committed in time) is retried, not left unhandled while later groups are placed', async () => {
    const store = createStore();
    await store.update((tx) => {
      for (let i = 0; i < 3; i++) tx.create('nodes', makeNode(`n${i}`, { cpus: 10e9 }));
      for (let i = 0; i < 12; i++) tx.create('tasks', newTask(`t${i}`, cpu(1e9)));
      return ok(undefined);
    });
    let refused = 0;
    store.setProposer({
      propose: async () => {
        // The first group's write fails while the next groups are still being placed.
        if (refused++ === 0) throw new Error('write not committed within 5000 ms');
      },
    });
    loop = startScheduler({ store, chunk: 4 });
    await expect.poll(() => store.view((tx) => tx.list('tasks').filter((t) => t.status.state === S.ASSIGNED).length), { timeout: 10_000 }).toBe(12);
    expect(refused).toBeGreaterThan(1);
  });

  it('verifies pre-assigned tasks on their node', async () => {
    const store = createStore();
    await store.update((tx) => {
      tx.create('nodes', makeNode('ok'));
      tx.create('nodes', makeNode('drained', { availability: 'DRAIN' }));
      tx.create('tasks', { ...newTask('g1'), nodeId: 'ok', slot: 0 });
      tx.create('tasks', { ...newTask('g2'), nodeId: 'drained', slot: 0 });
      return ok(undefined);
    });
    loop = startScheduler({ store });
    await loop.idle();
    expect(store.view((tx) => tx.get('tasks', 'g1'))).toMatchObject({ nodeId: 'ok', status: { state: S.ASSIGNED } });
    expect(store.view((tx) => tx.get('tasks', 'g2'))?.status).toMatchObject({ state: S.PENDING, err: '1 node not available for new tasks' });
  });
});

describe('nodeMajor', () => {
  it('orders decisions by node, keeping each node’s order and the order nodes first appear; unplaceable last', () => {
    const ds = [
      { taskId: 't1', nodeId: 'a' },
      { taskId: 't2', nodeId: 'b' },
      { taskId: 'x', error: 'no suitable node' },
      { taskId: 't3', nodeId: 'a' },
      { taskId: 't4', nodeId: 'c' },
      { taskId: 't5', nodeId: 'b' },
    ];
    expect(nodeMajor(ds).map((d) => d.taskId)).toEqual(['t1', 't3', 't2', 't5', 't4', 'x']);
  });
});
