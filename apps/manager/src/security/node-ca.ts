/**
 * The node certificate authority (leader only). Joining nodes (join
 * certificate) get a new node object and a certificate for the role their
 * token grants; joined nodes (node certificate) renew. Only the CSR's public
 * key is used: subject and SANs come from here. Every refusal is logged with
 * its reason; nothing is written for a refused request.
 */
import * as grpc from '@grpc/grpc-js';
import { type Node, type NodeAvailability, type Result, err, newId, ok } from '@swarm/shared';
import { readCSR as readCsrPem, signCSRSync, spkiHash } from '@swarm/pki';
import type { Logger } from '../lib/log.js';
import { createRateLimiter } from '../lib/rate-limit.js';
import type { Store } from '../store/store.js';
import { type Peer, peerOf } from './authz.js';
import type { TrustState } from './trust.js';

export const ROLE_OU = { MANAGER: 'swarm-manager', WORKER: 'swarm-worker' } as const;

interface IssueRequest { csr: string; availability: string; labels?: Record<string, string> }
interface IssueResponse { node_id: string; certificate: string; root_ca: string; role: string; cluster_id: string }

export interface NodeCADeps {
  store: Store;
  trust: () => TrustState;
  log: Logger;
  /** Certificates may not be shorter-lived than this (SwarmKit: 1 h). */
  minCertExpiryMs: number;
  /** Join attempts per client address: burst, then this many per minute. */
  joinRateLimit?: { burst: number; perMinute: number } | undefined;
}

/**
 * Node labels given at join: keys as Docker/SwarmKit labels are written
 * (letters, digits, `.`, `-`, `_`, `/`, starting and ending with a letter or
 * digit), values printable without newlines; bounded sizes.
 */
export const MAX_NODE_LABELS = 64;
const LABEL_KEY = /^[A-Za-z0-9](?:[A-Za-z0-9._\/-]{0,253}[A-Za-z0-9])?$/;
export function validateNodeLabels(labels: Record<string, string>): string | undefined {
  const entries = Object.entries(labels);
  if (entries.length > MAX_NODE_LABELS) return `labels: at most ${MAX_NODE_LABELS}, got ${entries.length}`;
  for (const [k, v] of entries) {
    if (!LABEL_KEY.test(k)) return `label key "${k}": must be 1-255 letters, digits, '.', '-', '_' or '/', starting and ending with a letter or digit`;
    if (v.length > 4096 || /[\u0000-\u001f\u007f]/.test(v)) return `label "${k}": the value must be at most 4096 characters without control characters`;
  }
  return undefined;
}

const grpcError = (code: grpc.status, details: string) => Object.assign(new Error(details), { code, details });

/** Parses and checks the CSR (P-256 key, self-signature): public key hash, and the role its subject asks for (if any). */
function readCSR(pem: string): Result<{ publicKeyHash: string; askedOu: string | undefined }, string> {
  const csr = readCsrPem(pem);
  return csr.ok ? ok({ publicKeyHash: spkiHash(csr.value.publicKey), askedOu: csr.value.askedOu }) : csr;
}

export async function issueForNode(
  deps: Pick<NodeCADeps, 'store' | 'minCertExpiryMs'>,
  params: { nodeId: string; role: Node['role']; csrPem: string; publicKeyHash: string },
): Promise<Result<{ certPem: string; node: Node['certificate'] }, string>> {
  const cluster = deps.store.view((tx) => tx.list('clusters')[0]);
  if (!cluster?.rootCa?.caKey) return err('this manager holds no CA key');
  const validityMs = Math.max(deps.minCertExpiryMs, cluster.spec.caConfig.nodeCertExpiryMs);
  const ou = ROLE_OU[params.role];
  const signed = signCSRSync({
    csrPem: params.csrPem,
    caCertPem: cluster.rootCa.caCert,
    caKeyPem: cluster.rootCa.caKey,
    cn: params.nodeId,
    ou,
    o: cluster.id,
    dnsNames: [ou, params.nodeId],
    validityMs,
  });
  if (!signed.ok) return signed;
  // Recorded as the certificate states them (whole seconds).
  const second = (ms: number) => Math.floor(ms / 1000) * 1000;
  const { serial, notBefore, notAfter } = signed.value;
  return ok({
    certPem: signed.value.certPem,
    node: { role: params.role, serial, notBefore: second(notBefore), notAfter: second(notAfter), publicKeyHash: params.publicKeyHash },
  });
}

