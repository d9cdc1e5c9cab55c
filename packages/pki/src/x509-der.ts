/**
 * X.509 certificates and PKCS#10 CSRs built and read with ./der.ts and signed
 * with node:crypto (ECDSA P-256, SHA-256). This is the CA's hot path: one
 * `crypto.sign` and a few buffer concatenations per certificate, where
 * WebCrypto through @peculiar/x509 cost milliseconds. The encodings match
 * what @peculiar/x509 writes for the same inputs (PrintableString where
 * possible, UTCTime through 2049), so names compare byte for byte.
 */
import crypto from 'node:crypto';
import net from 'node:net';
import {
  DerError, TAG, bitString, bool, children, ctx, ctxPrim, dirString, expectTlv, octets, oid, readName, readOid, seq, setOf, time, uint,
} from './der.js';

export const OID = {
  CN: '2.5.4.3',
  OU: '2.5.4.11',
  O: '2.5.4.10',
  EC_PUBLIC_KEY: '1.2.840.10045.2.1',
  ECDSA_SHA256: '1.2.840.10045.4.3.2',
  ECDSA_SHA384: '1.2.840.10045.4.3.3',
  ECDSA_SHA512: '1.2.840.10045.4.3.4',
  BASIC_CONSTRAINTS: '2.5.29.19',
  KEY_USAGE: '2.5.29.15',
  EXT_KEY_USAGE: '2.5.29.37',
  SAN: '2.5.29.17',
  AKI: '2.5.29.35',
  SERVER_AUTH: '1.3.6.1.5.5.7.3.1',
  CLIENT_AUTH: '1.3.6.1.5.5.7.3.2',
} as const;

const ATTR: Record<string, string> = { CN: OID.CN, OU: OID.OU, O: OID.O };
const ECDSA_HASH: Record<string, string> = { [OID.ECDSA_SHA256]: 'sha256', [OID.ECDSA_SHA384]: 'sha384', [OID.ECDSA_SHA512]: 'sha512' };
const SIG_ALG = seq(oid(OID.ECDSA_SHA256));

export type NameAttrs = Array<[keyof typeof ATTR | string, string]>;

/** A Name with one attribute per RDN, in the given order (attribute names CN, OU, O). */
export function encodeName(attrs: NameAttrs): Buffer {
  return seq(
    ...attrs.map(([k, v]) => {
      const type = ATTR[k];
      if (!type) throw new DerError(`unsupported name attribute ${k}`);
      return setOf(seq(oid(type), dirString(v)));
    }),
  );
}

/** "CN=a, OU=b" (with `\`-escaped specials, as certs.ts writes them) → [[CN, a], [OU, b]]. */
export function parseDn(dn: string): NameAttrs {
  const out: NameAttrs = [];
  for (const part of dn.split(/(?<!\\),\s*/)) {
    const m = /^([A-Za-z]+)=(.*)$/s.exec(part);
    if (!m) throw new DerError(`cannot read "${part}" as NAME=value`);
    out.push([m[1] as string, (m[2] as string).replace(/\\(.)/g, '$1')]);
  }
  return out;
}

export const extension = (id: string, critical: boolean, value: Buffer): Buffer =>
  seq(oid(id), ...(critical ? [bool(true)] : []), octets(value));

function ipBytes(ip: string): Buffer {
  const v = net.isIP(ip);
  if (v === 4) return Buffer.from(ip.split('.').map(Number));
  if (v !== 6) throw new DerError(`not an IP address: ${ip}`);
  let s = ip;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (v4) {
    const b = Buffer.from((v4[1] as string).split('.').map(Number));
    s = s.slice(0, -(v4[1] as string).length) + `${b.readUInt16BE(0).toString(16)}:${b.readUInt16BE(2).toString(16)}`;
  }
  const [head, tail] = s.includes('::') ? s.split('::') : [s, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g as string, 16), i * 2));
  return out;
}

/** subjectAltName with DNS names and IP addresses. */
export const sanValue = (dns: string[], ips: string[] = []): Buffer =>
  seq(...dns.map((d) => ctxPrim(2, Buffer.from(d, 'ascii'))), ...ips.map((ip) => ctxPrim(7, ipBytes(ip))));

/** keyUsage BIT STRING from bit numbers (digitalSignature 0, keyEncipherment 2, keyCertSign 5, ...). */
export function keyUsageValue(bits: number[]): Buffer {
  const top = Math.max(...bits);
  const bytes = Buffer.alloc(Math.floor(top / 8) + 1);
  for (const b of bits) bytes[b >> 3] = (bytes[b >> 3] as number) | (0x80 >> (b & 7));
  return bitString(bytes, 7 - (top & 7));
}

export const ekuValue = (oids: string[]): Buffer => seq(...oids.map(oid));
export const akiValue = (keyId: Buffer): Buffer => seq(ctxPrim(0, keyId));

