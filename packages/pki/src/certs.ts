/**
 * Certificates: the cluster root CA, CSRs, issuing node certificates from a
 * CSR (only the CSR's public key is trusted; subject and SANs come from the
 * CA), and reading certificates back.
 */
import 'reflect-metadata';
import crypto from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { type Result, err, ok } from '@swarm/shared';
import { SIGN, generateKeyPair, importKeyPair } from './keys.js';

const HOUR = 3_600_000;
export const ROOT_CA_VALIDITY_MS = 630_720_000_000; // 20 years
export const ROOT_CA_CN = 'swarm-ca';

export interface IssuedCert {
  certPem: string;
  notBefore: number;
  notAfter: number;
}

const serial = () => '01' + crypto.randomBytes(15).toString('hex');
const escape = (s: string) => s.replace(/([,+"\\<>;=])/g, '\\$1');

export async function createRootCA(now = Date.now(), cn = ROOT_CA_CN): Promise<{ certPem: string; keyPem: string }> {
  const kp = generateKeyPair();
  const keys = await importKeyPair(kp.privateKeyPem);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${escape(cn)}`,
    notBefore: new Date(now - HOUR),
    notAfter: new Date(now + ROOT_CA_VALIDITY_MS),
    signingAlgorithm: SIGN,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 1, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: cert.toString('pem') + '\n', keyPem: kp.privateKeyPem };
}

/** A CSR carrying only the public key; the CA decides the subject. */
export async function createCSR(privateKeyPem: string, subject = 'CN=swarm-node'): Promise<string> {
  const keys = await importKeyPair(privateKeyPem);
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({ name: subject, keys, signingAlgorithm: SIGN });
  return csr.toString('pem') + '\n';
}

/** Parsed CA certificate and imported key, cached: a CA signs many certificates with the same key. */
const caCache = new Map<string, Promise<{ ca: x509.X509Certificate; caKeys: CryptoKeyPair; aki: x509.AuthorityKeyIdentifierExtension }>>();
function caMaterial(caCertPem: string, caKeyPem: string) {
  const key = caCertPem + caKeyPem;
  let hit = caCache.get(key);
  if (!hit) {
    hit = (async () => {
      const caKeys = await importKeyPair(caKeyPem);
      return { ca: new x509.X509Certificate(caCertPem), caKeys, aki: await x509.AuthorityKeyIdentifierExtension.create(caKeys.publicKey) };
    })();
    if (caCache.size > 8) caCache.clear();
    caCache.set(key, hit);
  }
  return hit;
}

export interface SignRequest {
  csrPem: string;
  caCertPem: string;
  caKeyPem: string;
  /** Node ID. */
  cn: string;
  /** Role: swarm-manager or swarm-worker. */
  ou: string;
  /** Cluster ID. */
  o: string;
  dnsNames: string[];
  ipAddresses?: string[];
  validityMs: number;
  now?: number;
  /** Extended key usages; default server + client auth. */
  usages?: Array<'server' | 'client'>;
}

/** Verifies the CSR's signature and issues a certificate for its public key. */
export async function signCSR(req: SignRequest): Promise<Result<IssuedCert, string>> {
  let csr: x509.Pkcs10CertificateRequest;
  try {
    csr = new x509.Pkcs10CertificateRequest(req.csrPem);
  } catch (e) {
    return err(`invalid CSR: ${(e as Error).message}`);
  }
  if (!(await csr.verify())) return err('invalid CSR: signature does not verify');
  const alg = csr.publicKey.algorithm as EcKeyAlgorithm;
  if (alg.name !== 'ECDSA' || alg.namedCurve !== 'P-256') return err('invalid CSR: key must be ECDSA P-256');
  const { ca, caKeys, aki } = await caMaterial(req.caCertPem, req.caKeyPem);
  const now = req.now ?? Date.now();
  // Backdated for clock skew (SwarmKit: 1 h), but never by more than a tenth of the
  // lifetime, so renewal at 50-80% of it still lies ahead for short-lived certificates.
  const notBefore = now - Math.min(HOUR, Math.floor(req.validityMs / 10));
  const notAfter = now + req.validityMs;
  const usages = req.usages ?? ['server', 'client'];
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: `CN=${escape(req.cn)}, OU=${escape(req.ou)}, O=${escape(req.o)}`,
    issuer: ca.subject,
    notBefore: new Date(notBefore),
    notAfter: new Date(notAfter),
    signingAlgorithm: SIGN,
    publicKey: await csr.publicKey.export(),
    signingKey: caKeys.privateKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension(usages.map((u) => (u === 'server' ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth))),
      new x509.SubjectAlternativeNameExtension([
        ...req.dnsNames.map((d) => ({ type: 'dns' as const, value: d })),
        ...(req.ipAddresses ?? []).map((ip) => ({ type: 'ip' as const, value: ip })),
      ]),
      aki,
    ],
  });
  return ok({ certPem: cert.toString('pem') + '\n', notBefore, notAfter });
}

export interface CertInfo {
  cn: string;
  ou: string;
  o: string;
  issuerCn: string;
  notBefore: number;
  notAfter: number;
  /** SHA-256 of the DER, hex. */
  fingerprint: string;
  serial: string;
}

// Decoded RDN values (not a regex over the printed DN, which a value such as
// "a, OU=swarm-manager" could fool).
const field = (name: x509.Name, key: string): string => name.getField(key)[0] ?? '';

/**
 * One attribute of a distinguished name as Node prints it: one RDN per line,
 * with control characters and RFC 2253 specials escaped by OpenSSL, so a value
 * can never forge another line. Anything but exactly one occurrence reads as ''.
 */
function dnField(dn: string, key: string): string {
  const values = dn
    .split('\n')
    .filter((line) => line.startsWith(`${key}=`))
    .map((line) => line.slice(key.length + 1));
  if (values.length !== 1) return '';
  // Undo OpenSSL's escaping: "\," and friends, and "\0A"-style hex for control characters.
  return (values[0] as string).replace(/\\([0-9A-Fa-f]{2}|.)/g, (_, e: string) => (e.length === 2 ? String.fromCharCode(parseInt(e, 16)) : e));
}

/** Parsed CA certificates, cached: every verification checks against the same few CAs. */
const caObjects = new Map<string, crypto.X509Certificate>();
function caObject(pem: string): crypto.X509Certificate {
  let c = caObjects.get(pem);
  if (!c) {
    if (caObjects.size > 16) caObjects.clear();
    c = new crypto.X509Certificate(pem);
    caObjects.set(pem, c);
  }
  return c;
}

export function inspectCert(pem: string | Buffer | crypto.X509Certificate): CertInfo {
  const c = pem instanceof crypto.X509Certificate ? pem : new crypto.X509Certificate(pem);
  return {
    cn: dnField(c.subject, 'CN'),
    ou: dnField(c.subject, 'OU'),
    o: dnField(c.subject, 'O'),
    issuerCn: dnField(c.issuer, 'CN'),
    notBefore: Date.parse(c.validFrom),
    notAfter: Date.parse(c.validTo),
    fingerprint: c.fingerprint256.replace(/:/g, '').toLowerCase(),
    serial: c.serialNumber,
  };
}

/** True when `cert` was signed by `caCertPem`'s key and is within its validity at `now`. */
export function verifyIssuedBy(cert: string | Buffer | crypto.X509Certificate, caCertPem: string, now = Date.now()): boolean {
  try {
    const c = cert instanceof crypto.X509Certificate ? cert : new crypto.X509Certificate(cert);
    const ca = caObject(caCertPem);
    if (!c.checkIssued(ca) || !c.verify(ca.publicKey)) return false;
    return Date.parse(c.validFrom) <= now && now <= Date.parse(c.validTo);
  } catch {
    return false;
  }
}

/** The PEM of a DER certificate. */
export const derToPem = (der: Buffer): string =>
  `-----BEGIN CERTIFICATE-----\n${der.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END CERTIFICATE-----\n`;

export const pemToDer = (pem: string): Buffer => Buffer.from(new crypto.X509Certificate(pem).raw);

/** SHA-256 (hex) of a public key's SPKI DER, from a certificate, CSR public key, or key PEM. */
export function spkiHash(keyOrCert: string | Buffer | crypto.KeyObject): string {
  let key: crypto.KeyObject;
  if (keyOrCert instanceof crypto.KeyObject) key = keyOrCert.type === 'private' ? crypto.createPublicKey(keyOrCert) : keyOrCert;
  else if (String(keyOrCert).includes('CERTIFICATE REQUEST')) {
    const spki = Buffer.from(new x509.Pkcs10CertificateRequest(String(keyOrCert)).publicKey.rawData);
    key = crypto.createPublicKey({ key: spki, format: 'der', type: 'spki' });
  } else if (String(keyOrCert).includes('CERTIFICATE')) key = new crypto.X509Certificate(keyOrCert).publicKey;
  else key = crypto.createPublicKey(keyOrCert);
  return crypto.createHash('sha256').update(key.export({ type: 'spki', format: 'der' })).digest('hex');
}
