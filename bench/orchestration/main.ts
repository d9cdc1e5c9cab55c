/**
 * Issue 6 benchmark: orchestration against real containers, side by side with
 * Docker's swarm mode in the same engine and with the same image.
 *   converge_30_ms / docker_converge_30_ms: service create, 30 replicas → 30 RUNNING
 *   update_10_p2_ms / docker_update_10_p2_ms: rolling update of 10 replicas,
 *     parallelism 2, delay 0 → 10 RUNNING tasks of the new spec
 *   restart_ms / docker_restart_ms: `docker kill` of one task's container
 *     (restart delay 0) → the service is whole again (3 RUNNING, the victim not among them)
 *   node_down_to_running_ms: kill -9 of a worker node (our side only) → its
 *     tasks RUNNING on another node
 *   engine_alone_30_ms: the floor, no orchestrator: the same 30 containers created and
 *     started directly (engine-alone.ts), measured in each round after Docker's side
 * Medians of BENCH_RUNS runs (default 3), ours and Docker's interleaved; both polled
 * every BENCH_POLL_MS (default 50). The details give each round's load average.
 * Both sides use the host network (swarm mode cannot use `none`); BENCH_NETWORK=none
 * runs ours isolated, which costs a network namespace per container.
 */
import { execFileSync } from 'node:child_process';
import Docker from 'dockerode';
import { type Task, TaskState } from '@swarm/shared';
import { type Node, startNode } from '../../apps/manager/test/harness.js';
import { readFileSync } from 'node:fs';
import { machine, median, report, until } from '../lib.js';
import { engineAlone } from './engine-alone.js';

const RUNS = Number(process.env['BENCH_RUNS'] ?? 3);
/**
 * How often both sides are asked whether they are done. Each check is an API call that costs
 * the system under test CPU (ours: a tRPC query; Docker: a task list in dockerd), so asking
 * every 10 ms (100 calls/s) slowed both; 50 ms costs a fifth of that, at most 50 ms late.
 */
const POLL_MS = Number(process.env['BENCH_POLL_MS'] ?? 50);
const NETWORK = process.env['BENCH_NETWORK'] === 'none' ? 'none' : 'host';
const netArgs = ['--container-network', NETWORK];
const docker = new Docker({ socketPath: '/var/run/docker.sock' });
const IMAGE = 'local/busybox:1';
const sh = (...args: string[]) => execFileSync('docker', args, { stdio: 'ignore' });

const liveRunning = (ts: Task[]) => ts.filter((t) => t.desiredState <= TaskState.RUNNING && t.status.state === TaskState.RUNNING);
const spec = (name: string, replicas: number, env: string[] = []) => ({
  annotations: { name, labels: {} },
  task: { container: { image: IMAGE, command: ['sleep'], args: ['3600'], env }, restart: { condition: 'any' as const, delayMs: 0, maxAttempts: 0, windowMs: 0 } },
  mode: { kind: 'replicated' as const, replicas },
  update: { parallelism: 2, delayMs: 0, failureAction: 'pause' as const, monitorMs: 5000, maxFailureRatio: 0, order: 'stop-first' as const },
});

type DockerTask = { DesiredState?: string; Status?: { State?: string; ContainerStatus?: { ContainerID?: string } }; Spec?: { ContainerSpec?: { Env?: string[] } } };
const dockerTasks = async (name: string) => (await docker.listTasks({ filters: { service: [name], 'desired-state': ['running'] } })) as DockerTask[];
const dockerRunning = async (name: string) => (await dockerTasks(name)).filter((t) => t.Status?.State === 'running');

