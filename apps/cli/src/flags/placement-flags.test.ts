import { describe, expect, it } from 'vitest';
import { type Task, TaskState } from '@swarm/shared';
import { applyServiceFlags, newServiceSpec } from './service-flags.js';
import { pendingReasons, reservedBy } from '../format/print.js';

const base = () => ({ ...newServiceSpec(), annotations: { name: 'web', labels: {} } });

describe('placement flags', () => {
  it('--placement-pref nests in order; --generic-resources reserves discrete resources', () => {
    const r = applyServiceFlags(base(), { placementPref: ['spread=node.labels.zone', 'spread=engine.labels.rack'], genericResources: ['gpu=2,fpga=1'] });
    expect(r.ok && r.value.task.placement.preferences).toEqual([{ spread: 'node.labels.zone' }, { spread: 'engine.labels.rack' }]);
    expect(r.ok && r.value.task.resources.reservations.generic).toEqual({ gpu: 2, fpga: 1 });
    const cleared = applyServiceFlags(r.ok ? r.value : base(), { placementPref: [''], genericResources: [''] });
    expect(cleared.ok && [cleared.value.task.placement.preferences, cleared.value.task.resources.reservations.generic]).toEqual([[], {}]);
  });

  it.each([
    [{ placementPref: ['pack=node.labels.zone'] }, 'invalid --placement-pref "pack=node.labels.zone": expected spread=<descriptor>'],
    [{ placementPref: ['spread=node.zone'] }, "invalid --placement-pref: invalid spread descriptor 'node.zone'"],
    [{ genericResources: ['gpu'] }, 'invalid --generic-resources "gpu": expected NAME=COUNT'],
    [{ genericResources: ['gpu=-1'] }, 'invalid --generic-resources "gpu=-1"'],
    [{ constraint: ['node.labels.zone=eu'] }, 'invalid --constraint: constraint expected one operator from ==, != at position 17 of "node.labels.zone=eu"'],
    [{ constraint: ['node.colour==red'] }, "invalid --constraint: unknown constraint key 'node.colour'"],
    [{ replicasMaxPerNode: '-1' }, 'replicas-max-per-node'],
  ])('%j → %s', (flags, message) => {
    const r = applyServiceFlags(base(), flags);
    expect(r.ok ? '' : r.error).toContain(message);
  });
});

describe('node inspect: reserved resources', () => {
  it('sums what counted tasks hold', () => {
    const tasks = [makeTaskForPrint('a', 512, { gpu: 1 }), makeTaskForPrint('b', 1024, { gpu: 1 }), makeTaskForPrint('done', 4096, {}, 576)];
    expect(reservedBy(tasks)).toEqual({ nanoCpus: 2e9, memoryBytes: 1536, generic: { gpu: 2 } });
  });

  it('service inspect lists why tasks are pending', () => {
    const why = 'no suitable node (insufficient memory on 3 nodes; scheduling constraints not satisfied on 2 nodes)';
    const pend = (id: string) => ({ ...makeTaskForPrint(id, 0, {}, TaskState.PENDING), status: { timestamp: 0, state: TaskState.PENDING, message: 'pending task scheduling', err: why } });
    expect(pendingReasons([pend('a'), pend('b'), makeTaskForPrint('c', 0, {})])).toBe(`Pending: 2 tasks: ${why}\n`);
    expect(pendingReasons([makeTaskForPrint('c', 0, {})])).toBe('');
  });
});

function makeTaskForPrint(id: string, memoryBytes: number, generic: Record<string, number>, state: number = TaskState.RUNNING): Task {
  return {
    id,
    meta: { version: 1, createdAt: 0, updatedAt: 0 },
    spec: {
      container: { image: 'x', command: [], args: [], env: [], labels: {} },
      resources: { limits: { nanoCpus: 0, memoryBytes: 0, generic: {} }, reservations: { nanoCpus: 1e9, memoryBytes, generic } },
      placement: { constraints: [], preferences: [], platforms: [], maxReplicas: 0 },
      forceUpdate: 0,
    },
    specVersion: 1,
    serviceId: 's',
    slot: 1,
    nodeId: 'n',
    annotations: { name: '', labels: {} },
    serviceAnnotations: { name: 's', labels: {} },
    status: { timestamp: 0, state: state as Task['status']['state'], message: '' },
    desiredState: TaskState.RUNNING,
  };
}
