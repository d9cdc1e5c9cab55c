/**
 * `swarmd --check-join`: would this token join this manager, and as what?
 * Probes the manager (its CA must match the token's digest), then makes one
 * harmless call (GetRootCACertificate) with the worker and with the manager
 * join certificate derived from the token: the manager's TLS layer accepts
 * only the one its current token for that role derives. Nothing is created on
 * the manager. The installer runs this before it writes anything.
 */
import type * as grpc from '@grpc/grpc-js';
import { type Result, err, ok } from '@swarm/shared';
import { generateKeyPair, joinClientCert, parseToken } from '@swarm/pki';
import { loadService } from '../lib/proto.js';
import { probeRootCA } from '../node/join.js';
import { MANAGER_SAN, channelCredentials, createProvider } from '../security/providers.js';

export async function checkJoin(addr: string, tokenText: string, timeoutMs = 10_000): Promise<Result<'worker' | 'manager', string>> {
  const token = parseToken(tokenText);
  if (!token.ok) return token;
  const key = generateKeyPair();
  const certs = {
    worker: await joinClientCert(token.value.secret, 'worker', key.privateKeyPem),
    manager: await joinClientCert(token.value.secret, 'manager', key.privateKeyPem),
  };
  const root = await probeRootCA(addr, token.value.digest, { certPem: certs.worker, keyPem: key.privateKeyPem }, timeoutMs);
  if (!root.ok) return root;
  const NodeCA = loadService('ca.proto', ['swarm', 'ca', 'v1', 'NodeCA']);
  const ca = createProvider({ ca: [root.value] });
  let lastError = '';
  for (const role of ['worker', 'manager'] as const) {
    const creds = channelCredentials(ca, createProvider({ identity: { certPem: certs[role], keyPem: key.privateKeyPem } }));
    const client = new NodeCA(addr, creds, { 'grpc.ssl_target_name_override': MANAGER_SAN }) as unknown as grpc.Client & {
      GetRootCACertificate(req: object, opts: grpc.CallOptions, cb: (e: grpc.ServiceError | null) => void): void;
    };
    try {
      const e = await new Promise<grpc.ServiceError | null>((resolve) => client.GetRootCACertificate({}, { deadline: Date.now() + timeoutMs }, resolve));
      if (!e) return ok(role);
      lastError = e.code === 14 ? 'the manager refused the join token (wrong, rotated, or for another cluster)' : e.details;
      if (e.code !== 14) break;
    } finally {
      client.close();
    }
  }
  return err(lastError);
}