async function timed(fn: () => Promise<void>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

async function ours(node: Node, i: number) {
  const api = node.client;
  const name = `obench${i}`;
  let id = '';
  const converge = await timed(async () => {
    id = (await api.service.create.mutate({ spec: spec(name, 30) })).id;
    await until(async () => (await api.service.list.query()).find((l) => l.service.id === id)?.running === 30, 120_000, 'ours converge 30', POLL_MS);
  });
  await api.service.remove.mutate({ ref: id });
  const u = (await api.service.create.mutate({ spec: spec(`${name}u`, 10) })).id;
  await until(async () => liveRunning(await api.task.list.query({ service: u })).length === 10, 60_000, 'ours 10 running');
  const update = await timed(async () => {
    const cur = await api.service.get.query({ ref: u });
    await api.service.update.mutate({ ref: u, spec: { ...cur.spec, task: { ...cur.spec.task, container: { ...cur.spec.task.container, env: [`V=${i}`] } } } });
    await until(async () => liveRunning(await api.task.list.query({ service: u })).filter((t) => t.spec.container.env.includes(`V=${i}`)).length === 10, 120_000, 'ours update', POLL_MS);
  });
  await api.service.remove.mutate({ ref: u });
  const r = (await api.service.create.mutate({ spec: spec(`${name}r`, 3) })).id;
  await until(async () => liveRunning(await api.task.list.query({ service: r })).length === 3, 60_000, 'ours 3 running');
  const victim = liveRunning(await api.task.list.query({ service: r }))[0]!.status.container!.containerId;
  const restart = await timed(async () => {
    sh('kill', victim);
    await until(async () => {
      const rs = liveRunning(await api.task.list.query({ service: r }));
      return rs.length === 3 && rs.every((t) => t.status.container?.containerId !== victim);
    }, 60_000, 'ours restart', POLL_MS);
  });
  await api.service.remove.mutate({ ref: r });
  return { converge, update, restart };
}

async function swarmMode(i: number) {
  const name = `dbench${i}`;
  const create = (n: string, replicas: number) =>
    sh('service', 'create', '--detach', '--no-resolve-image', '--init', '--network', 'host', '--restart-delay', '0s', '--update-parallelism', '2', '--update-delay', '0s', '--name', n, '--replicas', String(replicas), IMAGE, 'sleep', '3600');
  const rm = async (n: string) => {
    sh('service', 'rm', n);
    await until(async () => (await docker.listContainers({ all: true, filters: { label: [`com.docker.swarm.service.name=${n}`] } })).length === 0, 60_000, 'docker rm');
  };
  const converge = await timed(async () => {
    create(name, 30);
    await until(async () => (await dockerRunning(name)).length === 30, 120_000, 'docker converge 30', POLL_MS);
  });
  await rm(name);
  create(`${name}u`, 10);
  await until(async () => (await dockerRunning(`${name}u`)).length === 10, 60_000, 'docker 10 running');
  const update = await timed(async () => {
    sh('service', 'update', '--detach', '--no-resolve-image', '--env-add', `V=${i}`, `${name}u`);
    await until(async () => (await dockerRunning(`${name}u`)).filter((t) => t.Spec?.ContainerSpec?.Env?.includes(`V=${i}`)).length === 10, 120_000, 'docker update', POLL_MS);
  });
  await rm(`${name}u`);
  create(`${name}r`, 3);
  await until(async () => (await dockerRunning(`${name}r`)).length === 3, 60_000, 'docker 3 running');
  const victim = (await dockerRunning(`${name}r`))[0]!.Status!.ContainerStatus!.ContainerID!;
  const restart = await timed(async () => {
    sh('kill', victim);
    await until(async () => {
      const rs = await dockerRunning(`${name}r`);
      return rs.length === 3 && rs.every((t) => t.Status?.ContainerStatus?.ContainerID !== victim);
    }, 60_000, 'docker restart', POLL_MS);
  });
  await rm(`${name}r`);
  return { converge, update, restart };
}

/** kill -9 of a worker holding tasks → every task RUNNING on the surviving node. */
async function nodeDown(runLabel: string): Promise<number> {
  const manager = await startNode({ runLabel, hostname: 'bench-m', extraArgs: netArgs });
  const token = (await manager.client.cluster.inspect.query()).rootCa!.joinTokens.worker;
  const worker = await startNode({ runLabel, hostname: 'bench-w', join: { addr: manager.remoteApi, token }, extraArgs: netArgs });
  try {
    await until(async () => (await manager.client.node.list.query()).filter((n) => n.status.state === 'READY').length === 2, 30_000, 'two nodes');
    const s = (await manager.client.service.create.mutate({ spec: spec('down', 4) })).id;
    const tasks = async () => liveRunning(await manager.client.task.list.query({ service: s }));
    await until(async () => (await tasks()).length === 4, 60_000, '4 running');
    const wid = worker.id();
    return await timed(async () => {
      await worker.kill9();
      await until(async () => {
        const r = await tasks();
        return r.length === 4 && r.every((t) => t.nodeId !== wid);
      }, 60_000, 'node down replacements', POLL_MS);
    });
  } finally {
    await worker.stop().catch(() => {});
    await manager.stop().catch(() => {});
  }
}

async function main(): Promise<void> {
  const info = await docker.info();
  const weInitialisedSwarm = info.Swarm?.LocalNodeState !== 'active';
  if (weInitialisedSwarm) sh('swarm', 'init', '--advertise-addr', '127.0.0.1', '--listen-addr', '127.0.0.1:2377');
  const runLabel = `obench-${Date.now().toString(36)}`;
  const node = await startNode({ runLabel, hostname: 'bench-1', extraArgs: netArgs });
  const a: Array<Awaited<ReturnType<typeof ours>>> = [];
  const b: Array<Awaited<ReturnType<typeof swarmMode>>> = [];
  const downs: number[] = [];
  const alone: number[] = [];
  const loads: string[] = [];
  try {
    await ours(node, 0); // warm-up
    for (let i = 1; i <= RUNS; i++) {
      loads.push(readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '));
      a.push(await ours(node, i));
      b.push(await swarmMode(i));
      alone.push(await engineAlone(`${runLabel}-alone${i}`));
    }
  } finally {
    await node.stop().catch(() => {});
    if (weInitialisedSwarm) sh('swarm', 'leave', '--force');
  }
  for (let i = 0; i < RUNS; i++) downs.push(await nodeDown(`${runLabel}-d${i}`));
  const m = (xs: number[]) => Math.round(median(xs));
  const f = {
    converge_30_ms: m(a.map((x) => x.converge)),
    docker_converge_30_ms: m(b.map((x) => x.converge)),
    update_10_p2_ms: m(a.map((x) => x.update)),
    docker_update_10_p2_ms: m(b.map((x) => x.update)),
    restart_ms: m(a.map((x) => x.restart)),
    docker_restart_ms: m(b.map((x) => x.restart)),
    node_down_to_running_ms: m(downs),
    engine_alone_30_ms: m(alone),
  };
  const round = (xs: Array<Record<string, number>>) => xs.map((x) => Object.fromEntries(Object.entries(x).map(([k, v]) => [k, Math.round(v)])));
  report(
    {
      ...f,
      converge_ratio_vs_docker: +(f.converge_30_ms / f.docker_converge_30_ms).toFixed(2),
      update_ratio_vs_docker: +(f.update_10_p2_ms / f.docker_update_10_p2_ms).toFixed(2),
      restart_ratio_vs_docker: +(f.restart_ms / f.docker_restart_ms).toFixed(2),
      runs: RUNS,
      poll_ms: POLL_MS,
      network: NETWORK,
    },
    { machine: machine(), ours: round(a), docker: round(b), engine_alone: alone.map(Math.round), load_before_each_round: loads, node_down: downs.map(Math.round) },
  );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
