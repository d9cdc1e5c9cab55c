import { describe, expect, it } from 'vitest';
import { type Node, type RestartPolicy, type Service, type Task, TaskState } from '@swarm/shared';
import { makeNode, makeService, makeTask, serviceSpec, taskSpec } from '../testing/fixtures.js';
import { OLD_TASK_TIMEOUT_MS, type Plan, reconcileReplicated } from './replicated.js';
import { isTaskDirty } from './task.js';

const NOW = 1_000_000;
const S = TaskState;

function run(
  service: Service,
  tasks: Task[],
  nodes: Node[] = [makeNode('n1'), makeNode('n2'), makeNode('n3')],
  opts: { now?: number; historyLimit?: number } = {},
): Plan {
  let n = 0;
  return reconcileReplicated({
    service,
    tasks,
    nodes: new Map(nodes.map((x) => [x.id, x])),
    now: opts.now ?? NOW,
    newId: () => `new${++n}`,
    historyLimit: opts.historyLimit ?? 5,
  });
}

const withRestart = (replicas: number, restart: Partial<RestartPolicy>, over: Partial<Service> = {}): Service =>
  makeService({
    ...over,
    spec: serviceSpec('web', {
      mode: { kind: 'replicated', replicas },
      task: taskSpec({ restart: { condition: 'any', delayMs: 5000, maxAttempts: 0, windowMs: 0, ...restart } }),
    }),
  });

const stopsOf = (p: Plan) => Object.fromEntries(p.stop.map((s) => [s.id, s.desiredState]));

describe('reconcileReplicated: scaling', () => {
  it('scale up from nothing creates slots 1..n, desired RUNNING, with the service spec', () => {
    const svc = makeService({ replicas: 3 });
    const p = run(svc, []);
    expect(p.create.map((t) => t.slot)).toEqual([1, 2, 3]);
    for (const t of p.create) {
      expect(t).toMatchObject({ serviceId: svc.id, specVersion: svc.specVersion, desiredState: S.RUNNING, status: { state: S.NEW } });
      expect(t.spec).toEqual(svc.spec.task);
      expect(t.nodeId).toBeUndefined();
    }
    expect(new Set(p.create.map((t) => t.id)).size).toBe(3);
    expect(p.stop).toEqual([]);
  });

  it('scale up fills the lowest free slots first', () => {
    const svc = makeService({ replicas: 4 });
    const tasks = [makeTask({ id: 'a', slot: 1, nodeId: 'n1' }), makeTask({ id: 'b', slot: 3, nodeId: 'n2' })];
    expect(run(svc, tasks).create.map((t) => t.slot)).toEqual([2, 4]);
  });

  it('a slot whose only tasks are being removed is free again', () => {
    const svc = makeService({ replicas: 2 });
    const tasks = [makeTask({ id: 'a', slot: 1, nodeId: 'n1' }), makeTask({ id: 'b', slot: 2, nodeId: 'n2', desired: S.REMOVE })];
    const p = run(svc, tasks);
    expect(p.create.map((t) => t.slot)).toEqual([2]);
    expect(p.stop).toEqual([]);
  });

  it('equal count: nothing to do', () => {
    const svc = makeService({ replicas: 2 });
    const tasks = [makeTask({ id: 'a', slot: 1, nodeId: 'n1' }), makeTask({ id: 'b', slot: 2, nodeId: 'n2' })];
    const p = run(svc, tasks);
    expect(p).toEqual({ create: [], stop: [], start: [], remove: [] });
  });

  it('scale down removes copies from the nodes with the most copies (TestReplicatedScaleDown shape)', () => {
    const svc = makeService({ replicas: 3 });
    const placement: Array<[number, string]> = [[1, 'n1'], [2, 'n1'], [3, 'n1'], [4, 'n2'], [5, 'n2'], [6, 'n3']];
    const tasks = placement.map(([slot, nodeId]) => makeTask({ id: `s${slot}`, slot, nodeId }));
    const p = run(svc, tasks);
    expect(stopsOf(p)).toEqual({ s2: S.REMOVE, s3: S.REMOVE, s5: S.REMOVE });
    expect(p.create).toEqual([]);
    // One copy left per node.
    const kept = tasks.filter((t) => !(t.id in stopsOf(p))).map((t) => t.nodeId);
    expect(kept.sort()).toEqual(['n1', 'n2', 'n3']);
  });

  it('scale down keeps running tasks over ones not running yet, whatever their slot', () => {
    const svc = makeService({ replicas: 2 });
    const tasks = [
      makeTask({ id: 'a', slot: 1, nodeId: 'n1', state: S.ASSIGNED }),
      makeTask({ id: 'b', slot: 2, nodeId: 'n2', state: S.RUNNING }),
      makeTask({ id: 'c', slot: 3, nodeId: 'n3', state: S.RUNNING }),
    ];
    expect(stopsOf(run(svc, tasks))).toEqual({ a: S.REMOVE });
  });

  it('scale down among equals removes the higher slots', () => {
    const svc = makeService({ replicas: 1 });
    const tasks = [1, 2, 3].map((slot) => makeTask({ id: `s${slot}`, slot, nodeId: `n${slot}` }));
    expect(stopsOf(run(svc, tasks))).toEqual({ s2: S.REMOVE, s3: S.REMOVE });
  });

  it('scale to zero marks every live task REMOVE (never SHUTDOWN)', () => {
    const svc = makeService({ replicas: 0 });
    const tasks = [makeTask({ id: 'a', slot: 1, nodeId: 'n1' }), makeTask({ id: 'b', slot: 2, nodeId: 'n2', state: S.PENDING })];
    const p = run(svc, tasks);
    expect(stopsOf(p)).toEqual({ a: S.REMOVE, b: S.REMOVE });
  });
});