export function createNodeCA(deps: NodeCADeps): grpc.UntypedServiceImplementation {
  const { store, log } = deps;
  const joinLimiter = createRateLimiter(deps.joinRateLimit ?? { burst: 20, perMinute: 30 });

  const join = async (peer: Extract<Peer, { kind: 'join' }>, req: IssueRequest, csr: { publicKeyHash: string; askedOu: string | undefined }) => {
    const role: Node['role'] = peer.role === 'manager' ? 'MANAGER' : 'WORKER';
    if (csr.askedOu && csr.askedOu !== ROLE_OU[role]) {
      throw grpcError(grpc.status.PERMISSION_DENIED, `CSR asks for role ${csr.askedOu} but the join token grants ${ROLE_OU[role]}`);
    }
    const availability = (req.availability || 'ACTIVE') as NodeAvailability;
    if (!['ACTIVE', 'PAUSE', 'DRAIN'].includes(availability)) throw grpcError(grpc.status.INVALID_ARGUMENT, `availability: must be ACTIVE, PAUSE or DRAIN, not "${req.availability}"`);
    const labels = req.labels ?? {};
    const bad = validateNodeLabels(labels);
    if (bad) throw grpcError(grpc.status.INVALID_ARGUMENT, bad);
    const nodeId = newId();
    const issued = await issueForNode(deps, { nodeId, role, csrPem: req.csr, publicKeyHash: csr.publicKeyHash });
    if (!issued.ok) throw grpcError(grpc.status.INVALID_ARGUMENT, issued.error);
    const w = await store.update((tx): Result<Node, string> => {
      const reused = tx.list('nodes').find((n) => n.certificate?.publicKeyHash === csr.publicKeyHash);
      if (reused) return err(`this key is already certified for node ${reused.id} (replayed request?)`);
      const c = tx.create('nodes', {
        id: nodeId,
        spec: { annotations: { name: '', labels: { ...labels } }, desiredRole: role, membership: 'ACCEPTED', availability },
        status: { state: 'UNKNOWN', message: 'joined; waiting for the agent', addr: peer.ip },
        role,
        certificate: issued.value.node,
      });
      return c.ok ? c : err(c.error.message);
    });
    if (!w.ok) throw grpcError(grpc.status.ALREADY_EXISTS, typeof w.error === 'string' ? w.error : w.error.message);
    log.info(`node ${nodeId} joined as ${role} from ${peer.ip}`);
    return { nodeId, role, certPem: issued.value.certPem };
  };

  const renew = async (peer: Extract<Peer, { kind: 'node' }>, req: IssueRequest, csr: { publicKeyHash: string }) => {
    const node = store.view((tx) => tx.get('nodes', peer.nodeId));
    if (!node) throw grpcError(grpc.status.NOT_FOUND, `node ${peer.nodeId} not found`);
    const issued = await issueForNode(deps, { nodeId: node.id, role: node.role, csrPem: req.csr, publicKeyHash: csr.publicKeyHash });
    if (!issued.ok) throw grpcError(grpc.status.INVALID_ARGUMENT, issued.error);
    const w = await store.update((tx): Result<undefined, string> => {
      const cur = tx.get('nodes', node.id);
      if (!cur) return err(`node ${node.id} not found`);
      const u = tx.update('nodes', { ...cur, certificate: issued.value.node });
      return u.ok ? ok(undefined) : err(u.error.message);
    });
    if (!w.ok) throw grpcError(grpc.status.UNAVAILABLE, typeof w.error === 'string' ? w.error : w.error.message);
    log.info(`renewed certificate of node ${node.id} (${node.role}) until ${new Date(issued.value.node!.notAfter).toISOString()}`);
    return { nodeId: node.id, role: node.role, certPem: issued.value.certPem };
  };

  return {
    GetRootCACertificate(_call: grpc.ServerUnaryCall<object, object>, cb: grpc.sendUnaryData<{ certificate: string }>) {
      cb(null, { certificate: deps.trust().rootCaPem });
    },
    IssueNodeCertificate(call: grpc.ServerUnaryCall<IssueRequest, IssueResponse>, cb: grpc.sendUnaryData<IssueResponse>) {
      const trust = deps.trust();
      const peer = peerOf(call, trust);
      const refuse = (e: Error & { code?: number }) => {
        log.warn(`refused certificate request from ${peer.ip}: ${e.message}`);
        cb(e as grpc.ServiceError);
      };
      (async () => {
        if (peer.kind === 'none') throw grpcError(grpc.status.PERMISSION_DENIED, `a join token or a node certificate is required (${peer.reason})`);
        if (peer.kind === 'join' && !joinLimiter.take(peer.ip)) throw grpcError(grpc.status.RESOURCE_EXHAUSTED, 'too many join attempts from this address; retry later');
        const csr = readCSR(call.request.csr);
        if (!csr.ok) throw grpcError(grpc.status.INVALID_ARGUMENT, csr.error);
        const r = peer.kind === 'join' ? await join(peer, call.request, csr.value) : await renew(peer, call.request, csr.value);
        cb(null, { node_id: r.nodeId, certificate: r.certPem, root_ca: trust.rootCaPem, role: ROLE_OU[r.role], cluster_id: trust.clusterId });
      })().catch(refuse);
    },
  };
}
