/**
 * Scheduler integration (issue 7): real swarmd processes (sim executor), real
 * joins, real agents. Constraints on node labels (set with `node update`) and
 * engine labels (reported by the worker, --engine-label), generic resources
 * (--generic-node-resources), a pending task's reason and its placement once a
 * node fits, and validation errors at create time.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Task, TaskState } from '@swarm/shared';
import { type Node, startNode, waitFor } from './harness.js';

const spec = (name: string, replicas: number, task: object = {}) => ({
  annotations: { name, labels: {} },
  task: { container: { image: 'sim/app:1' }, ...task },
  mode: { kind: 'replicated' as const, replicas },
});

describe('scheduler with real nodes', () => {
  const runLabel = `sched-${process.pid}-${Date.now().toString(36)}`;
  let manager: Node;
  const workers: Node[] = [];
  const idOf = new Map<string, string>();

  beforeAll(async () => {
    manager = await startNode({ runLabel, executor: 'sim', hostname: 'mgr' });
    const token = (await manager.client.cluster.inspect.query()).rootCa!.joinTokens.worker;
    const join = { addr: manager.remoteApi, token };
    workers.push(await startNode({ runLabel, executor: 'sim', hostname: 'w-ssd', join, extraArgs: ['--engine-label', 'disk=ssd', '--generic-node-resources', 'gpu=2'] }));
    workers.push(await startNode({ runLabel, executor: 'sim', hostname: 'w-hdd', join, extraArgs: ['--engine-label', 'disk=hdd'] }));
    await waitFor(async () => (await manager.client.node.list.query()).filter((n) => n.status.state === 'READY').length === 3, 30_000, () => 'three READY nodes');
    for (const n of await manager.client.node.list.query()) idOf.set(n.description!.hostname, n.id);
  });

  afterAll(async () => {
    for (const w of workers) await w.stop();
    await manager?.stop();
  });

  const tasksOf = (service: string): Promise<Task[]> => manager.client.task.list.query({ service });
  const runningOn = async (service: string) => (await tasksOf(service)).filter((t) => t.status.state === TaskState.RUNNING).map((t) => t.nodeId);

  it('nodes report engine labels and generic resources', async () => {
    const ssd = await manager.client.node.get.query({ ref: idOf.get('w-ssd')! });
    expect(ssd.description?.engine.labels).toMatchObject({ disk: 'ssd' });
    expect(ssd.description?.resources.generic).toEqual({ gpu: 2 });
  });

  it('engine-label constraints place every task on the matching node', async () => {
    await manager.client.service.create.mutate({ spec: spec('on-ssd', 3, { placement: { constraints: ['engine.labels.disk==ssd'] } }) });
    await waitFor(async () => (await runningOn('on-ssd')).length === 3, 60_000, () => 'three running');
    expect(new Set(await runningOn('on-ssd'))).toEqual(new Set([idOf.get('w-ssd')]));
  });

  it('a task no node fits stays PENDING with the reason, and is placed once a node is labelled', async () => {
    await manager.client.service.create.mutate({ spec: spec('in-eu', 2, { placement: { constraints: ['node.labels.zone==eu', 'node.role==worker'] } }) });
    await waitFor(async () => (await tasksOf('in-eu')).filter((t) => t.status.err).length === 2, 30_000, () => 'two pending with a reason');
    for (const t of await tasksOf('in-eu')) {
      expect(t.status.state).toBe(TaskState.PENDING);
      expect(t.status.err).toBe('no suitable node (scheduling constraints not satisfied on 3 nodes)');
    }
    await manager.client.node.update.mutate({ ref: idOf.get('w-hdd')!, labels: { zone: 'eu' } });
    await waitFor(async () => (await runningOn('in-eu')).length === 2, 60_000, () => 'two running in eu');
    expect(new Set(await runningOn('in-eu'))).toEqual(new Set([idOf.get('w-hdd')]));
  });

  it('generic resources: a node offering gpu=2 takes two one-gpu tasks and no more', async () => {
    const gpu = { resources: { reservations: { generic: { gpu: 1 } } } };
    await manager.client.service.create.mutate({ spec: spec('gpu', 3, gpu) });
    await waitFor(async () => (await runningOn('gpu')).length === 2 && (await tasksOf('gpu')).some((t) => t.status.err), 60_000, () => 'two running, one pending');
    const pending = (await tasksOf('gpu')).find((t) => t.status.state === TaskState.PENDING)!;
    expect(pending.status.err).toBe('no suitable node (insufficient generic resources (gpu) on 3 nodes)');
  });

  it('spread evens tasks over the nodes', async () => {
    await manager.client.service.create.mutate({ spec: spec('spread', 6) });
    await waitFor(async () => (await runningOn('spread')).length === 6, 60_000, () => 'six running');
    const per = new Map<string, number>();
    for (const n of await runningOn('spread')) per.set(n!, (per.get(n!) ?? 0) + 1);
    expect([...per.values()]).toEqual([2, 2, 2]);
  });

  it('refuses bad placement at create and update, naming the field', async () => {
    await expect(manager.client.service.create.mutate({ spec: spec('bad', 1, { placement: { constraints: ['node.labels.zone=eu'] } }) })).rejects.toThrow(
      /task\.placement\.constraints\[0\]: constraint expected one operator from ==, != at position 17/,
    );
    const svc = await manager.client.service.get.query({ ref: 'spread' });
    await expect(
      manager.client.service.update.mutate({ ref: svc.id, spec: { ...svc.spec, task: { ...svc.spec.task, placement: { ...svc.spec.task.placement, preferences: [{ spread: 'zone' }] } } } }),
    ).rejects.toThrow(/task\.placement\.preferences\[0\]\.spread: invalid spread descriptor 'zone'/);
  });
});
