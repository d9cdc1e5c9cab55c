import { describe, expect, it } from 'vitest';
import { type Cluster, type Node, type Service, type Task, ServiceSpecSchema, TaskState } from '@swarm/shared';
import { Resolver } from '../commands/common.js';
import { clusterSummary, lastState, managerStatusText, nodeSummary, nodesTable, replicasText, serviceSummary, servicesTable, taskPrint, taskSummary, tasksTable } from './print.js';

const NOW = 1_700_000_000_000;
const meta = { version: 1, createdAt: NOW - 60_000, updatedAt: NOW - 60_000 };

const node = (id: string, over: Partial<Node> = {}): Node => ({
  id,
  meta,
  spec: { annotations: { name: '', labels: {} }, desiredRole: 'WORKER', membership: 'ACCEPTED', availability: 'ACTIVE' },
  status: { state: 'READY', message: '', addr: '10.0.0.1' },
  role: 'WORKER',
  ...over,
});

const service = (id: string, name: string, mode: Service['spec']['mode'] = { kind: 'replicated', replicas: 3 }): Service => ({
  id,
  meta,
  specVersion: 1,
  spec: ServiceSpecSchema.parse({ annotations: { name, labels: {} }, task: { container: { image: 'nginx:1', command: ['nginx', '-g'], args: ['daemon off;'], env: ['A=1'] } }, mode }),
});

const task = (id: string, svc: Service, slot: number, over: Partial<Task> = {}): Task => ({
  id,
  meta,
  spec: svc.spec.task,
  specVersion: 1,
  serviceId: svc.id,
  slot,
  annotations: { name: '', labels: {} },
  serviceAnnotations: svc.spec.annotations,
  status: { timestamp: NOW - 3 * 60_000, state: TaskState.RUNNING, message: 'started' },
  desiredState: TaskState.RUNNING,
  ...over,
});

describe('node ls', () => {
  const leader = node('n1', {
    spec: { annotations: { name: '', labels: {} }, desiredRole: 'MANAGER', membership: 'ACCEPTED', availability: 'ACTIVE' },
    role: 'MANAGER',
    description: { hostname: 'host-1', platform: { os: 'linux', architecture: 'x86_64' }, resources: { nanoCpus: 4e9, memoryBytes: 8 * 1024 ** 3, generic: {} }, engine: { engineVersion: '27.0', labels: {}, plugins: [] }, executor: 'docker' },
    managerStatus: { raftId: '1', addr: '10.0.0.1:4242', leader: true, reachability: 'REACHABLE' },
  });
  const follower = node('n2', {
    spec: { annotations: { name: 'named', labels: {} }, desiredRole: 'MANAGER', membership: 'ACCEPTED', availability: 'DRAIN' },
    role: 'MANAGER',
    status: { state: 'DOWN', message: '', addr: '' },
    managerStatus: { raftId: '2', addr: '10.0.0.2:4242', leader: false, reachability: 'UNREACHABLE' },
  });
  const worker = node('n3', { spec: { annotations: { name: '', labels: {} }, desiredRole: 'WORKER', membership: 'PENDING', availability: 'PAUSE' }, status: { state: 'UNKNOWN', message: '', addr: '' } });

  it('prints swarmctl columns; leader gets " *"; name falls back to the hostname', () => {
    expect(nodesTable([leader, follower, worker])).toBe(
      [
        'ID  Name    Membership  Status   Availability  Manager Status',
        '--  ----    ----------  ------   ------------  --------------',
        'n1  host-1  ACCEPTED    READY    ACTIVE        REACHABLE *',
        'n2  named   ACCEPTED    DOWN     DRAIN         UNREACHABLE',
        'n3          PENDING     UNKNOWN  PAUSE         ',
        '',
      ].join('\n'),
    );
  });

  it('a manager without managerStatus: UNKNOWN, unless it is the only manager and the one answering', () => {
    const bare = node('m', { spec: { ...leader.spec }, role: 'MANAGER' });
    expect(managerStatusText(bare)).toBe('UNKNOWN');
    expect(managerStatusText(bare, { selfId: 'other', managerCount: 1 })).toBe('UNKNOWN');
    expect(managerStatusText(bare, { selfId: 'm', managerCount: 2 })).toBe('UNKNOWN');
    expect(managerStatusText(bare, { selfId: 'm', managerCount: 1 })).toBe('REACHABLE *');
    expect(managerStatusText(worker, { selfId: 'n3', managerCount: 1 })).toBe('');
    expect(nodesTable([bare], 'm')).toContain('REACHABLE *');
  });

  it('node inspect shows status, manager status and description', () => {
    const s = nodeSummary({ ...leader, spec: { ...leader.spec, annotations: { name: '', labels: { zone: 'a', az: '1' } } } });
    expect(s).toMatch(/^ID\s+: n1\n/);
    expect(s).toMatch(/Hostname\s+: host-1\n/);
    expect(s).toMatch(/Node Labels\s+: az=1 zone=a\n/);
    expect(s).toMatch(/ {2}State\s+: READY\n/);
    expect(s).toMatch(/ {2}Raft status\s+: REACHABLE\n\s+Leader\s+: yes\n/);
    expect(s).toMatch(/ {2}CPUs\s+: 4\n {2}Memory\s+: 8.0 GiB\n/);
  });
});