/** The raw EC point of an SPKI (the BIT STRING contents without the unused-bits byte). */
function spkiPoint(spki: Buffer): Buffer {
  const [, key] = children(expectTlv(spki, TAG.SEQUENCE, 'SubjectPublicKeyInfo').body);
  if (!key || key.tag !== TAG.BIT_STRING) throw new DerError('SubjectPublicKeyInfo: no key');
  return key.body.subarray(1);
}

/** RFC 5280 key identifier (SHA-1 of the public key bits), as @peculiar/x509's SKI/AKI extensions compute it. */
export const keyIdentifier = (spki: Buffer): Buffer => crypto.createHash('sha1').update(spkiPoint(spki)).digest();

export interface CertParams {
  /** Serial number magnitude (positive). */
  serial: Buffer;
  /** DER of the issuer Name, byte for byte as it appears in the issuer's certificate. */
  issuer: Buffer;
  subject: Buffer;
  notBefore: number;
  notAfter: number;
  /** DER SubjectPublicKeyInfo of the certified key. */
  spki: Buffer;
  extensions: Buffer[];
  signingKey: crypto.KeyObject;
}

/** A DER certificate signed with ECDSA-SHA256 by `signingKey`. */
export function buildCertificate(p: CertParams): Buffer {
  const tbs = seq(
    ctx(0, uint(Buffer.from([2]))),
    uint(p.serial),
    SIG_ALG,
    p.issuer,
    seq(time(p.notBefore), time(p.notAfter)),
    p.subject,
    p.spki,
    ctx(3, seq(...p.extensions)),
  );
  return seq(tbs, SIG_ALG, bitString(crypto.sign('sha256', tbs, p.signingKey)));
}

/** A DER PKCS#10 request for `key` (private) with the given subject and no attributes. */
export function buildCsr(key: crypto.KeyObject, subject: Buffer): Buffer {
  const spki = crypto.createPublicKey(key).export({ type: 'spki', format: 'der' });
  const info = seq(uint(Buffer.from([0])), subject, spki, ctx(0));
  return seq(info, SIG_ALG, bitString(crypto.sign('sha256', info, key)));
}

export interface ParsedCsr {
  spki: Buffer;
  publicKey: crypto.KeyObject;
  subject: Array<[string, string]>;
  /** True when the request's signature verifies with its own key. */
  verify(): boolean;
}

/** Reads a DER PKCS#10 request. Throws DerError (or a node:crypto error for a bad key) if malformed. */
export function parseCsr(der: Buffer): ParsedCsr {
  const [info, alg, sig, ...rest] = children(expectTlv(der, TAG.SEQUENCE, 'CertificationRequest').body);
  if (!info || !alg || !sig || rest.length || info.tag !== TAG.SEQUENCE || alg.tag !== TAG.SEQUENCE || sig.tag !== TAG.BIT_STRING) {
    throw new DerError('CertificationRequest: unexpected structure');
  }
  const [version, subject, spki] = children(info.body);
  if (!version || version.tag !== TAG.INTEGER || !subject || !spki || spki.tag !== TAG.SEQUENCE) throw new DerError('CertificationRequestInfo: unexpected structure');
  const [algId] = children(alg.body);
  if (!algId) throw new DerError('signatureAlgorithm: missing');
  const algOid = readOid(algId);
  const publicKey = crypto.createPublicKey({ key: spki.raw, format: 'der', type: 'spki' });
  if (sig.body[0] !== 0) throw new DerError('signature: unused bits');
  return {
    spki: Buffer.from(spki.raw),
    publicKey,
    subject: readName(subject),
    verify() {
      const hash = ECDSA_HASH[algOid];
      if (!hash || publicKey.asymmetricKeyType !== 'ec') return false;
      try {
        return crypto.verify(hash, info.raw, publicKey, sig.body.subarray(1));
      } catch {
        return false;
      }
    },
  };
}

/** What signing under a CA certificate needs from it: its subject Name (DER) and key identifier. */
export function caFields(certDer: Buffer): { subject: Buffer; keyId: Buffer } {
  const [tbs] = children(expectTlv(certDer, TAG.SEQUENCE, 'Certificate').body);
  if (!tbs || tbs.tag !== TAG.SEQUENCE) throw new DerError('Certificate: no TBSCertificate');
  const f = children(tbs.body);
  const o = f[0]?.tag === 0xa0 ? 1 : 0; // optional [0] version
  const subject = f[o + 4];
  const spki = f[o + 5];
  if (!subject || !spki || subject.tag !== TAG.SEQUENCE || spki.tag !== TAG.SEQUENCE) throw new DerError('TBSCertificate: unexpected structure');
  return { subject: Buffer.from(subject.raw), keyId: keyIdentifier(spki.raw) };
}

/** PEM armour and its removal. */
export function toPem(label: string, der: Buffer): string {
  return `-----BEGIN ${label}-----\n${der.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END ${label}-----\n`;
}
export function fromPem(pem: string, labels: string[]): Buffer {
  const m = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/.exec(pem);
  if (!m || !labels.includes(m[1] as string)) throw new DerError(`no ${labels[0]} PEM block`);
  const b64 = (m[2] as string).replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) throw new DerError('PEM: invalid base64');
  return Buffer.from(b64, 'base64');
}