describe('reconcileReplicated: restarts', () => {
  it('a failed task is shut down and replaced in its slot, held READY until now + default 5000 ms', () => {
    const svc = makeService({ replicas: 1 });
    const p = run(svc, [makeTask({ id: 'a', slot: 1, nodeId: 'n1', state: S.FAILED })]);
    expect(stopsOf(p)).toEqual({ a: S.SHUTDOWN });
    expect(p.create).toHaveLength(1);
    expect(p.create[0]).toMatchObject({ slot: 1, desiredState: S.READY, startAfter: NOW + 5000 });
    expect(p.wakeAt).toBe(NOW + 5000);
    expect(p.start).toEqual([]);
  });

  it('uses the restart policy delay', () => {
    const svc = withRestart(1, { delayMs: 1234 });
    const p = run(svc, [makeTask({ id: 'a', slot: 1, nodeId: 'n1', state: S.FAILED }, svc)]);
    expect(p.create[0]?.startAfter).toBe(NOW + 1234);
  });

  it.each([
    ['none', S.FAILED, false],
    ['none', S.COMPLETE, false],
    ['on-failure', S.COMPLETE, false],
    ['on-failure', S.FAILED, true],
    ['on-failure', S.REJECTED, true],
    ['any', S.COMPLETE, true],
    ['any', S.SHUTDOWN, true],
  ] as const)('condition %s, observed %s ⇒ replaced: %s', (condition, state, replaced) => {
    const svc = withRestart(1, { condition });
    const tasks = [makeTask({ id: 'a', slot: 1, nodeId: 'n1', state }, svc)];
    const p = run(svc, tasks);
    expect(stopsOf(p)).toEqual({ a: S.SHUTDOWN });
    expect(p.create.length).toBe(replaced ? 1 : 0);
    if (!replaced) {
      // The stopped task keeps its slot: nothing is created later either.
      const after = [{ ...tasks[0], desiredState: S.SHUTDOWN } as Task];
      expect(run(svc, after).create).toEqual([]);
    }
  });

  it('max attempts: no replacement once the slot used up its restarts, and the slot is not refilled later', () => {
    const svc = withRestart(1, { maxAttempts: 2 });
    const t = (id: string, at: number, desired: TaskState) => makeTask({ id, slot: 1, nodeId: 'n1', state: S.FAILED, desired, createdAt: at }, svc);
    // Original + 1 restart failed: one attempt left.
    const p1 = run(svc, [t('a', 1, S.SHUTDOWN), t('b', 2, S.RUNNING)]);
    expect(p1.create).toHaveLength(1);
    // Original + 2 restarts failed: done.
    const history = [t('a', 1, S.SHUTDOWN), t('b', 2, S.SHUTDOWN), t('c', 3, S.RUNNING)];
    const p2 = run(svc, history);
    expect(stopsOf(p2)).toEqual({ c: S.SHUTDOWN });
    expect(p2.create).toEqual([]);
    // Next round (c now desired SHUTDOWN): still nothing — the slot stays finished.
    const p3 = run(svc, [t('a', 1, S.SHUTDOWN), t('b', 2, S.SHUTDOWN), t('c', 3, S.SHUTDOWN)]);
    expect(p3.create).toEqual([]);
    expect(p3.stop).toEqual([]);
  });

  it('max attempts with a window only counts restarts inside the window', () => {
    const svc = withRestart(1, { maxAttempts: 1, windowMs: 10_000 });
    const t = (id: string, at: number, desired: TaskState) => makeTask({ id, slot: 1, nodeId: 'n1', state: S.FAILED, desired, createdAt: at }, svc);
    expect(run(svc, [t('a', NOW - 20_000, S.SHUTDOWN), t('b', NOW - 15_000, S.RUNNING)]).create).toHaveLength(1);
    expect(run(svc, [t('a', NOW - 5000, S.SHUTDOWN), t('b', NOW - 1000, S.RUNNING)]).create).toHaveLength(0);
  });

  // Deviation from SwarmKit (which waits the restart delay for DOWN nodes): no delay when the node is the problem.
  it.each([
    ['DOWN', 0],
    ['DRAIN', 0],
    ['missing', 0],
  ] as const)('a running task on a %s node is replaced (startAfter now + %i)', (what, delay) => {
    const node = what === 'DOWN' ? makeNode('n1', { state: 'DOWN' }) : what === 'DRAIN' ? makeNode('n1', { availability: 'DRAIN' }) : undefined;
    const startAfter = NOW + delay;
    const svc = makeService({ replicas: 1 });
    const nodes = [makeNode('n2'), ...(node ? [node] : [])];
    const p = run(svc, [makeTask({ id: 'a', slot: 1, nodeId: 'n1', state: S.RUNNING })], nodes);
    expect(stopsOf(p)).toEqual({ a: S.SHUTDOWN });
    expect(p.create).toHaveLength(1);
    expect(p.create[0]).toMatchObject({ slot: 1, desiredState: S.READY, startAfter });
    expect(p.create[0]?.nodeId).toBeUndefined();
  });

  it('restart condition none does not keep a task on a DOWN node from being replaced', () => {
    const svc = withRestart(1, { condition: 'none' });
    const p = run(svc, [makeTask({ id: 'a', slot: 1, nodeId: 'n1' }, svc)], [makeNode('n1', { state: 'DOWN' })]);
    expect(p.create).toHaveLength(1);
  });

  it('UNKNOWN and PAUSE nodes are valid: their tasks are left alone', () => {
    const svc = makeService({ replicas: 2 });
    const nodes = [makeNode('n1', { state: 'UNKNOWN' }), makeNode('n2', { availability: 'PAUSE' })];
    const tasks = [makeTask({ id: 'a', slot: 1, nodeId: 'n1' }), makeTask({ id: 'b', slot: 2, nodeId: 'n2' })];
    expect(run(svc, tasks, nodes)).toEqual({ create: [], stop: [], start: [], remove: [] });
  });
});

