/**
 * The manager: the store replicated over Raft, the cluster CA, the leader's
 * control loops, the gRPC remote API (mutual TLS: Raft, Peers, Dispatcher,
 * NodeCA, Health) and the API servers (HTTP/WebSocket and the control
 * socket). Composition only; each part lives in its own module.
 *
 *          ┌──────────── store (the only bus) ────────────┐
 *   API ──►│ services  nodes  tasks  cluster              │◄──► Raft log (every manager)
 *          └──▲────────▲──────────▲──────────▲────────────┘
 *     leader only: orchestrator scheduler dispatcher ◄──gRPC/mTLS── agents
 *     every manager: node CA ◄──gRPC/mTLS── joining nodes; writes forwarded to the leader
 */
import * as grpc from '@grpc/grpc-js';
import type { RaftNode } from '@swarm/raft';
import { type Clock, type Cluster, type Result, err, ok, systemClock } from '@swarm/shared';
import { ensureCluster } from './bootstrap.js';
import { openRaftStore } from './ha/raft-store.js';
import { type Logger, silentLogger } from './lib/log.js';
import { startApis } from './manager-api.js';
import { serveLeaderDuties } from './manager-duties.js';
import type { SecurityConfig } from './node/certs-dir.js';
import { peerOf } from './security/authz.js';
import { type MutableProvider, channelCredentials, createProvider, serverCredentials } from './security/providers.js';
import { issueSelfCertificate } from './security/self-cert.js';
import { type TrustState, provisionalTrust, watchTrust } from './security/trust.js';
import type { ApplyOutcome } from './store/replicated.js';
import { type Store, createStore } from './store/store.js';
import { closeWithin } from './lib/close.js';

export const HOUR_MS = 3_600_000;
/** How long the gRPC server lets calls in flight finish at stop before it cuts them (as the API server does). */
const GRPC_CLOSE_GRACE_MS = 1000;

export interface ManagerOptions {
  stateDir: string;
  /** This node's ID (used when the manager bootstraps a new cluster). */
  nodeId: string;
  hostname: string;
  /** The node's certificates; absent on the very first start of a new cluster. */
  security?: SecurityConfig | undefined;
  /** gRPC for agents and joining nodes, mutual TLS. */
  remoteApi: { host: string; port: number };
  /** Unix socket for swarmctl, mode 0600. */
  controlSocket?: string | undefined;
  /** Dashboard + tRPC over HTTP/WebSocket (authenticated). */
  http?: { host: string; port: number } | undefined;
  /** HTTPS for the dashboard: a given certificate, one issued by the cluster CA ('cluster-ca'), or none. */
  httpTls?: { certPem: string; keyPem: string } | 'cluster-ca' | undefined;
  webDir?: string | undefined;
  /** Shortest certificate lifetime accepted (SwarmKit: 1 h); lower only for tests. */
  minCertExpiryMs?: number;
  /** A manager joining an existing cluster: a member's remote API address (used while this manager's Raft log is empty). */
  joinAddr?: string | undefined;
  /** The node's TLS identity when it already has one (a promoted worker); renewals swap it in place. */
  identity?: MutableProvider | undefined;
  /** Disaster recovery: restart as the only manager, keeping all committed state. */
  forceNewCluster?: boolean | undefined;
  /** Join attempts allowed per client address per minute (default 30, burst 20). */
  joinRatePerMinute?: number | undefined;
  clock?: Clock;
  log?: Logger;
}

export interface Manager {
  store: Store;
  raft: RaftNode<ApplyOutcome>;
  security: SecurityConfig;
  /** The TLS identity served (and used by this node's agent); renewals swap it. */
  identity: MutableProvider;
  /** Bound addresses (ports resolved when 0 was asked for). */
  remoteApiAddr: string;
  httpAddr?: string | undefined;
  controlSocket?: string | undefined;
  /** One-time link path (`/setup?token=...`) while no dashboard user exists. */
  setupPath?: string | undefined;
  httpScheme: 'http' | 'https';
  stop(): Promise<void>;
  /** Resolves when the control loops have nothing left to do (tests). */
  idle(): Promise<void>;
}

