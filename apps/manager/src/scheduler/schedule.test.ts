import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { type Node, type Task, TaskState, ok } from '@swarm/shared';
import { makeNode, makeTask, taskSpec } from '../testing/fixtures.js';
import { createStore } from '../store/store.js';
import type { Loop } from '../lib/control-loop.js';
import { type NodeInfo, newNodeInfo } from './node-info.js';
import { type Decision, scheduleTasks } from './schedule.js';
import { startScheduler } from './scheduler.js';

const S = TaskState;

const pending = (id: string, over: { serviceId?: string; cpu?: number; mem?: number; maxReplicas?: number } = {}): Task =>
  makeTask({
    id,
    state: S.PENDING,
    serviceId: over.serviceId ?? 'svc',
    spec: taskSpec({
      resources: { limits: { nanoCpus: 0, memoryBytes: 0, generic: {} }, reservations: { nanoCpus: over.cpu ?? 0, memoryBytes: over.mem ?? 0, generic: {} } },
      placement: { constraints: [], preferences: [], platforms: [], maxReplicas: over.maxReplicas ?? 0 },
    }),
  });

const infos = (nodes: Node[], tasks: Task[] = []) => nodes.map((n) => newNodeInfo(n, tasks.filter((t) => t.nodeId === n.id)));
const placed = (ds: Decision[]) => ds.flatMap((d) => ('nodeId' in d ? [d.nodeId] : []));
const errors = (ds: Decision[]) => ds.flatMap((d) => ('error' in d ? [d.error] : []));
const countBy = (xs: string[]) => xs.reduce((m, x) => m.set(x, (m.get(x) ?? 0) + 1), new Map<string, number>());

describe('scheduleTasks: spread', () => {
  it.each([
    [7, 3],
    [10, 4],
    [3, 5],
    [12, 3],
  ])('%i tasks of one service over %i equal nodes: counts differ by at most one', (tasks, nodes) => {
    const ns = Array.from({ length: nodes }, (_, i) => makeNode(`n${i}`));
    const ds = scheduleTasks(Array.from({ length: tasks }, (_, i) => pending(`t${i}`)), infos(ns));
    expect(errors(ds)).toEqual([]);
    const counts = ns.map((n) => countBy(placed(ds)).get(n.id) ?? 0);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(tasks);
    expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
  });

  it('prefers nodes with fewer tasks of the same service, then fewer tasks overall', () => {
    const ns = [makeNode('a'), makeNode('b'), makeNode('c')];
    const existing = [
      makeTask({ id: 'x1', nodeId: 'a', serviceId: 'svc' }),
      makeTask({ id: 'o1', nodeId: 'b', serviceId: 'other' }),
      makeTask({ id: 'o2', nodeId: 'b', serviceId: 'other' }),
    ];
    // b and c have no copy of svc; c has fewer tasks overall.
    expect(placed(scheduleTasks([pending('t1')], infos(ns, existing)))).toEqual(['c']);
    // Two tasks: c then b (a already has one of svc).
    expect(placed(scheduleTasks([pending('t1'), pending('t2')], infos(ns, existing)))).toEqual(['c', 'b']);
  });

  it('stopped tasks do not count against a node', () => {
    const ns = [makeNode('a'), makeNode('b')];
    const existing = [makeTask({ id: 'x', nodeId: 'a', serviceId: 'svc', state: S.FAILED, desired: S.SHUTDOWN })];
    expect(placed(scheduleTasks([pending('t1')], infos(ns, existing)))).toEqual(['a']);
  });
});

describe('scheduleTasks: unavailable nodes', () => {
  it.each([
    ['DOWN', makeNode('n1', { state: 'DOWN' })],
    ['UNKNOWN', makeNode('n1', { state: 'UNKNOWN' })],
    ['DISCONNECTED', makeNode('n1', { state: 'DISCONNECTED' })],
    ['PAUSE', makeNode('n1', { availability: 'PAUSE' })],
    ['DRAIN', makeNode('n1', { availability: 'DRAIN' })],
  ])('a %s node takes no new task', (_what, node) => {
    const ds = scheduleTasks([pending('t1')], infos([node]));
    expect(ds).toEqual([{ taskId: 't1', error: 'no suitable node (1 node not available for new tasks)' }]);
  });

  it('skips unavailable nodes and uses the available one', () => {
    const ns = [makeNode('a', { availability: 'DRAIN' }), makeNode('b', { state: 'DOWN' }), makeNode('c')];
    expect(placed(scheduleTasks([pending('t1'), pending('t2')], infos(ns)))).toEqual(['c', 'c']);
  });

  it('pluralises and orders explanations by count', () => {
    const ns = [makeNode('a', { state: 'DOWN' }), makeNode('b', { availability: 'PAUSE' }), makeNode('c', { cpus: 1e9 })];
    const ds = scheduleTasks([pending('t1', { cpu: 2e9 })], infos(ns));
    expect(errors(ds)).toEqual(['no suitable node (2 nodes not available for new tasks; insufficient cpu on 1 node)']);
    expect(errors(scheduleTasks([pending('t1')], []))).toEqual(['no suitable node']);
  });
});

