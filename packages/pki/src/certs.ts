/**
 * Certificates: the cluster root CA, CSRs, issuing node certificates from a
 * CSR (only the CSR's public key is trusted; subject and SANs come from the
 * CA), and reading certificates back.
 */
import 'reflect-metadata';
import crypto from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { type Result, err, ok } from '@swarm/shared';
import { seq } from './der.js';
import { SIGN, generateKeyPair, importKeyPair } from './keys.js';
import {
  OID, type ParsedCsr, akiValue, buildCertificate, buildCsr, caFields, ekuValue, encodeName, extension, fromPem, keyUsageValue, parseCsr, parseDn, sanValue, toPem,
} from './x509-der.js';

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
  return toPem('CERTIFICATE REQUEST', buildCsr(crypto.createPrivateKey(privateKeyPem), encodeName(parseDn(subject))));
}

/** A CA's parsed key and the fields signing copies from its certificate, cached: a CA signs many certificates. */
interface CaMaterial { key: crypto.KeyObject; subject: Buffer; keyId: Buffer }
const caCache = new Map<string, CaMaterial>();
function caMaterial(caCertPem: string, caKeyPem: string): CaMaterial {
  const id = caCertPem + caKeyPem;
  let hit = caCache.get(id);
  if (!hit) {
    hit = { key: crypto.createPrivateKey(caKeyPem), ...caFields(Buffer.from(new crypto.X509Certificate(caCertPem).raw)) };
    if (caCache.size > 8) caCache.clear();
    caCache.set(id, hit);
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

export interface CsrInfo {
  /** DER SubjectPublicKeyInfo of the requested key. */
  spki: Buffer;
  publicKey: crypto.KeyObject;
  /** The OU the request's subject asks for, if any (the CA decides; this is only checked). */
  askedOu: string | undefined;
}

/** Reads a CSR and checks it: a P-256 key whose signature over the request verifies. */
export function readCSR(csrPem: string): Result<CsrInfo, string> {
  let csr: ParsedCsr;
  try {
    csr = parseCsr(fromPem(csrPem, ['CERTIFICATE REQUEST', 'NEW CERTIFICATE REQUEST']));
  } catch (e) {
    return err(`invalid CSR: ${(e as Error).message}`);
  }
  const details = csr.publicKey.asymmetricKeyDetails;
  if (csr.publicKey.asymmetricKeyType !== 'ec' || details?.namedCurve !== 'prime256v1') return err('invalid CSR: key must be ECDSA P-256');
  if (!csr.verify()) return err('invalid CSR: signature does not verify');
  return ok({ spki: csr.spki, publicKey: csr.publicKey, askedOu: csr.subject.find(([k]) => k === OID.OU)?.[1] });
}

/** Verifies the CSR's signature and issues a certificate for its public key (signed with node:crypto). */
export async function signCSR(req: SignRequest): Promise<Result<IssuedCert, string>> {
  return signCSRSync(req);
}

/** signCSR without the promise: about a tenth of a millisecond of CPU. */
export function signCSRSync(req: SignRequest): Result<IssuedCert & { serial: string }, string> {
  const csr = readCSR(req.csrPem);
  if (!csr.ok) return csr;
  let ca: CaMaterial;
  try {
    ca = caMaterial(req.caCertPem, req.caKeyPem);
  } catch (e) {
    return err(`unusable CA certificate or key: ${(e as Error).message}`);
  }
  const now = req.now ?? Date.now();
  // Backdated for clock skew (SwarmKit: 1 h), but never by more than a tenth of the
  // lifetime, so renewal at 50-80% of it still lies ahead for short-lived certificates.
  const notBefore = now - Math.min(HOUR, Math.floor(req.validityMs / 10));
  const notAfter = now + req.validityMs;
  const usages = req.usages ?? ['server', 'client'];
  const serialHex = serial();
  let der: Buffer;
  try {
    der = buildCertificate({
      serial: Buffer.from(serialHex, 'hex'),
      issuer: ca.subject,
      subject: encodeName([['CN', req.cn], ['OU', req.ou], ['O', req.o]]),
      notBefore,
      notAfter,
      spki: csr.value.spki,
      signingKey: ca.key,
      extensions: [
        extension(OID.BASIC_CONSTRAINTS, true, seq()),
        extension(OID.KEY_USAGE, true, keyUsageValue([0, 2])), // digitalSignature, keyEncipherment
        extension(OID.EXT_KEY_USAGE, false, ekuValue(usages.map((u) => (u === 'server' ? OID.SERVER_AUTH : OID.CLIENT_AUTH)))),
        extension(OID.SAN, false, sanValue(req.dnsNames, req.ipAddresses)),
        extension(OID.AKI, false, akiValue(ca.keyId)),
      ],
    });
  } catch (e) {
    return err(`cannot issue: ${(e as Error).message}`);
  }
  return ok({ certPem: toPem('CERTIFICATE', der), notBefore, notAfter, serial: serialHex.toUpperCase() });
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
    key = parseCsr(fromPem(String(keyOrCert), ['CERTIFICATE REQUEST', 'NEW CERTIFICATE REQUEST'])).publicKey;
  } else if (String(keyOrCert).includes('CERTIFICATE')) key = new crypto.X509Certificate(keyOrCert).publicKey;
  else key = crypto.createPublicKey(keyOrCert);
  return crypto.createHash('sha256').update(key.export({ type: 'spki', format: 'der' })).digest('hex');
}