export async function startManager(opts: ManagerOptions): Promise<Manager> {
  const log = opts.log ?? silentLogger;
  const clock = opts.clock ?? systemClock;
  const minCertExpiryMs = opts.minCertExpiryMs ?? HOUR_MS;
  const { sec, founded } = await ensureSecurity(opts, clock, log, minCertExpiryMs);
  const identity = opts.identity ?? createProvider({ identity: { certPem: sec.certPem + sec.rootCaPem, keyPem: sec.keyPem } });
  const caBundle = createProvider({ ca: [sec.rootCaPem] });
  // Until the store holds the cluster object (a joining manager), trust what our own certificates say.
  let trustNow: () => TrustState = () => provisionalTrust(sec);

  // Raft shares this server; large snapshots travel in chunks on their own call.
  const grpcServer = new grpc.Server({ 'grpc.max_receive_message_length': 256 << 20 });
  const port = await new Promise<number>((resolve, reject) =>
    grpcServer.bindAsync(`${opts.remoteApi.host}:${opts.remoteApi.port}`, serverCredentials(identity, caBundle), (e, p) => (e ? reject(e) : resolve(p))),
  );
  const remoteApiAddr = `${opts.remoteApi.host}:${port}`;
  const identifyManager = (call: Parameters<typeof peerOf>[0]): Result<string, string> => {
    const p = peerOf(call, trustNow());
    if (p.kind === 'node' && p.role === 'MANAGER') return ok(p.nodeId);
    return err(p.kind === 'none' ? p.reason : 'only managers may call this');
  };
  const rs = await openRaftStore({
    stateDir: opts.stateDir,
    nodeId: sec.nodeId,
    advertise: remoteApiAddr.replace(/^0\.0\.0\.0:/, '127.0.0.1:').replace(/^\[::\]:/, '[::1]:'),
    server: grpcServer,
    credentials: channelCredentials(createProvider({ ca: [sec.rootCaPem] }), identity),
    identifyManager,
    joinAddr: opts.joinAddr,
    forceNewCluster: opts.forceNewCluster,
    clock,
    log,
  });
  const { store, raft } = rs;
  await awaitClusterState(store, raft, sec, founded, log);
  const trust = await watchTrust(store, caBundle);
  trustNow = trust.current;

  const duties = serveLeaderDuties({ server: grpcServer, store, raft, sec, trust: trust.current, clock, log, minCertExpiryMs, joinRatePerMinute: opts.joinRatePerMinute });
  const api = await startApis({ opts, store, raft, sec, log, minCertExpiryMs });
  return {
    store,
    raft,
    security: sec,
    identity,
    remoteApiAddr,
    httpAddr: api.httpAddr,
    controlSocket: api.controlSocket,
    setupPath: api.setupPath,
    httpScheme: api.tls ? 'https' : 'http',
    idle: async () => {
      for (let i = 0; i < 3; i++) await duties.idle();
    },
    async stop() {
      const steps: Array<[string, number]> = [];
      let t = performance.now();
      const step = (name: string) => {
        const now = performance.now();
        steps.push([name, Math.round(now - t)]);
        t = now;
      };
      await Promise.all(api.servers.map((s) => s.close()));
      step('api');
      // Raft first: writes still pending (no quorum) fail at once instead of holding the duties' stop.
      await rs.stop();
      step('raft');
      await duties.stop();
      step('duties');
      trust.stop();
      // Calls in flight get a moment to finish; long-lived streams (another manager's Raft stream, an agent's
      // session) would hold tryShutdown until their peers give up on this process, so they are then cut.
      await closeWithin(GRPC_CLOSE_GRACE_MS, (done) => grpcServer.tryShutdown(() => done()), () => grpcServer.forceShutdown());
      grpcServer.forceShutdown();
      step('grpc');
      if (steps.some(([, ms]) => ms > 2 * GRPC_CLOSE_GRACE_MS)) log.warn(`slow manager stop: ${steps.map(([n, ms]) => `${n} ${ms} ms`).join(', ')}`);
    },
  };
}

/** The node's certificates; the first manager of a new cluster creates the CA and its own certificate first. */
async function ensureSecurity(opts: ManagerOptions, clock: Clock, log: Logger, minCertExpiryMs: number): Promise<{ sec: SecurityConfig; founded?: Cluster }> {
  if (opts.security) return { sec: opts.security };
  const seed = createStore({ clock });
  const c = await ensureCluster(seed);
  if (!c.ok) throw new Error(`bootstrap failed: ${c.error}`);
  const s = await issueSelfCertificate(seed, { stateDir: opts.stateDir, nodeId: opts.nodeId, minCertExpiryMs });
  if (!s.ok) throw new Error(s.error);
  log.info(`created cluster ${c.value.id}; this node (${s.value.nodeId}) is its first manager`);
  return { sec: s.value, founded: c.value };
}

/** A new cluster writes its cluster object once elected; a joining manager waits for it to replicate. */
async function awaitClusterState(store: Store, raft: RaftNode<ApplyOutcome>, sec: SecurityConfig, founded: Cluster | undefined, log: Logger): Promise<void> {
  if (founded) {
    await waitUntil(() => raft.status().role === 'leader', 30_000, 'this new cluster to elect its first manager');
    const w = await store.update((tx) => (tx.get('clusters', founded.id) ? ok(undefined) : tx.create('clusters', founded)));
    if (!w.ok) throw new Error(`bootstrap failed: ${JSON.stringify(w.error)}`);
  }
  await waitUntil(() => store.view((tx) => tx.list('clusters').length > 0), 120_000, 'the cluster state to arrive from the other managers');
  const clusterId = store.view((tx) => tx.list('clusters')[0]!.id);
  if (sec.clusterId !== clusterId) throw new Error(`certificates belong to cluster ${sec.clusterId}, but the store holds cluster ${clusterId}`);
  log.info(`store at version ${store.version()} (raft index ${raft.status().applied})`);
}

async function waitUntil(pred: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
