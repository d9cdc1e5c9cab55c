/**
 * Joining a cluster with a token (no trust on first use):
 *  1. derive a join certificate for our fresh key from the token (see @swarm/pki join.ts);
 *  2. TLS-probe the manager and accept its CA only if its digest equals the
 *     token's, and only if the manager's certificate chains to it;
 *  3. ask the CA for a node certificate over mutual TLS (trying the worker,
 *     then the manager join CA: the token does not say which it is);
 *  4. check what came back and store it.
 */
import crypto from 'node:crypto';
import tls from 'node:tls';
import { type Result, err, ok } from '@swarm/shared';
import { caDigest, createCSR, derToPem, generateKeyPair, joinClientCert, parseToken, verifyIssuedBy } from '@swarm/pki';
import { parseHostPort } from '../server/http.js';
import { MANAGER_SAN, channelCredentials, createProvider } from '../security/providers.js';
import { requestCertificate } from './ca-client.js';
import { type SecurityConfig, securityConfigFrom } from './certs-dir.js';

/** Connects with TLS and returns the manager's root CA if it matches the token's digest. */
export async function probeRootCA(addr: string, digest: string, client: { certPem: string; keyPem: string }, timeoutMs = 10_000): Promise<Result<string, string>> {
  const { host, port } = parseHostPort(addr, 4242);
  return new Promise((resolve) => {
    const socket = tls.connect({ host, port, cert: client.certPem, key: client.keyPem, rejectUnauthorized: false, ALPNProtocols: ['h2'], servername: MANAGER_SAN });
    const done = (r: Result<string, string>) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(r);
    };
    const timer = setTimeout(() => done(err(`no TLS answer from ${addr} within ${timeoutMs} ms`)), timeoutMs);
    socket.once('error', (e) => done(err(`cannot reach the manager at ${addr}: ${e.message}`)));
    socket.once('secureConnect', () => {
      const leaf = socket.getPeerCertificate(true);
      const chain: Buffer[] = [];
      for (let c: tls.DetailedPeerCertificate | undefined = leaf; c?.raw && chain.length < 5; c = c.issuerCertificate === c ? undefined : c.issuerCertificate) {
        chain.push(c.raw);
      }
      const root = chain.map(derToPem).find((pem) => caDigest(pem) === digest);
      if (!root) return done(err(`the manager at ${addr} presents a CA whose digest does not match the join token: refusing to trust it`));
      if (!leaf.raw || !verifyIssuedBy(leaf.raw, root)) return done(err(`the manager's certificate at ${addr} is not issued by the CA the token names`));
      done(ok(root));
    });
  });
}

export interface JoinOptions {
  addr: string;
  token: string;
  availability?: string;
  /** Labels of the new node (node spec labels). */
  labels?: Record<string, string>;
}

export async function joinCluster(opts: JoinOptions): Promise<Result<SecurityConfig, string>> {
  const token = parseToken(opts.token);
  if (!token.ok) return token;
  const key = generateKeyPair();
  const joinCerts = {
    worker: await joinClientCert(token.value.secret, 'worker', key.privateKeyPem),
    manager: await joinClientCert(token.value.secret, 'manager', key.privateKeyPem),
  };
  const root = await probeRootCA(opts.addr, token.value.digest, { certPem: joinCerts.worker, keyPem: key.privateKeyPem });
  if (!root.ok) return root;
  const csr = await createCSR(key.privateKeyPem);
  const ca = createProvider({ ca: [root.value] });
  let lastError = '';
  for (const role of ['worker', 'manager'] as const) {
    const creds = channelCredentials(ca, createProvider({ identity: { certPem: joinCerts[role], keyPem: key.privateKeyPem } }));
    try {
      const r = await requestCertificate(opts.addr, creds, csr, { ...(opts.availability ? { availability: opts.availability } : {}), ...(opts.labels ? { labels: opts.labels } : {}) });
      const cfg = securityConfigFrom(root.value, r.certificate, key.privateKeyPem);
      if (!cfg.ok) return err(`the CA answered with an unusable certificate: ${cfg.error}`);
      if (crypto.createHash('sha256').update(r.root_ca).digest('hex') !== crypto.createHash('sha256').update(root.value).digest('hex') && caDigest(r.root_ca) !== token.value.digest) {
        return err('the CA answered with a different root CA than the token names');
      }
      return cfg;
    } catch (e) {
      const ge = e as { code?: number; details?: string; message: string };
      // UNAVAILABLE here means the manager's TLS layer refused this join certificate.
      lastError = ge.code === 14 ? 'the manager refused the join token (wrong, rotated, or for another cluster)' : (ge.details ?? ge.message);
      if (ge.code !== 14) break;
    }
  }
  return err(`join failed: ${lastError}`);
}
