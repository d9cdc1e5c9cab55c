/**
 * The walking skeleton against a real Docker engine: a real swarmd process
 * (manager + agent over gRPC) runs a service in real containers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TaskState, type Task } from '@swarm/shared';
import { type Node, containersOf, docker, startNode, waitFor } from './harness.js';

const spec = (name: string, replicas: number) => ({
  annotations: { name, labels: {} },
  task: {
    container: { image: 'local/busybox:1', command: ['sleep'], args: ['3600'] },
    restart: { condition: 'any' as const, delayMs: 0, maxAttempts: 0, windowMs: 0 },
  },
  mode: { kind: 'replicated' as const, replicas },
});

const running = (tasks: Task[]) => tasks.filter((t) => t.status.state === TaskState.RUNNING && t.desiredState === TaskState.RUNNING);

describe('one node runs a service in real containers', () => {
  let node: Node;
  let serviceId: string;
  const tasks = async () => node.client.task.list.query({ service: serviceId });
  const serviceContainers = () => containersOf(node.runLabel, `label=com.swarm.service.id=${serviceId}`);

  beforeAll(async () => {
    node = await startNode();
  });
  afterAll(async () => {
    await node?.stop();
  });

  it('creates a service whose tasks run as labelled containers', async () => {
    const s = await node.client.service.create.mutate({ spec: spec('web', 3) });
    serviceId = s.id;
    await waitFor(async () => running(await tasks()).length === 3 && serviceContainers().length === 3, 30_000, () => 'three running tasks');
    const ts = running(await tasks());
    for (const t of ts) {
      const labels = JSON.parse(docker('inspect', '--format', '{{json .Config.Labels}}', t.status.container?.containerId ?? 'missing')) as Record<string, string>;
      expect(labels['com.swarm.service.id']).toBe(serviceId);
      expect(labels['com.swarm.task.id']).toBe(t.id);
      expect(docker('inspect', '--format', '{{.HostConfig.NetworkMode}} {{.HostConfig.Init}}', t.status.container!.containerId)).toBe('none true');
    }
    const list = await node.client.service.list.query();
    expect(list.find((l) => l.service.id === serviceId)).toMatchObject({ running: 3, desired: 3 });
  });

  it('scales up and down', async () => {
    await node.client.service.scale.mutate({ ref: 'web', replicas: 5 });
    await waitFor(async () => running(await tasks()).length === 5 && serviceContainers().length === 5, 30_000, () => 'five running');
    await node.client.service.scale.mutate({ ref: 'web', replicas: 2 });
    await waitFor(async () => serviceContainers().length === 2 && running(await tasks()).length === 2, 30_000, () => 'two running');
    const slots = running(await tasks()).map((t) => t.slot).sort();
    expect(slots).toEqual([1, 2]);
  });

  it('replaces a container killed with docker kill', async () => {
    const before = running(await tasks());
    const victim = before[0]!;
    docker('kill', victim.status.container!.containerId);
    await waitFor(async () => {
      const all = await node.client.task.list.query({ service: serviceId, all: true });
      const dead = all.find((t) => t.id === victim.id);
      const replacement = all.find((t) => t.slot === victim.slot && t.id !== victim.id && t.status.state === TaskState.RUNNING);
      return dead?.status.state === TaskState.FAILED && !!replacement;
    }, 30_000, () => 'failed task replaced');
    const all = await node.client.task.list.query({ service: serviceId, all: true });
    expect(all.find((t) => t.id === victim.id)?.status.container?.exitCode).toBe(137);
    expect(serviceContainers()).toHaveLength(2);
  });

  it('keeps containers running across a kill -9 of the node and adopts them', async () => {
    const before = new Set(serviceContainers());
    await node.kill9();
    await node.restart();
    await waitFor(async () => {
      const n = (await node.client.node.list.query())[0];
      return n?.status.state === 'READY';
    }, 20_000, () => 'node READY again');
    // Give the agent a full reconcile round, then check nothing was restarted.
    await waitFor(async () => running(await tasks()).length === 2, 20_000, () => 'tasks reported running');
    expect(new Set(serviceContainers())).toEqual(before);
    for (const id of before) expect(docker('inspect', '--format', '{{.RestartCount}} {{.State.Running}}', id)).toBe('0 true');
  });

  it('removes every container when the service is removed', async () => {
    await node.client.service.remove.mutate({ ref: 'web' });
    await waitFor(() => containersOf(node.runLabel).length === 0, 30_000, () => 'containers gone');
    await waitFor(async () => (await node.client.task.list.query({ all: true })).length === 0, 30_000, () => 'tasks deleted');
    expect(await node.client.service.list.query()).toEqual([]);
  });
});

describe('a Docker engine that is down', () => {
  let node: Node;
  beforeAll(async () => {
    node = await startNode({ engineAddr: 'unix:///tmp/swarm-no-such-docker.sock' });
  });
  afterAll(async () => {
    await node?.stop();
  });

  it('rejects tasks with the engine error and keeps the node working', async () => {
    const s = await node.client.service.create.mutate({ spec: spec('down', 1) });
    await waitFor(async () => {
      const ts = await node.client.task.list.query({ service: s.id, all: true });
      return ts.some((t) => t.status.state === TaskState.REJECTED || t.status.state === TaskState.FAILED);
    }, 30_000, () => 'task rejected');
    const ts = await node.client.task.list.query({ service: s.id, all: true });
    const bad = ts.find((t) => t.status.state >= TaskState.FAILED)!;
    expect(bad.status.err ?? bad.status.message).toMatch(/ENOENT|connect|docker/i);
    expect((await node.client.node.list.query())[0]?.status.state).toBe('READY');
    await node.client.service.remove.mutate({ ref: s.id });
    await waitFor(async () => (await node.client.service.list.query()).length === 0);
  });
});
