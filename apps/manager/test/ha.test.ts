/**
 * Three managers and two workers as real swarmd processes on loopback
 * (mutual TLS, fsync'd Raft logs): managers join with the manager token and
 * are drained, so every task runs as a real Docker container on the workers;
 * any manager takes writes; the cluster survives kill -9 of its leader while
 * services are being created; nothing acknowledged is lost and no slot ever
 * has two containers running.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TaskState } from '@swarm/shared';
import { type Node, docker, startNode, waitFor } from './harness.js';

/** waitFor, treating a failing call (e.g. a read during an election) as "not yet". */
const settle = (cond: () => Promise<boolean>, ms: number, what: () => string) => waitFor(() => cond().catch(() => false), ms, what);

const runLabel = `ha${process.pid}-${Date.now().toString(36)}`;
const spec = (name: string, replicas: number) => ({
  annotations: { name, labels: {} },
  task: { container: { image: 'local/busybox:1', command: ['sleep'], args: ['3600'] }, placement: { constraints: [] as string[], preferences: [], platforms: [], maxReplicas: 0 } },
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
    for (const h of ['w1', 'w2']) workers.push(await startNode({ runLabel, executor: 'docker', hostname: h, join: { addr: managers[1]!.remoteApi, token: tokens.worker } }));
    for (const m of managers) await settle(() => managers[0]!.client.node.update.mutate({ ref: m.id(), availability: 'DRAIN' }).then(() => true), 30_000, () => `drain ${m.id()}`);
  }, 120_000);

  /** Running containers of this run per slot (`<service>.<slot>`): more than one would be a slot running twice. */
  const runningPerSlot = () => {
    const names = docker('ps', '--filter', `label=com.swarm.test-run=${runLabel}`, '--format', '{{.Label "com.swarm.task.name"}}').split('\n').filter(Boolean);
    const slots = new Map<string, number>();
    for (const n of names) {
      const slot = n.split('.').slice(0, 2).join('.');
      slots.set(slot, (slots.get(slot) ?? 0) + 1);
    }
    return slots;
  };

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

  it('replicates one large transaction (5,000 tasks at once) to every manager', async () => {
    const big = spec('big', 5000);
    big.task.placement.constraints = ['node.labels.nowhere==true']; // pending: the tasks exist, nothing runs
    const s = await managers[1]!.client.service.create.mutate({ spec: big });
    for (const m of managers) {
      await settle(async () => (await m.client.task.list.query({ service: s.id })).length === 5000, 60_000, () => `5,000 tasks on ${m.id()}`);
    }
    await managers[2]!.client.service.remove.mutate({ ref: s.id });
    // (task.list by service refuses a removed service: look at all tasks)
    await settle(async () => (await managers[0]!.client.task.list.query({ all: true })).every((t) => t.serviceId !== s.id), 60_000, () => 'tasks removed');
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
      while (Date.now() < end && (killedAt === 0 || acked.length < 30)) {
        const via = others[i % others.length]!;
        const name = `svc-${i++}`;
        try {
          await via.client.service.create.mutate({ spec: spec(name, 1) });
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
    expect(acked.length).toBeGreaterThanOrEqual(30);
    // Failures happen only in the failover window and say why.
    for (const f of failed) expect(f).toMatch(/leader|quorum|unavailable|committed|UNAVAILABLE|timed out|connect/i);
    // Sample the real containers while the cluster converges: a slot never runs two at once.
    let doubled: string[] = [];
    const sampler = setInterval(() => {
      for (const [slot, n] of runningPerSlot()) if (n > 1) doubled.push(`${slot}×${n}`);
    }, 300);
    await settle(async () => {
      const tasks = await others[0]!.client.task.list.query({});
      const services = await others[0]!.client.service.list.query();
      const desired = services.reduce((a, { service: s }) => a + (s.spec.mode.kind === 'replicated' ? s.spec.mode.replicas : 0), 0);
      return tasks.filter((t) => t.status.state === TaskState.RUNNING).length === desired;
    }, 90_000, () => 'every replica running').finally(() => clearInterval(sampler));
    expect(doubled).toEqual([]);
    const desired = (await others[0]!.client.service.list.query()).reduce((a, { service: s }) => a + (s.spec.mode.kind === 'replicated' ? s.spec.mode.replicas : 0), 0);
    await waitFor(() => [...runningPerSlot().values()].reduce((a, b) => a + b, 0) === desired, 30_000, () => `${desired} containers running`);
    doubled = [...runningPerSlot()].filter(([, n]) => n > 1).map(([slot]) => slot);
    expect(doubled).toEqual([]);
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
