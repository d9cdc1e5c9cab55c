/**
 * Issue 7 benchmark: the scheduler.
 *   place_per_s_pure:   the scheduler alone, in process: 100,000 tasks (10 services) on 5,000 nodes,
 *                       two constraints, cpu/memory reservations, spread and one placement preference
 *   place_per_s_loop:   the same through the scheduler loop over an in-memory store (index from
 *                       events, store transactions of ≤ 2,000 decisions)
 *   converge_*_ms:      end to end: a swarmd manager (separate process, sim executor; store over Raft)
 *                       and N simulated nodes in E2E_AGENT_PROCS child processes (real joins, real
 *                       agents, one gRPC session with mutual TLS each); from `service create` to all
 *                       tasks RUNNING (service list's count)
 *   manager_rss_mb_*:   the manager's RSS once converged
 * Env: BENCH_RUNS (pure runs, default 3), E2E_NODES / E2E_TASKS (default 5000 / 100000),
 * E2E_HEARTBEAT_MS (default 5000, SwarmKit's; the cluster's heartbeat rate cap, E2E_MAX_HEARTBEATS_PER_S or
 * the default 100/s, stretches it to nodes ÷ cap: 50 s at 5,000 nodes), E2E_AGENT_PROCS (4), E2E_JOINS_IN_FLIGHT (8),
 * E2E_JOIN_HEARTBEAT_MS (60000, during the joins only), E2E_MANAGER_NICE (e.g. -10 on a shared machine),
 * E2E_PORT (23100), BENCH_UNARY_REPORTS=1 (agents send heartbeats and statuses as unary calls, the baseline
 * of the Report stream), E2E_MANAGER_LOG (file for the manager's output once converged), E2E_HOLD_MS (keep the manager up after the figures), E2E=0 skips the end-to-end part. SWARMD_NODE_ARGS="--cpu-prof --cpu-prof-dir=…" profiles the manager.
 */
import fs from 'node:fs';
import { DEFAULT_MAX_HEARTBEATS_PER_SECOND } from '../../apps/manager/src/dispatcher/heartbeat.js';
import os from 'node:os';
import { type Node, startNode } from '../../apps/manager/test/harness.js';
import { machine, median, report, until } from '../lib.js';
import { benchLoop, benchPure } from './pure.js';
import { processCpuMs } from '../security/protocol.js';
import { type SimProcs, startSimProcs } from './sim-procs.js';

const RUNS = Number(process.env['BENCH_RUNS'] ?? 3);
const NODES = Number(process.env['E2E_NODES'] ?? 5000);
const TASKS = Number(process.env['E2E_TASKS'] ?? 100_000);
/** SwarmKit's default dispatcher heartbeat period. */
const HEARTBEAT_MS = Number(process.env['E2E_HEARTBEAT_MS'] ?? 5000);
/** The cluster's cap on heartbeats per second (unset: the manager's default). */
const MAX_HB_PER_S = process.env['E2E_MAX_HEARTBEATS_PER_S'] ? Number(process.env['E2E_MAX_HEARTBEATS_PER_S']) : undefined;
/** The period the agents are told during the timed part. */
const effectiveHeartbeatMs = (nodes: number) => Math.max(HEARTBEAT_MS, Math.ceil((nodes / (MAX_HB_PER_S ?? DEFAULT_MAX_HEARTBEATS_PER_SECOND)) * 1000));
/** Child processes running the simulated nodes, and joins in flight over all of them. */
const AGENT_PROCS = Number(process.env['E2E_AGENT_PROCS'] ?? 4);
const JOINS_IN_FLIGHT = Number(process.env['E2E_JOINS_IN_FLIGHT'] ?? 8);
/** Heartbeat period while the nodes join (setup); HEARTBEAT_MS applies to the timed part. */
const JOIN_HEARTBEAT_MS = Number(process.env['E2E_JOIN_HEARTBEAT_MS'] ?? 60_000);
/** Scheduling priority for the manager (e.g. -5 on a shared machine; needs the privilege). Default 0: unchanged. */
const NICE = Number(process.env['E2E_MANAGER_NICE'] ?? 0);
const PORT = Number(process.env['E2E_PORT'] ?? 23100);
/**
 * The poll of `service ls` counts every task of the service on the manager (its CPU is part of the measured
 * manager CPU): every 500 ms up to 20,000 tasks, then less often (2.5 s at 100,000), so the poll's share of
 * the manager's work does not grow with the size.
 */
const POLL_MS = Math.max(500, Math.round(TASKS / 40));
/** Keep the manager running this long after the figures are taken (e.g. for a heap snapshot: --heapsnapshot-signal). */
const HOLD_MS = Number(process.env['E2E_HOLD_MS'] ?? 0);
/**
 * Where the simulated nodes keep their state (each agent's task journal, fsync'd on every assignment).
 * Default: tmpfs (/dev/shm) where there is one. Real nodes write to their own disks; thousands of hollow
 * nodes syncing to the manager's disk would put their fsyncs in front of the manager's Raft log, a cost
 * no real cluster has. E2E_SIM_STATE=/tmp/… puts them on the manager's disk.
 */
