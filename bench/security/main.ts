/**
 * Issue 3 benchmark: the handshake storm.
 *   certs_per_s:        node certificates issued per second by the CA over real
 *                       gRPC + mutual TLS (join certificate per request, 8 in flight)
 *   joins_per_s:        whole joins per second, 8 in flight: fresh key, CSR, join
 *                       certificate, IssueNodeCertificate, then a dispatcher session
 *                       on the new certificate until its first message
 *   reconnect_1000_ms:  1,000 simulated agents (one gRPC channel and certificate each,
 *                       run by AGENT_PROCS child processes apart from this one) open
 *                       dispatcher sessions at one instant of the shared clock; time
 *                       until every one has its first session message
 * The manager is a separate swarmd process (sim executor). Median of N runs of the storm.
 */
import * as grpc from '@grpc/grpc-js';
import { createCSR, generateKeyPair, joinClientCert, parseToken } from '@swarm/pki';
import { loadService } from '../../apps/manager/src/lib/proto.js';
import { requestCertificate } from '../../apps/manager/src/node/ca-client.js';
import { MANAGER_SAN, channelCredentials, createProvider } from '../../apps/manager/src/security/providers.js';
import { startNode } from '../../apps/manager/test/harness.js';
import { machine, median, report } from '../lib.js';
import { type AgentCreds, type AgentProcess, clockMs, processCpuMs, startAgentProcess } from './protocol.js';

const AGENTS = Number(process.env['BENCH_AGENTS'] ?? 1000);
const RUNS = Number(process.env['BENCH_RUNS'] ?? 3);
const JOINS = Number(process.env['BENCH_JOINS'] ?? 200);
const AGENT_PROCS = Number(process.env['BENCH_AGENT_PROCS'] ?? 2);
const CONCURRENCY = 8;
/** Between storms: the manager marks the dropped nodes DOWN (~1.5 heartbeat periods); let that finish first. */
const SETTLE_MS = Number(process.env['BENCH_SETTLE_MS'] ?? 3_000);

async function pool<T>(n: number, items: T[], fn: (t: T) => Promise<void>): Promise<void> {
  let i = 0;
  await Promise.all(Array.from({ length: n }, async () => {
    while (i < items.length) await fn(items[i++] as T);
  }));
}

const description = JSON.stringify({ hostname: 'sim', platform: { os: 'linux', architecture: 'x86_64' }, resources: { nanoCpus: 1e9, memoryBytes: 1 << 30, generic: {} }, engine: { engineVersion: 'sim', labels: {}, plugins: [] }, executor: 'sim' });

/** One dispatcher session on a new channel, until its first message. */
function firstSession(addr: string, root: string, a: AgentCreds): Promise<void> {
  const Dispatcher = loadService('dispatcher.proto', ['swarm', 'dispatcher', 'v1', 'Dispatcher']);
  const creds = channelCredentials(createProvider({ ca: [root] }), createProvider({ identity: { certPem: a.certPem + root, keyPem: a.keyPem } }));
  const c = new Dispatcher(addr, creds, { 'grpc.ssl_target_name_override': MANAGER_SAN }) as unknown as grpc.Client & { Session(req: object): grpc.ClientReadableStream<unknown> };
  return new Promise<void>((resolve, reject) => {
    const s = c.Session({ description_json: description, session_id: '', node_id: a.nodeId });
    s.once('data', () => resolve());
    s.once('error', reject);
  }).finally(() => c.close());
}

interface Storm { ms: number; p50: number; p90: number; connectedP50: number; connectedMax: number; managerCpuMs: number; agentsCpuMs: number }
const pct = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))] as number;

