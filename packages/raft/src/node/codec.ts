/**
 * Compact binary encoding of Raft messages, entries, hard state and snapshots,
 * shared by the WAL, snapshot files and the transport. Decoding validates
 * every length and throws CodecError on malformed input.
 */
import type { ConfState, Entry, HardState, Message, MessageType, Snapshot } from '../core/types.js';

export class CodecError extends Error {
  override name = 'CodecError';
}

const MSG_TYPES: readonly MessageType[] = [
  'app', 'appResp', 'vote', 'voteResp', 'preVote', 'preVoteResp', 'heartbeat',
  'heartbeatResp', 'snap', 'timeoutNow', 'readIndex', 'readIndexResp', 'prop', 'transferLeader',
];
const MSG_CODE = new Map(MSG_TYPES.map((t, i) => [t, i]));

export class Writer {
  private buf: Buffer;
  private n = 0;
  constructor(size = 256) {
    this.buf = Buffer.allocUnsafe(size);
  }
  private ensure(k: number): void {
    if (this.n + k <= this.buf.length) return;
    const nb = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.n + k));
    this.buf.copy(nb, 0, 0, this.n);
    this.buf = nb;
  }
  u8(v: number): this {
    this.ensure(1);
    this.buf[this.n++] = v;
    return this;
  }
  u32(v: number): this {
    this.ensure(4);
    this.buf.writeUInt32LE(v >>> 0, this.n);
    this.n += 4;
    return this;
  }
  num(v: number): this {
    this.ensure(8);
    this.buf.writeDoubleLE(v, this.n);
    this.n += 8;
    return this;
  }
  bytes(b: Uint8Array): this {
    this.u32(b.length);
    this.ensure(b.length);
    this.buf.set(b, this.n);
    this.n += b.length;
    return this;
  }
  bytesRaw(b: Uint8Array): this {
    this.ensure(b.length);
    this.buf.set(b, this.n);
    this.n += b.length;
    return this;
  }
  str(s: string): this {
    return this.bytes(Buffer.from(s, 'utf8'));
  }
  strs(xs: readonly string[]): this {
    this.u32(xs.length);
    for (const x of xs) this.str(x);
    return this;
  }
  /** Current write position (for patching a header later). */
  pos(): number {
    return this.n;
  }
  patchU32(at: number, v: number): void {
    this.buf.writeUInt32LE(v >>> 0, at);
  }
  view(from: number, to: number): Buffer {
    return this.buf.subarray(from, to);
  }
  finish(): Buffer {
    return this.buf.subarray(0, this.n);
  }
}

export class Reader {
  private off = 0;
  constructor(private readonly buf: Buffer) {}
  private need(k: number): void {
    if (this.off + k > this.buf.length) throw new CodecError(`truncated input at ${this.off} (need ${k} of ${this.buf.length})`);
  }
  u8(): number {
    this.need(1);
    return this.buf[this.off++]!;
  }
  u32(): number {
    this.need(4);
    const v = this.buf.readUInt32LE(this.off);
    this.off += 4;
    return v;
  }
  num(): number {
    this.need(8);
    const v = this.buf.readDoubleLE(this.off);
    this.off += 8;
    if (!Number.isSafeInteger(v) || v < 0) throw new CodecError(`bad integer ${v}`);
    return v;
  }
  bytes(): Uint8Array {
    const len = this.u32();
    this.need(len);
    const b = this.buf.subarray(this.off, this.off + len);
    this.off += len;
    return b;
  }
  str(): string {
    return Buffer.from(this.bytes()).toString('utf8');
  }
  strs(): string[] {
    const n = this.u32();
    if (n > 100_000) throw new CodecError(`too many strings: ${n}`);
    const out: string[] = [];
    for (let i = 0; i < n; i++) out.push(this.str());
    return out;
  }
  done(): boolean {
    return this.off === this.buf.length;
  }
}

export function writeEntry(w: Writer, e: Entry): void {
  w.num(e.term).num(e.index).u8(e.type === 'conf' ? 1 : 0).bytes(e.data);
}
export function readEntry(r: Reader): Entry {
  const term = r.num();
  const index = r.num();
  const t = r.u8();
  if (t > 1) throw new CodecError(`bad entry type ${t}`);
  return { term, index, type: t === 1 ? 'conf' : 'normal', data: r.bytes() };
}

export function writeConf(w: Writer, c: ConfState): void {
  w.strs(c.voters).strs(c.learners);
}
export function readConf(r: Reader): ConfState {
  return { voters: r.strs(), learners: r.strs() };
}

export function writeSnapshot(w: Writer, s: Snapshot): void {
  w.num(s.meta.index).num(s.meta.term);
  writeConf(w, s.meta.conf);
  w.bytes(s.data);
}
export function readSnapshot(r: Reader): Snapshot {
  const index = r.num();
  const term = r.num();
  const conf = readConf(r);
  return { meta: { index, term, conf }, data: r.bytes() };
}

export function writeHardState(w: Writer, h: HardState): void {
  w.num(h.term).str(h.vote).num(h.commit);
}
export function readHardState(r: Reader): HardState {
  return { term: r.num(), vote: r.str(), commit: r.num() };
}

const F_REJECT = 1;
const F_SNAP = 2;
const F_CTX = 4;
const F_ENTS = 8;
const F_NOACK = 16;

export function writeMessage(w: Writer, m: Message): void {
  const flags = (m.reject ? F_REJECT : 0) | (m.snapshot ? F_SNAP : 0) | (m.context ? F_CTX : 0) | (m.entries ? F_ENTS : 0) | (m.noAck ? F_NOACK : 0);
  w.u8(MSG_CODE.get(m.type)!).u8(flags).str(m.from).str(m.to).num(m.term);
  w.num(m.logTerm ?? 0).num(m.index ?? 0).num(m.commit ?? 0).num(m.rejectHint ?? 0);
  if (m.entries) {
    w.u32(m.entries.length);
    for (const e of m.entries) writeEntry(w, e);
  }
  if (m.snapshot) writeSnapshot(w, m.snapshot);
  if (m.context) w.bytes(m.context);
}

export function readMessage(r: Reader): Message {
  const type = MSG_TYPES[r.u8()];
  if (!type) throw new CodecError('bad message type');
  const flags = r.u8();
  const m: { -readonly [K in keyof Message]: Message[K] } = { type, from: r.str(), to: r.str(), term: r.num() };
  m.logTerm = r.num();
  m.index = r.num();
  m.commit = r.num();
  m.rejectHint = r.num();
  if (flags & F_REJECT) m.reject = true;
  if (flags & F_NOACK) m.noAck = true;
  if (flags & F_ENTS) {
    const n = r.u32();
    const ents: Entry[] = [];
    for (let i = 0; i < n; i++) ents.push(readEntry(r));
    m.entries = ents;
  }
  if (flags & F_SNAP) m.snapshot = readSnapshot(r);
  if (flags & F_CTX) m.context = r.bytes();
  return m;
}

/** A transport frame: many messages in one buffer. */
export function encodeBatch(msgs: readonly Message[]): Buffer {
  const w = new Writer(1024);
  w.u32(msgs.length);
  for (const m of msgs) writeMessage(w, m);
  return w.finish();
}
export function decodeBatch(buf: Buffer): Message[] {
  const r = new Reader(buf);
  const n = r.u32();
  if (n > 1_000_000) throw new CodecError(`too many messages in a frame: ${n}`);
  const out: Message[] = [];
  for (let i = 0; i < n; i++) out.push(readMessage(r));
  if (!r.done()) throw new CodecError('trailing bytes after message batch');
  return out;
}
