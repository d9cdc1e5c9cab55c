import 'reflect-metadata';
import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createCSR, createRootCA, inspectCert, readCSR, signCSR, signCSRSync } from './certs.js';
import { DerError, children, expectTlv, oid, readOid, readTlv, time, uint } from './der.js';
import { joinCaCert, joinClientCert } from './join.js';
import { generateKeyPair } from './keys.js';
import { fromPem } from './x509-der.js';
// After ./certs.js (whose keys.ts installs the WebCrypto provider @peculiar/x509 uses).
import * as x509 from '@peculiar/x509';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);

/** The raw subject / issuer Name DER of a certificate (independent reading with @peculiar/x509). */
const names = (pem: string) => {
  const c = new x509.X509Certificate(pem);
  return { subject: Buffer.from(c.subjectName.toArrayBuffer()), issuer: Buffer.from(c.issuerName.toArrayBuffer()) };
};

describe('DER primitives', () => {
  it('encode INTEGER, OID and times as X.690 / RFC 5280 want', () => {
    expect(uint(Buffer.from([0x80])).toString('hex')).toBe('02020080'); // sign bit → leading zero
    expect(uint(Buffer.from([0, 0, 5])).toString('hex')).toBe('020105'); // minimal
    expect(oid('1.2.840.10045.4.3.2').toString('hex')).toBe('06082a8648ce3d040302');
    expect(readOid(readTlv(oid('2.5.29.17')))).toBe('2.5.29.17');
    expect(time(Date.UTC(2026, 0, 2, 3, 4, 5, 999)).toString('latin1').slice(2)).toBe('260102030405Z'); // UTCTime, whole seconds
    expect(time(Date.UTC(2099, 11, 31)).toString('latin1').slice(2)).toBe('20991231000000Z'); // GeneralizedTime after 2049
  });

  it('refuse lengths that run past their container and trailing bytes', () => {
    expect(() => readTlv(Buffer.from('3005020101', 'hex'))).toThrow(DerError);
    expect(() => expectTlv(Buffer.from('30000000', 'hex'), 0x30, 'x')).toThrow(/trailing data/);
    expect(() => children(Buffer.from('0201', 'hex'))).toThrow(DerError);
  });
});

describe('certificates signed with node:crypto', () => {
  it('carry CN = node ID, OU = role, O = cluster, the SANs, usages and validity asked for, and verify against the root', async () => {
    const root = await createRootCA(NOW);
    const key = generateKeyPair();
    const r = signCSRSync({
      csrPem: await createCSR(key.privateKeyPem),
      caCertPem: root.certPem,
      caKeyPem: root.keyPem,
      cn: 'nöde_1', // not a PrintableString: UTF8String
      ou: 'swarm-manager',
      o: 'cluster9',
      dnsNames: ['swarm-manager', 'node-1'],
      ipAddresses: ['127.0.0.1', '::1', 'fe80::1:2'],
      validityMs: 90 * DAY,
      now: NOW + 123, // not second-aligned
    });
    if (!r.ok) throw new Error(r.error);
    const c = new x509.X509Certificate(r.value.certPem);
    expect(c.subjectName.getField('CN')).toEqual(['nöde_1']);
    expect(c.subjectName.getField('OU')).toEqual(['swarm-manager']);
    expect(c.subjectName.getField('O')).toEqual(['cluster9']);
    expect(c.notBefore.getTime()).toBe(NOW - 3_600_000);
    expect(c.notAfter.getTime()).toBe(NOW + 90 * DAY);
    const san = c.getExtension(x509.SubjectAlternativeNameExtension)!;
    expect(san.names.toJSON()).toEqual([
      { type: 'dns', value: 'swarm-manager' },
      { type: 'dns', value: 'node-1' },
      { type: 'ip', value: '127.0.0.1' },
      { type: 'ip', value: '::1' },
      { type: 'ip', value: 'fe80::1:2' },
    ]);
    const bc = c.getExtension(x509.BasicConstraintsExtension)!;
    expect([bc.ca, bc.critical]).toEqual([false, true]);
    const ku = c.getExtension(x509.KeyUsagesExtension)!;
    expect([ku.usages, ku.critical]).toEqual([x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true]);
    expect(c.getExtension(x509.ExtendedKeyUsageExtension)!.usages).toEqual([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]);
    // AKI names the root's SKI; issuer bytes are the root's subject bytes.
    const ski = new x509.X509Certificate(root.certPem).getExtension(x509.SubjectKeyIdentifierExtension)!.keyId;
    expect(c.getExtension(x509.AuthorityKeyIdentifierExtension)!.keyId).toBe(ski);
    expect(names(r.value.certPem).issuer.equals(names(root.certPem).subject)).toBe(true);
    // Certified key is the CSR's; signature verifies with the root key (two independent verifiers).
    expect(crypto.createPublicKey(key.publicKeyPem).equals(new crypto.X509Certificate(r.value.certPem).publicKey)).toBe(true);
    expect(new crypto.X509Certificate(r.value.certPem).verify(new crypto.X509Certificate(root.certPem).publicKey)).toBe(true);
    expect(await c.verify({ publicKey: new x509.X509Certificate(root.certPem).publicKey, signatureOnly: true })).toBe(true);
    // What the CA records matches what the certificate says.
    expect(r.value.serial).toBe(inspectCert(r.value.certPem).serial);
  });

  it('signCSR (async) and signCSRSync issue the same kind of certificate', async () => {
    const root = await createRootCA(NOW);
    const csrPem = await createCSR(generateKeyPair().privateKeyPem);
    const req = { csrPem, caCertPem: root.certPem, caKeyPem: root.keyPem, cn: 'n1', ou: 'swarm-worker', o: 'c', dnsNames: ['swarm-worker', 'n1'], validityMs: DAY, now: NOW };
    const a = await signCSR(req);
    const b = signCSRSync(req);
    if (!a.ok || !b.ok) throw new Error('sign failed');
    expect(inspectCert(a.value.certPem)).toMatchObject({ cn: 'n1', ou: 'swarm-worker', o: 'c' });
    expect(inspectCert(b.value.certPem)).toMatchObject({ cn: 'n1', ou: 'swarm-worker', o: 'c' });
    expect(inspectCert(a.value.certPem).serial).not.toBe(inspectCert(b.value.certPem).serial);
  });
});