describe('reconcileReplicated: held replacements', () => {
  const svc = makeService({ replicas: 1 });
  const old = (over: Partial<Parameters<typeof makeTask>[0]> = {}) =>
    makeTask({ id: 'old', slot: 1, nodeId: 'n1', state: S.RUNNING, desired: S.SHUTDOWN, createdAt: 1, ...over });
  const held = (startAfter: number) => makeTask({ id: 'new', slot: 1, state: S.NEW, desired: S.READY, createdAt: 2, startAfter });

  it('waits for its delay, asking to be woken then', () => {
    const p = run(svc, [old({ state: S.FAILED }), held(NOW + 100)]);
    expect(p.start).toEqual([]);
    expect(p.wakeAt).toBe(NOW + 100);
    expect(p.create).toEqual([]);
  });

  it('starts once the delay passed and the old task stopped', () => {
    expect(run(svc, [old({ state: S.FAILED }), held(NOW)]).start).toEqual(['new']);
  });

  it('waits while the old task still runs, then starts after OLD_TASK_TIMEOUT_MS anyway', () => {
    const p = run(svc, [old(), held(NOW - 10)]);
    expect(p.start).toEqual([]);
    expect(p.wakeAt).toBe(NOW - 10 + OLD_TASK_TIMEOUT_MS);
    expect(run(svc, [old(), held(NOW - OLD_TASK_TIMEOUT_MS)]).start).toEqual(['new']);
    expect(run(svc, [old(), held(NOW - OLD_TASK_TIMEOUT_MS + 1)]).start).toEqual([]);
  });

  it('does not wait for an old task on a DOWN or deleted node, or one that never ran', () => {
    expect(run(svc, [old(), held(NOW)], [makeNode('n1', { state: 'DOWN' })]).start).toEqual(['new']);
    expect(run(svc, [old(), held(NOW)], []).start).toEqual(['new']);
    expect(run(svc, [old({ state: S.PENDING, nodeId: undefined }), held(NOW)]).start).toEqual(['new']);
  });
});

