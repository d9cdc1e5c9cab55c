/**
 * Three managers and two workers as real swarmd processes on loopback
 * (mutual TLS, fsync'd Raft logs, simulated executor): managers join with the
 * manager token, any manager takes writes, the cluster survives kill -9 of its
 * leader while services are being created, and nothing acknowledged is lost.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TaskState } from '@swarm/shared';
import { type Node, startNode, waitFor } from './harness.js';

/** waitFor, treating a failing call (e.g. a read during an election) as "not yet". */
const settle = (cond: () => Promise<boolean>, ms: number, what: () => string) => waitFor(() => cond().catch(() => false), ms, what);

const runLabel = `ha${process.pid}-${Date.now().toString(36)}`;
const spec = (name: string, replicas: number) => ({
  annotations: { name, labels: {} },
  task: { container: { image: 'x', command: ['sleep'] }, placement: { constraints: [], preferences: [], platforms: [], maxReplicas: 0 } },
  mode: { kind: 'replicated' as const, replicas },
});

describe('three managers', () => {
  const managers: Node[] = [];
  const workers: Node[] = [];
  const all = () => [...managers, ...workers];

  const leaderOf = async (via: Node) => {
    const nodes = await via.client.node.list.query();
    return nodes.find((n) => n.managerStatus?.leader)?.id;
  };
  const live = () => managers.filter((m) => m.proc().exitCode === null && m.proc().signalCode === null);

  beforeAll(async () => {
    managers.push(await startNode({ runLabel, executor: 'sim', hostname: 'm1' }));
    const tokens = (await managers[0]!.client.cluster.inspect.query()).rootCa!.joinTokens;
    for (const h of ['m2', 'm3']) managers.push(await startNode({ runLabel, executor: 'sim', hostname: h, join: { addr: managers[0]!.remoteApi, token: tokens.manager } }));
    for (const h of ['w1', 'w2']) workers.push(await startNode({ runLabel, executor: 'sim', hostname: h, join: { addr: managers[1]!.remoteApi, token: tokens.worker } }));
  }, 120_000);

  afterAll(async () => {
    for (const n of all()) await n.stop();
  });

  it('shows every manager in node ls with LEADER / REACHABLE, from any manager', async () => {
    await waitFor(async () => {
      const nodes = await managers[2]!.client.node.list.query();
      const ms = nodes.filter((n) => n.role === 'MANAGER');
      return nodes.length === 5 && ms.length === 3 && ms.filter((n) => n.managerStatus?.leader).length === 1 && ms.every((n) => n.managerStatus?.reachability === 'REACHABLE') && nodes.every((n) => n.status.state === 'READY');
    }, 30_000, () => 'three reachable managers, one leader, five READY nodes');
    const ids = managers.map((m) => m.id());
    const nodes = await managers[1]!.client.node.list.query();
    expect(nodes.filter((n) => n.managerStatus).map((n) => n.id).sort()).toEqual([...ids].sort());
    expect(nodes.find((n) => n.id === ids[1])!.managerStatus!.addr).toBe(managers[1]!.remoteApi);
  });

  it('takes writes on any manager: a follower forwards them and reads its own write at once', async () => {
    const leader = await leaderOf(managers[0]!);
    const follower = managers.find((m) => m.id() !== leader)!;
    const s = await follower.client.service.create.mutate({ spec: spec('via-follower', 4) });
    expect((await follower.client.service.get.query({ ref: s.id })).spec.annotations.name).toBe('via-follower');
    await waitFor(async () => (await managers[0]!.client.task.list.query({ service: s.id })).filter((t) => t.status.state === TaskState.RUNNING).length === 4, 30_000, () => '4 running');
  });

  it('survives kill -9 of the leader during creates: every acknowledged service exists, tasks converge, no slot runs twice', async () => {
    const leaderId = await leaderOf(managers[0]!);
    const leader = managers.find((m) => m.id() === leaderId)!;
    const others = managers.filter((m) => m !== leader);
    const acked: string[] = [];
    const failed: string[] = [];
    let i = 0;
    let killedAt = 0;
    let firstAckAfterKill = 0;
    const writer = (async () => {
      const end = Date.now() + 30_000;
      while (Date.now() < end && (killedAt === 0 || acked.length < 40)) {
        const via = others[i % others.length]!;
        const name = `svc-${i++}`;
        try {
          await via.client.service.create.mutate({ spec: spec(name, 2) });
          acked.push(name);
          if (killedAt && !firstAckAfterKill) firstAckAfterKill = Date.now();
        } catch (e) {
          failed.push(`${name}: ${(e as Error).message}`);
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    })();
    await waitFor(() => acked.length >= 10, 30_000, () => 'some writes before the kill');
    await leader.kill9();
    killedAt = Date.now();
    await writer;
    console.log(`writes failed for ${firstAckAfterKill - killedAt} ms after kill -9 of the leader (${failed.length} refused)`);
    // A new leader among the survivors, seen by both.
    await settle(async () => {
      const l = await leaderOf(others[0]!);
      return l !== undefined && l !== leaderId && (await leaderOf(others[1]!)) === l;
    }, 30_000, () => 'a new leader');
    for (const m of others) {
      const names = new Set((await m.client.service.list.query()).map((s) => s.service.spec.annotations.name));
      expect(acked.filter((n) => !names.has(n))).toEqual([]);
    }
    expect(acked.length).toBeGreaterThanOrEqual(40);
    // Failures happen only in the failover window and say why.
    for (const f of failed) expect(f).toMatch(/leader|quorum|unavailable|committed|UNAVAILABLE|timed out|connect/i);
    await settle(async () => {
      const tasks = await others[0]!.client.task.list.query({});
      const services = await others[0]!.client.service.list.query();
      const desired = services.reduce((a, { service: s }) => a + (s.spec.mode.kind === 'replicated' ? s.spec.mode.replicas : 0), 0);
      return tasks.filter((t) => t.status.state === TaskState.RUNNING).length === desired;
    }, 60_000, () => 'every replica running');
    const tasks = await others[1]!.client.task.list.query({});
    const running = tasks.filter((t) => t.status.state === TaskState.RUNNING);
    const slots = running.map((t) => `${t.serviceId}/${t.slot}`);
    expect(new Set(slots).size).toBe(slots.length);

    // The old leader comes back as a follower and catches up.
    await leader.restart();
    await settle(async () => {
      const a = await leader.client.service.list.query();
      const b = await others[0]!.client.service.list.query();
      return a.length === b.length;
    }, 30_000, () => 'the restarted manager caught up');
    expect(await leaderOf(leader)).not.toBe(leader.id());
  });
});
