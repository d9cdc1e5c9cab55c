import { describe, expect, it } from 'vitest';
import type { Node, Service, Task } from '@swarm/shared';
import { rollout } from './rollout';
import { tableItems } from './slot-rows';
import { pendingReasons } from './selectors';

const RUNNING = 512;
const FAILED = 704;
const SHUTDOWN = 640;
const specA = { container: { image: 'a' } };
const specB = { container: { image: 'b' } };
const service = (over: Partial<Service> = {}) =>
  ({ id: 's', specVersion: 10, spec: { annotations: { name: 'web' }, task: specB, mode: { kind: 'replicated', replicas: 4 }, update: { parallelism: 2 } }, ...over }) as unknown as Service;
let n = 0;
const task = (slot: number, spec: object, state: number, desired = RUNNING, specVersion = 1) =>
  ({ id: `t${++n}`, serviceId: 's', slot, spec, specVersion, status: { state }, desiredState: desired, serviceAnnotations: { name: 'web' }, annotations: { name: '' }, meta: { createdAt: n } }) as unknown as Task;
const nodes = new Map<string, Node>();

describe('rollout', () => {
  it('counts slots on the new spec, being replaced, failed and old; batches by parallelism', () => {
    const tasks = [
      task(1, specB, RUNNING, RUNNING, 5), // updated (same spec content, older spec version; tasks of one version share a spec)
      task(2, specA, SHUTDOWN, SHUTDOWN),
      task(2, specB, 448, RUNNING, 10), // being replaced
      task(3, specA, RUNNING), // old
      task(4, specA, SHUTDOWN, SHUTDOWN),
      task(4, specB, FAILED, SHUTDOWN, 10), // failed
    ];
    const r = rollout(service({ updateStatus: { state: 'paused', message: 'x' } }), tasks, nodes);
    expect(r.groups.map((g) => g.state)).toEqual(['updated', 'updating', 'old', 'failed']);
    expect(r).toMatchObject({ updated: 1, updating: 1, failed: 1, total: 4, parallelism: 2, batches: 2, batch: 1, rollback: false });
  });

  it('uses the rollback config while rolling back, and the defaults without one', () => {
    const s = service({ updateStatus: { state: 'rollback_started', message: '' } });
    expect(rollout(s, [task(1, specB, RUNNING)], nodes)).toMatchObject({ rollback: true, parallelism: 1, batches: 1, batch: 1 });
  });

  it('groups by slot with a header per slot that has history, and its counts', () => {
    const tasks = [task(1, specB, RUNNING), task(1, specA, FAILED, SHUTDOWN), task(2, specB, RUNNING)];
    const items = tableItems(tasks, nodes, true);
    // Slot 2 has no history: no header of its own.
    expect(items.map((i) => i.kind)).toEqual(['slot', 'task', 'task', 'task']);
    expect(items[0]).toMatchObject({ label: 'Slot 1', tasks: 2, history: 1 });
    expect(tableItems(tasks, nodes, false)).toHaveLength(3);
  });

  it('pending reasons: the scheduler explanation, most frequent first', () => {
    const p = (err: string) => ({ ...task(1, specB, 64), status: { state: 64, message: 'pending task scheduling', err } }) as Task;
    expect(pendingReasons([p('no suitable node (a)'), p('no suitable node (b)'), p('no suitable node (b)'), task(2, specB, RUNNING)])).toEqual([
      { reason: 'no suitable node (b)', count: 2 },
      { reason: 'no suitable node (a)', count: 1 },
    ]);
  });
});
