import crypto from 'node:crypto';
import type * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { createCSR, generateKeyPair, inspectCert, joinClientCert, parseToken, pemToDer, verifyIssuedBy } from '@swarm/pki';
import { ensureCluster } from '../bootstrap.js';
import { silentLogger } from '../lib/log.js';
import { createStore } from '../store/store.js';
import { createNodeCA } from './node-ca.js';
import { createProvider } from './providers.js';
import { watchTrust } from './trust.js';

interface IssueResponse { node_id: string; certificate: string; root_ca: string; role: string; cluster_id: string }

async function setup() {
  const store = createStore();
  const cluster = await ensureCluster(store);
  if (!cluster.ok) throw new Error(cluster.error);
  const trust = await watchTrust(store, createProvider({}));
  const ca = createNodeCA({ store, trust: trust.current, log: silentLogger, minCertExpiryMs: 3_600_000, joinRateLimit: { burst: 1000, perMinute: 1000 } });
  const token = parseToken(cluster.value.rootCa!.joinTokens.worker);
  if (!token.ok) throw new Error(token.error);
  /** IssueNodeCertificate as a joining node presenting a worker join certificate for `keyPem`. */
  const join = async (keyPem: string, csr?: string): Promise<IssueResponse> => {
    const joinCert = await joinClientCert(token.value.secret, 'worker', keyPem);
    const call = {
      request: { csr: csr ?? (await createCSR(keyPem)), availability: '', labels: {} },
      getPeer: () => 'ipv4:127.0.0.1:40000',
      getAuthContext: () => ({ sslPeerCertificate: { raw: pemToDer(joinCert) } }),
    };
    return new Promise((resolve, reject) =>
      (ca['IssueNodeCertificate'] as (c: unknown, cb: grpc.sendUnaryData<IssueResponse>) => void)(call, (e, r) => (e ? reject(e) : resolve(r!))),
    );
  };
  return { store, rootPem: cluster.value.rootCa!.caCert, clusterId: cluster.value.id, join, stop: () => trust.stop() };
}

describe('node CA joins', () => {
  it('N concurrent joins get N distinct nodes and certificates for their own keys, CN = node ID, OU = role, O = cluster', async () => {
    const ca = await setup();
    const keys = Array.from({ length: 24 }, () => generateKeyPair());
    const rs = await Promise.all(keys.map((k) => ca.join(k.privateKeyPem)));
    expect(new Set(rs.map((r) => r.node_id)).size).toBe(24);
    rs.forEach((r, i) => {
      expect(verifyIssuedBy(r.certificate, ca.rootPem)).toBe(true);
      expect(inspectCert(r.certificate)).toMatchObject({ cn: r.node_id, ou: 'swarm-worker', o: ca.clusterId });
      expect(new crypto.X509Certificate(r.certificate).publicKey.equals(crypto.createPublicKey(keys[i]!.publicKeyPem))).toBe(true);
      const node = ca.store.view((tx) => tx.get('nodes', r.node_id));
      expect(node?.role).toBe('WORKER');
      expect(node?.certificate?.serial).toBe(inspectCert(r.certificate).serial);
      expect(node?.certificate?.notAfter).toBe(inspectCert(r.certificate).notAfter);
    });
    expect(ca.store.view((tx) => tx.list('nodes')).length).toBe(24);
    ca.stop();
  });

  it('a refused request among concurrent joins fails alone: the same key twice gets one node, the others all join', async () => {
    const ca = await setup();
    const reused = generateKeyPair();
    const csr = await createCSR(reused.privateKeyPem);
    const others = Array.from({ length: 8 }, () => generateKeyPair());
    const rs = await Promise.allSettled([ca.join(reused.privateKeyPem, csr), ...others.map((k) => ca.join(k.privateKeyPem)), ca.join(reused.privateKeyPem, csr)]);
    const failed = rs.filter((r) => r.status === 'rejected');
    expect(failed).toHaveLength(1);
    expect(String((failed[0] as PromiseRejectedResult).reason.details)).toMatch(/already certified/);
    expect(ca.store.view((tx) => tx.list('nodes')).length).toBe(9);
    ca.stop();
  });

  it('refuses a CSR that does not verify, writing nothing', async () => {
    const ca = await setup();
    const k = generateKeyPair();
    const der = Buffer.from((await createCSR(k.privateKeyPem)).replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
    der[der.length - 10] = (der[der.length - 10] as number) ^ 0xff; // inside the signature
    const pem = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`;
    await expect(ca.join(k.privateKeyPem, pem)).rejects.toMatchObject({ details: expect.stringMatching(/^invalid CSR: /) });
    expect(ca.store.view((tx) => tx.list('nodes')).length).toBe(0);
    ca.stop();
  });
});