describe('scheduleTasks: resources and max replicas', () => {
  it('a batch never overcommits a node', () => {
    const ns = [makeNode('a', { cpus: 2e9, memory: 1e9 })];
    const ds = scheduleTasks([1, 2, 3].map((i) => pending(`t${i}`, { cpu: 1e9 })), infos(ns));
    expect(placed(ds)).toEqual(['a', 'a']);
    expect(errors(ds)).toEqual(['no suitable node (insufficient cpu on 1 node)']);
  });

  it('memory counts too, and running tasks already hold their reservation', () => {
    const ns = [makeNode('a', { memory: 100e6 })];
    const running = { ...pending('r', { mem: 60e6 }), nodeId: 'a', status: { timestamp: 0, state: S.RUNNING, message: '' } } as Task;
    const ds = scheduleTasks([pending('t1', { mem: 50e6 }), pending('t2', { mem: 40e6 })], infos(ns, [running]));
    expect(ds).toEqual([
      { taskId: 't1', error: 'no suitable node (insufficient memory on 1 node)' },
      { taskId: 't2', nodeId: 'a' },
    ]);
  });

  it('a node without a description cannot take a task with reservations', () => {
    const { description: _, ...bare } = makeNode('a');
    expect(errors(scheduleTasks([pending('t1', { cpu: 1 })], infos([bare as Node])))).toEqual(['no suitable node (insufficient cpu on 1 node)']);
  });

  it('max replicas per node', () => {
    const ns = [makeNode('a'), makeNode('b')];
    const ds = scheduleTasks([1, 2, 3, 4, 5].map((i) => pending(`t${i}`, { maxReplicas: 2 })), infos(ns));
    expect([...countBy(placed(ds)).values()]).toEqual([2, 2]);
    expect(errors(ds)).toEqual(['no suitable node (max replicas per node limit exceed)']);
    // Other services are not limited by it.
    const other = scheduleTasks([pending('o', { serviceId: 'other' })], infos(ns, ds.flatMap((d) => ('nodeId' in d ? [{ ...pending(d.taskId, { maxReplicas: 2 }), nodeId: d.nodeId }] : []))));
    expect(errors(other)).toEqual([]);
  });

  it('property: reservations never exceed capacity; an unplaced task fits nowhere', () => {
    const nodeArb = fc.record({
      cpus: fc.integer({ min: 0, max: 8 }),
      mem: fc.integer({ min: 0, max: 8 }),
      state: fc.constantFrom('READY', 'READY', 'READY', 'DOWN') as fc.Arbitrary<Node['status']['state']>,
      availability: fc.constantFrom('ACTIVE', 'ACTIVE', 'PAUSE', 'DRAIN') as fc.Arbitrary<Node['spec']['availability']>,
    });
    const taskArb = fc.record({ cpu: fc.integer({ min: 0, max: 4 }), mem: fc.integer({ min: 0, max: 4 }), svc: fc.nat(2), existingOn: fc.option(fc.nat(5), { nil: null }) });
    fc.assert(
      fc.property(fc.array(nodeArb, { minLength: 0, maxLength: 6 }), fc.array(taskArb, { maxLength: 30 }), (nodeSpecs, taskSpecs) => {
        const ns = nodeSpecs.map((s, i) => makeNode(`n${i}`, { cpus: s.cpus * 1e9, memory: s.mem * 1e8, state: s.state, availability: s.availability }));
        const all = taskSpecs.map((s, i) => ({ ...pending(`t${i}`, { cpu: s.cpu * 1e9, mem: s.mem * 1e8, serviceId: `s${s.svc}` }) }));
        // Some tasks already run somewhere (possibly overcommitted by history: the scheduler must not add more).
        const existing = all.flatMap((t, i) => {
          const on = taskSpecs[i]?.existingOn;
          return on !== null && on !== undefined && on < ns.length ? [{ ...t, nodeId: `n${on}`, status: { ...t.status, state: S.RUNNING } }] : [];
        });
        const toPlace = all.filter((t) => !existing.some((e) => e.id === t.id));
        const nodeInfos = infos(ns, existing);
        const before = new Map(nodeInfos.map((i) => [i.node.id, { ...i.reserved }]));
        const ds = scheduleTasks(toPlace, nodeInfos);
        expect(ds.map((d) => d.taskId)).toEqual(toPlace.map((t) => t.id));
        const byId = new Map(toPlace.map((t) => [t.id, t]));
        for (const n of ns) {
          const added = ds.filter((d) => 'nodeId' in d && d.nodeId === n.id).map((d) => byId.get(d.taskId) as Task);
          if (added.length === 0) continue;
          expect(n.status.state).toBe('READY');
          expect(n.spec.availability).toBe('ACTIVE');
          const b = before.get(n.id) ?? { nanoCpus: 0, memoryBytes: 0 };
          const cpu = b.nanoCpus + added.reduce((s, t) => s + t.spec.resources.reservations.nanoCpus, 0);
          const mem = b.memoryBytes + added.reduce((s, t) => s + t.spec.resources.reservations.memoryBytes, 0);
          const needsCheck = added.some((t) => t.spec.resources.reservations.nanoCpus > 0 || t.spec.resources.reservations.memoryBytes > 0);
          if (needsCheck) {
            // Every reserving task placed here fitted at its turn, so the final total fits too...
            const lastReserving = [...added].reverse().find((t) => t.spec.resources.reservations.nanoCpus > 0 || t.spec.resources.reservations.memoryBytes > 0) as Task;
            const upTo = added.slice(0, added.indexOf(lastReserving) + 1);
            expect(b.nanoCpus + upTo.reduce((s, t) => s + t.spec.resources.reservations.nanoCpus, 0)).toBeLessThanOrEqual(n.description?.resources.nanoCpus ?? 0);
            expect(b.memoryBytes + upTo.reduce((s, t) => s + t.spec.resources.reservations.memoryBytes, 0)).toBeLessThanOrEqual(n.description?.resources.memoryBytes ?? 0);
          }
          // ...and the node info tracks exactly what was added.
          const info = nodeInfos.find((i) => i.node.id === n.id) as NodeInfo;
          expect({ nanoCpus: info.reserved.nanoCpus, memoryBytes: info.reserved.memoryBytes }).toEqual({ nanoCpus: cpu, memoryBytes: mem });
        }
        // An unplaced task really fits nowhere (reservations only grow during the batch).
        for (const d of ds) {
          if (!('error' in d)) continue;
          const t = byId.get(d.taskId) as Task;
          const r = t.spec.resources.reservations;
          for (const info of nodeInfos) {
            const ready = info.node.status.state === 'READY' && info.node.spec.availability === 'ACTIVE';
            const total = info.node.description?.resources ?? { nanoCpus: 0, memoryBytes: 0 };
            const fits = info.reserved.nanoCpus + r.nanoCpus <= total.nanoCpus && info.reserved.memoryBytes + r.memoryBytes <= total.memoryBytes;
            const needs = r.nanoCpus > 0 || r.memoryBytes > 0;
            expect(ready && (!needs || fits), `task ${t.id} left unplaced though ${info.node.id} fits`).toBe(false);
          }
          expect(d.error).toMatch(/^no suitable node/);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('scheduler loop', () => {
  let loop: Loop | undefined;
  afterEach(async () => {
    await loop?.stop();
    loop = undefined;
  });

  it('moves NEW tasks to PENDING and then ASSIGNED; an unplaceable one keeps the reason in status.err', async () => {
    const store = createStore();
    await store.update((tx) => {
      tx.create('nodes', makeNode('n1', { cpus: 1e9 }));
      tx.create('tasks', { ...pending('t1'), status: { timestamp: 0, state: S.NEW, message: 'created' } });
      tx.create('tasks', { ...pending('big', { cpu: 2e9 }), status: { timestamp: 0, state: S.NEW, message: 'created' } });
      return ok(undefined);
    });
    loop = startScheduler({ store });
    await loop.idle();
    const [t1, big] = store.view((tx) => [tx.get('tasks', 't1'), tx.get('tasks', 'big')]);
    expect(t1).toMatchObject({ nodeId: 'n1', status: { state: S.ASSIGNED, message: 'scheduler assigned task to node' } });
    expect(big?.nodeId).toBeUndefined();
    expect(big?.status).toMatchObject({ state: S.PENDING, message: 'pending task scheduling', err: 'no suitable node (insufficient cpu on 1 node)' });

    // A bigger node joins: the pending task is retried and placed.
    await store.update((tx) => tx.create('nodes', makeNode('n2', { cpus: 4e9 })));
    await loop.idle();
    expect(store.view((tx) => tx.get('tasks', 'big'))).toMatchObject({ nodeId: 'n2', status: { state: S.ASSIGNED } });
  });

  it('does not place tasks that are no longer wanted', async () => {
    const store = createStore();
    await store.update((tx) => {
      tx.create('nodes', makeNode('n1'));
      tx.create('tasks', { ...pending('gone'), desiredState: S.SHUTDOWN });
      return ok(undefined);
    });
    loop = startScheduler({ store });
    await loop.idle();
    expect(store.view((tx) => tx.get('tasks', 'gone'))).toMatchObject({ status: { state: S.PENDING } });
    expect(store.view((tx) => tx.get('tasks', 'gone')?.nodeId)).toBeUndefined();
  });
});
