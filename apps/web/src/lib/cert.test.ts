import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { certExpiry, certFingerprint, formatUtc, pemToDer } from './cert';

const DAY = 86_400_000;

describe('certExpiry', () => {
  const cert = { notBefore: 0, notAfter: 90 * DAY };
  it('counts days left and flags the last 20% of the lifetime', () => {
    expect(certExpiry(cert, 1 * DAY)).toMatchObject({ relative: 'in 89 days', warn: false, expired: false });
    expect(certExpiry(cert, 72 * DAY + 1)).toMatchObject({ relative: 'in 17 days', warn: true });
    expect(certExpiry(cert, 90 * DAY - 3 * 3_600_000)).toMatchObject({ relative: 'in 3 hours', warn: true });
    expect(certExpiry(cert, 92 * DAY)).toMatchObject({ relative: 'expired 2 days ago', warn: true, expired: true });
  });
  it('formats the absolute date in UTC', () => {
    expect(formatUtc(Date.UTC(2026, 1, 24, 0, 31, 59))).toBe('2026-02-24 00:31 UTC');
  });
});

describe('certFingerprint', () => {
  it('is sha256 of the DER, like the server computes it', async () => {
    const { publicKey, privateKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
    void publicKey;
    // Any DER wrapped as a certificate PEM exercises the decoding and digest.
    const der = privateKey.export({ type: 'pkcs8', format: 'der' });
    const pem = `-----BEGIN CERTIFICATE-----\n${der.toString('base64').replace(/(.{64})/g, '$1\n')}\n-----END CERTIFICATE-----\n`;
    expect(Buffer.from(pemToDer(pem)).equals(der)).toBe(true);
    expect(await certFingerprint(pem)).toBe(`sha256:${crypto.createHash('sha256').update(der).digest('hex')}`);
  });
});
