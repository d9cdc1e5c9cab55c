import 'reflect-metadata';
import crypto from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRootCA, inspectCert, spkiHash, verifyIssuedBy } from './certs.js';
import { JOIN_OU, joinCaCert, joinCaName, joinClientCert } from './join.js';
import { deriveKeyPair, generateKeyPair } from './keys.js';
import { newSecret } from './tokens.js';
// After ./certs.js (whose keys.ts installs the WebCrypto provider @peculiar/x509 signs with).
import * as x509 from '@peculiar/x509';

const OID_CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

let tmp: string;
let secretA: string;
let secretB: string;
let rootPem: string;

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pki-join-test-'));
  secretA = newSecret();
  secretB = newSecret();
  rootPem = (await createRootCA()).certPem;
});

afterAll(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

function opensslVerify(caPem: string, certPem: string, extra: string[] = []): { status: number; out: string } {
  const dir = fs.mkdtempSync(path.join(tmp, 'v-'));
  const caFile = path.join(dir, 'ca.pem');
  const certFile = path.join(dir, 'cert.pem');
  fs.writeFileSync(caFile, caPem);
  fs.writeFileSync(certFile, certPem);
  try {
    return { status: 0, out: execFileSync('openssl', ['verify', ...extra, '-CAfile', caFile, certFile], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }) };
  } catch (e) {
    const x = e as { status?: number; stdout?: string; stderr?: string };
    return { status: x.status ?? -1, out: `${x.stdout ?? ''}${x.stderr ?? ''}` };
  }
}