async function storms(addr: string, managerPid: number, root: string, agents: AgentCreds[]): Promise<Storm[]> {
  const procs: AgentProcess[] = [];
  try {
    for (let p = 0; p < AGENT_PROCS; p++) procs.push(await startAgentProcess());
    const share = Math.ceil(agents.length / AGENT_PROCS);
    const ready = await Promise.all(procs.map((p, i) => p.request({ kind: 'setup', addr, rootCaPem: root, description, agents: agents.slice(i * share, (i + 1) * share) })));
    for (const r of ready) if (r.kind !== 'ready') throw new Error(`agent process: ${JSON.stringify(r)}`);
    const out: Storm[] = [];
    for (let run = 0; run < RUNS; run++) {
      if (run > 0) await new Promise((r) => setTimeout(r, SETTLE_MS));
      const at = clockMs() + 500; // time for every child to build its channels first
      const cpu0 = processCpuMs(managerPid);
      const replies = await Promise.all(procs.map((p) => p.request({ kind: 'storm', at })));
      const managerCpuMs = processCpuMs(managerPid) - cpu0;
      let agentsCpuMs = 0;
      const firsts: number[] = [];
      const connected: number[] = [];
      for (const r of replies) {
        if (r.kind !== 'storm') throw new Error(`agent process: ${JSON.stringify(r)}`);
        if (r.errors.length) throw new Error(`${r.errors.length} sessions failed, e.g. ${r.errors[0]}`);
        firsts.push(...r.firsts);
        agentsCpuMs += r.cpuMs;
        connected.push(...r.connected);
      }
      if (firsts.length !== agents.length) throw new Error(`${firsts.length} of ${agents.length} agents reported`);
      out.push({ ms: Math.max(...firsts) - at, p50: pct(firsts, 0.5) - at, p90: pct(firsts, 0.9) - at, connectedP50: pct(connected, 0.5) - at, connectedMax: Math.max(...connected) - at, managerCpuMs, agentsCpuMs });
    }
    return out;
  } finally {
    await Promise.all(procs.map((p) => p.stop()));
  }
}

async function main(): Promise<void> {
  const node = await startNode({ executor: 'sim', runLabel: 'bench-sec', extraArgs: ['--join-rate', '1000000'] });
  try {
    const token = parseToken((await node.client.cluster.inspect.query()).rootCa!.joinTokens.worker);
    if (!token.ok) throw new Error(token.error);
    const secret = token.value.secret;
    const root = (await node.client.cluster.inspect.query()).rootCa!.caCert;
    const ca = createProvider({ ca: [root] });
    const issue = async (csr: string, join: string, keyPem: string): Promise<AgentCreds> => {
      const creds = channelCredentials(ca, createProvider({ identity: { certPem: join, keyPem } }));
      const r = await requestCertificate(node.remoteApi, creds, csr);
      return { nodeId: r.node_id, certPem: r.certificate, keyPem };
    };

    // Prepare keys, CSRs and join certificates outside the timed section.
    const prepared = await Promise.all(Array.from({ length: AGENTS }, async () => {
      const key = generateKeyPair();
      return { key, csr: await createCSR(key.privateKeyPem), join: await joinClientCert(secret, 'worker', key.privateKeyPem) };
    }));
    const agents: AgentCreds[] = [];
    const t0 = performance.now();
    await pool(CONCURRENCY, prepared, async (p) => void agents.push(await issue(p.csr, p.join, p.key.privateKeyPem)));
    const certsPerS = AGENTS / ((performance.now() - t0) / 1000);

    // Whole joins: everything a new node does until its first session message.
    const t1 = performance.now();
    await pool(CONCURRENCY, Array.from({ length: JOINS }, (_, i) => i), async () => {
      const key = generateKeyPair();
      const joined = await issue(await createCSR(key.privateKeyPem), await joinClientCert(secret, 'worker', key.privateKeyPem), key.privateKeyPem);
      await firstSession(node.remoteApi, root, joined);
    });
    const joinsPerS = JOINS / ((performance.now() - t1) / 1000);

    const runs = await storms(node.remoteApi, node.proc().pid!, root, agents);
    report(
      { reconnect_1000_ms: Math.round(median(runs.map((r) => r.ms))), certs_per_s: Math.round(certsPerS), joins_per_s: Math.round(joinsPerS), agents: AGENTS, runs: RUNS },
      { machine: machine(), storms_ms: runs.map((r) => Math.round(r.ms)), storms_p50_p90_ms: runs.map((r) => [Math.round(r.p50), Math.round(r.p90)]),
        storms_connected_p50_max_ms: runs.map((r) => [Math.round(r.connectedP50), Math.round(r.connectedMax)]),
        storms_cpu_ms: runs.map((r) => ({ manager: Math.round(r.managerCpuMs), agents: Math.round(r.agentsCpuMs) })), agent_processes: AGENT_PROCS },
    );
  } finally {
    await node.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
