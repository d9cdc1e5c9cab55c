/**
 * ECDSA P-256 keys (SwarmKit's choice; see docs/decisions/0003-pki.md) and the
 * bridge between node:crypto PEMs and WebCrypto keys that @peculiar/x509 signs with.
 */
import 'reflect-metadata';
import crypto from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(crypto.webcrypto as unknown as Crypto);

export const EC = { name: 'ECDSA', namedCurve: 'P-256' } as const;
export const SIGN = { name: 'ECDSA', hash: 'SHA-256' } as const;

export interface KeyPairPem {
  /** PKCS#8 PEM. Never leaves the machine that made it. */
  privateKeyPem: string;
  publicKeyPem: string;
}

export function generateKeyPair(): KeyPairPem {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

/** WebCrypto key pair for @peculiar/x509 from a PKCS#8 PEM. */
export async function importKeyPair(privateKeyPem: string): Promise<CryptoKeyPair> {
  const priv = crypto.createPrivateKey(privateKeyPem);
  const pub = crypto.createPublicKey(priv);
  const subtle = crypto.webcrypto.subtle;
  const privateKey = await subtle.importKey('pkcs8', priv.export({ type: 'pkcs8', format: 'der' }), EC, true, ['sign']);
  const publicKey = await subtle.importKey('spki', pub.export({ type: 'spki', format: 'der' }), EC, true, ['verify']);
  return { privateKey, publicKey } as CryptoKeyPair;
}

/**
 * A P-256 private key derived deterministically from a secret (HKDF-SHA256),
 * so two parties who share the secret hold the same key. Used for join CAs.
 */
export function deriveKeyPair(secret: string, info: string): KeyPairPem {
  const n = BigInt('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551');
  const okm = Buffer.from(crypto.hkdfSync('sha256', Buffer.from(secret), Buffer.from('swarm-join-ca'), Buffer.from(info), 48));
  const d = (BigInt('0x' + okm.toString('hex')) % (n - 1n)) + 1n;
  const dBuf = Buffer.from(d.toString(16).padStart(64, '0'), 'hex');
  const ecdh = crypto.createECDH('prime256v1');
  ecdh.setPrivateKey(dBuf);
  const pub = ecdh.getPublicKey(undefined, 'uncompressed');
  const b64 = (b: Buffer) => b.toString('base64url');
  const jwk = { kty: 'EC', crv: 'P-256', d: b64(dBuf), x: b64(pub.subarray(1, 33)), y: b64(pub.subarray(33, 65)) };
  const key = crypto.createPrivateKey({ key: jwk, format: 'jwk' });
  return {
    privateKeyPem: key.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: crypto.createPublicKey(key).export({ type: 'spki', format: 'pem' }).toString(),
  };
}
