import 'reflect-metadata';
import crypto from 'node:crypto';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRootCA, inspectCert, pemToDer } from './certs.js';
import { caDigest, caFingerprint, constantTimeEqual, formatToken, newSecret, parseToken } from './tokens.js';

const TOKEN_RE = /^SWMTKN-1-[0-9a-z]{50}-[0-9a-z]{25}$/;
const SHAPE = 'invalid join token: expected SWMTKN-1-<digest>-<secret>';
const DIGEST = 'invalid join token: the CA digest must be 50 base-36 characters';
const SECRET = 'invalid join token: the secret must be 25 base-36 characters';

/** Independent base-36 decoding. */
const fromBase36 = (s: string): bigint => [...s].reduce((acc, ch) => acc * 36n + BigInt(parseInt(ch, 36)), 0n);

let ca: string;
let otherCa: string;
let token: string;
let digest: string;
let secret: string;

beforeAll(async () => {
  ca = (await createRootCA()).certPem;
  otherCa = (await createRootCA()).certPem;
  token = formatToken(ca);
  [, , digest = '', secret = ''] = token.split('-');
});

describe('formatToken / caDigest', () => {
  it('has the form SWMTKN-1-<50 base36>-<25 base36> and is 85 characters long', () => {
    expect(token).toMatch(TOKEN_RE);
    expect(token).toHaveLength(85);
  });

  it('carries caDigest(ca): SHA-256 of the CA certificate DER as a zero-padded base-36 number', () => {
    expect(digest).toBe(caDigest(ca));
    const sha = crypto.createHash('sha256').update(pemToDer(ca)).digest();
    expect(fromBase36(digest)).toBe(BigInt('0x' + sha.toString('hex')));
    expect(caDigest(ca)).toHaveLength(50);
  });

  it('the digest depends on the CA only, not on the secret or PEM whitespace', () => {
    expect(formatToken(ca).split('-')[2]).toBe(digest);
    expect(caDigest(ca.replace(/\n/g, '\r\n') + '\n\n')).toBe(digest);
    expect(caDigest(otherCa)).not.toBe(digest);
    expect(caDigest(otherCa)).toHaveLength(50);
  });

  it('uses the given secret verbatim, or a fresh one', () => {
    expect(formatToken(ca, '0123456789abcdefghijklmno')).toBe(`SWMTKN-1-${digest}-0123456789abcdefghijklmno`);
    expect(formatToken(ca)).not.toBe(token);
  });

  it('pads small digests and secrets with leading zeros', () => {
    // A secret of all-zero bytes is "0" in base 36; the token must still have 25 characters.
    expect(formatToken(ca, '0'.repeat(25))).toHaveLength(85);
    expect(parseToken(formatToken(ca, '0'.repeat(25)))).toMatchObject({ ok: true, value: { secret: '0'.repeat(25) } });
  });

  it('caFingerprint is sha256:<hex of the DER>, matching inspectCert', () => {
    expect(caFingerprint(ca)).toBe(`sha256:${inspectCert(ca).fingerprint}`);
    expect(caFingerprint(ca)).toMatch(/^sha256:[0-9a-f]{64}$/);
  });
});

describe('newSecret', () => {
  it('is 25 base-36 characters encoding at most 128 bits', () => {
    for (let i = 0; i < 200; i++) {
      const s = newSecret();
      expect(s).toMatch(/^[0-9a-z]{25}$/);
      expect(fromBase36(s) < 1n << 128n).toBe(true);
    }
  });

  it('produces distinct values', () => {
    const seen = new Set(Array.from({ length: 2000 }, newSecret));
    expect(seen.size).toBe(2000);
  });
});

