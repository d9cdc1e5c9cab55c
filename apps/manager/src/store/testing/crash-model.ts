/**
 * The deterministic workload of the crash test. Commit version v:
 *   v = 1: create service "counter";
 *   v > 1: bump the counter's specVersion to v, create task t<v>, and on every
 *          5th version delete task t<v-3>.
 * `expectedTaskIds(v)` is the oracle for the state at version v.
 */
import { TaskState } from '@swarm/shared';
import type { WriteTx } from '../tx.js';

const spec = {
  annotations: { name: 'counter', labels: {} },
  task: {
    container: { image: 'busybox:latest', command: [], args: [], env: [], labels: {} },
    resources: { limits: { nanoCpus: 0, memoryBytes: 0, generic: {} }, reservations: { nanoCpus: 0, memoryBytes: 0, generic: {} } },
    placement: { constraints: [], preferences: [], platforms: [], maxReplicas: 0 },
    forceUpdate: 0,
  },
  mode: { kind: 'replicated' as const, replicas: 1 },
};

export function crashCommit(tx: WriteTx): void {
  const v = tx.version;
  if (v === 1) {
    tx.create('services', { id: 'counter', spec, specVersion: 1 });
    return;
  }
  const svc = tx.get('services', 'counter');
  if (!svc) throw new Error(`counter missing at version ${v}`);
  tx.update('services', { ...svc, specVersion: v });
  tx.create('tasks', {
    id: `t${v}`,
    spec: spec.task,
    specVersion: v,
    serviceId: 'counter',
    slot: v,
    annotations: { name: '', labels: {} },
    serviceAnnotations: spec.annotations,
    status: { timestamp: v, state: TaskState.NEW, message: 'x'.repeat(v % 97) },
    desiredState: TaskState.RUNNING,
  });
  if (v % 5 === 0 && v - 3 >= 2) tx.delete('tasks', `t${v - 3}`);
}

export function expectedTaskIds(version: number): string[] {
  const ids = new Set<string>();
  for (let v = 2; v <= version; v++) {
    ids.add(`t${v}`);
    if (v % 5 === 0 && v - 3 >= 2) ids.delete(`t${v - 3}`);
  }
  return [...ids].sort();
}
