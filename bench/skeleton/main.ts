/**
 * Issue 2 benchmark: one node, real containers.
 *   converge_10_ms: service create --replicas 10 → 10/10 RUNNING (our API's count)
 *   remove_10_ms:   service rm → every container gone
 * and the same two figures for Docker's swarm mode in the same engine
 * (docker_converge_10_ms, docker_remove_10_ms), median of N runs each,
 * interleaved so machine noise hits both alike. Both sides use the host network
 * (BENCH_NETWORK=none runs ours isolated, which costs a network namespace per container).
 */
import { execFileSync } from 'node:child_process';
import Docker from 'dockerode';
import { type Node, startNode } from '../../apps/manager/test/harness.js';
import { machine, median, report, until } from '../lib.js';

const RUNS = Number(process.env['BENCH_RUNS'] ?? 5);
/** Swarm mode's tasks here use the host network (it cannot use `none`); ours match it by default. */
const NETWORK = process.env['BENCH_NETWORK'] === 'none' ? 'none' : 'host';
const REPLICAS = 10;
const docker = new Docker({ socketPath: '/var/run/docker.sock' });

async function ours(node: Node, i: number): Promise<{ converge: number; remove: number }> {
  const name = `bench${i}`;
  const t0 = performance.now();
  const s = await node.client.service.create.mutate({
    spec: { annotations: { name, labels: {} }, task: { container: { image: 'local/busybox:1', command: ['sleep'], args: ['3600'] } }, mode: { kind: 'replicated', replicas: REPLICAS } },
  });
  await until(async () => (await node.client.service.list.query()).find((l) => l.service.id === s.id)?.running === REPLICAS, 60_000, 'ours converge');
  const converge = performance.now() - t0;
  const t1 = performance.now();
  await node.client.service.remove.mutate({ ref: s.id });
  const gone = async () => (await docker.listContainers({ all: true, filters: { label: [`com.swarm.service.id=${s.id}`] } })).length === 0;
  await until(gone, 60_000, 'ours remove');
  return { converge, remove: performance.now() - t1 };
}

async function swarmMode(i: number): Promise<{ converge: number; remove: number }> {
  const name = `swarmbench${i}`;
  const t0 = performance.now();
  execFileSync('docker', ['service', 'create', '--detach', '--no-resolve-image', '--init', '--network', 'host', '--name', name, '--replicas', String(REPLICAS), 'local/busybox:1', 'sleep', '3600'], { stdio: 'ignore' });
  const running = async () => (await docker.listTasks({ filters: { service: [name], 'desired-state': ['running'] } })).filter((t: { Status?: { State?: string } }) => t.Status?.State === 'running').length;
  await until(async () => (await running()) === REPLICAS, 60_000, 'docker converge');
  const converge = performance.now() - t0;
  const t1 = performance.now();
  execFileSync('docker', ['service', 'rm', name], { stdio: 'ignore' });
  await until(async () => (await docker.listContainers({ all: true, filters: { label: [`com.docker.swarm.service.name=${name}`] } })).length === 0, 60_000, 'docker remove');
  return { converge, remove: performance.now() - t1 };
}

async function main(): Promise<void> {
  const info = await docker.info();
  const weInitialisedSwarm = info.Swarm?.LocalNodeState !== 'active';
  if (weInitialisedSwarm) execFileSync('docker', ['swarm', 'init', '--advertise-addr', '127.0.0.1', '--listen-addr', '127.0.0.1:2377'], { stdio: 'ignore' });
  const node = await startNode({ runLabel: `bench-${Date.now().toString(36)}`, extraArgs: ['--container-network', NETWORK] });
  const a: Array<{ converge: number; remove: number }> = [];
  const b: Array<{ converge: number; remove: number }> = [];
  try {
    await ours(node, 0); // warm-up: first container start pays image/layer caches
    for (let i = 1; i <= RUNS; i++) {
      a.push(await ours(node, i));
      b.push(await swarmMode(i));
    }
  } finally {
    await node.stop();
    if (weInitialisedSwarm) execFileSync('docker', ['swarm', 'leave', '--force'], { stdio: 'ignore' });
  }
  const f = {
    converge_10_ms: median(a.map((x) => x.converge)),
    remove_10_ms: median(a.map((x) => x.remove)),
    docker_converge_10_ms: median(b.map((x) => x.converge)),
    docker_remove_10_ms: median(b.map((x) => x.remove)),
  };
  report(
    { ...f, converge_ratio_vs_docker: +(f.converge_10_ms / f.docker_converge_10_ms).toFixed(2), remove_ratio_vs_docker: +(f.remove_10_ms / f.docker_remove_10_ms).toFixed(2), runs: RUNS, network: NETWORK },
    { machine: machine(), ours: a.map((x) => ({ converge: Math.round(x.converge), remove: Math.round(x.remove) })), docker: b.map((x) => ({ converge: Math.round(x.converge), remove: Math.round(x.remove) })) },
  );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
