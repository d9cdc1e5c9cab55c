/**
 * The manager: store + persistence, the cluster CA, the leader's control
 * loops, the gRPC remote API (mutual TLS: Dispatcher, NodeCA, Health) and the
 * API servers (HTTP/WebSocket and the control socket). Composition only; each
 * part lives in its own module.
 *
 *          ┌──────────── store (the only bus) ────────────┐
 *   API ──►│ services  nodes  tasks  cluster  │──► WAL+snapshot
 *          └──▲────────▲──────────▲──────────▲─┘
 *       orchestrator scheduler dispatcher ◄──gRPC/mTLS── agents
 *                                 node CA   ◄──gRPC/mTLS── joining nodes
 */
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { type Clock, err, ok, systemClock } from '@swarm/shared';
import { spkiHash } from '@swarm/pki';
import { bootstrapNodes, ensureCluster } from './bootstrap.js';
import { type Dispatcher, createDispatcher } from './dispatcher/dispatcher.js';
import { loadDispatcherService } from './dispatcher/proto.js';
import type { Loop } from './lib/control-loop.js';
import { type Logger, silentLogger } from './lib/log.js';
import { loadService } from './lib/proto.js';
import type { SecurityConfig } from './node/certs-dir.js';
import { loadNodeCAService } from './node/ca-client.js';
import { startReplicatedOrchestrator } from './orchestrator/orchestrator.js';
import { startScheduler } from './scheduler/scheduler.js';
import { peerOf } from './security/authz.js';
import { createHealthService } from './security/health.js';
import { createNodeCA } from './security/node-ca.js';
import { type MutableProvider, createProvider, serverCredentials } from './security/providers.js';
import { issueSelfCertificate } from './security/self-cert.js';
import { watchTrust } from './security/trust.js';
import type { Caller } from './api/trpc.js';
import { createAuthGate } from './auth/http.js';
import { beginSetup } from './auth/service.js';
import { issueHttpsCertificate } from './security/https-cert.js';
import { type ApiServer, type ApiServerOptions, startApiServer } from './server/http.js';
import { openLocalPersistence } from './store/persist.js';
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
  /** Join attempts allowed per client address per minute (default 30, burst 20). */
  joinRatePerMinute?: number | undefined;
  clock?: Clock;
  log?: Logger;
}

export interface Manager {
  store: Store;
  dispatcher: Dispatcher;
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
  const store = createStore({ clock });
  const persistence = openLocalPersistence(path.join(opts.stateDir, 'store'), store, { log: (m) => log.child({ component: 'store' }).warn(m) });
  store.setProposer(persistence.proposer);
  const r = persistence.recovered;
  log.info(`store at version ${store.version()} (snapshot ${r.snapshotVersion}, replayed ${r.replayed} commits${r.truncatedBytes ? `, dropped ${r.truncatedBytes} torn bytes` : ''})`);

  const cluster = await ensureCluster(store);
  if (!cluster.ok) throw new Error(`bootstrap failed: ${cluster.error}`);
  let security = opts.security;
  if (!security) {
    const s = await issueSelfCertificate(store, { stateDir: opts.stateDir, nodeId: opts.nodeId, minCertExpiryMs });
    if (!s.ok) throw new Error(s.error);
    security = s.value;
    log.info(`created cluster ${cluster.value.id}; this node (${security.nodeId}) is its first manager`);
  }
  if (security.clusterId !== cluster.value.id) throw new Error(`certificates belong to cluster ${security.clusterId}, but the store holds cluster ${cluster.value.id}`);
  const sec = security;
  const boot = await bootstrapNodes(store, {
    nodeId: sec.nodeId,
    certificate: { role: 'MANAGER', serial: sec.cert.serial, notBefore: sec.cert.notBefore, notAfter: sec.cert.notAfter, publicKeyHash: spkiHash(sec.certPem) },
  });
  if (!boot.ok) throw new Error(`bootstrap failed: ${JSON.stringify(boot.error)}`);

  const identity = createProvider({ identity: { certPem: sec.certPem + sec.rootCaPem, keyPem: sec.keyPem } });
  const caBundle = createProvider({});
  const trust = await watchTrust(store, caBundle);

  const grpcServer = new grpc.Server({ 'grpc.max_receive_message_length': 16 << 20 });
  let remoteApiAddr = '';
  const dispatcher = createDispatcher({
    store,
    clock,
    managerId: () => sec.nodeId,
    managers: () => [{ node_id: sec.nodeId, addr: remoteApiAddr, weight: 10 }],
    identify: (call) => {
      const p = peerOf(call, trust.current());
      if (p.kind === 'node') return ok(p.nodeId);
      return err(p.kind === 'join' ? 'a join certificate can only request a node certificate' : p.reason);
    },
    log: (m) => log.child({ component: 'dispatcher' }).info(m),
  });
  grpcServer.addService(loadDispatcherService(), dispatcher.implementation);
  grpcServer.addService(loadNodeCAService(), createNodeCA({
    store,
    trust: trust.current,
    log: log.child({ component: 'ca' }),
    minCertExpiryMs,
    joinRateLimit: opts.joinRatePerMinute ? { burst: opts.joinRatePerMinute, perMinute: opts.joinRatePerMinute } : undefined,
  }));
  grpcServer.addService(loadService('health.proto', ['swarm', 'health', 'v1', 'Health']).service, createHealthService(trust.current));
  const port = await new Promise<number>((resolve, reject) =>
    grpcServer.bindAsync(`${opts.remoteApi.host}:${opts.remoteApi.port}`, serverCredentials(identity, caBundle), (e, p) => (e ? reject(e) : resolve(p))),
  );
  remoteApiAddr = `${opts.remoteApi.host}:${port}`;
  dispatcher.expect(boot.value.unknown);
  // A single manager is its own leader (replicated managers maintain this from Raft).
  await store.update((tx) => {
    const me = tx.get('nodes', sec.nodeId);
    if (!me) return ok(undefined);
    return tx.update('nodes', { ...me, managerStatus: { raftId: sec.nodeId, addr: remoteApiAddr, leader: true, reachability: 'REACHABLE' } });
  });

  const loops: Loop[] = [
    startReplicatedOrchestrator({ store, clock, log: (m) => log.child({ component: 'orchestrator' }).warn(m) }),
    startScheduler({ store, clock }),
  ];

  const context = (caller: Caller) => ({ caller, store, self: { nodeId: sec.nodeId, version: VERSION }, config: { minCertExpiryMs } });
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
  }

  return {
    store,
    dispatcher,
    security: sec,
    identity,
    remoteApiAddr,
    httpAddr,
    controlSocket,
    setupPath,
    httpScheme: tls ? 'https' : 'http',
    idle: async () => {
      for (let i = 0; i < 3; i++) {
        await dispatcher.flush();
        await Promise.all(loops.map((l) => l.idle()));
      }
    },
    async stop() {
      await Promise.all(servers.map((s) => s.close()));
      await Promise.all(loops.map((l) => l.stop()));
      await dispatcher.stop();
      trust.stop();
      await new Promise<void>((resolve) => grpcServer.tryShutdown(() => resolve()));
      grpcServer.forceShutdown();
      persistence.close();
    },
  };
}
