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
import { spkiHash } from '@swarm/pki';
import { bootstrapNodes, ensureCluster } from './bootstrap.js';
import { type Dispatcher, createDispatcher } from './dispatcher/dispatcher.js';
import { loadDispatcherService } from './dispatcher/proto.js';
import { type Duty, delegatingService, runLeaderDuties } from './ha/duties.js';
import { startManagerStatus } from './ha/manager-status.js';
import { startRoleManager } from './ha/role-manager.js';
import { publishDashboard } from './ha/dashboard.js';
import { notLeaderDetails } from './ha/peer-service.js';
import { openRaftStore } from './ha/raft-store.js';
import { type Logger, silentLogger } from './lib/log.js';
import { loadService } from './lib/proto.js';
import type { SecurityConfig } from './node/certs-dir.js';
import { loadNodeCAService } from './node/ca-client.js';
import { startReplicatedOrchestrator } from './orchestrator/orchestrator.js';
import { startScheduler } from './scheduler/scheduler.js';
import { peerOf } from './security/authz.js';
import { createHealthService } from './security/health.js';
import { createNodeCA } from './security/node-ca.js';
import { type MutableProvider, channelCredentials, createProvider, serverCredentials } from './security/providers.js';
import { issueSelfCertificate } from './security/self-cert.js';
import { type TrustState, provisionalTrust, watchTrust } from './security/trust.js';
import type { Caller } from './api/trpc.js';
import { createAuthGate } from './auth/http.js';
import { beginSetup } from './auth/service.js';
import { issueHttpsCertificate } from './security/https-cert.js';
import { type ApiServer, type ApiServerOptions, startApiServer } from './server/http.js';
import { type ApplyOutcome, noQuorumMessage } from './store/replicated.js';
import { type Store, createStore } from './store/store.js';
import { VERSION } from './version.js';

