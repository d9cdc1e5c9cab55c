/**
 * Join tokens in SwarmKit's form: SWMTKN-1-<digest>-<secret>.
 *   digest: SHA-256 of the root CA certificate (DER), base 36, padded to 50
 *   secret: 16 random bytes, base 36, padded to 25
 * A joining node checks the CA it is offered against the digest (no trust on
 * first use); managers compare secrets in constant time.
 */
import crypto from 'node:crypto';
import { type Result, err, ok } from '@swarm/shared';
import { pemToDer } from './certs.js';

export interface JoinToken {
  version: 1;
  digest: string;
  secret: string;
}

const base36 = (buf: Buffer, width: number) => BigInt('0x' + buf.toString('hex')).toString(36).padStart(width, '0');

export const caDigest = (caCertPem: string): string => base36(crypto.createHash('sha256').update(pemToDer(caCertPem)).digest(), 50);

export const newSecret = (): string => base36(crypto.randomBytes(16), 25);

export const formatToken = (caCertPem: string, secret: string = newSecret()): string => `SWMTKN-1-${caDigest(caCertPem)}-${secret}`;

export function parseToken(token: string): Result<JoinToken, string> {
  const parts = token.trim().split('-');
  if (parts.length !== 4 || parts[0] !== 'SWMTKN' || parts[1] !== '1') {
    return err('invalid join token: expected SWMTKN-1-<digest>-<secret>');
  }
  const [, , digest = '', secret = ''] = parts;
  if (!/^[0-9a-z]{50}$/.test(digest)) return err('invalid join token: the CA digest must be 50 base-36 characters');
  if (!/^[0-9a-z]{25}$/.test(secret)) return err('invalid join token: the secret must be 25 base-36 characters');
  return ok({ version: 1, digest, secret });
}

/** Constant-time string comparison (lengths are not secret). */
export function constantTimeEqual(a: string, b: string): boolean {
  const ba = Buffer.from(a);
  const bb = Buffer.from(b);
  if (ba.length !== bb.length) {
    crypto.timingSafeEqual(ba, ba);
    return false;
  }
  return crypto.timingSafeEqual(ba, bb);
}

/** A short, printable fingerprint of a CA certificate: sha256:<hex>. */
export const caFingerprint = (caCertPem: string): string => `sha256:${crypto.createHash('sha256').update(pemToDer(caCertPem)).digest('hex')}`;
