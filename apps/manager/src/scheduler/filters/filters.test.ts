import { describe, expect, it } from 'vitest';
import { type Node, type Task, TaskState } from '@swarm/shared';
import { makeNode, makeTask, taskSpec } from '../../testing/fixtures.js';
import { newNodeInfo } from '../node-info.js';
import { createPipeline, noSuitableNode } from '../pipeline.js';
import type { Filter } from './filter.js';
import { constraintFilter } from './constraint.js';
import { hostPortFilter } from './host-port.js';
import { maxReplicasFilter } from './max-replicas.js';
import { platformFilter } from './platform.js';
import { readyFilter } from './ready.js';
import { cpuFilter, genericFilter, memoryFilter } from './resources.js';

type Spec = Parameters<typeof taskSpec>[0];
const task = (spec: Spec = {}, over: Partial<Task> = {}): Task => ({ ...makeTask({ id: 't', state: TaskState.PENDING, serviceId: 'svc' }), spec: taskSpec(spec), ...over });
const res = (r: { cpu?: number; mem?: number; generic?: Record<string, number> }) => ({
  resources: { limits: { nanoCpus: 0, memoryBytes: 0, generic: {} }, reservations: { nanoCpus: r.cpu ?? 0, memoryBytes: r.mem ?? 0, generic: r.generic ?? {} } },
});
const placement = (p: Partial<Task['spec']['placement']>) => ({ placement: { constraints: [], preferences: [], platforms: [], maxReplicas: 0, ...p } });
const running = (id: string, nodeId: string, spec: Spec = {}, over: Partial<Task> = {}): Task => ({
  ...makeTask({ id, nodeId, state: TaskState.RUNNING, serviceId: 'svc' }),
  spec: taskSpec(spec),
  ...over,
});
const withGeneric = (n: Node, generic: Record<string, number>): Node => ({ ...n, description: { ...n.description!, resources: { ...n.description!.resources, generic } } });
const withLabels = (n: Node, labels: Record<string, string>, engine: Record<string, string> = {}): Node => ({
  ...n,
  spec: { ...n.spec, annotations: { ...n.spec.annotations, labels } },
  description: { ...n.description!, engine: { ...n.description!.engine, labels: engine } },
});
const bare = (n: Node): Node => {
  const { description: _d, ...rest } = n;
  return rest as Node;
};

/** [case, filter, task, node, tasks already on the node, enabled, passes] */
type Row = [string, () => Filter, Task, Node, Task[], boolean, boolean];
const N = makeNode('n1', { cpus: 2e9, memory: 1e9 });
const rows: Row[] = [
  ['ready: READY ACTIVE', readyFilter, task(), N, [], true, true],
  ['ready: DOWN', readyFilter, task(), makeNode('n1', { state: 'DOWN' }), [], true, false],
  ['ready: DRAIN', readyFilter, task(), makeNode('n1', { availability: 'DRAIN' }), [], true, false],
  ['cpu: no reservation', cpuFilter, task(), N, [], false, true],
  ['cpu: fits exactly', cpuFilter, task(res({ cpu: 1e9 })), N, [running('r', 'n1', res({ cpu: 1e9 }))], true, true],
  ['cpu: one nano too many', cpuFilter, task(res({ cpu: 1e9 + 1 })), N, [running('r', 'n1', res({ cpu: 1e9 }))], true, false],
  ['cpu: stopped tasks free theirs', cpuFilter, task(res({ cpu: 2e9 })), N, [running('r', 'n1', res({ cpu: 1e9 }), { status: { state: TaskState.FAILED, timestamp: 0, message: '' } })], true, true],
  ['cpu: no description', cpuFilter, task(res({ cpu: 1 })), bare(N), [], true, false],
  ['memory: fits', memoryFilter, task(res({ mem: 5e8 })), N, [running('r', 'n1', res({ mem: 5e8 }))], true, true],
  ['memory: too much', memoryFilter, task(res({ mem: 5e8 + 1 })), N, [running('r', 'n1', res({ mem: 5e8 }))], true, false],
  ['generic: no request', genericFilter, task(), N, [], false, true],
  ['generic: gpu=2 on a 2-gpu node', genericFilter, task(res({ generic: { gpu: 2 } })), withGeneric(N, { gpu: 2 }), [], true, true],
  ['generic: gpu=2 with one gpu taken', genericFilter, task(res({ generic: { gpu: 2 } })), withGeneric(N, { gpu: 2 }), [running('r', 'n1', res({ generic: { gpu: 1 } }))], true, false],
  ['generic: kind absent', genericFilter, task(res({ generic: { fpga: 1 } })), withGeneric(N, { gpu: 2 }), [], true, false],
  ['constraints: none', constraintFilter, task(), N, [], false, true],
  ['constraints: label match', constraintFilter, task(placement({ constraints: ['node.labels.zone==EU'] })), withLabels(N, { zone: 'eu' }), [], true, true],
  ['constraints: AND', constraintFilter, task(placement({ constraints: ['node.labels.zone==eu', 'engine.labels.disk==ssd'] })), withLabels(N, { zone: 'eu' }, { disk: 'hdd' }), [], true, false],
  ['constraints: unparseable disables', constraintFilter, task(placement({ constraints: ['garbage'] })), N, [], true, true],
  ['platform: none', platformFilter, task(), N, [], false, true],
  ['platform: amd64 ≡ x86_64', platformFilter, task(placement({ platforms: [{ os: 'linux', architecture: 'amd64' }] })), N, [], true, true],
  ['platform: arm64 only', platformFilter, task(placement({ platforms: [{ os: 'linux', architecture: 'arm64' }] })), N, [], true, false],
  ['platform: os wildcard', platformFilter, task(placement({ platforms: [{ os: '', architecture: 'x86_64' }] })), N, [], true, true],
  ['platform: no description', platformFilter, task(placement({ platforms: [{ os: 'linux', architecture: '' }] })), bare(N), [], true, false],
  ['host-port: none', hostPortFilter, task(), N, [], false, true],
  ['host-port: free', hostPortFilter, task({}, { endpoint: { ports: [{ name: '', protocol: 'tcp', targetPort: 80, publishedPort: 8080, publishMode: 'host' }] } }), N, [], true, true],
  [
    'host-port: taken',
    hostPortFilter,
    task({}, { endpoint: { ports: [{ name: '', protocol: 'tcp', targetPort: 80, publishedPort: 8080, publishMode: 'host' }] } }),
    N,
    [running('r', 'n1', {}, { serviceId: 'other', endpoint: { ports: [{ name: '', protocol: 'tcp', targetPort: 81, publishedPort: 8080, publishMode: 'host' }] } })],
    true,
    false,
  ],
  [
    'host-port: same port, other protocol',
    hostPortFilter,
    task({}, { endpoint: { ports: [{ name: '', protocol: 'udp', targetPort: 80, publishedPort: 8080, publishMode: 'host' }] } }),
    N,
    [running('r', 'n1', {}, { endpoint: { ports: [{ name: '', protocol: 'tcp', targetPort: 81, publishedPort: 8080, publishMode: 'host' }] } })],
    true,
    true,
  ],
  ['host-port: ingress ports ignored', hostPortFilter, task({}, { endpoint: { ports: [{ name: '', protocol: 'tcp', targetPort: 80, publishedPort: 8080, publishMode: 'ingress' }] } }), N, [], false, true],
  ['max-replicas: unlimited', maxReplicasFilter, task(), N, [], false, true],
  ['max-replicas: below', maxReplicasFilter, task(placement({ maxReplicas: 2 })), N, [running('r', 'n1')], true, true],
  ['max-replicas: at limit', maxReplicasFilter, task(placement({ maxReplicas: 1 })), N, [running('r', 'n1')], true, false],
  ['max-replicas: other service', maxReplicasFilter, task(placement({ maxReplicas: 1 })), N, [running('r', 'n1', {}, { serviceId: 'other' })], true, true],
  ['max-replicas: shutting-down task does not count', maxReplicasFilter, task(placement({ maxReplicas: 1 })), N, [running('r', 'n1', {}, { desiredState: TaskState.SHUTDOWN })], true, true],
];

