import { describe, expect, it } from 'vitest';
import type { Service, Task } from '@swarm/shared';
import { replicaCounts, sortTasks } from './selectors';

const svc = (id: string, replicas: number) => ({ id, spec: { annotations: { name: id }, mode: { kind: 'replicated', replicas } } }) as unknown as Service;
const task = (id: string, serviceId: string, slot: number, state: number, desired = 512, createdAt = 0) =>
  ({ id, serviceId, slot, status: { state }, desiredState: desired, serviceAnnotations: { name: serviceId }, meta: { createdAt } }) as unknown as Task;

describe('replicaCounts', () => {
  it('counts running tasks that should keep running against the replica count', () => {
    const services = new Map([['a', svc('a', 3)]]);
    const tasks = new Map(
      [
        task('1', 'a', 1, 512),
        task('2', 'a', 2, 448), // starting
        task('3', 'a', 3, 512, 640), // running but being shut down
        task('4', 'a', 3, 704, 640), // failed history
      ].map((t) => [t.id, t]),
    );
    expect(replicaCounts(services, tasks).get('a')).toEqual({ running: 1, desired: 3 });
  });
});

describe('sortTasks', () => {
  it('orders by service, slot, current before history, newest history first', () => {
    const sorted = sortTasks([
      task('old', 'a', 1, 704, 640, 1),
      task('b1', 'b', 1, 512),
      task('cur', 'a', 1, 512, 512, 3),
      task('older', 'a', 1, 704, 640, 0),
      task('a2', 'a', 2, 512),
    ]);
    expect(sorted.map((t) => t.id)).toEqual(['cur', 'old', 'older', 'a2', 'b1']);
  });
});