describe('service ls / inspect', () => {
  const web = service('s1', 'web');
  const mon = service('s2', 'monitor', { kind: 'global' });

  it('Replicas is running/desired, or global', () => {
    expect(replicasText(web, 0)).toBe('0/3');
    expect(replicasText(web, 2)).toBe('2/3');
    expect(replicasText(mon, 5)).toBe('global');
    expect(servicesTable([{ service: web, running: 0, desired: 3 }, { service: mon, running: 1, desired: 1 }])).toBe(
      'ID  Name     Image    Replicas\n--  ----     -----    --------\ns1  web      nginx:1  0/3\ns2  monitor  nginx:1  global\n',
    );
  });

  it('inspect prints the summary block', () => {
    const s = serviceSummary({ ...web, spec: { ...web.spec, annotations: { name: 'web', labels: { tier: 'front' } } } }, 1);
    expect(s).toMatch(/^ID\s+: s1\nName\s+: web\nLabels\s*\n {2}tier\s+: front\nReplicas\s+: 1\/3\nTemplate\s*\n Container\s*\n {2}Image\s+: nginx:1\n/);
    expect(s).toMatch(/ {2}Command\s+: "nginx -g"\n/);
    expect(s).toMatch(/ {2}Args\s+: \[daemon off;\]\n/);
    expect(s).toMatch(/ {2}Env\s+: \[A=1\]\n/);
    expect(s).not.toMatch(/Resources/);
  });

  it('inspect shows reservations and limits only when set', () => {
    const spec = structuredClone(web.spec);
    spec.task.resources.reservations.nanoCpus = 5e8;
    spec.task.resources.limits.memoryBytes = 512 * 1024 ** 2;
    const s = serviceSummary({ ...web, spec }, 0);
    expect(s).toMatch(/ {2}Resources\s*\n {4}Reservations:\s*\n {6}CPU\s+: 0.5\n {4}Limits:\s*\n {6}Memory\s+: 512 MiB\n/);
  });
});

