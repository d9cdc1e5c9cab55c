/**
 * Issue 3 benchmark: the handshake storm.
 *   certs_per_s:        node certificates issued per second by the CA over real
 *                       gRPC + mutual TLS (join certificate per request, 8 in flight)
 *   reconnect_1000_ms:  1,000 simulated agents (this process, one gRPC channel and
 *                       certificate each) open dispatcher sessions at once; time until
 *                       every one has its first session message
 * The manager is a separate swarmd process (sim executor). Median of N runs of the storm.
 */
import * as grpc from '@grpc/grpc-js';
import { createCSR, generateKeyPair, joinClientCert, parseToken } from '@swarm/pki';
import { loadService } from '../../apps/manager/src/lib/proto.js';
import { requestCertificate } from '../../apps/manager/src/node/ca-client.js';
import { MANAGER_SAN, channelCredentials, createProvider } from '../../apps/manager/src/security/providers.js';
import { startNode } from '../../apps/manager/test/harness.js';
import { machine, median, report } from '../lib.js';

const AGENTS = Number(process.env['BENCH_AGENTS'] ?? 1000);
const RUNS = Number(process.env['BENCH_RUNS'] ?? 3);
const CONCURRENCY = 8;

async function pool<T>(n: number, items: T[], fn: (t: T) => Promise<void>): Promise<void> {
  let i = 0;
  await Promise.all(Array.from({ length: n }, async () => {
    while (i < items.length) await fn(items[i++] as T);
  }));
}

async function main(): Promise<void> {
  const node = await startNode({ executor: 'sim', runLabel: 'bench-sec', extraArgs: ['--join-rate', '1000000'] });
  try {
    const token = parseToken((await node.client.cluster.inspect.query()).rootCa!.joinTokens.worker);
    if (!token.ok) throw new Error(token.error);
    const root = (await node.client.cluster.inspect.query()).rootCa!.caCert;
    const ca = createProvider({ ca: [root] });

    // Prepare keys, CSRs and join certificates outside the timed section.
    const prepared = await Promise.all(Array.from({ length: AGENTS }, async () => {
      const key = generateKeyPair();
      return { key, csr: await createCSR(key.privateKeyPem), join: await joinClientCert(token.value.secret, 'worker', key.privateKeyPem) };
    }));
    const agents: Array<{ nodeId: string; certPem: string; keyPem: string }> = [];
    const t0 = performance.now();
    await pool(CONCURRENCY, prepared, async (p) => {
      const creds = channelCredentials(ca, createProvider({ identity: { certPem: p.join, keyPem: p.key.privateKeyPem } }));
      const r = await requestCertificate(node.remoteApi, creds, p.csr);
      agents.push({ nodeId: r.node_id, certPem: r.certificate, keyPem: p.key.privateKeyPem });
    });
    const certsPerS = AGENTS / ((performance.now() - t0) / 1000);

    const Dispatcher = loadService('dispatcher.proto', ['swarm', 'dispatcher', 'v1', 'Dispatcher']);
    const description = JSON.stringify({ hostname: 'sim', platform: { os: 'linux', architecture: 'x86_64' }, resources: { nanoCpus: 1e9, memoryBytes: 1 << 30, generic: {} }, engine: { engineVersion: 'sim', labels: {}, plugins: [] }, executor: 'sim' });
    const storms: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      const clients = agents.map((a) => new Dispatcher(node.remoteApi, channelCredentials(ca, createProvider({ identity: { certPem: a.certPem + root, keyPem: a.keyPem } })), { 'grpc.ssl_target_name_override': MANAGER_SAN }));
      const streams: grpc.ClientReadableStream<unknown>[] = [];
      const start = performance.now();
      await Promise.all(clients.map((c, i) => new Promise<void>((resolve, reject) => {
        const s = (c as unknown as { Session(req: object): grpc.ClientReadableStream<unknown> }).Session({ description_json: description, session_id: '', node_id: agents[i]!.nodeId });
        streams.push(s);
        s.once('data', () => resolve());
        s.once('error', (e) => reject(e));
      })));
      storms.push(performance.now() - start);
      for (const s of streams) s.cancel();
      for (const c of clients) c.close();
    }
    report(
      { reconnect_1000_ms: Math.round(median(storms)), certs_per_s: Math.round(certsPerS), agents: AGENTS, runs: RUNS },
      { machine: machine(), storms_ms: storms.map(Math.round) },
    );
  } finally {
    await node.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