describe('parseToken', () => {
  it('accepts a good token (and surrounding whitespace)', () => {
    expect(parseToken(token)).toEqual({ ok: true, value: { version: 1, digest, secret } });
    expect(parseToken(`  ${token}\n`)).toEqual({ ok: true, value: { version: 1, digest, secret } });
  });

  const cases: Array<[string, () => string, string]> = [
    ['wrong prefix', () => `SWMTKX-1-${digest}-${secret}`, SHAPE],
    ['lowercase prefix', () => `swmtkn-1-${digest}-${secret}`, SHAPE],
    ['wrong version', () => `SWMTKN-2-${digest}-${secret}`, SHAPE],
    ['v2 (FIPS) form', () => `SWMTKN-2-1-${digest}-${secret}`, SHAPE],
    ['too few parts', () => `SWMTKN-1-${digest}${secret}`, SHAPE],
    ['too many parts', () => `SWMTKN-1-${digest}-${secret}-x`, SHAPE],
    ['empty', () => '', SHAPE],
    ['short digest', () => `SWMTKN-1-${digest.slice(1)}-${secret}`, DIGEST],
    ['long digest', () => `SWMTKN-1-0${digest}-${secret}`, DIGEST],
    ['uppercase in digest', () => `SWMTKN-1-${digest.slice(0, 49)}Z-${secret}`, DIGEST],
    ['bad character in digest', () => `SWMTKN-1-${digest.slice(0, 49)}_-${secret}`, DIGEST],
    ['short secret', () => `SWMTKN-1-${digest}-${secret.slice(1)}`, SECRET],
    ['long secret', () => `SWMTKN-1-${digest}-${secret}0`, SECRET],
    ['bad character in secret', () => `SWMTKN-1-${digest}-${secret.slice(0, 24)}!`, SECRET],
    ['uppercase in secret', () => `SWMTKN-1-${digest}-${secret.slice(0, 24)}A`, SECRET],
    ['whitespace inside', () => `SWMTKN-1-${digest}-${secret.slice(0, 12)} ${secret.slice(13)}`, SECRET],
  ];
  it.each(cases)('rejects %s', (_label, make, message) => {
    expect(parseToken(make())).toEqual({ ok: false, error: message });
  });

  it('property: parse(format(ca, s)) round-trips for random 25-char base-36 secrets', () => {
    const base36Char = fc.constantFrom(...'0123456789abcdefghijklmnopqrstuvwxyz');
    fc.assert(
      fc.property(fc.array(base36Char, { minLength: 25, maxLength: 25 }), (chars) => {
        const s = chars.join('');
        const t = formatToken(ca, s);
        expect(t).toHaveLength(85);
        expect(parseToken(t)).toEqual({ ok: true, value: { version: 1, digest, secret: s } });
      }),
      { numRuns: 300 },
    );
  });

  it('property: secrets of any other length are rejected', () => {
    const base36Char = fc.constantFrom(...'0123456789abcdefghijklmnopqrstuvwxyz');
    fc.assert(
      fc.property(
        fc.array(base36Char, { minLength: 0, maxLength: 60 }).filter((a) => a.length !== 25),
        (chars) => {
          const r = parseToken(`SWMTKN-1-${digest}-${chars.join('')}`);
          expect(r.ok).toBe(false);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('constantTimeEqual', () => {
  it('is true for equal strings (including empty)', () => {
    expect(constantTimeEqual(token, `${token}`)).toBe(true);
    expect(constantTimeEqual('', '')).toBe(true);
  });

  it('is false for different strings of the same length', () => {
    expect(constantTimeEqual(token, formatToken(ca))).toBe(false);
    expect(constantTimeEqual('abc', 'abd')).toBe(false);
    expect(constantTimeEqual('xbc', 'abc')).toBe(false);
  });

  it('is false for different lengths, including prefixes', () => {
    expect(constantTimeEqual(token, token.slice(0, -1))).toBe(false);
    expect(constantTimeEqual('', 'a')).toBe(false);
    expect(constantTimeEqual('a', '')).toBe(false);
  });

  it('compares bytes, not UTF-16 units (same length in characters, different in bytes)', () => {
    expect(constantTimeEqual('é', 'e')).toBe(false);
    expect(constantTimeEqual('é', 'é')).toBe(true);
  });

  it('property: agrees with ===', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (a, b) => {
        expect(constantTimeEqual(a, b)).toBe(a === b);
        expect(constantTimeEqual(a, a)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});
