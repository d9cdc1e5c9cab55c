import { describe, expect, it } from 'vitest';
import type { Service, Task } from '@swarm/shared';
import { clusterOverview, filterTasks, replicaCounts, serviceHealth, sortTasks } from './selectors';
import type { Node } from '@swarm/shared';

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

describe('filterTasks', () => {
  const t = (id: string, serviceId: string, nodeId: string, state: number, desired = 512) =>
    ({ id, serviceId, nodeId, slot: 1, status: { state }, desiredState: desired, annotations: { name: '' }, serviceAnnotations: { name: serviceId }, meta: { createdAt: 0 } }) as unknown as Task;
  const all = [t('1', 'a', 'n1', 512), t('2', 'a', 'n2', 704, 640), t('3', 'b', 'n1', 512), t('4', 'b', 'n2', 64)];
  const ids = (f: Parameters<typeof filterTasks>[2]) => filterTasks(all, new Map(), f).map((x) => x.id);
  it('filters by service, node, state, desired state, text and history', () => {
    expect(ids({})).toEqual(['1', '2', '3', '4']);
    expect(ids({ service: 'a' })).toEqual(['1', '2']);
    expect(ids({ node: 'n1' })).toEqual(['1', '3']);
    expect(ids({ state: 'RUNNING' })).toEqual(['1', '3']);
    expect(ids({ desired: 'SHUTDOWN' })).toEqual(['2']);
    expect(ids({ service: 'b', node: 'n2' })).toEqual(['4']);
    expect(ids({ history: false })).toEqual(['1', '3', '4']);
    expect(ids({ text: 'failed' })).toEqual(['2']);
  });
});

describe('overview', () => {
  const node = (id: string, state: string, availability: string, managerStatus?: Node['managerStatus']) =>
    ({ id, role: managerStatus ? 'MANAGER' : 'WORKER', status: { state }, spec: { availability, annotations: { name: id } }, managerStatus }) as unknown as Node;
  it('counts managers, Raft reachability, node status and availability, service health', () => {
    const nodes = new Map(
      [
        node('m1', 'READY', 'ACTIVE', { raftId: '1', addr: 'a', leader: true, reachability: 'REACHABLE' }),
        node('m2', 'DOWN', 'ACTIVE', { raftId: '2', addr: 'b', leader: false, reachability: 'UNREACHABLE' }),
        node('w1', 'READY', 'DRAIN'),
      ].map((n) => [n.id, n]),
    );
    const services = new Map([
      ['ok', svc('ok', 1)],
      ['short', svc('short', 3)],
      ['upd', { ...svc('upd', 1), updateStatus: { state: 'updating', message: '' } } as Service],
      ['paused', { ...svc('paused', 1), updateStatus: { state: 'paused', message: 'x' } } as Service],
    ]);
    const counts = new Map([
      ['ok', { running: 1, desired: 1 }],
      ['short', { running: 1, desired: 3 }],
      ['upd', { running: 1, desired: 1 }],
      ['paused', { running: 1, desired: 1 }],
    ]);
    const o = clusterOverview(nodes, services, counts);
    expect(o.leader?.id).toBe('m1');
    expect(o.managers.map((m) => m.id)).toEqual(['m1', 'm2']);
    expect([o.reachable, o.unreachable]).toEqual([1, 1]);
    expect(o.byStatus).toMatchObject({ READY: 2, DOWN: 1 });
    expect(o.byAvailability).toMatchObject({ ACTIVE: 2, DRAIN: 1 });
    expect(o.services.converged.map((s) => s.id)).toEqual(['ok']);
    expect(o.services.updating.map((s) => s.id)).toEqual(['upd']);
    expect(o.services.degraded.map((s) => s.id).sort()).toEqual(['paused', 'short']);
    expect(serviceHealth(svc('x', 2), { running: 2, desired: 2 })).toBe('converged');
  });
});