const SIM_STATE = process.env['E2E_SIM_STATE'] ?? (fs.existsSync('/dev/shm') ? '/dev/shm/swarm-bench-sim-' : '/tmp/swarm-bench-sim-');
/** Write the manager's output (stdout and stderr) to this file once converged. */
const MANAGER_LOG = process.env['E2E_MANAGER_LOG'];
const UNARY_REPORTS = process.env['BENCH_UNARY_REPORTS'] === '1';
const log = (s: string) => process.stderr.write(`${s}\n`);

const loadavg = () => fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

interface E2E {
  converge_ms: number; rss_mb: number; join_ms: number; nodes: number; tasks: number; heartbeat_ms: number; heartbeat_effective_ms: number; sim_state: string;
  manager_cpu_ms: number; agents_cpu_ms: number; manager_cpu_us_per_task: number;
  /** Agents' calls per task during the converge: UpdateTaskStatus calls, Assignments messages, heartbeats. */
  status_calls_per_task: number; status_updates_per_task: number; assignment_msgs_per_task: number; heartbeats_per_task: number; unary_calls_per_task: number; reports: string; nodes_not_ready: number; poll_errors: number; rss_mb_before_tasks: number; loadavg_before: string; loadavg_after: string;
}

const rssMb = (pid: number): number => {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : NaN;
};

async function endToEnd(): Promise<E2E> {
  // The remote API on this bench's own port (the later --listen-remote-api wins over the harness's).
  const remoteApi = `127.0.0.1:${PORT}`;
  const manager: Node = await startNode({ executor: 'sim', hostname: 'bench-mgr', runLabel: 'bench-sched', extraArgs: ['--join-rate', '100000000', '--log-level', 'warn', '--listen-remote-api', remoteApi] });
  let sims: SimProcs | undefined;
  // Interrupted (Ctrl-C, a timeout's SIGTERM): stop what this bench started before exiting.
  const onSignal = (sig: NodeJS.Signals) => {
    log(`  ${sig}: stopping the simulated nodes and the manager`);
    const exit = () => process.exit(130);
    Promise.all([sims?.stop(), manager.stop()]).then(exit, exit);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    if (NICE) os.setPriority(manager.proc().pid!, NICE);
    // Joining is setup: thousands of 5 s heartbeats would starve the joins on a small machine, so the
    // nodes join with JOIN_HEARTBEAT_MS and the measured period is set once they are all READY.
    await manager.client.cluster.update.mutate({ heartbeatPeriodMs: JOIN_HEARTBEAT_MS, ...(MAX_HB_PER_S ? { maxHeartbeatsPerSecond: MAX_HB_PER_S } : {}) });
    // The manager's own agent would take tasks too: drain it so only simulated nodes count.
    await manager.client.node.update.mutate({ ref: manager.id(), availability: 'DRAIN' });
    const token = (await manager.client.cluster.inspect.query()).rootCa!.joinTokens.worker;
    const j0 = performance.now();
    let shown = 0;
    sims = await startSimProcs({
      addr: remoteApi,
      token,
      count: NODES,
      procs: AGENT_PROCS,
      concurrency: Math.max(1, Math.round(JOINS_IN_FLIGHT / AGENT_PROCS)),
      tmpPrefix: SIM_STATE,
      onProgress: (n) => n - shown >= 500 && log(`  joined ${(shown = n)}/${NODES} after ${Math.round(performance.now() - j0)} ms`),
    });
    // `>=`: a join whose answer timed out is retried, and the node record of the first attempt stays UNKNOWN.
    await until(async () => (await manager.client.node.list.query().catch(() => [])).filter((n) => n.status.state === 'READY').length >= NODES + 1, 600_000, 'all nodes READY', 1000);
    const join_ms = performance.now() - j0;
    log(`  ${NODES} nodes ready in ${Math.round(join_ms)} ms`);
    if (JOIN_HEARTBEAT_MS !== HEARTBEAT_MS) {
      await manager.client.cluster.update.mutate({ heartbeatPeriodMs: HEARTBEAT_MS });
      // Every agent learns the new period from its next heartbeat answer: wait one old period.
      log(`  heartbeat period set to ${HEARTBEAT_MS} ms (${effectiveHeartbeatMs(NODES + 1)} ms with the rate cap); waiting ${JOIN_HEARTBEAT_MS} ms for every agent to take it`);
      await new Promise((r) => setTimeout(r, JOIN_HEARTBEAT_MS + 2_000));
    }
    log(`  creating ${TASKS} tasks (at ${Date.now()} ms since the epoch)`);
    const load0 = loadavg();
    const rssBefore = rssMb(manager.proc().pid!); // the nodes alone (sessions, certificates, store)
    const cpu0 = { manager: processCpuMs(manager.proc().pid!), agents: sims.pids.reduce((a, p) => a + processCpuMs(p), 0) };
    const rpc0 = await sims.rpc();
    const t0 = performance.now();
    const create = () => manager.client.service.create.mutate({
      spec: {
        annotations: { name: 'bench', labels: {} },
        task: {
          container: { image: 'sim/app:1' },
          resources: { reservations: { nanoCpus: 1e8, memoryBytes: 64 * 2 ** 20 } },
          placement: { constraints: ['engine.labels.tier!=db', 'engine.labels.disk==ssd'], preferences: [{ spread: 'engine.labels.zone' }] },
        },
        mode: { kind: 'replicated', replicas: TASKS },
      },
    });
    // A keep-alive socket the manager just closed can fail the request (EPIPE): look before retrying.
    const svc = await create().catch(async () => (await manager.client.service.get.query({ ref: 'bench' }).catch(() => undefined)) ?? create());
    let last = 0;
    let pollErrors = 0;
    await until(
      async () => {
        // A loaded manager can fail a consistent read (ReadIndex timed out): count it and poll again.
        const list = await manager.client.service.list.query().catch(() => void pollErrors++);
        if (!list) return false;
        const running = list.find((l) => l.service.id === svc.id)?.running ?? 0;
        if (running - last >= TASKS / 10) log(`  running ${(last = running)}/${TASKS} after ${Math.round(performance.now() - t0)} ms`);
        return running === TASKS;
      },
      900_000,
      'all tasks running',
      POLL_MS,
    );
    const converge_ms = performance.now() - t0;
    const cpu = { manager: processCpuMs(manager.proc().pid!) - cpu0.manager, agents: sims.pids.reduce((a, p) => a + processCpuMs(p), 0) - cpu0.agents };
    const rpc1 = await sims.rpc();
    const perTask = (k: string) => Math.round((((rpc1[k] ?? 0) - (rpc0[k] ?? 0)) / TASKS) * 1000) / 1000;
    const down = (await manager.client.node.list.query().catch(() => [])).filter((n) => n.status.state !== 'READY').length;
    if (MANAGER_LOG) fs.writeFileSync(MANAGER_LOG, manager.output());
    if (HOLD_MS > 0) {
      log(`  holding the manager (pid ${manager.proc().pid}) for ${HOLD_MS} ms`);
      await new Promise((r) => setTimeout(r, HOLD_MS));
    }
    return {
      converge_ms, rss_mb: rssMb(manager.proc().pid!), join_ms, nodes: NODES, tasks: TASKS, heartbeat_ms: HEARTBEAT_MS,
      heartbeat_effective_ms: effectiveHeartbeatMs(NODES + 1), sim_state: SIM_STATE,
      manager_cpu_ms: Math.round(cpu.manager), agents_cpu_ms: Math.round(cpu.agents),
      manager_cpu_us_per_task: Math.round((cpu.manager * 1000) / TASKS),
      status_calls_per_task: perTask('statusCalls'), status_updates_per_task: perTask('statusUpdates'), assignment_msgs_per_task: perTask('assignmentMessages'), heartbeats_per_task: perTask('heartbeats'),
      unary_calls_per_task: perTask('unaryCalls'), reports: UNARY_REPORTS ? 'unary' : 'stream',
      nodes_not_ready: down, poll_errors: pollErrors, rss_mb_before_tasks: rssBefore, loadavg_before: load0, loadavg_after: loadavg(),
    };
  } catch (e) {
    log(`end to end failed: ${(e as Error).message}\nmanager output (tail):\n${manager.output().slice(-4000)}`);
    throw e;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await sims?.stop();
    await manager.stop();
  }
}

