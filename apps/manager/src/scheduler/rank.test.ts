import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Node, type Task, TaskState } from '@swarm/shared';
import { makeNode, makeTask, taskSpec } from '../testing/fixtures.js';
import { compileConstraints } from './constraint.js';
import { newNodeInfo } from './node-info.js';
import { type Decision, scheduleTasks } from './schedule.js';

const labelled = (id: string, labels: Record<string, string>, over: Parameters<typeof makeNode>[1] = {}): Node => {
  const n = makeNode(id, over);
  return { ...n, spec: { ...n.spec, annotations: { name: '', labels } } };
};
const pending = (id: string, placement: Partial<Task['spec']['placement']> = {}, serviceId = 'svc', cpu = 0): Task =>
  makeTask({
    id,
    state: TaskState.PENDING,
    serviceId,
    spec: taskSpec({
      placement: { constraints: [], preferences: [], platforms: [], maxReplicas: 0, ...placement },
      resources: { limits: { nanoCpus: 0, memoryBytes: 0, generic: {} }, reservations: { nanoCpus: cpu, memoryBytes: 0, generic: {} } },
    }),
  });
const placedOn = (ds: Decision[]) => ds.flatMap((d) => ('nodeId' in d ? [d.nodeId] : []));
const tally = (xs: string[]) => xs.reduce((m, x) => m.set(x, (m.get(x) ?? 0) + 1), new Map<string, number>());

describe('placement preferences', () => {
  it('spreads over a label first, then over nodes in each branch', () => {
    // zone a has 1 node, zone b has 3: spread by zone puts half the tasks on the lone node.
    const ns = [labelled('a1', { zone: 'a' }), labelled('b1', { zone: 'b' }), labelled('b2', { zone: 'b' }), labelled('b3', { zone: 'b' })];
    const tasks = Array.from({ length: 6 }, (_, i) => pending(`t${i}`, { preferences: [{ spread: 'node.labels.zone' }] }));
    const counts = tally(placedOn(scheduleTasks(tasks, ns.map((n) => newNodeInfo(n)))));
    expect(counts.get('a1')).toBe(3);
    expect([counts.get('b1'), counts.get('b2'), counts.get('b3')]).toEqual([1, 1, 1]);
  });

  it('nodes without the label share the "" branch', () => {
    const ns = [labelled('a1', { zone: 'a' }), labelled('x1', {}), labelled('x2', {})];
    const tasks = Array.from({ length: 4 }, (_, i) => pending(`t${i}`, { preferences: [{ spread: 'node.labels.zone' }] }));
    expect(tally(placedOn(scheduleTasks(tasks, ns.map((n) => newNodeInfo(n))))).get('a1')).toBe(2);
  });

  it('nested preferences apply in order; existing tasks count toward their branch', () => {
    const ns = [
      labelled('a-r1', { zone: 'a', rack: '1' }),
      labelled('a-r2', { zone: 'a', rack: '2' }),
      labelled('b-r1', { zone: 'b', rack: '1' }),
      labelled('b-r1b', { zone: 'b', rack: '1' }),
    ];
    const prefs = [{ spread: 'node.labels.zone' }, { spread: 'node.labels.rack' }];
    const existing = { ...pending('old', { preferences: prefs }), nodeId: 'a-r1', status: { state: TaskState.RUNNING, timestamp: 0, message: '' } };
    const infos = ns.map((n) => newNodeInfo(n, n.id === 'a-r1' ? [existing] : []));
    const counts = tally(placedOn(scheduleTasks([1, 2, 3].map((i) => pending(`t${i}`, { preferences: prefs })), infos)));
    // zone a already has one: b gets two (one per node of its only rack), a gets one on the other rack.
    expect(Object.fromEntries(counts)).toEqual({ 'a-r2': 1, 'b-r1': 1, 'b-r1b': 1 });
  });

  it('a branch whose nodes are full is skipped, not waited for', () => {
    const ns = [labelled('a1', { zone: 'a' }, { cpus: 1e9 }), labelled('b1', { zone: 'b' }, { cpus: 8e9 })];
    const tasks = Array.from({ length: 4 }, (_, i) => pending(`t${i}`, { preferences: [{ spread: 'node.labels.zone' }] }, 'svc', 1e9));
    expect(Object.fromEntries(tally(placedOn(scheduleTasks(tasks, ns.map((n) => newNodeInfo(n))))))).toEqual({ a1: 1, b1: 3 });
  });

  it('engine labels work as descriptors; unknown descriptors are ignored', () => {
    const n = (id: string, disk: string) => {
      const x = makeNode(id);
      return { ...x, description: { ...x.description!, engine: { ...x.description!.engine, labels: { disk } } } };
    };
    const ns = [n('s1', 'ssd'), n('h1', 'hdd'), n('h2', 'hdd')];
    const tasks = [1, 2].map((i) => pending(`t${i}`, { preferences: [{ spread: 'engine.labels.disk' }, { spread: 'bogus' }] }));
    expect(placedOn(scheduleTasks(tasks, ns.map((x) => newNodeInfo(x)))).sort()).toEqual(['h1', 's1']);
  });
});

