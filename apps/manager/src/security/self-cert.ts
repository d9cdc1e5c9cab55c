/**
 * The first manager of a cluster has nobody to ask for a certificate: it
 * issues its own with the CA it just created, exactly as the CA would.
 */
import { type Result, err } from '@swarm/shared';
import { createCSR, generateKeyPair, spkiHash } from '@swarm/pki';
import { type SecurityConfig, saveSecurityConfig, securityConfigFrom } from '../node/certs-dir.js';
import type { Store } from '../store/store.js';
import { issueForNode } from './node-ca.js';

export async function issueSelfCertificate(
  store: Store,
  opts: { stateDir: string; nodeId: string; minCertExpiryMs: number },
): Promise<Result<SecurityConfig, string>> {
  const key = generateKeyPair();
  const csr = await createCSR(key.privateKeyPem);
  const publicKeyHash = spkiHash(key.publicKeyPem);
  const issued = await issueForNode({ store, minCertExpiryMs: opts.minCertExpiryMs }, {
    nodeId: opts.nodeId,
    role: 'MANAGER',
    csrPem: csr,
    publicKeyHash,
  });
  if (!issued.ok) return err(`cannot issue this manager's certificate: ${issued.error}`);
  const root = store.view((tx) => tx.list('clusters')[0]?.rootCa?.caCert);
  if (!root) return err('cluster has no root CA');
  const cfg = securityConfigFrom(root, issued.value.certPem, key.privateKeyPem);
  if (cfg.ok) saveSecurityConfig(opts.stateDir, cfg.value);
  return cfg;
}