describe('filters', () => {
  it.each(rows)('%s', (_name, make, t, node, tasks, enabled, passes) => {
    const f = make();
    expect(f.setTask(t)).toBe(enabled);
    if (enabled) expect(f.check(newNodeInfo(node, tasks))).toBe(passes);
  });
});

describe('explanations', () => {
  it.each([
    [readyFilter, 1, '1 node not available for new tasks'],
    [readyFilter, 4, '4 nodes not available for new tasks'],
    [cpuFilter, 1, 'insufficient cpu on 1 node'],
    [memoryFilter, 3, 'insufficient memory on 3 nodes'],
    [constraintFilter, 2, 'scheduling constraints not satisfied on 2 nodes'],
    [platformFilter, 1, 'unsupported platform on 1 node'],
    [hostPortFilter, 2, 'host-mode port already in use on 2 nodes'],
    [maxReplicasFilter, 5, 'max replicas per node limit exceed'],
  ] as Array<[() => Filter, number, string]>)('%o × %i', (make, n, text) => {
    expect(make().explain(n)).toBe(text);
  });

  it('generic names the kinds asked for', () => {
    const f = genericFilter();
    f.setTask(task(res({ generic: { gpu: 1, fpga: 1 } })));
    expect(f.explain(2)).toBe('insufficient generic resources (gpu, fpga) on 2 nodes');
  });

  it('the pipeline is cheapest first and explanations sort by count, then pipeline order', () => {
    const p = createPipeline();
    expect(p.filters.map((f) => f.name)).toEqual(['ready', 'cpu', 'memory', 'generic', 'constraints', 'platform', 'host-port', 'max-replicas']);
    const [ready, , memory, , constraints] = p.filters;
    expect(noSuitableNode(new Map([[constraints!, 2], [memory!, 3]]), p.filters)).toBe('no suitable node (insufficient memory on 3 nodes; scheduling constraints not satisfied on 2 nodes)');
    expect(noSuitableNode(new Map([[constraints!, 1], [ready!, 1]]), p.filters)).toBe('no suitable node (1 node not available for new tasks; scheduling constraints not satisfied on 1 node)');
    expect(noSuitableNode(new Map(), p.filters)).toBe('no suitable node');
  });

  it('the first failing filter is the one counted', () => {
    const p = createPipeline();
    p.setTask(task({ ...res({ mem: 2e9 }), ...placement({ constraints: ['node.labels.x==y'] }) }));
    expect(p.check(newNodeInfo(makeNode('a', { state: 'DOWN', memory: 1e9 })))?.name).toBe('ready');
    expect(p.check(newNodeInfo(makeNode('a', { memory: 1e9 })))?.name).toBe('memory');
    expect(p.check(newNodeInfo(makeNode('a', { memory: 4e9 })))?.name).toBe('constraints');
  });
});