async function main(): Promise<void> {
  const w = { nodes: 5000, tasks: 100_000, services: 10 };
  const pure: number[] = [];
  const loop: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    pure.push(benchPure(w).perS);
    loop.push((await benchLoop(w)).perS);
    log(`run ${i + 1}: pure ${Math.round(pure[i]!)} /s, loop ${Math.round(loop[i]!)} /s`);
  }
  const e2e = process.env['E2E'] === '0' ? undefined : await endToEnd();
  const suffix = e2e ? (e2e.tasks === 100_000 && e2e.nodes === 5000 ? '100k' : `${e2e.tasks}_on_${e2e.nodes}`) : '';
  report(
    {
      ...(RUNS > 0 ? { place_per_s_pure: Math.round(median(pure)), place_per_s_loop: Math.round(median(loop)) } : {}),
      ...(e2e ? { [`converge_${suffix}_ms`]: Math.round(e2e.converge_ms), [`manager_rss_mb_${suffix}`]: e2e.rss_mb, e2e_nodes: e2e.nodes, e2e_tasks: e2e.tasks, join_ms: Math.round(e2e.join_ms), heartbeat_ms: e2e.heartbeat_ms, manager_cpu_us_per_task: e2e.manager_cpu_us_per_task, loadavg: e2e.loadavg_after, e2e } : {}),
      targets: { place_per_s_pure: 5000, converge_100k_ms: 60_000, manager_rss_mb_100k: 1500 },
      baselines: { kube_scheduler_ci_floor_pods_per_s: [160, 810], nomad_c1m_containers_per_s: 3750 },
      runs: RUNS,
    },
    { machine: machine(), pure, loop, e2e },
  );
}

await main();
