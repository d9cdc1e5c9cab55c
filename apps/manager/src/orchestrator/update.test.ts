import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Service, type Task, TaskState, type UpdateConfig } from '@swarm/shared';
import { makeNode, makeService, makeTask, serviceSpec, taskSpec } from '../testing/fixtures.js';
import { type World, applyPlan, planFor } from '../testing/orchestrator-sim.js';
import { isRunnable, isTaskDirty } from './task.js';

const S = TaskState;
const NOW = 1_000_000;

function cfg(over: Partial<UpdateConfig> = {}): UpdateConfig {
  return { parallelism: 1, delayMs: 0, failureAction: 'pause', monitorMs: 0, maxFailureRatio: 0, order: 'stop-first', ...over };
}

/** A world with `replicas` running tasks of spec v1 on n1..n3, then the service updated to image v2. */
function updatedWorld(replicas: number, update: UpdateConfig, rollback?: UpdateConfig): World {
  const v1 = serviceSpec('web', { mode: { kind: 'replicated', replicas }, task: taskSpec({ container: { image: 'img:1', command: [], args: [], env: [], labels: {} } }) });
  const old: Service = makeService({ spec: v1, specVersion: 1 });
  const nodes = new Map(['n1', 'n2', 'n3'].map((id) => [id, makeNode(id)]));
  const tasks = new Map<string, Task>();
  for (let i = 1; i <= replicas; i++) tasks.set(`o${i}`, { ...makeTask({ id: `o${i}`, slot: i, nodeId: `n${(i % 3) + 1}` }, old), runningAt: 0 });
  const v2 = { ...v1, task: taskSpec({ container: { image: 'img:2', command: [], args: [], env: [], labels: {} } }), update, ...(rollback ? { rollback } : {}) };
  const service: Service = { ...old, spec: v2, specVersion: 10, previousSpec: { ...v1, update, ...(rollback ? { rollback } : {}) }, previousSpecVersion: 1 };
  return { now: NOW, service, nodes, tasks, historyLimit: 5, nextId: 0, version: 10 };
}

/** Simulated agent + scheduler: place, advance and finish tasks; `fail(t)` decides which new tasks fail. */
function agentStep(w: World, fail: (t: Task) => boolean): void {
  for (const t of [...w.tasks.values()]) {
    let next: Task | undefined;
    if (t.desiredState >= S.SHUTDOWN && t.status.state <= S.RUNNING) next = { ...t, status: { ...t.status, state: S.SHUTDOWN, timestamp: w.now } };
    else if (t.desiredState === S.RUNNING && t.status.state < S.RUNNING) {
      next = fail(t)
        ? { ...t, nodeId: t.nodeId ?? 'n1', status: { state: S.FAILED, timestamp: w.now, message: 'started', err: 'exit 1' } }
        : { ...t, nodeId: t.nodeId ?? 'n1', runningAt: w.now, status: { state: S.RUNNING, timestamp: w.now, message: 'started' } };
    }
    if (next) w.tasks.set(t.id, { ...next, meta: { ...t.meta, version: ++w.version } });
  }
}

function round(w: World, fail: (t: Task) => boolean = () => false, dt = 100): ReturnType<typeof planFor> {
  const p = planFor(w);
  applyPlan(w, p);
  agentStep(w, fail);
  w.now += dt;
  return p;
}

const live = (w: World) => [...w.tasks.values()].filter(isRunnable);
const image = (t: Task) => t.spec.container.image;

