/**
 * The manager's gRPC services besides Raft (Dispatcher, NodeCA, Health) and
 * the duties only the leader runs: dispatcher, manager status, roles,
 * orchestrator and scheduler. A follower's Dispatcher answers UNAVAILABLE
 * with the leader's address.
 */
import * as grpc from '@grpc/grpc-js';
import type { RaftNode } from '@swarm/raft';
import { type Clock, err, ok } from '@swarm/shared';
import { spkiHash } from '@swarm/pki';
import { bootstrapNodes } from './bootstrap.js';
import { type Dispatcher, createDispatcher } from './dispatcher/dispatcher.js';
import { loadDispatcherService } from './dispatcher/proto.js';
import { type Duty, delegatingService, runLeaderDuties } from './ha/duties.js';
import { startManagerStatus } from './ha/manager-status.js';
import { startRoleManager } from './ha/role-manager.js';
import { notLeaderDetails } from './ha/peer-service.js';
import type { Logger } from './lib/log.js';
import { loadService } from './lib/proto.js';
import type { SecurityConfig } from './node/certs-dir.js';
import { loadNodeCAService } from './node/ca-client.js';
import { startReplicatedOrchestrator } from './orchestrator/orchestrator.js';
import { startScheduler } from './scheduler/scheduler.js';
import { peerOf } from './security/authz.js';
import { createHealthService } from './security/health.js';
import { createNodeCA } from './security/node-ca.js';
import type { TrustState } from './security/trust.js';
import type { ApplyOutcome } from './store/replicated.js';
import type { Store } from './store/store.js';

export interface DutiesDeps {
  server: grpc.Server;
  store: Store;
  raft: RaftNode<ApplyOutcome>;
  sec: SecurityConfig;
  trust: () => TrustState;
  clock: Clock;
  log: Logger;
  minCertExpiryMs: number;
  joinRatePerMinute?: number | undefined;
}

export function serveLeaderDuties(deps: DutiesDeps): ReturnType<typeof runLeaderDuties> {
  const { server, store, raft, trust, log } = deps;
  let dispatcher: Dispatcher | undefined;
  const dispatcherService = loadDispatcherService();
  server.addService(
    dispatcherService,
    delegatingService(Object.keys(dispatcherService), () => dispatcher?.implementation, () => ({ code: grpc.status.UNAVAILABLE, details: notLeaderDetails(raft) })),
  );
  const rate = deps.joinRatePerMinute;
  server.addService(
    loadNodeCAService(),
    createNodeCA({ store, trust, log: log.child({ component: 'ca' }), minCertExpiryMs: deps.minCertExpiryMs, joinRateLimit: rate ? { burst: rate, perMinute: rate } : undefined }),
  );
  server.addService(loadService('health.proto', ['swarm', 'health', 'v1', 'Health']).service, createHealthService(trust));

  return runLeaderDuties({
    raft,
    log: (m) => log.info(m),
    start: async (): Promise<Duty[]> => {
      const d = await startDispatcher(deps);
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
        startRoleManager({ store, raft, self: deps.sec.nodeId, log: (m) => log.child({ component: 'roles' }).info(m) }),
        startReplicatedOrchestrator({ store, clock: deps.clock, log: (m) => log.child({ component: 'orchestrator' }).warn(m) }),
        startScheduler({ store, clock: deps.clock }),
      ];
    },
  });
}

/** A new leader's dispatcher, expecting the nodes the store knows (they get a grace period to reconnect). */
async function startDispatcher({ store, raft, sec, trust, clock, log }: DutiesDeps): Promise<Dispatcher> {
  const certificate = { role: 'MANAGER' as const, serial: sec.cert.serial, notBefore: sec.cert.notBefore, notAfter: sec.cert.notAfter, publicKeyHash: spkiHash(sec.certPem) };
  const boot = await bootstrapNodes(store, { nodeId: sec.nodeId, certificate });
  const d = createDispatcher({
    store,
    clock,
    managerId: () => sec.nodeId,
    managers: () => [...raft.members()].map(([node_id, addr]) => ({ node_id, addr, weight: 10 })),
    identify: (call) => {
      const p = peerOf(call, trust());
      if (p.kind === 'node') return ok(p.nodeId);
      return err(p.kind === 'join' ? 'a join certificate can only request a node certificate' : p.reason);
    },
    identityPerConnection: true, // peerOf reads only the mutual-TLS peer certificate
    log: (m) => log.child({ component: 'dispatcher' }).info(m),
  });
  if (boot.ok) d.expect(boot.value.unknown);
  return d;
}