describe('CSRs', () => {
  it('createCSR output verifies with @peculiar/x509 and carries the key and subject', async () => {
    const key = generateKeyPair();
    const pem = await createCSR(key.privateKeyPem, 'CN=swarm-node, OU=swarm-worker');
    const csr = new x509.Pkcs10CertificateRequest(pem);
    expect(await csr.verify()).toBe(true);
    expect(csr.subject).toBe('CN=swarm-node, OU=swarm-worker');
    expect(Buffer.from(csr.publicKey.rawData).equals(crypto.createPublicKey(key.publicKeyPem).export({ type: 'spki', format: 'der' }))).toBe(true);
  });

  it('readCSR reads a CSR made by another library, and the OU it asks for', async () => {
    const keys = (await crypto.webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify'])) as CryptoKeyPair;
    const csr = await x509.Pkcs10CertificateRequestGenerator.create({ name: 'CN=x, OU=swarm-manager', keys, signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' } });
    const r = readCSR(csr.toString('pem'));
    expect(r.ok && r.value.askedOu).toBe('swarm-manager');
  });

  it('readCSR refuses truncated or corrupted DER with an error result', async () => {
    const der = fromPem(await createCSR(generateKeyPair().privateKeyPem), ['CERTIFICATE REQUEST']);
    for (const bad of [der.subarray(0, der.length - 5), Buffer.concat([der, Buffer.from([0])]), Buffer.from('30820fff', 'hex')]) {
      const r = readCSR(`-----BEGIN CERTIFICATE REQUEST-----\n${bad.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`);
      expect(!r.ok && r.error).toMatch(/^invalid CSR: /);
    }
  });
});

describe('join client certificates', () => {
  it('name their join CA byte for byte and verify against it', async () => {
    const key = generateKeyPair();
    const cert = await joinClientCert('s3cret-token-secret', 'manager', key.privateKeyPem, NOW);
    const ca = await joinCaCert('s3cret-token-secret', 'manager');
    expect(names(cert).issuer.equals(names(ca).subject)).toBe(true);
    const c = new crypto.X509Certificate(cert);
    expect(c.checkIssued(new crypto.X509Certificate(ca))).toBe(true);
    expect(c.verify(new crypto.X509Certificate(ca).publicKey)).toBe(true);
    expect(inspectCert(cert)).toMatchObject({ cn: 'swarm-joining-node', ou: 'swarm-join-manager', notBefore: NOW - 60_000, notAfter: NOW + 600_000 });
  });
});