describe('properties', () => {
  const zones = ['a', 'b', 'c'];
  const clusterArb = fc.array(
    fc.record({ zone: fc.constantFrom(...zones, ''), disk: fc.constantFrom('ssd', 'hdd'), cpus: fc.integer({ min: 1, max: 4 }), ready: fc.boolean() }),
    { minLength: 1, maxLength: 12 },
  );
  const constraintArb = fc.subarray(['node.labels.zone!=c', 'engine.labels.disk==ssd', 'node.role==worker', 'node.labels.zone==a'], { maxLength: 2 });

  const build = (spec: Array<{ zone: string; disk: string; cpus: number; ready: boolean }>) =>
    spec.map((s, i) => {
      const n = labelled(`n${i}`, s.zone ? { zone: s.zone } : {}, { cpus: s.cpus * 1e9, state: s.ready ? 'READY' : 'DOWN' });
      return { ...n, description: { ...n.description!, engine: { ...n.description!.engine, labels: { disk: s.disk } } } };
    });

  it('every placement satisfies its constraints and no node is overcommitted', () => {
    fc.assert(
      fc.property(clusterArb, constraintArb, fc.integer({ min: 1, max: 30 }), fc.integer({ min: 0, max: 2 }), (spec, constraints, count, cpus) => {
        const ns = build(spec);
        const tasks = Array.from({ length: count }, (_, i) => pending(`t${i}`, { constraints, preferences: [{ spread: 'node.labels.zone' }] }, 'svc', cpus * 1e9));
        const infos = ns.map((n) => newNodeInfo(n));
        const ds = scheduleTasks(tasks, infos);
        const match = compileConstraints(constraints);
        if (!match.ok) throw new Error(match.error);
        for (const id of placedOn(ds)) {
          const n = ns.find((x) => x.id === id)!;
          expect(match.value(n)).toBe(true);
          expect(n.status.state).toBe('READY');
        }
        for (const i of infos) expect(i.reserved.nanoCpus).toBeLessThanOrEqual(i.node.description!.resources.nanoCpus);
        // A task is left over only if no feasible node had room.
        if (ds.some((d) => 'error' in d)) {
          for (const i of infos) {
            const fits = i.node.status.state === 'READY' && match.value(i.node) && i.reserved.nanoCpus + cpus * 1e9 <= i.node.description!.resources.nanoCpus;
            expect(fits).toBe(false);
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('spread is within one task of even across equal nodes, and across branches of a preference', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 60 }), (branches, perBranch, count) => {
        const ns = Array.from({ length: branches * perBranch }, (_, i) => labelled(`n${String(i).padStart(3, '0')}`, { zone: `z${i % branches}` }));
        const tasks = Array.from({ length: count }, (_, i) => pending(`t${i}`, { preferences: [{ spread: 'node.labels.zone' }] }));
        const ds = scheduleTasks(tasks, ns.map((n) => newNodeInfo(n)));
        const perNode = tally(placedOn(ds));
        const nodeCounts = ns.map((n) => perNode.get(n.id) ?? 0);
        expect(Math.max(...nodeCounts) - Math.min(...nodeCounts)).toBeLessThanOrEqual(1);
        const perZone = Array.from({ length: branches }, (_, z) => ns.filter((_, i) => i % branches === z).reduce((s, n) => s + (perNode.get(n.id) ?? 0), 0));
        expect(Math.max(...perZone) - Math.min(...perZone)).toBeLessThanOrEqual(1);
      }),
      { numRuns: 200 },
    );
  });

  it('preferences are respected even when branches have unequal sizes', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 4 }), fc.integer({ min: 1, max: 40 }), (sizes, count) => {
        const ns = sizes.flatMap((size, z) => Array.from({ length: size }, (_, i) => labelled(`z${z}n${i}`, { zone: `z${z}` })));
        const ds = scheduleTasks(Array.from({ length: count }, (_, i) => pending(`t${i}`, { preferences: [{ spread: 'node.labels.zone' }] })), ns.map((n) => newNodeInfo(n)));
        const perNode = tally(placedOn(ds));
        const perZone = sizes.map((_, z) => ns.filter((n) => n.id.startsWith(`z${z}n`)).reduce((s, n) => s + (perNode.get(n.id) ?? 0), 0));
        expect(Math.max(...perZone) - Math.min(...perZone)).toBeLessThanOrEqual(1);
      }),
      { numRuns: 200 },
    );
  });
});