describe('deriveKeyPair', () => {
  it('is deterministic: same secret and role give the same key pair', () => {
    const a = deriveKeyPair(secretA, 'worker');
    const b = deriveKeyPair(secretA, 'worker');
    expect(b.publicKeyPem).toBe(a.publicKeyPem);
    expect(b.privateKeyPem).toBe(a.privateKeyPem);
  });

  it('differs by role and by secret', () => {
    const w = spkiHash(deriveKeyPair(secretA, 'worker').publicKeyPem);
    const m = spkiHash(deriveKeyPair(secretA, 'manager').publicKeyPem);
    const w2 = spkiHash(deriveKeyPair(secretB, 'worker').publicKeyPem);
    expect(new Set([w, m, w2]).size).toBe(3);
    // A one-character change of the secret is enough.
    const flipped = (secretA[0] === 'a' ? 'b' : 'a') + secretA.slice(1);
    expect(spkiHash(deriveKeyPair(flipped, 'worker').publicKeyPem)).not.toBe(w);
  });

  it('yields a usable P-256 key pair whose halves match', () => {
    for (const s of [secretA, secretB, '', 'x', '0'.repeat(25)]) {
      const kp = deriveKeyPair(s, 'worker');
      const priv = crypto.createPrivateKey(kp.privateKeyPem);
      expect(priv.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
      expect(spkiHash(kp.privateKeyPem)).toBe(spkiHash(kp.publicKeyPem));
      const sig = crypto.sign('sha256', Buffer.from('hello'), priv);
      expect(crypto.verify('sha256', Buffer.from('hello'), kp.publicKeyPem, sig)).toBe(true);
    }
  });

  it('is not simply a fresh random key (differs from generateKeyPair and across many secrets)', () => {
    const hashes = new Set(Array.from({ length: 50 }, () => spkiHash(deriveKeyPair(newSecret(), 'manager').publicKeyPem)));
    expect(hashes.size).toBe(50);
    expect(hashes.has(spkiHash(generateKeyPair().publicKeyPem))).toBe(false);
  });
});

describe('joinCaCert / joinCaName', () => {
  it('is a self-signed CA for the derived key, named after role and secret', async () => {
    const pem = await joinCaCert(secretA, 'worker');
    const c = new crypto.X509Certificate(pem);
    expect(c.ca).toBe(true);
    expect(c.checkIssued(c)).toBe(true);
    expect(c.verify(c.publicKey)).toBe(true);
    expect(spkiHash(pem)).toBe(spkiHash(deriveKeyPair(secretA, 'worker').publicKeyPem));
    expect(new x509.X509Certificate(pem).subject).toBe(joinCaName(secretA, 'worker'));
    expect(joinCaName(secretA, 'worker')).toMatch(/^CN=swarm-join-ca-worker-[0-9a-f]{16}, OU=swarm-join-worker$/);
    expect(joinCaName(secretA, 'manager')).toMatch(/^CN=swarm-join-ca-manager-[0-9a-f]{16}, OU=swarm-join-manager$/);
    expect(joinCaName(secretA, 'worker')).not.toBe(joinCaName(secretB, 'worker'));
    // The name must not reveal the secret.
    expect(joinCaName(secretA, 'worker')).not.toContain(secretA);
  });

  it('generated separately for the same token: different bytes, same key and name', async () => {
    const a = await joinCaCert(secretA, 'manager');
    const b = await joinCaCert(secretA, 'manager');
    // ECDSA signatures are randomized, so the certificates differ byte-wise...
    expect(a).not.toBe(b);
    // ...but carry the same key and subject.
    expect(spkiHash(a)).toBe(spkiHash(b));
    expect(inspectCert(a).cn).toBe(inspectCert(b).cn);
  });
});

describe('joinClientCert', () => {
  it('is signed by the join CA of the same token and role, even one generated separately', async () => {
    const node = generateKeyPair();
    const now = Date.now();
    const cert = await joinClientCert(secretA, 'worker', node.privateKeyPem, now);
    const caHere = await joinCaCert(secretA, 'worker');
    const caElsewhere = await joinCaCert(secretA, 'worker'); // e.g. what the manager computed
    expect(caHere).not.toBe(caElsewhere);
    expect(verifyIssuedBy(cert, caHere, now)).toBe(true);
    expect(verifyIssuedBy(cert, caElsewhere, now)).toBe(true);
  });

  it('is not accepted by the other role’s join CA, another token’s join CA, or the cluster root', async () => {
    const node = generateKeyPair();
    const now = Date.now();
    const w = await joinClientCert(secretA, 'worker', node.privateKeyPem, now);
    const m = await joinClientCert(secretA, 'manager', node.privateKeyPem, now);
    expect(verifyIssuedBy(w, await joinCaCert(secretA, 'manager'), now)).toBe(false);
    expect(verifyIssuedBy(m, await joinCaCert(secretA, 'worker'), now)).toBe(false);
    expect(verifyIssuedBy(m, await joinCaCert(secretA, 'manager'), now)).toBe(true);
    expect(verifyIssuedBy(w, await joinCaCert(secretB, 'worker'), now)).toBe(false);
    expect(verifyIssuedBy(w, rootPem, now)).toBe(false);
    expect(verifyIssuedBy(m, rootPem, now)).toBe(false);
  });

  it('certifies the node’s own key as a short-lived, client-only, non-CA certificate', async () => {
    const node = generateKeyPair();
    const now = Date.UTC(2026, 5, 1, 0, 0, 0);
    const pem = await joinClientCert(secretA, 'manager', node.privateKeyPem, now);
    const p = new x509.X509Certificate(pem);
    expect(spkiHash(pem)).toBe(spkiHash(node.publicKeyPem));
    expect(p.subject).toBe(`CN=swarm-joining-node, OU=${JOIN_OU.manager}`);
    expect(p.issuer).toBe(joinCaName(secretA, 'manager'));
    expect(new crypto.X509Certificate(pem).ca).toBe(false);
    expect([...(p.getExtension(x509.ExtendedKeyUsageExtension)?.usages ?? [])]).toEqual([OID_CLIENT_AUTH]);
    expect(p.notBefore.getTime()).toBe(now - 60_000);
    expect(p.notAfter.getTime()).toBe(now + 10 * 60_000);
    const ca = await joinCaCert(secretA, 'manager');
    expect(verifyIssuedBy(pem, ca, now + 10 * 60_000)).toBe(true);
    expect(verifyIssuedBy(pem, ca, now + 11 * 60_000)).toBe(false);
  });

  it('real openssl verify: accepted by its join CA for TLS client use, rejected by the others', async () => {
    const node = generateKeyPair();
    const cert = await joinClientCert(secretA, 'worker', node.privateKeyPem);
    const own = opensslVerify(await joinCaCert(secretA, 'worker'), cert, ['-purpose', 'sslclient']);
    expect(own.status, own.out).toBe(0);
    expect(own.out).toMatch(/: OK/);
    for (const other of [await joinCaCert(secretA, 'manager'), await joinCaCert(secretB, 'worker'), rootPem]) {
      const r = opensslVerify(other, cert);
      expect(r.status, r.out).not.toBe(0);
    }
    // Client-only: not usable as a TLS server certificate.
    expect(opensslVerify(await joinCaCert(secretA, 'worker'), cert, ['-purpose', 'sslserver']).status).not.toBe(0);
  });
});
