/**
 * The manager's API servers: the control socket (swarmctl) and HTTP/WebSocket
 * (dashboard and tRPC, signed in), both over the same router. Consistent
 * reads wait for a Raft read index; `--stale` reads don't.
 */
import type { RaftNode } from '@swarm/raft';
import type { Caller } from './api/trpc.js';
import { createAuthGate } from './auth/http.js';
import { beginSetup } from './auth/service.js';
import { publishDashboard } from './ha/dashboard.js';
import type { Logger } from './lib/log.js';
import type { ManagerOptions } from './manager.js';
import type { SecurityConfig } from './node/certs-dir.js';
import { issueHttpsCertificate } from './security/https-cert.js';
import { type ApiServer, type ApiServerOptions, startApiServer } from './server/http.js';
import { type ApplyOutcome, noQuorumMessage } from './store/replicated.js';
import type { Store } from './store/store.js';
import { VERSION } from './version.js';

export interface Apis {
  servers: ApiServer[];
  controlSocket?: string | undefined;
  httpAddr?: string | undefined;
  setupPath?: string | undefined;
  tls?: { certPem: string; keyPem: string } | undefined;
}

/** Resolves once the leader confirms it still leads (a linearizable read), or fails with "no quorum" after 3 s. */
function readBarrierOf(raft: RaftNode<ApplyOutcome>): () => Promise<void> {
  return async () => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(noQuorumMessage(raft))), 3_000)));
    try {
      const r = await Promise.race([raft.readIndex(), timeout]);
      if (!r.ok) throw new Error(r.error.kind === 'not-leader' ? noQuorumMessage(raft) : r.error.message);
    } finally {
      clearTimeout(timer);
    }
  };
}

export async function startApis(p: { opts: ManagerOptions; store: Store; raft: RaftNode<ApplyOutcome>; sec: SecurityConfig; log: Logger; minCertExpiryMs: number }): Promise<Apis> {
  const { opts, store, sec, log } = p;
  const readBarrier = readBarrierOf(p.raft);
  const context = (caller: Caller, o: { staleRead?: boolean } = {}) => ({
    caller,
    store,
    self: { nodeId: sec.nodeId, version: VERSION },
    config: { minCertExpiryMs: p.minCertExpiryMs },
    readBarrier: o.staleRead ? undefined : readBarrier,
  });
  const servers: ApiServer[] = [];
  const listen = async (o: Omit<ApiServerOptions, 'context' | 'webDir'>) => {
    const s = await startApiServer({ ...o, context, webDir: opts.webDir });
    servers.push(s);
    return s.address;
  };
  const controlSocket = opts.controlSocket ? await listen({ listen: { kind: 'unix', path: opts.controlSocket } }) : undefined;
  if (!opts.http) return { servers, controlSocket };
  const tls = opts.httpTls === 'cluster-ca' ? await issueHttpsCertificate(store, opts.http.host, opts.hostname) : opts.httpTls;
  const auth = createAuthGate({ store, secure: !!tls, log: log.child({ component: 'auth' }) });
  const httpAddr = await listen({ listen: { kind: 'tcp', ...opts.http }, auth, tls });
  const setup = await beginSetup(store);
  publishDashboard(store, sec.nodeId, `${tls ? 'https' : 'http'}://${httpAddr.replace(/^0\.0\.0\.0:/, '127.0.0.1:')}`, log);
  return { servers, controlSocket, httpAddr, setupPath: setup ? `/setup?token=${setup}` : undefined, tls };
}
