/**
 * Manager membership with real swarmd processes (mutual TLS, Raft on
 * loopback, simulated executor): restart every manager at once; promote a
 * worker; demote the leader; demote and remove a dead manager; lose quorum
 * (writes fail fast, saying so); recover with --force-new-cluster.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { TaskState } from '@swarm/shared';
import { type Node, startNode, waitFor } from './harness.js';

const SWARMCTL = path.resolve(import.meta.dirname, '../../cli/dist/swarmctl.js');
const runLabel = `har${process.pid}-${Date.now().toString(36)}`;
const settle = (cond: () => Promise<boolean>, ms: number, what: () => string) => waitFor(() => cond().catch(() => false), ms, what);
const spec = (name: string, replicas: number) => ({
  annotations: { name, labels: {} },
  task: { container: { image: 'x', command: ['sleep'] }, placement: { constraints: [], preferences: [], platforms: [], maxReplicas: 0 } },
  mode: { kind: 'replicated' as const, replicas },
});

describe('manager membership', () => {
  const nodes: Node[] = [];
  let serviceId = '';
  const byId = (id: string) => nodes.find((n) => n.id() === id)!;
  const alive = (n: Node) => n.proc().exitCode === null && n.proc().signalCode === null;
  const managerView = async (via: Node) => (await via.client.node.list.query()).filter((n) => n.managerStatus);
  const leaderId = async (via: Node) => (await managerView(via)).find((n) => n.managerStatus!.leader)?.id;

  beforeAll(async () => {
    nodes.push(await startNode({ runLabel, executor: 'sim', hostname: 'm1' }));
    const tokens = (await nodes[0]!.client.cluster.inspect.query()).rootCa!.joinTokens;
    for (const h of ['m2', 'm3']) nodes.push(await startNode({ runLabel, executor: 'sim', hostname: h, join: { addr: nodes[0]!.remoteApi, token: tokens.manager } }));
    nodes.push(await startNode({ runLabel, executor: 'sim', hostname: 'w1', join: { addr: nodes[0]!.remoteApi, token: tokens.worker } }));
    const s = await nodes[1]!.client.service.create.mutate({ spec: spec('web', 3) });
    serviceId = s.id;
    await settle(async () => (await nodes[0]!.client.task.list.query({ service: s.id })).filter((t) => t.status.state === TaskState.RUNNING).length === 3, 30_000, () => '3 running');
  }, 120_000);

  afterAll(async () => {
    if (process.env['HA_DUMP']) for (const n of nodes) fs.writeFileSync(`${process.env['HA_DUMP']}-${n.id()}.log`, n.output());
    for (const n of nodes) await n.stop();
  });

  it('comes back after every manager restarts at once, with its state', async () => {
    const managers = nodes.slice(0, 3);
    for (const m of managers) await m.kill9();
    await Promise.all(managers.map((m) => m.restart()));
    await settle(async () => (await leaderId(managers[2]!)) !== undefined, 30_000, () => 'a leader after the restart');
    expect((await managers[0]!.client.service.get.query({ ref: serviceId })).spec.annotations.name).toBe('web');
    await settle(async () => (await managers[1]!.client.node.list.query()).every((n) => n.status.state === 'READY'), 30_000, () => 'all nodes READY again');
  });

  it('promotes a worker: it gets a manager certificate, joins Raft and serves the API', async () => {
    const w1 = nodes[3]!;
    await nodes[0]!.client.node.update.mutate({ ref: w1.id(), desiredRole: 'MANAGER' });
    await settle(async () => {
      const ms = await managerView(nodes[0]!);
      return ms.length === 4 && ms.every((m) => m.managerStatus!.reachability === 'REACHABLE');
    }, 60_000, () => 'four reachable managers');
    await settle(async () => (await w1.client.service.list.query()).length === 1, 30_000, () => 'the promoted node serves the API');
    const me = await w1.client.node.get.query({ ref: w1.id() });
    expect(me.role).toBe('MANAGER');
    expect(me.certificate!.role).toBe('MANAGER');
  }, 120_000);

  it('demotes the leader: leadership moves first, then it leaves Raft as a worker', async () => {
    // Evidence for a slow demotion seen once under a loaded CI machine: what each node logged.
    onTestFailed(() => {
      for (const n of nodes) console.log(`--- ${n.id()} ---\n${n.output().split('\n').filter((l) => /roles|certs|leader|session|moving/.test(l)).slice(-30).join('\n')}`);
    });
    const old = (await leaderId(nodes[0]!))!;
    await byId(old).client.node.update.mutate({ ref: old, desiredRole: 'WORKER' });
    const other = nodes.find((n) => n.id() !== old)!;
    await settle(async () => {
      const ms = await managerView(other);
      const l = ms.find((m) => m.managerStatus!.leader)?.id;
      const n = await other.client.node.get.query({ ref: old });
      return ms.length === 3 && l !== undefined && l !== old && n.role === 'WORKER';
    }, 60_000, () => 'a new leader and three managers');
    await settle(async () => (await other.client.node.get.query({ ref: old })).certificate?.role === 'WORKER', 60_000, () => 'a worker certificate');
  }, 150_000);

  it('demotes and removes a dead manager; losing quorum fails writes fast; --force-new-cluster recovers all state', async () => {
    let managerIds: string[] = [];
    for (const n of nodes.filter(alive)) {
      managerIds = await managerView(n).then((ms) => ms.map((m) => m.id), () => []);
      if (managerIds.length === 3) break;
    }
    expect(managerIds).toHaveLength(3);
    const lead = (await leaderId(byId(managerIds[0]!)))!;
    const [victim, spare] = managerIds.filter((id) => id !== lead);
    await byId(victim!).kill9();
    const leader = byId(lead);
    await settle(async () => (await leader.client.node.get.query({ ref: victim! })).status.state === 'DOWN', 30_000, () => 'the killed manager DOWN');
    await leader.client.node.update.mutate({ ref: victim!, desiredRole: 'WORKER' });
    await settle(async () => (await managerView(leader)).length === 2, 30_000, () => 'two managers');
    await leader.client.node.remove.mutate({ ref: victim! });
    expect((await leader.client.node.list.query()).some((n) => n.id === victim)).toBe(false);

    // Two managers left: losing one stops writes.
    await byId(spare!).kill9();
    let message = '';
    await waitFor(async () => {
      try {
        await leader.client.service.create.mutate({ spec: spec(`nq-${Date.now()}`, 1) });
        return false;
      } catch (e) {
        message = (e as Error).message;
        return /no quorum/.test(message);
      }
    }, 30_000, () => `a no-quorum refusal (last: ${message})`);
    expect(message).toMatch(/no quorum \(1 of 2 managers unreachable\)/);
    // Reads need quorum too (ReadIndex), unless a stale read is asked for.
    const cli = (...args: string[]) => spawnSync(process.execPath, [SWARMCTL, ...args], { env: { ...process.env, SWARM_SOCKET: leader.socket }, encoding: 'utf8' });
    const consistent = cli('service', 'ls');
    expect(consistent.status).not.toBe(0);
    expect(consistent.stderr).toMatch(/consistent read failed: no quorum/);
    const stale = cli('--stale', 'service', 'ls');
    expect(stale.status, stale.stderr).toBe(0);
    expect(stale.stdout).toMatch(/\sweb\s/);
    const t0 = Date.now();
    await expect(leader.client.service.create.mutate({ spec: spec('refused', 1) })).rejects.toThrow(/no quorum/);
    expect(Date.now() - t0).toBeLessThan(10_000);

    await leader.kill9();
    await leader.restart(['--force-new-cluster']);
    await settle(async () => (await leaderId(leader)) === lead, 30_000, () => 'the survivor leads alone');
    expect((await leader.client.service.get.query({ ref: serviceId })).spec.annotations.name).toBe('web');
    const s = await leader.client.service.create.mutate({ spec: spec('after-recovery', 1) });
    expect(s.spec.annotations.name).toBe('after-recovery');
    expect((await managerView(leader)).map((m) => m.id)).toEqual([lead]);
  });
});