describe('update supervisor', () => {
  it('sets updating, then completed once nothing is dirty and the monitor window passed', () => {
    const w = updatedWorld(3, cfg({ monitorMs: 1000 }));
    round(w);
    expect(w.service.updateStatus).toMatchObject({ state: 'updating', message: 'update in progress', startedAt: NOW });
    for (let i = 0; i < 20 && w.service.updateStatus?.state === 'updating'; i++) round(w);
    expect(w.service.updateStatus).toMatchObject({ state: 'completed', message: 'update completed' });
    expect(live(w).map(image)).toEqual(['img:2', 'img:2', 'img:2']);
  });

  it('waits `delay` after a slot finished before starting the next', () => {
    const w = updatedWorld(3, cfg({ delayMs: 1000 }));
    round(w); // replace slot 1 (stop-first)
    round(w); // start it
    const p = planFor(w); // slot 1 running; delay not over: nothing new, wake at runningAt + delay
    expect(p.create).toHaveLength(0);
    const started = [...w.tasks.values()].find((t) => image(t) === 'img:2')?.runningAt ?? 0;
    expect(p.wakeAt).toBe(started + 1000);
    w.now = started + 1000;
    expect(planFor(w).create).toHaveLength(1);
  });

  it('pauses on the first failure with a message naming the task and why', () => {
    const w = updatedWorld(3, cfg());
    for (let i = 0; i < 5; i++) round(w, (t) => image(t) === 'img:2');
    expect(w.service.updateStatus?.state).toBe('paused');
    expect(w.service.updateStatus?.message).toMatch(/^update paused due to failure or early termination of task \S+: exit 1$/);
    // Paused: no further slot is touched.
    const before = live(w).filter((t) => image(t) === 'img:1').length;
    for (let i = 0; i < 5; i++) round(w, (t) => image(t) === 'img:2');
    expect(live(w).filter((t) => image(t) === 'img:1').length).toBe(before);
    expect(before).toBe(2);
  });

  it('rolls back to the previous spec on failure (rollback action), then completes the rollback', () => {
    const w = updatedWorld(3, cfg({ failureAction: 'rollback' }), cfg({ parallelism: 0 }));
    for (let i = 0; i < 5 && w.service.updateStatus?.state !== 'rollback_started'; i++) round(w, (t) => image(t) === 'img:2');
    expect(w.service.updateStatus).toMatchObject({ state: 'rollback_started' });
    expect(w.service.updateStatus?.message).toMatch(/^update rolled back due to failure or early termination of task/);
    expect(w.service.spec.task.container.image).toBe('img:1');
    expect(w.service.specVersion).toBe(1);
    expect(w.service.previousSpec).toBeUndefined();
    for (let i = 0; i < 10 && w.service.updateStatus?.state === 'rollback_started'; i++) round(w, (t) => image(t) === 'img:2');
    expect(w.service.updateStatus).toMatchObject({ state: 'rollback_completed', message: 'rollback completed' });
    expect(live(w).map(image)).toEqual(['img:1', 'img:1', 'img:1']);
  });

  it('continue ignores failures; the ratio tolerates failures up to it', () => {
    const w = updatedWorld(4, cfg({ failureAction: 'pause', maxFailureRatio: 0.5, parallelism: 0 }));
    let n = 0;
    for (let i = 0; i < 3; i++) round(w, (t) => image(t) === 'img:2' && n++ < 2);
    expect(w.service.updateStatus?.state).toBe('updating');
    const w2 = updatedWorld(4, cfg({ failureAction: 'pause', maxFailureRatio: 0.5, parallelism: 0 }));
    let m = 0;
    for (let i = 0; i < 3; i++) round(w2, (t) => image(t) === 'img:2' && m++ < 3);
    expect(w2.service.updateStatus?.state).toBe('paused');
  });

  it('a failure after the monitor window is not an update failure', () => {
    const w = updatedWorld(1, cfg({ monitorMs: 200 }));
    round(w);
    round(w);
    w.now += 1000;
    const t = live(w).find((x) => image(x) === 'img:2') as Task;
    w.tasks.set(t.id, { ...t, status: { state: S.FAILED, timestamp: w.now, message: 'died' } });
    round(w);
    expect(w.service.updateStatus?.state).not.toBe('paused');
  });

  it('start-first: the new task starts before the old one is stopped', () => {
    const w = updatedWorld(1, cfg({ order: 'start-first' }));
    const p = planFor(w);
    expect(p.stop).toEqual([]);
    expect(p.create).toHaveLength(1);
    expect(p.create[0]?.desiredState).toBe(S.RUNNING);
    applyPlan(w, p);
    expect(live(w)).toHaveLength(2);
    agentStep(w, () => false);
    const p2 = planFor(w);
    expect(p2.stop).toEqual([{ id: 'o1', desiredState: S.SHUTDOWN }]);
  });

  it('manual rollback state uses the rollback config', () => {
    const w = updatedWorld(4, cfg({ parallelism: 1 }), cfg({ parallelism: 0 }));
    w.service = { ...w.service, updateStatus: { state: 'rollback_started', startedAt: NOW, message: 'manually requested rollback' } };
    expect(planFor(w).create).toHaveLength(4);
  });

  it('a new spec during an update supersedes it: status restarts, half-updated slots move to the newest spec', () => {
    const w = updatedWorld(4, cfg({ parallelism: 2 }));
    round(w);
    round(w);
    expect(w.service.updateStatus?.state).toBe('updating');
    // What updateService does: previous := current, new spec version, status cleared.
    const v3 = { ...w.service.spec, task: taskSpec({ container: { image: 'img:3', command: [], args: [], env: [], labels: {} } }) };
    const { updateStatus: _, ...rest } = w.service;
    w.service = { ...rest, spec: v3, previousSpec: w.service.spec, previousSpecVersion: w.service.specVersion, specVersion: 20 };
    round(w);
    expect(w.service.updateStatus).toMatchObject({ state: 'updating', startedAt: w.now - 100 });
    for (let i = 0; i < 30 && w.service.updateStatus?.state !== 'completed'; i++) round(w);
    expect(w.service.updateStatus?.state).toBe('completed');
    expect(live(w).map(image)).toEqual(['img:3', 'img:3', 'img:3', 'img:3']);
  });

  it('property: for any cluster and spec, the update never exceeds parallelism and converges', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 0, max: 4 }),
        fc.constantFrom<UpdateConfig['order']>('stop-first', 'start-first'),
        fc.integer({ min: 0, max: 300 }),
        fc.array(fc.boolean(), { minLength: 60, maxLength: 60 }),
        (replicas, parallelism, order, delayMs, flaky) => {
          const w = updatedWorld(replicas, cfg({ parallelism, order, delayMs, failureAction: 'continue', monitorMs: 100 }), undefined);
          w.service.spec.task.restart = { condition: 'any', delayMs: 0, maxAttempts: 0, windowMs: 0 };
          let i = 0;
          for (; i < 400 && w.service.updateStatus?.state !== 'completed'; i++) {
            // Some new tasks fail once (then restart); parallelism counts slots with a fresh task not yet running.
            round(w, (t) => image(t) === 'img:2' && !!flaky[i % 60] && t.meta.createdAt === w.now - 100, 50);
            const inFlight = new Set(live(w).filter((t) => !isTaskDirty(w.service, t) && t.status.state < S.RUNNING).map((t) => t.slot));
            if (parallelism > 0) expect(inFlight.size).toBeLessThanOrEqual(parallelism);
          }
          expect(w.service.updateStatus?.state).toBe('completed');
          const slots = new Map<number, number>();
          for (const t of live(w)) slots.set(t.slot, (slots.get(t.slot) ?? 0) + 1);
          expect([...slots.values()].every((c) => c === 1)).toBe(true);
          expect(live(w).every((t) => image(t) === 'img:2' && t.status.state === S.RUNNING)).toBe(true);
          expect(slots.size).toBe(replicas);
        },
      ),
      { numRuns: 150 },
    );
  });
});