describe('reconcileReplicated: a slot decided twice', () => {
  // Two replacements for one slot, as two leaders' orchestrators would make them across a leadership change.
  const svc = makeService({ replicas: 2 });
  const other = makeTask({ id: 'b', slot: 2, nodeId: 'n2', createdAt: 1 }, svc);

  it('keeps the task furthest along and shuts the others down', () => {
    const tasks = [
      makeTask({ id: 'gone', slot: 1, nodeId: 'n3', state: S.RUNNING, desired: S.SHUTDOWN, createdAt: 1 }, svc),
      makeTask({ id: 'r1', slot: 1, nodeId: 'n1', state: S.RUNNING, createdAt: 2 }, svc),
      makeTask({ id: 'r2', slot: 1, nodeId: 'n2', state: S.RUNNING, createdAt: 3 }, svc),
      makeTask({ id: 'r3', slot: 1, nodeId: 'n2', state: S.ASSIGNED, createdAt: 4 }, svc),
      makeTask({ id: 'h', slot: 1, state: S.NEW, desired: S.READY, createdAt: 5 }, svc),
      other,
    ];
    const p = run(svc, tasks);
    expect(stopsOf(p)).toEqual({ r2: S.SHUTDOWN, r3: S.SHUTDOWN, h: S.SHUTDOWN });
    expect(p.create).toEqual([]);
  });

  it('a running task outranks an older one still starting', () => {
    const tasks = [makeTask({ id: 'r1', slot: 1, nodeId: 'n1', state: S.STARTING, createdAt: 2 }, svc), makeTask({ id: 'r2', slot: 1, nodeId: 'n2', state: S.RUNNING, createdAt: 3 }, svc), other];
    expect(stopsOf(run(svc, tasks))).toEqual({ r1: S.SHUTDOWN });
  });

  it('leaves what the update and restart supervisors own: an old-spec task beside its start-first replacement, a task on a DOWN node', () => {
    const next = makeService({ ...svc, specVersion: 2, spec: serviceSpec('web', { mode: { kind: 'replicated', replicas: 2 }, task: taskSpec({ image: 'nginx:2' }), update: { ...svc.spec.update!, order: 'start-first' } }) });
    const startFirst = [makeTask({ id: 'old', slot: 1, nodeId: 'n1', createdAt: 1 }, svc), makeTask({ id: 'new', slot: 1, nodeId: 'n2', state: S.STARTING, createdAt: 2 }, next), makeTask({ id: 'b', slot: 2, nodeId: 'n2', createdAt: 1 }, next)];
    expect(run(next, startFirst).stop).toEqual([]);
    const down = [makeTask({ id: 'a', slot: 1, nodeId: 'n3', createdAt: 1 }, svc), makeTask({ id: 'a2', slot: 1, nodeId: 'n1', state: S.RUNNING, createdAt: 2 }, svc), other];
    expect(stopsOf(run(svc, down, [makeNode('n1'), makeNode('n2'), makeNode('n3', { state: 'DOWN' })]))).toEqual({ a: S.SHUTDOWN });
  });
});

