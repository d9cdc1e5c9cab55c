/**
 * A serving certificate for the dashboard, issued by the cluster CA, for
 * when --listen-http is not on loopback and the operator gave no certificate.
 * Browsers will ask to trust the cluster CA (its fingerprint is on the Join page).
 */
import net from 'node:net';
import { createCSR, generateKeyPair, signCSR } from '@swarm/pki';
import type { Store } from '../store/store.js';

export async function issueHttpsCertificate(store: Store, host: string, hostname: string): Promise<{ certPem: string; keyPem: string }> {
  const c = store.view((tx) => tx.list('clusters')[0]);
  if (!c?.rootCa?.caKey) throw new Error('cannot issue a dashboard certificate: no CA key on this manager');
  const key = generateKeyPair();
  const ips = [host, '127.0.0.1'].filter((h) => net.isIP(h) && h !== '0.0.0.0' && h !== '::');
  const r = await signCSR({
    csrPem: await createCSR(key.privateKeyPem),
    caCertPem: c.rootCa.caCert,
    caKeyPem: c.rootCa.caKey,
    cn: hostname,
    ou: 'swarm-dashboard',
    o: c.id,
    dnsNames: [...new Set([hostname, 'localhost', ...(net.isIP(host) ? [] : [host])])],
    ipAddresses: ips,
    validityMs: 365 * 24 * 3_600_000,
    usages: ['server'],
  });
  if (!r.ok) throw new Error(`cannot issue a dashboard certificate: ${r.error}`);
  return { certPem: r.value.certPem + c.rootCa.caCert, keyPem: key.privateKeyPem };
}
