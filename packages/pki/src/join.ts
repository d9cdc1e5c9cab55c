/**
 * Joining over mutual TLS before a node has a certificate.
 *
 * Every byte between nodes is mutual TLS, so even a joining node must present
 * a client certificate. Each join token defines a "join CA" whose key is
 * derived from the token's secret (HKDF). Managers trust the join CAs of the
 * current worker and manager tokens alongside the cluster root; a joining
 * node derives the same key from its token and signs itself a short-lived
 * join certificate. A wrong or rotated token yields a certificate no manager
 * trusts, and the TLS handshake fails. Join certificates authorize exactly
 * one thing: asking the CA for a node certificate (authorization checks that
 * every other call comes with a certificate signed by the cluster root).
 */
import 'reflect-metadata';
import crypto from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { seq } from './der.js';
import { SIGN, deriveKeyPair, importKeyPair } from './keys.js';
import { OID, buildCertificate, ekuValue, encodeName, extension, parseDn, toPem } from './x509-der.js';

export type JoinRole = 'worker' | 'manager';
export const JOIN_OU = { worker: 'swarm-join-worker', manager: 'swarm-join-manager' } as const;

const FIXED_NOT_BEFORE = new Date('2020-01-01T00:00:00Z');
const FIXED_NOT_AFTER = new Date('2099-12-31T00:00:00Z');
const JOIN_CERT_VALIDITY_MS = 10 * 60_000;

/** The join CA's subject: role plus a short hash of the secret (distinct per token). */
export const joinCaName = (secret: string, role: JoinRole): string =>
  `CN=swarm-join-ca-${role}-${crypto.createHash('sha256').update(secret).digest('hex').slice(0, 16)}, OU=${JOIN_OU[role]}`;

/** The join CA certificate managers trust for a token (self-signed, derived key). */
export async function joinCaCert(secret: string, role: JoinRole): Promise<string> {
  const kp = deriveKeyPair(secret, role);
  const keys = await importKeyPair(kp.privateKeyPem);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: joinCaName(secret, role),
    notBefore: FIXED_NOT_BEFORE,
    notAfter: FIXED_NOT_AFTER,
    signingAlgorithm: SIGN,
    keys,
    extensions: [new x509.BasicConstraintsExtension(true, 0, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true)],
  });
  return cert.toString('pem') + '\n';
}

/** The join CA's signing key per (secret, role), derived once: joins sign many join certificates. */
const joinKeys = new Map<string, crypto.KeyObject>();
function joinCaKey(secret: string, role: JoinRole): crypto.KeyObject {
  const id = `${role}\n${secret}`;
  let k = joinKeys.get(id);
  if (!k) {
    k = crypto.createPrivateKey(deriveKeyPair(secret, role).privateKeyPem);
    if (joinKeys.size > 16) joinKeys.clear();
    joinKeys.set(id, k);
  }
  return k;
}

/** A joining node's client certificate for its own key, signed by the token's join CA (node:crypto, see x509-der.ts). */
export async function joinClientCert(secret: string, role: JoinRole, nodePrivateKeyPem: string, now = Date.now()): Promise<string> {
  const spki = crypto.createPublicKey(nodePrivateKeyPem).export({ type: 'spki', format: 'der' });
  const der = buildCertificate({
    serial: Buffer.from('01' + crypto.randomBytes(15).toString('hex'), 'hex'),
    subject: encodeName([['CN', 'swarm-joining-node'], ['OU', JOIN_OU[role]]]),
    issuer: encodeName(parseDn(joinCaName(secret, role))),
    notBefore: now - 60_000,
    notAfter: now + JOIN_CERT_VALIDITY_MS,
    spki,
    signingKey: joinCaKey(secret, role),
    extensions: [extension(OID.BASIC_CONSTRAINTS, true, seq()), extension(OID.EXT_KEY_USAGE, false, ekuValue([OID.CLIENT_AUTH]))],
  });
  return toPem('CERTIFICATE', der);
}
