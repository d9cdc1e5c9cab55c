/**
 * What one heartbeat costs: a swarmd manager (sim executor) and HB_NODES simulated nodes (real join,
 * real agent sessions over gRPC with mutual TLS, in this process). The cluster's heartbeat period is set
 * to HB_PERIOD_MS (1 s) with the rate cap lifted, and the CPU time of the manager process and of this
 * process (the agents) is read from /proc over HB_WINDOW_MS; the same window at a 30 s period (few
 * heartbeats) is the baseline: cost per heartbeat = CPU difference ÷ heartbeat difference. Median of
 * HB_ROUNDS (3) rounds. Both ways an agent can send a heartbeat are measured, one after the other, each
 * against its own manager: as a unary `Heartbeat` call (the baseline) and as a message on the `Report` stream
 * (what agents do).
 *
 *   npm run bench:heartbeat -- --json
 *   {"manager_us_per_heartbeat":…,"agent_us_per_heartbeat":…,"manager_us_per_heartbeat_unary":…,…}
 *
 * It is why the dispatcher caps the fleet's heartbeat rate (dispatcher/heartbeat.ts): at about a
 * millisecond of leader CPU each, 5,000 nodes every 5 s would take a whole core.
 */
import { startNode } from '../../apps/manager/test/harness.js';
import { machine, median, report } from '../lib.js';
import { processCpuMs } from '../security/protocol.js';
import { startSimNodes } from './sim-nodes.js';

const NODES = Number(process.env['HB_NODES'] ?? 250);
const PERIOD_MS = Number(process.env['HB_PERIOD_MS'] ?? 1000);
const WINDOW_MS = Number(process.env['HB_WINDOW_MS'] ?? 10_000);
const ROUNDS = Number(process.env['HB_ROUNDS'] ?? 3);
const PORT = Number(process.env['HB_PORT'] ?? 23190);
const IDLE_PERIOD_MS = 30_000;
const log = (s: string) => process.stderr.write(`${s}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Round { manager_us: number; agent_us: number }

/** Rounds of one mode: a fresh manager and NODES agents sending heartbeats as unary calls or on the Report stream. */
async function measureMode(unaryReports: boolean, port: number): Promise<Round[]> {
  const addr = `127.0.0.1:${port}`;
  const mode = unaryReports ? 'unary' : 'stream';
  const manager = await startNode({ executor: 'sim', hostname: `hb-bench-${mode}`, runLabel: 'bench-hb', extraArgs: ['--join-rate', '100000000', '--log-level', 'warn', '--listen-remote-api', addr] });
  let sims: Awaited<ReturnType<typeof startSimNodes>> | undefined;
  try {
    await manager.client.cluster.update.mutate({ heartbeatPeriodMs: IDLE_PERIOD_MS, maxHeartbeatsPerSecond: 1_000_000 });
    const token = (await manager.client.cluster.inspect.query()).rootCa!.joinTokens.worker;
    sims = await startSimNodes({ addr, token, count: NODES, concurrency: 8, unaryReports });
    log(`${mode}: ${NODES} nodes joined`);

    /** CPU ms of the manager and of the agents over one window at the given period (after every agent took it). */
    const measure = async (periodMs: number, settleMs: number) => {
      await manager.client.cluster.update.mutate({ heartbeatPeriodMs: periodMs });
      await sleep(settleMs);
      const pid = manager.proc().pid!;
      const m0 = processCpuMs(pid);
      const a0 = processCpuMs(process.pid);
      await sleep(WINDOW_MS);
      return { manager: processCpuMs(pid) - m0, agents: processCpuMs(process.pid) - a0 };
    };

    const rounds: Round[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      // The agents learn a new period from their next heartbeat: after the idle window they are still on the short
      // period until their next beat, so each measurement waits one old period (plus jitter) first.
      const busy = await measure(PERIOD_MS, IDLE_PERIOD_MS + 2_000);
      const idle = await measure(IDLE_PERIOD_MS, PERIOD_MS * 2 + 2_000);
      const beats = (NODES * WINDOW_MS) / PERIOD_MS - (NODES * WINDOW_MS) / IDLE_PERIOD_MS;
      const round = { manager_us: Math.round(((busy.manager - idle.manager) * 1000) / beats), agent_us: Math.round(((busy.agents - idle.agents) * 1000) / beats) };
      log(`${mode} round ${r + 1}: ${Math.round(beats)} more heartbeats; manager ${busy.manager} ms (idle ${idle.manager}), agents ${busy.agents} ms (idle ${idle.agents}) → ${round.manager_us} / ${round.agent_us} µs per heartbeat`);
      rounds.push(round);
    }
    return rounds;
  } finally {
    await sims?.stop();
    await manager.stop();
  }
}

// The unary calls first: the baseline, measured in the same run.
const unary = await measureMode(true, PORT);
const stream = await measureMode(false, PORT + 1);
const med = (rs: Round[], k: keyof Round) => median(rs.map((r) => r[k]));
report(
  {
    manager_us_per_heartbeat: med(stream, 'manager_us'),
    agent_us_per_heartbeat: med(stream, 'agent_us'),
    manager_us_per_heartbeat_unary: med(unary, 'manager_us'),
    agent_us_per_heartbeat_unary: med(unary, 'agent_us'),
    manager_stream_vs_unary: Math.round((med(stream, 'manager_us') / med(unary, 'manager_us')) * 100) / 100,
    agent_stream_vs_unary: Math.round((med(stream, 'agent_us') / med(unary, 'agent_us')) * 100) / 100,
    nodes: NODES,
    period_ms: PERIOD_MS,
    rounds: ROUNDS,
  },
  { rounds: { unary, stream }, machine: machine() },
);
