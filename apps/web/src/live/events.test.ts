import { describe, expect, it } from 'vitest';
import type { CommitEvent, Node, Service, Task } from '@swarm/shared';
import { events, matchesEvent, MAX_EVENTS, type EventTables } from './events';
import { createLiveStore } from './store';

const meta = (version: number, updatedAt = 1000) => ({ version, createdAt: 0, updatedAt });
const service = (id: string, version: number, replicas = 1, extra: Partial<Service> = {}) =>
  ({ id, meta: meta(version), specVersion: version, spec: { annotations: { name: id, labels: {} }, mode: { kind: 'replicated', replicas } }, ...extra }) as unknown as Service;
const task = (id: string, version: number, state: number, err?: string) =>
  ({
    id,
    meta: meta(version),
    serviceId: 'web',
    slot: 2,
    nodeId: 'n1',
    annotations: { name: '' },
    serviceAnnotations: { name: 'web' },
    status: { state, timestamp: 5000 + version, message: '', ...(err ? { err } : {}) },
    desiredState: 512,
  }) as unknown as Task;
const node = (id: string, version: number, state = 'READY', availability = 'ACTIVE', managerStatus?: Node['managerStatus']) =>
  ({
    id,
    meta: meta(version),
    role: managerStatus ? 'MANAGER' : 'WORKER',
    spec: { annotations: { name: '', labels: {} }, availability, desiredRole: 'WORKER' },
    description: { hostname: `host-${id}` },
    status: { state, message: state === 'DOWN' ? 'heartbeat failure' : '', addr: '' },
    managerStatus,
  }) as unknown as Node;

const empty = (): EventTables => ({ nodes: new Map(), services: new Map(), tasks: new Map() });
const commit = (version: number, changes: CommitEvent['changes']): CommitEvent => ({ version, changes });

