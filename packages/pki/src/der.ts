/**
 * Just enough DER (X.690) to build and read the few X.509 structures the CA
 * handles on its hot path (node certificates, CSRs, join certificates), so
 * they are signed with node:crypto directly instead of through WebCrypto and
 * an ASN.1 schema library. Readers check every length against its container
 * and throw `DerError` on anything malformed.
 */

export class DerError extends Error {}

export const TAG = {
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  OID: 0x06,
  UTF8: 0x0c,
  PRINTABLE: 0x13,
  IA5: 0x16,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

// ---------------------------------------------------------------- writing

function lengthBytes(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** One TLV: tag, definite length, contents. */
export function tlv(tag: number, ...content: Buffer[]): Buffer {
  const body = content.length === 1 ? (content[0] as Buffer) : Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), lengthBytes(body.length), body]);
}

export const seq = (...items: Buffer[]): Buffer => tlv(TAG.SEQUENCE, ...items);
/** A SET OF; DER wants its elements sorted by their encodings. */
export const setOf = (...items: Buffer[]): Buffer => tlv(TAG.SET, ...[...items].sort(Buffer.compare));
/** Context-specific constructed ([n] EXPLICIT, or an IMPLICIT constructed type). */
export const ctx = (n: number, ...content: Buffer[]): Buffer => tlv(0xa0 | n, ...content);
/** Context-specific primitive ([n] IMPLICIT of a primitive type). */
export const ctxPrim = (n: number, content: Buffer): Buffer => tlv(0x80 | n, content);
export const octets = (b: Buffer): Buffer => tlv(TAG.OCTET_STRING, b);
export const bitString = (b: Buffer, unusedBits = 0): Buffer => tlv(TAG.BIT_STRING, Buffer.from([unusedBits]), b);
export const bool = (v: boolean): Buffer => Buffer.from([0x01, 0x01, v ? 0xff : 0x00]);

/** A non-negative INTEGER from big-endian magnitude bytes (a 0x00 is prepended if the top bit is set). */
export function uint(magnitude: Buffer): Buffer {
  let i = 0;
  while (i < magnitude.length - 1 && magnitude[i] === 0) i++;
  const m = magnitude.subarray(i);
  return tlv(TAG.INTEGER, (m[0] ?? 0) & 0x80 ? Buffer.concat([Buffer.from([0]), m]) : m.length ? m : Buffer.from([0]));
}

export function oid(dotted: string): Buffer {
  const parts = dotted.split('.').map(Number);
  const out: number[] = [(parts[0] as number) * 40 + (parts[1] as number)];
  for (const p of parts.slice(2)) {
    const group: number[] = [p & 0x7f];
    for (let v = Math.floor(p / 128); v > 0; v = Math.floor(v / 128)) group.unshift(0x80 | (v & 0x7f));
    out.push(...group);
  }
  return tlv(TAG.OID, Buffer.from(out));
}

const PRINTABLE = /^[A-Za-z0-9 '()+,\-./:=?]*$/;
/** A directory string: PrintableString when the value allows it (as @peculiar/x509 writes), else UTF8String. */
export const dirString = (s: string): Buffer => tlv(PRINTABLE.test(s) ? TAG.PRINTABLE : TAG.UTF8, Buffer.from(s, 'utf8'));

/** X.509 time: UTCTime through 2049, GeneralizedTime after (RFC 5280 4.1.2.5), whole seconds. */
export function time(ms: number): Buffer {
  const iso = new Date(Math.floor(ms / 1000) * 1000).toISOString(); // YYYY-MM-DDTHH:MM:SS.000Z
  const digits = iso.slice(0, 19).replace(/[-T:]/g, '');
  const year = Number(iso.slice(0, 4));
  return year < 2050 && year >= 1950 ? tlv(TAG.UTC_TIME, Buffer.from(digits.slice(2) + 'Z')) : tlv(TAG.GENERALIZED_TIME, Buffer.from(digits + 'Z'));
}

// ---------------------------------------------------------------- reading

export interface Tlv {
  tag: number;
  /** The whole element (header and contents). */
  raw: Buffer;
  /** The contents only. */
  body: Buffer;
}

/** Reads one element at `offset`; `end` is where the enclosing container ends. */
export function readTlv(buf: Buffer, offset = 0, end = buf.length): Tlv {
  if (offset + 2 > end) throw new DerError('truncated element');
  const tag = buf[offset] as number;
  if ((tag & 0x1f) === 0x1f) throw new DerError('multi-byte tags are not supported');
  let len = buf[offset + 1] as number;
  let header = 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4) throw new DerError('unsupported length encoding');
    if (offset + 2 + n > end) throw new DerError('truncated length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + (buf[offset + 2 + i] as number);
    header += n;
  }
  if (offset + header + len > end) throw new DerError('element longer than its container');
  return { tag, raw: buf.subarray(offset, offset + header + len), body: buf.subarray(offset + header, offset + header + len) };
}

/** The elements inside a constructed element's contents. */
export function children(body: Buffer): Tlv[] {
  const out: Tlv[] = [];
  for (let at = 0; at < body.length; ) {
    const t = readTlv(body, at);
    out.push(t);
    at += t.raw.length;
  }
  return out;
}

/** Reads `buf` as exactly one element with the expected tag. */
export function expectTlv(buf: Buffer, tag: number, what: string): Tlv {
  const t = readTlv(buf);
  if (t.tag !== tag) throw new DerError(`${what}: unexpected tag 0x${t.tag.toString(16)}`);
  if (t.raw.length !== buf.length) throw new DerError(`${what}: trailing data`);
  return t;
}

export function readOid(t: Tlv): string {
  if (t.tag !== TAG.OID || t.body.length === 0) throw new DerError('expected an OBJECT IDENTIFIER');
  const b = t.body;
  const first = b[0] as number;
  const parts = [Math.min(2, Math.floor(first / 40)), first - Math.min(2, Math.floor(first / 40)) * 40];
  let v = 0;
  for (let i = 1; i < b.length; i++) {
    v = v * 128 + ((b[i] as number) & 0x7f);
    if (!((b[i] as number) & 0x80)) {
      parts.push(v);
      v = 0;
    }
  }
  return parts.join('.');
}

/** The attributes of a Name (RDNSequence) as [oid, decoded string] pairs, in order. */
export function readName(name: Tlv): Array<[string, string]> {
  if (name.tag !== TAG.SEQUENCE) throw new DerError('expected a Name');
  const out: Array<[string, string]> = [];
  for (const rdn of children(name.body)) {
    if (rdn.tag !== TAG.SET) throw new DerError('expected a RelativeDistinguishedName');
    for (const atv of children(rdn.body)) {
      const [type, value] = children(atv.body);
      if (atv.tag !== TAG.SEQUENCE || !type || !value) throw new DerError('expected an AttributeTypeAndValue');
      out.push([readOid(type), value.body.toString('utf8')]);
    }
  }
  return out;
}