describe('task ls / inspect', () => {
  const web = service('s1', 'web');
  const n = node('n1', { description: { hostname: 'host-1', platform: { os: 'linux', architecture: 'x86_64' }, resources: { nanoCpus: 0, memoryBytes: 0, generic: {} }, engine: { engineVersion: '', labels: {}, plugins: [] }, executor: 'sim' } });
  const res = Resolver.fixed([web], [n]);
  const t2 = task('t2', web, 2, { nodeId: 'n1' });
  const t1 = task('t1', web, 1, { status: { timestamp: NOW - 5_000, state: TaskState.PENDING, message: 'pending' } });
  const old = task('t0', web, 1, { desiredState: TaskState.SHUTDOWN, meta: { ...meta, createdAt: NOW - 120_000 }, status: { timestamp: NOW - 90_000, state: TaskState.SHUTDOWN, message: '' } });

  it('Last State is "STATE age ago"', () => {
    expect(lastState(t2, NOW)).toBe('RUNNING 3 minutes ago');
  });

  it('task ls: ID, Service (name.slot), Desired State, Last State, Node (hostname)', () => {
    expect(tasksTable([t2, t1], res, NOW)).toBe(
      [
        'ID  Service  Desired State  Last State             Node',
        '--  -------  -------------  ----------             ----',
        't1  web.1    RUNNING        PENDING 5 seconds ago  ',
        't2  web.2    RUNNING        RUNNING 3 minutes ago  host-1',
        '',
      ].join('\n'),
    );
  });

  it('-n prints IDs instead of names', () => {
    expect(tasksTable([t2], Resolver.fixed([web], [n], false), NOW)).toContain('s1.2');
    expect(tasksTable([t2], Resolver.fixed([web], [n], false), NOW)).toContain('n1');
  });

  it('the inspect task table hides history unless --all', () => {
    const s = taskPrint([old, t2, t1], false, res, NOW);
    expect(s.split('\n')[0]).toMatch(/^Task ID\s+Service\s+Slot\s+Image\s+Desired State\s+Last State\s+Node$/);
    expect(s).not.toContain('t0');
    const all = taskPrint([old, t2, t1], true, res, NOW).split('\n');
    expect(all.slice(2, 5).map((l) => l.split(/\s+/)[0])).toEqual(['t1', 't0', 't2']); // by slot, newest first
  });

  it('task inspect', () => {
    const s = taskSummary(t2, res);
    expect(s).toMatch(/^ID\s+: t2\nSlot\s+: 2\nService\s+: web\nStatus\s*\n {2}Desired State\s+: RUNNING\n {2}Last State\s+: RUNNING\n {2}Timestamp\s+: 2023-/);
    expect(s).toMatch(/Node\s+: host-1\n/);
    expect(s).toMatch(/Spec\s*\n {2}Image\s+: nginx:1\n/);
  });
});

describe('cluster inspect', () => {
  const c: Cluster = {
    id: 'c1',
    meta,
    spec: {
      annotations: { name: 'default', labels: {} },
      orchestration: { taskHistoryRetentionLimit: 5 },
      dispatcher: { heartbeatPeriodMs: 5000 },
      caConfig: { nodeCertExpiryMs: 2160 * 3_600_000 },
      raft: { snapshotInterval: 10000, logEntriesForSlowFollowers: 500, heartbeatTick: 1, electionTick: 10 },
    },
  };
  it('prints the settings as swarmctl does', () => {
    expect(clusterSummary(c)).toBe(
      [
        'ID          : c1',
        'Name        : default',
        'Orchestration settings:',
        '  Task history entries: 5',
        'Dispatcher settings:',
        '  Dispatcher heartbeat period: 5s',
        'Certificate Authority settings:',
        '  Certificate Validity Duration: 2160h0m0s',
        '',
      ].join('\n'),
    );
  });
  it('adds join tokens and the CA hash when the cluster has a root CA', () => {
    const s = clusterSummary({ ...c, rootCa: { caCert: 'PEM', caCertHash: 'sha256:abc', joinTokens: { worker: 'SWMTKN-1-w', manager: 'SWMTKN-1-m' } } });
    expect(s).toContain('  CA Certificate Hash: sha256:abc\n  Join Tokens:\n    Worker: SWMTKN-1-w\n    Manager: SWMTKN-1-m\n');
  });
});
