/**
 * Many virtual nodes in one process (as kubemark's hollow nodes and Nomad's
 * node simulators do): each node joins through the real join flow (its own
 * key, CSR and certificate) and runs the real agent (`startAgent`: worker,
 * reporter, dispatcher session over its own gRPC channel with mutual TLS) on
 * the simulated executor, which describes it with the given labels and
 * resources. The manager under test is a separate swarmd process.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { type Agent, createSimExecutor, startAgent } from '@swarm/agent';
import type { NodeDescription } from '@swarm/shared';
import { sumCounts } from './sim-procs.js';
import { joinCluster } from '../../apps/manager/src/node/join.js';
import { MANAGER_SAN, channelCredentials, createProvider } from '../../apps/manager/src/security/providers.js';

export interface SimNodesOptions {
  addr: string;
  token: string;
  count: number;
  /** Joins in flight at once (the manager's --join-rate must allow the total). */
  concurrency?: number;
  describe?: (i: number) => Partial<NodeDescription>;
  onProgress?: (joined: number) => void;
  /** Index of the first node (hostnames sim-<first>…): several processes share one cluster. */
  first?: number;
  /** Where the agents' state dirs go (a fresh dir under it; default the OS temp dir). */
  tmpPrefix?: string;
  /** Heartbeats and statuses as unary calls, not on the Report stream (the baseline of the stream). */
  unaryReports?: boolean;
}

export interface SimNodes {
  ids: string[];
  /** The agents' RPC counters, summed. */
  rpc(): Record<string, number>;
  stop(): Promise<void>;
}

export function simDescription(i: number, over: Partial<NodeDescription> = {}): NodeDescription {
  return {
    hostname: `sim-${i}`,
    platform: { os: 'linux', architecture: 'x86_64' },
    resources: { nanoCpus: 64e9, memoryBytes: 256 * 2 ** 30, generic: {} },
    engine: { engineVersion: 'sim', labels: {}, plugins: [] },
    executor: 'sim',
    ...over,
  };
}

export async function startSimNodes(opts: SimNodesOptions): Promise<SimNodes> {
  const dir = fs.mkdtempSync(opts.tmpPrefix ?? path.join(os.tmpdir(), 'sim-nodes-'));
  const first = opts.first ?? 0;
  const agents: Agent[] = [];
  const ids: string[] = [];
  // SIM_LOG_LEVEL=warn shows why sessions end ("session ended; reconnecting" with the reason).
  const logger = pino({ level: process.env['SIM_LOG_LEVEL'] ?? 'error' });
  let next = 0;
  const one = async (i: number) => {
    // A join can time out when the machine is saturated: retry, backing off (a shared 2-core machine
    // can stall the manager for tens of seconds).
    let joined = await joinCluster({ addr: opts.addr, token: opts.token });
    for (let attempt = 1; !joined.ok && attempt < 30; attempt++) {
      await new Promise((r) => setTimeout(r, Math.min(5_000, 250 * attempt)));
      joined = await joinCluster({ addr: opts.addr, token: opts.token });
    }
    if (!joined.ok) throw new Error(`sim node ${i}: ${joined.error}`);
    const sec = joined.value;
    const description = simDescription(i, opts.describe?.(i));
    const agent = await startAgent({
      nodeId: sec.nodeId,
      managerAddr: opts.addr,
      stateDir: path.join(dir, String(i)),
      executor: createSimExecutor({ describe: () => description }),
      hostname: description.hostname,
      credentials: channelCredentials(createProvider({ ca: [sec.rootCaPem] }), createProvider({ identity: { certPem: sec.certPem + sec.rootCaPem, keyPem: sec.keyPem } })),
      channelOptions: { 'grpc.ssl_target_name_override': MANAGER_SAN },
      describeIntervalMs: 0,
      unaryReports: opts.unaryReports ?? false,
      logger,
    });
    agents.push(agent);
    ids.push(sec.nodeId);
    opts.onProgress?.(agents.length);
  };
  await Promise.all(
    Array.from({ length: opts.concurrency ?? 8 }, async () => {
      while (next < opts.count) await one(first + next++);
    }),
  );
  return {
    ids,
    rpc: () => sumCounts(agents.map((a) => a.status().rpc)),
    async stop() {
      await Promise.all(agents.map((a) => a.stop({ leaveTasks: false })));
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
