import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Node, type Service, type Task, TaskState } from '@swarm/shared';
import { makeNode, makeService, makeTask, serviceSpec, taskSpec } from '../testing/fixtures.js';
import { reconcileGlobal } from './global.js';
import { reconcileJob } from './job.js';
import type { Plan } from './task.js';

const S = TaskState;
const NOW = 1_000_000;
const globalService = (over: Partial<Service> = {}, constraints: string[] = []): Service =>
  makeService({ ...over, spec: serviceSpec('g', { mode: { kind: 'global' }, task: taskSpec({ placement: { constraints, preferences: [], platforms: [], maxReplicas: 0 } }) }) });

function run(fn: typeof reconcileGlobal, service: Service, tasks: Task[], nodes: Node[], historyLimit = 5): Plan {
  let n = 0;
  return fn({ service, tasks, nodes: new Map(nodes.map((x) => [x.id, x])), now: NOW, newId: () => `new${++n}`, historyLimit });
}
const labelled = (id: string, labels: Record<string, string>, over: Parameters<typeof makeNode>[1] = {}): Node => {
  const n = makeNode(id, over);
  return { ...n, spec: { ...n.spec, annotations: { name: '', labels } } };
};

describe('reconcileGlobal', () => {
  it('creates one task per eligible node, preassigned (ASSIGNED, slot 0)', () => {
    const nodes = [makeNode('a'), makeNode('b'), makeNode('c', { state: 'DOWN' }), makeNode('d', { availability: 'DRAIN' }), makeNode('e', { availability: 'PAUSE' })];
    const p = run(reconcileGlobal, globalService(), [], nodes);
    expect(p.create.map((t) => t.nodeId).sort()).toEqual(['a', 'b']);
    for (const t of p.create) expect(t).toMatchObject({ slot: 0, desiredState: S.RUNNING, status: { state: S.ASSIGNED } });
  });

  it('shuts down tasks on DOWN, DRAIN and no-longer-matching nodes; leaves PAUSE alone', () => {
    const svc = globalService({}, ['node.labels.tier==front']);
    const nodes = [labelled('a', { tier: 'front' }), labelled('b', { tier: 'back' }), labelled('c', { tier: 'front' }, { state: 'DOWN' }), labelled('d', { tier: 'front' }, { availability: 'DRAIN' }), labelled('e', { tier: 'front' }, { availability: 'PAUSE' })];
    const tasks = ['a', 'b', 'c', 'd', 'e'].map((n) => makeTask({ id: `t${n}`, slot: 0, nodeId: n }, svc));
    const p = run(reconcileGlobal, svc, tasks, nodes);
    expect(p.create).toEqual([]);
    expect(p.stop.map((s) => s.id).sort()).toEqual(['tb', 'tc', 'td']);
    expect(p.stop.every((s) => s.desiredState === S.SHUTDOWN)).toBe(true);
  });

  it('restarts a failed task on the same node; on a PAUSE node it is only shut down', () => {
    const svc = globalService();
    const nodes = [makeNode('a'), makeNode('p', { availability: 'PAUSE' })];
    const tasks = [makeTask({ id: 'ta', slot: 0, nodeId: 'a', state: S.FAILED }, svc), makeTask({ id: 'tp', slot: 0, nodeId: 'p', state: S.FAILED }, svc)];
    const p = run(reconcileGlobal, svc, tasks, nodes);
    expect(p.stop.map((s) => s.id).sort()).toEqual(['ta', 'tp']);
    expect(p.create).toHaveLength(1);
    expect(p.create[0]).toMatchObject({ nodeId: 'a', desiredState: S.READY });
  });

  it('deletes the tasks of a deleted node', () => {
    const svc = globalService();
    const p = run(reconcileGlobal, svc, [makeTask({ id: 'gone', slot: 0, nodeId: 'x', state: S.SHUTDOWN, desired: S.SHUTDOWN }, svc)], [makeNode('a')]);
    expect(p.remove).toEqual(['gone']);
  });

  it('property: applied repeatedly with an agent that runs tasks, converges to one running task per eligible node', () => {
    const nodeArb = fc.record({ state: fc.constantFrom('READY', 'DOWN', 'UNKNOWN') as fc.Arbitrary<Node['status']['state']>, availability: fc.constantFrom('ACTIVE', 'PAUSE', 'DRAIN') as fc.Arbitrary<Node['spec']['availability']>, front: fc.boolean() });
    fc.assert(
      fc.property(fc.array(nodeArb, { minLength: 1, maxLength: 8 }), fc.boolean(), fc.array(fc.integer({ min: 0, max: 7 }), { maxLength: 5 }), (specs, constrained, flips) => {
        const svc = globalService({}, constrained ? ['node.labels.tier==front'] : []);
        let nodes = specs.map((s, i) => labelled(`n${i}`, { tier: s.front ? 'front' : 'back' }, { state: s.state, availability: s.availability }));
        const tasks = new Map<string, Task>();
        let id = 0;
        let v = 1;
        const step = () => {
          const p = reconcileGlobal({ service: svc, tasks: [...tasks.values()], nodes: new Map(nodes.map((n) => [n.id, n])), now: NOW, newId: () => `t${++id}`, historyLimit: 3 });
          for (const c of p.create) tasks.set(c.id, { ...c, meta: { version: ++v, createdAt: NOW, updatedAt: NOW } } as Task);
          for (const s of p.stop) {
            const t = tasks.get(s.id);
            if (t && t.desiredState < s.desiredState) tasks.set(t.id, { ...t, desiredState: s.desiredState });
          }
          for (const s of p.start) {
            const t = tasks.get(s);
            if (t) tasks.set(t.id, { ...t, desiredState: S.RUNNING });
          }
          for (const r of p.remove) tasks.delete(r);
          // Agent: run what should run, stop what should stop (only on nodes that are up).
          for (const t of [...tasks.values()]) {
            const n = nodes.find((x) => x.id === t.nodeId);
            if (!n || n.status.state === 'DOWN') continue;
            if (t.desiredState === S.RUNNING && t.status.state < S.RUNNING) tasks.set(t.id, { ...t, status: { ...t.status, state: S.RUNNING } });
            if (t.desiredState >= S.SHUTDOWN && t.status.state <= S.RUNNING) tasks.set(t.id, { ...t, status: { ...t.status, state: S.SHUTDOWN } });
          }
          // Never two runnable tasks on one node.
          const per = new Map<string, number>();
          for (const t of tasks.values()) if (t.desiredState <= S.RUNNING) per.set(t.nodeId ?? '', (per.get(t.nodeId ?? '') ?? 0) + 1);
          expect([...per.values()].every((c) => c <= 1)).toBe(true);
        };
        for (const f of [...flips, -1]) {
          for (let i = 0; i < 4; i++) step();
          // Flip one node's availability (join/drain/activate churn).
          if (f >= 0 && nodes[f % nodes.length]) {
            const n = nodes[f % nodes.length] as Node;
            const next = n.spec.availability === 'DRAIN' ? 'ACTIVE' : 'DRAIN';
            nodes = nodes.map((x) => (x === n ? { ...x, spec: { ...x.spec, availability: next } } : x));
          }
        }
        for (const n of nodes) {
          const eligible = n.status.state !== 'DOWN' && n.spec.availability === 'ACTIVE' && (!constrained || n.spec.annotations.labels['tier'] === 'front');
          const live = [...tasks.values()].filter((t) => t.nodeId === n.id && t.desiredState <= S.RUNNING);
          if (eligible) expect(live.filter((t) => t.status.state === S.RUNNING)).toHaveLength(1);
          if (n.status.state === 'DOWN' || n.spec.availability === 'DRAIN') expect(live).toHaveLength(0);
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('reconcileJob', () => {
  const job = (maxConcurrent: number, totalCompletions: number, iteration = 0): Service =>
    makeService({ spec: serviceSpec('j', { mode: { kind: 'replicated-job', maxConcurrent, totalCompletions } }), jobStatus: { jobIteration: iteration } });

  it('runs at most max-concurrent tasks until total-completions completed (slots from 0)', () => {
    const svc = job(2, 5);
    const p = run(reconcileJob, svc, [], [makeNode('a')]);
    expect(p.create.map((t) => [t.slot, t.desiredState, t.jobIteration])).toEqual([[0, S.RUNNING, 0], [1, S.RUNNING, 0]]);
    const done = [0, 1, 2].map((slot) => makeTask({ id: `d${slot}`, slot, state: S.COMPLETE, desired: S.COMPLETE }, svc)).map((t) => ({ ...t, jobIteration: 0 }));
    const runningOne = { ...makeTask({ id: 'r3', slot: 3, state: S.RUNNING, desired: S.COMPLETE }, svc), jobIteration: 0 };
    expect(run(reconcileJob, svc, [...done, runningOne], [makeNode('a')]).create.map((t) => t.slot)).toEqual([4]);
    const all = [0, 1, 2, 3, 4].map((slot) => ({ ...makeTask({ id: `c${slot}`, slot, state: S.COMPLETE, desired: S.COMPLETE }, svc), jobIteration: 0 }));
    expect(run(reconcileJob, svc, all, [makeNode('a')]).create).toEqual([]);
  });

  it('restarts failed tasks per policy; a new iteration removes the old one and re-runs', () => {
    const svc = job(1, 1);
    const failed = { ...makeTask({ id: 'f', slot: 0, state: S.FAILED, desired: S.COMPLETE }, svc), jobIteration: 0 };
    const p = run(reconcileJob, svc, [failed], [makeNode('a')]);
    expect(p.stop).toEqual([{ id: 'f', desiredState: S.SHUTDOWN }]);
    expect(p.create[0]).toMatchObject({ slot: 0, desiredState: S.READY });
    const next = job(1, 1, 1);
    const old = { ...makeTask({ id: 'o', slot: 0, state: S.COMPLETE, desired: S.COMPLETE }, svc), jobIteration: 0 };
    const p2 = run(reconcileJob, next, [old], [makeNode('a')]);
    expect(p2.remove).toEqual(['o']);
    expect(p2.create.map((t) => t.jobIteration)).toEqual([1]);
  });

  it('global job: one task per ACTIVE READY node', () => {
    const svc = makeService({ spec: serviceSpec('gj', { mode: { kind: 'global-job' } }), jobStatus: { jobIteration: 0 } });
    const p = run(reconcileJob, svc, [], [makeNode('a'), makeNode('b', { availability: 'PAUSE' }), makeNode('c', { state: 'DOWN' })]);
    expect(p.create.map((t) => [t.nodeId, t.desiredState])).toEqual([['a', S.COMPLETE]]);
  });
});

describe('drain with update order start-first (replicated)', () => {
  it('starts the replacement first and shuts the drained task down once the replacement runs', async () => {
    const { reconcileReplicated } = await import('./replicated.js');
    const svc = makeService({ spec: serviceSpec('w', { mode: { kind: 'replicated', replicas: 1 }, update: { parallelism: 1, delayMs: 0, failureAction: 'pause', monitorMs: 0, maxFailureRatio: 0, order: 'start-first' } }) });
    const nodes = [makeNode('d', { availability: 'DRAIN' }), makeNode('ok')];
    const old = makeTask({ id: 'old', slot: 1, nodeId: 'd' }, svc);
    const p = run(reconcileReplicated, svc, [old], nodes);
    expect(p.stop).toEqual([]);
    expect(p.create).toHaveLength(1);
    expect(p.create[0]).toMatchObject({ slot: 1, desiredState: S.RUNNING });
    const repl = { ...makeTask({ id: 'new', slot: 1, nodeId: 'ok', state: S.STARTING, createdAt: 5 }, svc) };
    expect(run(reconcileReplicated, svc, [old, repl], nodes).stop).toEqual([]);
    const runningRepl = { ...repl, status: { ...repl.status, state: S.RUNNING } };
    expect(run(reconcileReplicated, svc, [old, runningRepl], nodes).stop).toEqual([{ id: 'old', desiredState: S.SHUTDOWN }]);
  });
});