describe('reconcileReplicated: rolling update', () => {
  const v2 = (replicas: number, parallelism: number) =>
    makeService({
      specVersion: 2,
      spec: serviceSpec('web', {
        mode: { kind: 'replicated', replicas },
        task: taskSpec({ container: { image: 'nginx:2', command: [], args: [], env: [], labels: {} } }),
        update: { parallelism, delayMs: 0, failureAction: 'pause', monitorMs: 0, maxFailureRatio: 0, order: 'stop-first' },
      }),
    });
  const oldTask = (slot: number) => makeTask({ id: `old${slot}`, slot, nodeId: `n${slot}`, specVersion: 1 });

  it('an identical spec under a new specVersion is not dirty', () => {
    const svc = makeService({ specVersion: 7 });
    expect(isTaskDirty(svc, makeTask({ id: 'a', specVersion: 1 }, { ...svc, specVersion: 1 }))).toBe(false);
    expect(isTaskDirty(v2(1, 1), oldTask(1))).toBe(true);
  });

  it.each([
    [1, 1],
    [2, 2],
    [0, 4],
    [10, 4],
  ])('parallelism %i updates %i of 4 slots at once (stop-first, held replacements)', (parallelism, n) => {
    const svc = v2(4, parallelism);
    const p = run(svc, [1, 2, 3, 4].map(oldTask), [1, 2, 3, 4].map((i) => makeNode(`n${i}`)));
    expect(p.stop).toHaveLength(n);
    expect(p.stop.every((s) => s.desiredState === S.SHUTDOWN)).toBe(true);
    expect(p.create).toHaveLength(n);
    expect(p.create.map((t) => t.slot)).toEqual(p.stop.map((s) => Number(s.id.slice(3))));
    for (const t of p.create) expect(t).toMatchObject({ desiredState: S.READY, startAfter: NOW, specVersion: 2, spec: svc.spec.task });
  });

  it('a slot whose new task is not running yet stays in flight even after its old-spec history was reaped (bug fix)', () => {
    // Found by the simulation below with historyLimit 1: the reaper deleted the stopped old task,
    // and the slot no longer counted as in flight, so a second slot started (parallelism 1 exceeded).
    const svc = v2(2, 1);
    const tasks = [makeTask({ id: 'new1', slot: 1, nodeId: 'n1', state: S.ASSIGNED, specVersion: 2, createdAt: 5 }, svc), oldTask(2)];
    const p = run(svc, tasks, undefined, { historyLimit: 1 });
    expect(p.create).toEqual([]);
    expect(p.stop).toEqual([]);
  });

  it('slots already in flight count against parallelism', () => {
    const svc = v2(3, 2);
    const tasks = [
      { ...oldTask(1), desiredState: S.SHUTDOWN, status: { ...oldTask(1).status, state: S.SHUTDOWN } } as Task,
      makeTask({ id: 'new1', slot: 1, nodeId: 'n1', state: S.ASSIGNED, specVersion: 2, createdAt: 5 }, svc),
      oldTask(2),
      oldTask(3),
    ];
    const p = run(svc, tasks);
    expect(p.create).toHaveLength(1);
    expect(p.create[0]?.slot).toBe(2);
  });
});

describe('reconcileReplicated: task reaper', () => {
  it('deletes REMOVE tasks once stopped (or never assigned), keeps them while still running', () => {
    const svc = makeService({ replicas: 1 });
    const tasks = [
      makeTask({ id: 'live', slot: 1, nodeId: 'n1' }),
      makeTask({ id: 'r-running', slot: 2, nodeId: 'n2', desired: S.REMOVE }),
      makeTask({ id: 'r-done', slot: 3, nodeId: 'n2', desired: S.REMOVE, state: S.SHUTDOWN }),
      makeTask({ id: 'r-pending', slot: 4, desired: S.REMOVE, state: S.PENDING }),
    ];
    const p = run(svc, tasks);
    expect(p.remove.sort()).toEqual(['r-done', 'r-pending']);
    expect(p.create).toEqual([]);
  });

  it('keeps at most the history limit per slot, deleting the oldest stopped tasks first', () => {
    const svc = makeService({ replicas: 1 });
    const dead = [1, 2, 3, 4, 5, 6].map((i) => makeTask({ id: `d${i}`, slot: 1, nodeId: 'n1', state: S.FAILED, desired: S.SHUTDOWN, createdAt: i }));
    const live = makeTask({ id: 'live', slot: 1, nodeId: 'n1', createdAt: 10 });
    const p = run(svc, [...dead.reverse(), live]);
    expect(p.remove.sort()).toEqual(['d1', 'd2']);
    expect(run(svc, [...dead, live], undefined, { historyLimit: 2 }).remove.sort()).toEqual(['d1', 'd2', 'd3', 'd4', 'd5']);
    expect(run(svc, [...dead, live], undefined, { historyLimit: -1 }).remove).toEqual([]);
  });

  it('never deletes a task that is still running, even beyond the limit', () => {
    const svc = makeService({ replicas: 1 });
    const stopping = [1, 2, 3].map((i) => makeTask({ id: `s${i}`, slot: 1, nodeId: 'n1', state: S.RUNNING, desired: S.SHUTDOWN, createdAt: i }));
    const live = makeTask({ id: 'live', slot: 1, nodeId: 'n2', createdAt: 10 });
    expect(run(svc, [...stopping, live], undefined, { historyLimit: 1 }).remove).toEqual([]);
  });

  it('with max attempts the limit is max attempts + 1', () => {
    const svc = withRestart(1, { maxAttempts: 2 });
    const dead = [1, 2, 3, 4].map((i) => makeTask({ id: `d${i}`, slot: 1, nodeId: 'n1', state: S.FAILED, desired: S.SHUTDOWN, createdAt: i }, svc));
    const live = makeTask({ id: 'live', slot: 1, nodeId: 'n1', createdAt: 10 }, svc);
    expect(run(svc, [...dead, live], undefined, { historyLimit: 10 }).remove.sort()).toEqual(['d1', 'd2']);
  });
});