describe('events(commit, before)', () => {
  it('service created, scaled, updated, removed', () => {
    const before = empty();
    expect(events(commit(2, [{ table: 'services', action: 'create', object: service('web', 2, 3) }]), before)).toMatchObject([
      { id: '2:0', version: 2, kind: 'service', action: 'created', objectName: 'web', message: 'Service web created (3 replicas)', at: 1000 },
    ]);
    before.services = new Map([['web', service('web', 2, 3)]]);
    expect(events(commit(3, [{ table: 'services', action: 'update', object: service('web', 3, 5) }]), before)).toMatchObject([
      { action: 'scaled', message: 'Service web scaled from 3 to 5' },
    ]);
    const image = service('web', 4, 3);
    expect(events(commit(4, [{ table: 'services', action: 'update', object: image }]), before)[0]).toMatchObject({ action: 'updated' });
    // No spec change, no replica change: no event (e.g. an internal bookkeeping write).
    expect(events(commit(5, [{ table: 'services', action: 'update', object: { ...service('web', 5, 3), specVersion: 2 } }]), before)).toEqual([]);
    expect(events(commit(6, [{ table: 'services', action: 'delete', object: service('web', 2, 3) }]), before)).toMatchObject([{ action: 'removed' }]);
  });

  it('update paused carries its message as the error', () => {
    const before = empty();
    before.services = new Map([['web', service('web', 2, 3, { updateStatus: { state: 'updating', message: '' } })]]);
    const paused = { ...service('web', 3, 3), specVersion: 2, updateStatus: { state: 'paused', message: 'update paused due to failure of task t9' } } as Service;
    expect(events(commit(3, [{ table: 'services', action: 'update', object: paused }]), before)).toMatchObject([
      { action: 'paused', severity: 'warn', error: 'update paused due to failure of task t9', message: 'Service web: update paused: update paused due to failure of task t9' },
    ]);
  });

  it('task state changes: only meaningful states, with the error, compared within the commit', () => {
    const before = empty();
    before.tasks = new Map([['t1', task('t1', 1, 448)]]);
    const out = events(
      commit(2, [
        { table: 'tasks', action: 'update', object: task('t1', 2, 512) },
        { table: 'tasks', action: 'update', object: task('t1', 3, 704, 'task: non-zero exit (137)') },
        { table: 'tasks', action: 'create', object: task('t2', 2, 0) },
        { table: 'tasks', action: 'update', object: task('t2', 3, 64) },
        { table: 'tasks', action: 'delete', object: task('t3', 1, 640) },
      ]),
      before,
    );
    expect(out).toMatchObject([
      { kind: 'task', action: 'running', severity: 'ok', objectName: 'web.2', message: 'Task web.2 running (was starting)', at: 5002 },
      { kind: 'task', action: 'failed', severity: 'error', error: 'task: non-zero exit (137)', message: 'Task web.2 failed (was running): task: non-zero exit (137)' },
    ]);
    // Same state again (e.g. a status message update): nothing.
    before.tasks = new Map([['t1', task('t1', 3, 704)]]);
    expect(events(commit(4, [{ table: 'tasks', action: 'update', object: task('t1', 4, 704) }]), before)).toEqual([]);
    // A task created already rejected is news.
    expect(events(commit(5, [{ table: 'tasks', action: 'create', object: task('t5', 5, 768, 'no suitable node') }]), before)[0]).toMatchObject({ action: 'rejected', error: 'no suitable node' });
  });

  it('node joined, down, ready, availability, leader, reachability, removed', () => {
    const before = empty();
    expect(events(commit(2, [{ table: 'nodes', action: 'create', object: node('n1', 2) }]), before)[0]).toMatchObject({ action: 'joined', message: 'Node host-n1 joined as worker' });
    before.nodes = new Map([['n1', node('n1', 2)]]);
    expect(events(commit(3, [{ table: 'nodes', action: 'update', object: node('n1', 3, 'DOWN') }]), before)).toMatchObject([
      { action: 'down', severity: 'error', message: 'Node host-n1 is down: heartbeat failure', error: 'heartbeat failure' },
    ]);
    before.nodes = new Map([['n1', node('n1', 3, 'DOWN')]]);
    expect(events(commit(4, [{ table: 'nodes', action: 'update', object: node('n1', 4, 'READY', 'DRAIN') }]), before)).toMatchObject([
      { action: 'ready', severity: 'ok' },
      { action: 'drain', severity: 'warn', message: 'Node host-n1 availability active → drain' },
    ]);
    const ms = (leader: boolean, reachability: 'REACHABLE' | 'UNREACHABLE') => ({ raftId: '1', addr: 'x', leader, reachability });
    before.nodes = new Map([['m', node('m', 1, 'READY', 'ACTIVE', ms(false, 'REACHABLE'))]]);
    expect(events(commit(5, [{ table: 'nodes', action: 'update', object: node('m', 5, 'READY', 'ACTIVE', ms(true, 'UNREACHABLE')) }]), before)).toMatchObject([
      { action: 'leader' },
      { action: 'unreachable', severity: 'error' },
    ]);
    expect(events(commit(6, [{ table: 'nodes', action: 'delete', object: node('n1', 4) }]), before)[0]).toMatchObject({ action: 'removed' });
  });

  it('filters by kind, object, text and problems', () => {
    const before = empty();
    before.tasks = new Map([['t1', task('t1', 1, 512)]]);
    const [failed] = events(commit(2, [{ table: 'tasks', action: 'update', object: task('t1', 2, 704, 'exit 1') }]), before);
    const e = failed!;
    expect(matchesEvent(e, { kind: 'task' })).toBe(true);
    expect(matchesEvent(e, { kind: 'node' })).toBe(false);
    expect(matchesEvent(e, { object: 'web' })).toBe(true); // service ID
    expect(matchesEvent(e, { object: 'web.2' })).toBe(true);
    expect(matchesEvent(e, { object: 'n1' })).toBe(true); // its node
    expect(matchesEvent(e, { object: 'api' })).toBe(false);
    expect(matchesEvent(e, { text: 'EXIT 1' })).toBe(true);
    expect(matchesEvent(e, { text: 'oom' })).toBe(false);
    expect(matchesEvent(e, { problems: true })).toBe(true);
  });
});

describe('live store event log', () => {
  it('keeps the newest MAX_EVENTS, newest first, and none from snapshots', () => {
    const store = createLiveStore({ now: () => 1, schedule: () => {} });
    store.apply({ kind: 'snapshot', snapshot: { version: 1, nodes: [], services: [service('web', 1)], tasks: [], clusters: [] } });
    expect(store.getState().events).toEqual([]);
    const n = MAX_EVENTS + 300;
    for (let v = 2; v < 2 + n; v++) store.apply({ kind: 'commit', event: { version: v, changes: [{ table: 'services', action: 'update', object: service('web', v, v) }] } });
    const evs = store.getState().events;
    expect(evs).toHaveLength(MAX_EVENTS);
    expect(evs[0]!.version).toBe(n + 1);
    expect(evs[MAX_EVENTS - 1]!.version).toBe(n + 2 - MAX_EVENTS);
    // Identity is stable while nothing new arrives.
    expect(store.getState().events).toBe(evs);
  });
});
