/**
 * Who is calling, from the peer certificate of the mutual-TLS connection.
 * TLS already proved the certificate chains to something we trust; here we
 * check *which* CA signed it: only the cluster root makes a node identity
 * (anyone holding a join token can derive its join CA key, so subject fields
 * of a join-CA certificate mean nothing), the O must be this cluster, and the
 * node must not be on the deny list.
 */
import crypto from 'node:crypto';
import type * as grpc from '@grpc/grpc-js';
import type { NodeRole } from '@swarm/shared';
import { type CertInfo, type JoinRole, inspectCert, verifyIssuedBy } from '@swarm/pki';
import type { TrustState } from './trust.js';

export type Peer =
  | { kind: 'node'; nodeId: string; role: NodeRole; clusterId: string; ip: string }
  | { kind: 'join'; role: JoinRole; ip: string }
  | { kind: 'none'; reason: string; ip: string };

type AnyCall = { getAuthContext(): { sslPeerCertificate?: { raw?: Buffer } }; getPeer(): string };

export const peerIp = (peer: string) => peer.replace(/^ipv[46]:/, '').replace(/:\d+$/, '').replace(/^\[|\]$/g, '');

const OU_ROLE: Record<string, NodeRole> = { 'swarm-manager': 'MANAGER', 'swarm-worker': 'WORKER' };

/** What a certificate is, given the trust state; computed once per certificate (parsing and verifying cost milliseconds). */
type Verdict = { kind: 'root'; info: CertInfo } | { kind: 'join'; role: JoinRole; notAfter: number } | { kind: 'unknown' };
const verdicts = new WeakMap<TrustState, Map<string, Verdict>>();
const MAX_CACHED = 20_000;

function verdictOf(raw: Buffer, trust: TrustState, now: number): Verdict {
  let cache = verdicts.get(trust);
  if (!cache) verdicts.set(trust, (cache = new Map()));
  const key = raw.toString('latin1');
  const hit = cache.get(key);
  if (hit) return hit;
  let v: Verdict = { kind: 'unknown' };
  let cert: crypto.X509Certificate;
  try {
    cert = new crypto.X509Certificate(raw); // parsed once for every check below
  } catch {
    return v;
  }
  if (verifyIssuedBy(cert, trust.rootCaPem, now)) v = { kind: 'root', info: inspectCert(cert) };
  else {
    for (const role of ['worker', 'manager'] as const) {
      if (verifyIssuedBy(cert, trust.joinCas[role], now)) {
        v = { kind: 'join', role, notAfter: inspectCert(cert).notAfter };
        break;
      }
    }
  }
  if (v.kind === 'unknown') return v; // not cached: a not-yet-valid certificate may become valid
  if (cache.size >= MAX_CACHED) cache.clear();
  cache.set(key, v);
  return v;
}

export function peerOf(call: AnyCall, trust: TrustState, now = Date.now()): Peer {
  const ip = peerIp(call.getPeer());
  const raw = call.getAuthContext().sslPeerCertificate?.raw;
  if (!raw) return { kind: 'none', reason: 'no verified client certificate', ip };
  const v = verdictOf(raw, trust, now);
  if (v.kind === 'root') {
    const info = v.info;
    if (info.notAfter < now) return { kind: 'none', reason: 'certificate expired', ip };
    const role = OU_ROLE[info.ou];
    if (!role) return { kind: 'none', reason: `Permission denied: remote certificate not part of OUs: [swarm-manager swarm-worker]`, ip };
    if (info.o !== trust.clusterId) return { kind: 'none', reason: `Permission denied: remote certificate not part of organization: ${trust.clusterId}`, ip };
    if (trust.isDenied(info.cn)) return { kind: 'none', reason: `Permission denied: node ${info.cn} was removed from swarm`, ip };
    return { kind: 'node', nodeId: info.cn, role, clusterId: info.o, ip };
  }
  if (v.kind === 'join' && v.notAfter >= now) return { kind: 'join', role: v.role, ip };
  return { kind: 'none', reason: 'certificate not issued by this cluster or a current join token', ip };
}

/** Throws a gRPC PERMISSION_DENIED unless the caller is a node with one of `roles`. */
export function requireNode(call: AnyCall, trust: TrustState, roles: NodeRole[]): Extract<Peer, { kind: 'node' }> {
  const p = peerOf(call, trust);
  if (p.kind !== 'node') throw permissionDenied(p.kind === 'none' ? p.reason : 'a node certificate is required (join certificates can only request one)');
  if (!roles.includes(p.role)) {
    const ous = roles.map((r) => (r === 'MANAGER' ? 'swarm-manager' : 'swarm-worker')).join(' ');
    throw permissionDenied(`Permission denied: remote certificate not part of OUs: [${ous}]`);
  }
  return p;
}

export const permissionDenied = (details: string): grpc.ServiceError =>
  Object.assign(new Error(details), { code: 7 /* PERMISSION_DENIED */, details, metadata: undefined as never });