export const HOUR_MS = 3_600_000;

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

  // The first manager of a new cluster creates the CA and its own certificate before anything else.
  let security = opts.security;
  let founded: Cluster | undefined;
  if (!security) {
    const seed = createStore({ clock });
    const c = await ensureCluster(seed);
    if (!c.ok) throw new Error(`bootstrap failed: ${c.error}`);
    const s = await issueSelfCertificate(seed, { stateDir: opts.stateDir, nodeId: opts.nodeId, minCertExpiryMs });
    if (!s.ok) throw new Error(s.error);
    security = s.value;
    founded = c.value;
    log.info(`created cluster ${c.value.id}; this node (${security.nodeId}) is its first manager`);
  }
  const sec = security;
  const identity = opts.identity ?? createProvider({ identity: { certPem: sec.certPem + sec.rootCaPem, keyPem: sec.keyPem } });
  const caBundle = createProvider({ ca: [sec.rootCaPem] });
  // Until the store holds the cluster object (a joining manager), trust what our own certificates say.
  let trustNow: () => TrustState = () => provisionalTrust(sec);

  // Raft shares this server: snapshots of a large store travel as one message (chunking is issue 4's).
  const grpcServer = new grpc.Server({ 'grpc.max_receive_message_length': 256 << 20 });
  const port = await new Promise<number>((resolve, reject) =>
    grpcServer.bindAsync(`${opts.remoteApi.host}:${opts.remoteApi.port}`, serverCredentials(identity, caBundle), (e, p) => (e ? reject(e) : resolve(p))),
  );
  const remoteApiAddr = `${opts.remoteApi.host}:${port}`;
  const advertise = remoteApiAddr.replace(/^0\.0\.0\.0:/, '127.0.0.1:').replace(/^\[::\]:/, '[::1]:');
  const identifyManager = (call: Parameters<typeof peerOf>[0]): Result<string, string> => {
    const p = peerOf(call, trustNow());
    if (p.kind === 'node' && p.role === 'MANAGER') return ok(p.nodeId);
    return err(p.kind === 'none' ? p.reason : 'only managers may call this');
  };
  const rs = await openRaftStore({
    stateDir: opts.stateDir,
    nodeId: sec.nodeId,
    advertise,
    server: grpcServer,
    credentials: channelCredentials(createProvider({ ca: [sec.rootCaPem] }), identity),
    identifyManager,
    joinAddr: opts.joinAddr,
    forceNewCluster: opts.forceNewCluster,
    clock,
    log,
  });
  const { store, raft } = rs;
  if (founded) {
    const c = founded;
    await waitUntil(() => raft.status().role === 'leader', 30_000, 'this new cluster to elect its first manager');
    const w = await store.update((tx) => (tx.get('clusters', c.id) ? ok(undefined) : tx.create('clusters', c)));
    if (!w.ok) throw new Error(`bootstrap failed: ${JSON.stringify(w.error)}`);
  }
  await waitUntil(() => store.view((tx) => tx.list('clusters').length > 0), 120_000, 'the cluster state to arrive from the other managers');
  const clusterId = store.view((tx) => tx.list('clusters')[0]!.id);
  if (sec.clusterId !== clusterId) throw new Error(`certificates belong to cluster ${sec.clusterId}, but the store holds cluster ${clusterId}`);
  log.info(`store at version ${store.version()} (raft index ${raft.status().applied})`);
  const trust = await watchTrust(store, caBundle);
  trustNow = trust.current;

  const managers = () => [...raft.members()].map(([node_id, addr]) => ({ node_id, addr, weight: 10 }));
  let dispatcher: Dispatcher | undefined;
  const dispatcherService = loadDispatcherService();
  grpcServer.addService(
    dispatcherService,
    delegatingService(Object.keys(dispatcherService), () => dispatcher?.implementation, () => ({ code: grpc.status.UNAVAILABLE, details: notLeaderDetails(raft) })),
  );
  grpcServer.addService(loadNodeCAService(), createNodeCA({
    store,
    trust: trust.current,
    log: log.child({ component: 'ca' }),
    minCertExpiryMs,
    joinRateLimit: opts.joinRatePerMinute ? { burst: opts.joinRatePerMinute, perMinute: opts.joinRatePerMinute } : undefined,
  }));
  grpcServer.addService(loadService('health.proto', ['swarm', 'health', 'v1', 'Health']).service, createHealthService(trust.current));

  const certificate = { role: 'MANAGER' as const, serial: sec.cert.serial, notBefore: sec.cert.notBefore, notAfter: sec.cert.notAfter, publicKeyHash: spkiHash(sec.certPem) };
  const duties = runLeaderDuties({
    raft,
    log: (m) => log.info(m),
    start: async (): Promise<Duty[]> => {
      const boot = await bootstrapNodes(store, { nodeId: sec.nodeId, certificate });
      const d = createDispatcher({
        store,
        clock,
        managerId: () => sec.nodeId,
        managers,
        identify: (call) => {
          const p = peerOf(call, trust.current());
          if (p.kind === 'node') return ok(p.nodeId);
          return err(p.kind === 'join' ? 'a join certificate can only request a node certificate' : p.reason);
        },
        log: (m) => log.child({ component: 'dispatcher' }).info(m),
      });
      if (boot.ok) d.expect(boot.value.unknown);
      dispatcher = d;
      const dispatcherDuty: Duty = {
        stop: async () => {
          dispatcher = undefined;
          await d.stop();
        },
        idle: () => d.flush(),
      };
      return [
        dispatcherDuty,
        startManagerStatus(store, raft),
        startRoleManager({ store, raft, self: sec.nodeId, log: (m) => log.child({ component: 'roles' }).info(m) }),
        startReplicatedOrchestrator({ store, clock, log: (m) => log.child({ component: 'orchestrator' }).warn(m) }),
        startScheduler({ store, clock }),
      ];
    },
  });

  const readBarrier = async (): Promise<void> => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(noQuorumMessage(raft))), 3_000)));
    try {
      const r = await Promise.race([raft.readIndex(), timeout]);
      if (!r.ok) throw new Error(r.error.kind === 'not-leader' ? noQuorumMessage(raft) : r.error.message);
    } finally {
      clearTimeout(timer);
    }
  };
  const context = (caller: Caller, o: { staleRead?: boolean } = {}) => ({
    caller,
    store,
    self: { nodeId: sec.nodeId, version: VERSION },
    config: { minCertExpiryMs },
    readBarrier: o.staleRead ? undefined : readBarrier,
  });
  const servers: ApiServer[] = [];
  const listen = async (o: Omit<ApiServerOptions, 'context' | 'webDir'>) => {
    const s = await startApiServer({ ...o, context, webDir: opts.webDir });
    servers.push(s);
    return s.address;
  };
  const controlSocket = opts.controlSocket ? await listen({ listen: { kind: 'unix', path: opts.controlSocket } }) : undefined;
  let httpAddr: string | undefined;
  let setupPath: string | undefined;
  const tls = opts.http && opts.httpTls === 'cluster-ca' ? await issueHttpsCertificate(store, opts.http.host, opts.hostname) : opts.httpTls === 'cluster-ca' ? undefined : opts.httpTls;
  if (opts.http) {
    const auth = createAuthGate({ store, secure: !!tls, log: log.child({ component: 'auth' }) });
    httpAddr = await listen({ listen: { kind: 'tcp', ...opts.http }, auth, tls });
    const setup = await beginSetup(store);
    if (setup) setupPath = `/setup?token=${setup}`;
    publishDashboard(store, sec.nodeId, `${tls ? 'https' : 'http'}://${httpAddr.replace(/^0\.0\.0\.0:/, '127.0.0.1:')}`, log);
  }

  return {
    store,
    raft,
    security: sec,
    identity,
    remoteApiAddr,
    httpAddr,
    controlSocket,
    setupPath,
    httpScheme: tls ? 'https' : 'http',
    idle: async () => {
      for (let i = 0; i < 3; i++) await duties.idle();
    },
    async stop() {
      await Promise.all(servers.map((s) => s.close()));
      // Raft first: writes still pending (no quorum) fail at once instead of holding the duties' stop.
      await rs.stop();
      await duties.stop();
      trust.stop();
      await new Promise<void>((resolve) => grpcServer.tryShutdown(() => resolve()));
      grpcServer.forceShutdown();
    },
  };
}

async function waitUntil(pred: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
