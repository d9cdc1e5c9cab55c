import 'reflect-metadata';
import crypto from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ROOT_CA_CN,
  ROOT_CA_VALIDITY_MS,
  createCSR,
  createRootCA,
  derToPem,
  inspectCert,
  pemToDer,
  signCSR,
  spkiHash,
  verifyIssuedBy,
} from './certs.js';
import { generateKeyPair } from './keys.js';
// After ./certs.js (whose keys.ts installs the WebCrypto provider @peculiar/x509 signs with).
import * as x509 from '@peculiar/x509';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
// Second-aligned: X.509 times have one-second resolution.
const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);

const OID_SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const OID_CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

type CA = { certPem: string; keyPem: string };
let root: CA;
let otherRoot: CA;
let tmp: string;

beforeAll(async () => {
  root = await createRootCA(NOW);
  otherRoot = await createRootCA(NOW);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pki-certs-test-'));
});

afterAll(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

async function issue(over: Partial<Parameters<typeof signCSR>[0]> = {}, ca: CA = root) {
  const key = generateKeyPair();
  const csrPem = await createCSR(key.privateKeyPem);
  const r = await signCSR({
    csrPem,
    caCertPem: ca.certPem,
    caKeyPem: ca.keyPem,
    cn: 'node1abc',
    ou: 'swarm-worker',
    o: 'cluster1',
    dnsNames: ['swarm-worker', 'node1abc'],
    validityMs: 90 * DAY,
    now: NOW,
    ...over,
  });
  if (!r.ok) throw new Error(`signCSR failed: ${r.error}`);
  return { key, csrPem, ...r.value };
}

/** A CSR built directly with @peculiar/x509 for an arbitrary key type. */
async function foreignCSR(alg: RsaHashedKeyGenParams | EcKeyGenParams, sign: Algorithm | EcdsaParams, name = 'CN=foreign'): Promise<string> {
  const keys = (await crypto.webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as CryptoKeyPair;
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({ name, keys, signingAlgorithm: sign });
  return csr.toString('pem');
}

/** Runs the real `openssl verify`; returns exit status and combined output. */
function opensslVerify(caPem: string, certPem: string, extra: string[] = []): { status: number; out: string } {
  const dir = fs.mkdtempSync(path.join(tmp, 'v-'));
  const caFile = path.join(dir, 'ca.pem');
  const certFile = path.join(dir, 'cert.pem');
  fs.writeFileSync(caFile, caPem);
  fs.writeFileSync(certFile, certPem);
  try {
    const out = execFileSync('openssl', ['verify', ...extra, '-CAfile', caFile, certFile], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return { status: 0, out };
  } catch (e) {
    const x = e as { status?: number; stdout?: string; stderr?: string };
    return { status: x.status ?? -1, out: `${x.stdout ?? ''}${x.stderr ?? ''}` };
  }
}

describe('createRootCA', () => {
  it('is a self-signed ECDSA P-256 CA named swarm-ca with CA:true and keyCertSign, valid ~20 years', () => {
    const c = new crypto.X509Certificate(root.certPem);
    const p = new x509.X509Certificate(root.certPem);
    expect(ROOT_CA_CN).toBe('swarm-ca');
    expect(p.subject).toBe('CN=swarm-ca');
    expect(p.issuer).toBe('CN=swarm-ca');
    expect(c.ca).toBe(true);
    expect(c.checkIssued(c)).toBe(true);
    expect(c.verify(c.publicKey)).toBe(true);

    expect(c.publicKey.asymmetricKeyType).toBe('ec');
    expect(c.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    expect(p.signatureAlgorithm).toMatchObject({ name: 'ECDSA', hash: { name: 'SHA-256' } });

    const bc = p.getExtension(x509.BasicConstraintsExtension);
    expect(bc?.ca).toBe(true);
    expect(bc?.critical).toBe(true);
    const ku = p.getExtension(x509.KeyUsagesExtension);
    expect(ku).not.toBeNull();
    expect(ku!.usages & x509.KeyUsageFlags.keyCertSign).toBeTruthy();
    expect(ku!.critical).toBe(true);

    // 20 years = 630720000 s (SwarmKit's RootCAExpiration).
    expect(ROOT_CA_VALIDITY_MS).toBe(630_720_000 * 1000);
    expect(p.notAfter.getTime()).toBe(NOW + ROOT_CA_VALIDITY_MS);
    expect(p.notBefore.getTime()).toBeLessThanOrEqual(NOW);
    expect(NOW - p.notBefore.getTime()).toBeLessThanOrEqual(HOUR);
    const years = (p.notAfter.getTime() - p.notBefore.getTime()) / (365.25 * DAY);
    expect(years).toBeGreaterThan(19.9);
    expect(years).toBeLessThan(20.1);
  });

  it('returns a PKCS#8 P-256 private key matching the certificate', () => {
    expect(root.keyPem).toContain('-----BEGIN PRIVATE KEY-----');
    const key = crypto.createPrivateKey(root.keyPem);
    expect(key.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    expect(spkiHash(crypto.createPublicKey(key))).toBe(spkiHash(root.certPem));
  });

  it('makes a fresh key every time', () => {
    expect(spkiHash(root.certPem)).not.toBe(spkiHash(otherRoot.certPem));
  });

  it('is accepted by openssl as a trust anchor for itself', () => {
    const r = opensslVerify(root.certPem, root.certPem);
    expect(r.status, r.out).toBe(0);
  });
});

describe('signCSR', () => {
  it('issues CN=node id, OU=role, O=cluster with the requested DNS SANs', async () => {
    const c = await issue({ cn: 'n0de1d', ou: 'swarm-manager', o: 'clusterXYZ', dnsNames: ['swarm-manager', 'n0de1d', 'swarm-ca'] });
    const p = new x509.X509Certificate(c.certPem);
    expect(p.subject).toBe('CN=n0de1d, OU=swarm-manager, O=clusterXYZ');
    expect(p.issuer).toBe('CN=swarm-ca');
    const info = inspectCert(c.certPem);
    expect(info).toMatchObject({ cn: 'n0de1d', ou: 'swarm-manager', o: 'clusterXYZ', issuerCn: 'swarm-ca' });
    const san = p.getExtension(x509.SubjectAlternativeNameExtension);
    expect(san?.names.items.map((n) => ({ type: n.type, value: n.value }))).toEqual([
      { type: 'dns', value: 'swarm-manager' },
      { type: 'dns', value: 'n0de1d' },
      { type: 'dns', value: 'swarm-ca' },
    ]);
  });

  it('issues an end-entity certificate for the CSR key with server+client auth usages', async () => {
    const c = await issue();
    const p = new x509.X509Certificate(c.certPem);
    expect(spkiHash(c.certPem)).toBe(spkiHash(c.key.publicKeyPem));
    expect(new crypto.X509Certificate(c.certPem).ca).toBe(false);
    expect(p.getExtension(x509.BasicConstraintsExtension)?.ca).toBe(false);
    const eku = p.getExtension(x509.ExtendedKeyUsageExtension);
    expect([...(eku?.usages ?? [])].sort()).toEqual([OID_SERVER_AUTH, OID_CLIENT_AUTH].sort());
    const ku = p.getExtension(x509.KeyUsagesExtension)!;
    expect(ku.usages & x509.KeyUsageFlags.digitalSignature).toBeTruthy();
    expect(ku.usages & x509.KeyUsageFlags.keyEncipherment).toBeTruthy();
    expect(ku.usages & x509.KeyUsageFlags.keyCertSign).toBeFalsy();
    expect(p.publicKey.algorithm).toMatchObject({ name: 'ECDSA', namedCurve: 'P-256' });
  });

  it('honours a restricted usage list', async () => {
    const c = await issue({ usages: ['client'] });
    const eku = new x509.X509Certificate(c.certPem).getExtension(x509.ExtendedKeyUsageExtension);
    expect([...(eku?.usages ?? [])]).toEqual([OID_CLIENT_AUTH]);
  });

  it('backdates notBefore by 1 h for long lifetimes and notAfter = now + validity', async () => {
    const validityMs = 90 * DAY;
    const c = await issue({ validityMs });
    expect(c.notBefore).toBe(NOW - HOUR);
    expect(c.notAfter).toBe(NOW + validityMs);
    const info = inspectCert(c.certPem);
    expect(info.notBefore).toBe(NOW - HOUR);
    expect(info.notAfter).toBe(NOW + validityMs);
  });

  it.each([
    ['1 h', HOUR, 6 * 60_000],
    ['10 h (exactly the boundary)', 10 * HOUR, HOUR],
    ['10 min', 10 * 60_000, 60_000],
    ['100 s', 100_000, 10_000],
  ])('backdates notBefore by validity/10 for a %s lifetime', async (_label, validityMs, backdate) => {
    const c = await issue({ validityMs });
    expect(c.notBefore).toBe(NOW - backdate);
    expect(c.notAfter).toBe(NOW + validityMs);
    const info = inspectCert(c.certPem);
    expect(info.notBefore).toBe(NOW - backdate);
    expect(info.notAfter).toBe(NOW + validityMs);
  });

  it('reports notBefore/notAfter that agree with the certificate within X.509 second resolution for a non-aligned now', async () => {
    const now = NOW + 123_456.789 - 0.789; // 123.456 s past NOW
    const c = await issue({ now, validityMs: HOUR });
    const info = inspectCert(c.certPem);
    expect(Math.abs(info.notBefore - c.notBefore)).toBeLessThan(1000);
    expect(Math.abs(info.notAfter - c.notAfter)).toBeLessThan(1000);
  });

  it('uses the current time when `now` is omitted', async () => {
    const before = Date.now();
    const key = generateKeyPair();
    const r = await signCSR({
      csrPem: await createCSR(key.privateKeyPem),
      caCertPem: root.certPem,
      caKeyPem: root.keyPem,
      cn: 'n',
      ou: 'swarm-worker',
      o: 'c',
      dnsNames: [],
      validityMs: 90 * DAY,
    });
    const after = Date.now();
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.notAfter).toBeGreaterThanOrEqual(before + 90 * DAY);
    expect(r.value.notAfter).toBeLessThanOrEqual(after + 90 * DAY);
    expect(verifyIssuedBy(r.value.certPem, root.certPem)).toBe(true);
  });

  it('ignores the subject the CSR asks for: the certificate carries what the CA chose', async () => {
    const key = generateKeyPair();
    const csrPem = await createCSR(key.privateKeyPem, 'CN=evil, OU=swarm-manager, O=other');
    expect(new x509.Pkcs10CertificateRequest(csrPem).subject).toBe('CN=evil, OU=swarm-manager, O=other');
    const r = await signCSR({
      csrPem,
      caCertPem: root.certPem,
      caKeyPem: root.keyPem,
      cn: 'realnode',
      ou: 'swarm-worker',
      o: 'cluster1',
      dnsNames: ['swarm-worker', 'realnode'],
      validityMs: 90 * DAY,
      now: NOW,
    });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const p = new x509.X509Certificate(r.value.certPem);
    expect(p.subject).toBe('CN=realnode, OU=swarm-worker, O=cluster1');
    expect(p.subject).not.toMatch(/evil|swarm-manager|other/);
    expect(inspectCert(r.value.certPem)).toMatchObject({ cn: 'realnode', ou: 'swarm-worker', o: 'cluster1' });
  });

  it('ignores SANs and extensions requested in the CSR', async () => {
    const keys = (await crypto.webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify'])) as CryptoKeyPair;
    const csr = await x509.Pkcs10CertificateRequestGenerator.create({
      name: 'CN=evil',
      keys,
      signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
      extensions: [
        new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: 'evil.example' }, { type: 'ip', value: '10.0.0.1' }]),
        new x509.BasicConstraintsExtension(true, 5, true),
      ],
    });
    const r = await signCSR({
      csrPem: csr.toString('pem'),
      caCertPem: root.certPem,
      caKeyPem: root.keyPem,
      cn: 'realnode',
      ou: 'swarm-worker',
      o: 'cluster1',
      dnsNames: ['swarm-worker', 'realnode'],
      validityMs: 90 * DAY,
      now: NOW,
    });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const p = new x509.X509Certificate(r.value.certPem);
    expect(p.getExtension(x509.SubjectAlternativeNameExtension)?.names.items.map((n) => n.value)).toEqual(['swarm-worker', 'realnode']);
    expect(p.getExtension(x509.BasicConstraintsExtension)?.ca).toBe(false);
    expect(new crypto.X509Certificate(r.value.certPem).ca).toBe(false);
  });

  it('escapes DN metacharacters, so CA-chosen values cannot inject extra RDNs', async () => {
    const c = await issue({ cn: 'a,OU=swarm-manager', o: 'c1+OU=swarm-manager' });
    const p = new x509.X509Certificate(c.certPem);
    const ous = p.subjectName.getField('OU');
    expect(ous).toEqual(['swarm-worker']);
    expect(p.subjectName.getField('CN')).toEqual(['a,OU=swarm-manager']);
    expect(p.subjectName.getField('O')).toEqual(['c1+OU=swarm-manager']);
  });

  it('inspectCert reads the real RDNs even when values contain escaped ", OU=" (role comes from OU)', async () => {
    const c = await issue({ cn: 'a, OU=swarm-manager', ou: 'swarm-worker', o: 'c, OU=x' });
    expect(inspectCert(c.certPem)).toMatchObject({ cn: 'a, OU=swarm-manager', ou: 'swarm-worker', o: 'c, OU=x', issuerCn: 'swarm-ca' });
    expect(inspectCert(pemToDer(c.certPem))).toMatchObject({ cn: 'a, OU=swarm-manager', ou: 'swarm-worker', o: 'c, OU=x' });
  });

  it('refuses a CSR whose signature does not verify (a byte of the signed body tampered)', async () => {
    const key = generateKeyPair();
    const csrPem = await createCSR(key.privateKeyPem, 'CN=swarm-node');
    const der = Buffer.from(csrPem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
    const at = der.indexOf(Buffer.from('swarm-node'));
    expect(at).toBeGreaterThan(0);
    der[at] = 't'.charCodeAt(0); // "twarm-node": still parses, signature no longer matches
    const tampered = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END CERTIFICATE REQUEST-----\n`;
    expect(new x509.Pkcs10CertificateRequest(tampered).subject).toBe('CN=twarm-node');
    const r = await signCSR({ csrPem: tampered, caCertPem: root.certPem, caKeyPem: root.keyPem, cn: 'n', ou: 'swarm-worker', o: 'c', dnsNames: [], validityMs: DAY, now: NOW });
    expect(r).toEqual({ ok: false, error: 'invalid CSR: signature does not verify' });
  });

  it('refuses a CSR whose public key was swapped for another one (signature made by a different key)', async () => {
    const a = generateKeyPair();
    const b = generateKeyPair();
    const csrA = new x509.Pkcs10CertificateRequest(await createCSR(a.privateKeyPem));
    const der = Buffer.from(csrA.rawData);
    const spkiA = crypto.createPublicKey(a.publicKeyPem).export({ type: 'spki', format: 'der' });
    const spkiB = crypto.createPublicKey(b.publicKeyPem).export({ type: 'spki', format: 'der' });
    const at = der.indexOf(spkiA);
    expect(at).toBeGreaterThan(0);
    spkiB.copy(der, at); // same length (P-256 SPKI is fixed size)
    const swapped = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`;
    const r = await signCSR({ csrPem: swapped, caCertPem: root.certPem, caKeyPem: root.keyPem, cn: 'n', ou: 'swarm-worker', o: 'c', dnsNames: [], validityMs: DAY, now: NOW });
    expect(r).toEqual({ ok: false, error: 'invalid CSR: signature does not verify' });
  });

  it('refuses garbage with an error result rather than throwing', async () => {
    for (const csrPem of ['', 'not a csr', '-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n']) {
      const r = await signCSR({ csrPem, caCertPem: root.certPem, caKeyPem: root.keyPem, cn: 'n', ou: 'swarm-worker', o: 'c', dnsNames: [], validityMs: DAY, now: NOW });
      expect(r.ok).toBe(false);
      expect(!r.ok && r.error).toMatch(/^invalid CSR: /);
    }
  });

  it('refuses an RSA CSR', async () => {
    const csrPem = await foreignCSR(
      { name: 'RSASSA-PKCS1-v1_5', modulusLength: 1024, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
      { name: 'RSASSA-PKCS1-v1_5' },
    );
    const r = await signCSR({ csrPem, caCertPem: root.certPem, caKeyPem: root.keyPem, cn: 'n', ou: 'swarm-worker', o: 'c', dnsNames: [], validityMs: DAY, now: NOW });
    expect(r).toEqual({ ok: false, error: 'invalid CSR: key must be ECDSA P-256' });
  });

  it('refuses an ECDSA P-384 CSR', async () => {
    const csrPem = await foreignCSR({ name: 'ECDSA', namedCurve: 'P-384' }, { name: 'ECDSA', hash: 'SHA-384' } as EcdsaParams);
    // Sanity: the CSR itself is well-formed and self-consistent.
    expect(await new x509.Pkcs10CertificateRequest(csrPem).verify()).toBe(true);
    const r = await signCSR({ csrPem, caCertPem: root.certPem, caKeyPem: root.keyPem, cn: 'n', ou: 'swarm-worker', o: 'c', dnsNames: [], validityMs: DAY, now: NOW });
    expect(r).toEqual({ ok: false, error: 'invalid CSR: key must be ECDSA P-256' });
  });
});

describe('verifyIssuedBy', () => {
  it('is true for a certificate from this CA within its validity, and accepts DER', async () => {
    const c = await issue();
    expect(verifyIssuedBy(c.certPem, root.certPem, NOW)).toBe(true);
    expect(verifyIssuedBy(pemToDer(c.certPem), root.certPem, NOW)).toBe(true);
    expect(verifyIssuedBy(c.certPem, root.certPem, c.notBefore)).toBe(true);
    expect(verifyIssuedBy(c.certPem, root.certPem, c.notAfter)).toBe(true);
  });

  it('is false for another CA', async () => {
    const c = await issue();
    expect(verifyIssuedBy(c.certPem, otherRoot.certPem, NOW)).toBe(false);
    const o = await issue({}, otherRoot);
    expect(verifyIssuedBy(o.certPem, root.certPem, NOW)).toBe(false);
    expect(verifyIssuedBy(o.certPem, otherRoot.certPem, NOW)).toBe(true);
  });

  it('is false for a certificate with the issuer name of this CA but signed by another key', async () => {
    // Both roots are called CN=swarm-ca, so a name check alone would accept it.
    const o = await issue({}, otherRoot);
    expect(new x509.X509Certificate(o.certPem).issuer).toBe(new x509.X509Certificate(root.certPem).subject);
    expect(verifyIssuedBy(o.certPem, root.certPem, NOW)).toBe(false);
  });

  it('is false once expired and before notBefore', async () => {
    const c = await issue({ validityMs: HOUR });
    expect(verifyIssuedBy(c.certPem, root.certPem, c.notAfter + 1000)).toBe(false);
    expect(verifyIssuedBy(c.certPem, root.certPem, NOW + 365 * DAY)).toBe(false);
    expect(verifyIssuedBy(c.certPem, root.certPem, c.notBefore - 1000)).toBe(false);
  });

  it('is false for garbage instead of throwing', () => {
    expect(verifyIssuedBy('nope', root.certPem, NOW)).toBe(false);
    expect(verifyIssuedBy(Buffer.from([1, 2, 3]), root.certPem, NOW)).toBe(false);
    expect(verifyIssuedBy(root.certPem, 'nope', NOW)).toBe(false);
  });
});

describe('openssl verify (real OpenSSL)', () => {
  it('accepts a certificate issued by the root, for both TLS client and server purposes', async () => {
    const c = await issue({ now: Date.now() });
    for (const purpose of [[], ['-purpose', 'sslclient'], ['-purpose', 'sslserver']]) {
      const r = opensslVerify(root.certPem, c.certPem, purpose);
      expect(r.status, r.out).toBe(0);
      expect(r.out).toMatch(/: OK/);
    }
  });

  it('rejects a certificate from another root', async () => {
    const o = await issue({ now: Date.now() }, otherRoot);
    const r = opensslVerify(root.certPem, o.certPem);
    expect(r.status).not.toBe(0);
    expect(r.out).toMatch(/error|fail/i);
  });

  it('rejects a server use of a client-only certificate', async () => {
    const c = await issue({ now: Date.now(), usages: ['client'] });
    expect(opensslVerify(root.certPem, c.certPem, ['-purpose', 'sslclient']).status).toBe(0);
    expect(opensslVerify(root.certPem, c.certPem, ['-purpose', 'sslserver']).status).not.toBe(0);
  });
});

describe('spkiHash / derToPem / pemToDer', () => {
  it('is the same for a private key, its public key, its certificate and a CSR of it', async () => {
    const c = await issue();
    const h = spkiHash(c.key.privateKeyPem);
    expect(h).toMatch(/^[0-9a-f]{64}$/);
    expect(spkiHash(c.key.publicKeyPem)).toBe(h);
    expect(spkiHash(c.certPem)).toBe(h);
    expect(spkiHash(crypto.createPrivateKey(c.key.privateKeyPem))).toBe(h);
    // CSR: via its public key (as node-ca does) and as a PEM.
    const csr = new x509.Pkcs10CertificateRequest(c.csrPem);
    expect(spkiHash(crypto.createPublicKey({ key: Buffer.from(csr.publicKey.rawData), format: 'der', type: 'spki' }))).toBe(h);
    expect(spkiHash(c.csrPem)).toBe(h);
    // Independent computation.
    const spki = crypto.createPublicKey(c.key.publicKeyPem).export({ type: 'spki', format: 'der' });
    expect(h).toBe(crypto.createHash('sha256').update(spki).digest('hex'));
    expect(spkiHash(generateKeyPair().publicKeyPem)).not.toBe(h);
  });

  it('derToPem and pemToDer round-trip', async () => {
    const c = await issue();
    const der = pemToDer(c.certPem);
    const pem = derToPem(der);
    expect(pem).toMatch(/^-----BEGIN CERTIFICATE-----\n([A-Za-z0-9+/=]{64}\n)*[A-Za-z0-9+/=]{1,64}\n-----END CERTIFICATE-----\n$/);
    expect(pemToDer(pem).equals(der)).toBe(true);
    expect(new crypto.X509Certificate(pem).fingerprint256).toBe(new crypto.X509Certificate(c.certPem).fingerprint256);
  });

  it('inspectCert reports fingerprint and serial', async () => {
    const c = await issue();
    const info = inspectCert(c.certPem);
    const x = new crypto.X509Certificate(c.certPem);
    expect(info.fingerprint).toBe(crypto.createHash('sha256').update(x.raw).digest('hex'));
    expect(info.serial).toBe(x.serialNumber);
    const other = await issue();
    expect(inspectCert(other.certPem).serial).not.toBe(info.serial);
  });
});
