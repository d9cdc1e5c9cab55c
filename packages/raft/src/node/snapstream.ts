/**
 * InstallSnapshot in chunks. A `snap` message is encoded once (codec.ts) and
 * cut into chunks of `chunkBytes`; each chunk travels as one gRPC message of
 * its own stream (transport.ts), framed as
 *   [u8 version][str from][str to][num transfer][u32 seq][num total][u32 crc32 of all][u32 chunkBytes][bytes data]
 * The receiver (Assembler, one per stream) checks every chunk against the
 * first (same sender, transfer, sizes), that chunks come in order with the
 * expected size, that the total stays within its limit, and finally the
 * CRC32 over the whole payload; only then is the message decoded and handed
 * on. Any violation rejects the whole transfer (the sender reports failure
 * to the core, which retries with a fresh snapshot).
 */
import { crc32 } from 'node:zlib';
import type { Message, NodeId } from '../core/types.js';
import { CodecError, Reader, Writer, readMessage, writeMessage } from './codec.js';

const VERSION = 1;
export const DEFAULT_CHUNK_BYTES = 1024 * 1024;
/** Largest chunk a receiver accepts (senders may use any size up to this). */
export const MAX_CHUNK_BYTES = 16 * 1024 * 1024;

export interface ChunkHeader {
  readonly from: NodeId;
  readonly to: NodeId;
  readonly transfer: number;
  readonly seq: number;
  readonly total: number;
  readonly crc: number;
  readonly chunkBytes: number;
}

/** The chunks of one snapshot message, produced lazily (one chunk in memory at a time). */
export interface ChunkedSnapshot {
  readonly count: number;
  readonly total: number;
  chunk(seq: number): Buffer;
}

export function chunkSnapshot(m: Message, transfer: number, chunkBytes = DEFAULT_CHUNK_BYTES): ChunkedSnapshot {
  if (m.type !== 'snap' || !m.snapshot) throw new Error('chunkSnapshot: not a snapshot message');
  if (!(chunkBytes > 0 && chunkBytes <= MAX_CHUNK_BYTES)) throw new Error(`chunkSnapshot: bad chunk size ${chunkBytes}`);
  const w = new Writer(m.snapshot.data.length + 512);
  writeMessage(w, m);
  const payload = w.finish();
  const crc = crc32(payload);
  const count = Math.ceil(payload.length / chunkBytes);
  return {
    count,
    total: payload.length,
    chunk(seq) {
      const data = payload.subarray(seq * chunkBytes, Math.min(payload.length, (seq + 1) * chunkBytes));
      return encodeChunk({ from: m.from, to: m.to, transfer, seq, total: payload.length, crc, chunkBytes }, data);
    },
  };
}

export function encodeChunk(h: ChunkHeader, data: Uint8Array): Buffer {
  const w = new Writer(data.length + 64 + h.from.length + h.to.length);
  w.u8(VERSION).str(h.from).str(h.to).num(h.transfer).u32(h.seq).num(h.total).u32(h.crc).u32(h.chunkBytes).bytes(data);
  return w.finish();
}

export function decodeChunk(buf: Buffer): { header: ChunkHeader; data: Uint8Array } {
  const r = new Reader(buf);
  const version = r.u8();
  if (version !== VERSION) throw new CodecError(`unknown snapshot chunk version ${version}`);
  const header: ChunkHeader = { from: r.str(), to: r.str(), transfer: r.num(), seq: r.u32(), total: r.num(), crc: r.u32(), chunkBytes: r.u32() };
  const data = r.bytes();
  if (!r.done()) throw new CodecError('trailing bytes after snapshot chunk');
  return { header, data };
}

export type AssembleResult =
  | { readonly kind: 'more' }
  | { readonly kind: 'done'; readonly message: Message }
  | { readonly kind: 'rejected'; readonly reason: string };

/**
 * Reassembles one transfer. After a rejection it stays rejected (and holds
 * no data). `first` is the header of the transfer once the first chunk was accepted.
 */
export class Assembler {
  private parts: Uint8Array[] = [];
  private received = 0;
  private failed: string | undefined;
  first: ChunkHeader | undefined;

  constructor(
    private readonly self: NodeId,
    private readonly maxTotal: number,
  ) {}

  /** Bytes buffered so far. */
  buffered(): number {
    return this.received;
  }

  accept(buf: Buffer): AssembleResult {
    if (this.failed !== undefined) return { kind: 'rejected', reason: this.failed };
    let chunk: { header: ChunkHeader; data: Uint8Array };
    try {
      chunk = decodeChunk(buf);
    } catch (e) {
      return this.reject(`malformed chunk: ${e instanceof Error ? e.message : String(e)}`);
    }
    const why = this.check(chunk.header, chunk.data.length);
    if (why !== undefined) return this.reject(why);
    this.first ??= chunk.header;
    this.parts.push(chunk.data);
    this.received += chunk.data.length;
    if (this.received < chunk.header.total) return { kind: 'more' };
    return this.finish(chunk.header);
  }

  /** Abandon the transfer (superseded or the stream broke): drop what was buffered. */
  abort(reason: string): void {
    this.reject(reason);
  }

  private check(h: ChunkHeader, size: number): string | undefined {
    const f = this.first;
    if (h.to !== this.self) return `chunk addressed to ${h.to} (this is ${this.self})`;
    if (h.total > this.maxTotal) return `snapshot of ${h.total} bytes exceeds the limit of ${this.maxTotal}`;
    if (h.total === 0) return 'empty snapshot';
    if (h.chunkBytes === 0 || h.chunkBytes > MAX_CHUNK_BYTES) return `bad chunk size ${h.chunkBytes}`;
    if (f && (h.from !== f.from || h.transfer !== f.transfer || h.total !== f.total || h.crc !== f.crc || h.chunkBytes !== f.chunkBytes)) {
      return `chunk ${h.seq} does not belong to transfer ${f.transfer} from ${f.from}`;
    }
    const expectSeq = f ? this.parts.length : 0;
    if (h.seq !== expectSeq) return `chunk ${h.seq} out of order (expected ${expectSeq})`;
    const want = Math.min(h.chunkBytes, h.total - this.received);
    if (size !== want) return `chunk ${h.seq} has ${size} bytes (expected ${want})`;
    return undefined;
  }

  private finish(h: ChunkHeader): AssembleResult {
    const payload = Buffer.concat(this.parts, this.received);
    this.parts = [];
    if (crc32(payload) !== h.crc) return this.reject(`checksum mismatch over the whole snapshot (${h.total} bytes)`);
    try {
      const r = new Reader(payload);
      const m = readMessage(r);
      if (!r.done()) return this.reject('trailing bytes after the snapshot message');
      if (m.type !== 'snap' || !m.snapshot) return this.reject(`the assembled message is a ${m.type}, not a snapshot`);
      if (m.from !== h.from || m.to !== h.to) return this.reject(`the assembled message is from ${m.from} to ${m.to}, the chunks from ${h.from} to ${h.to}`);
      return { kind: 'done', message: m };
    } catch (e) {
      return this.reject(`undecodable snapshot message: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private reject(reason: string): AssembleResult {
    this.failed = reason;
    this.parts = [];
    this.received = 0;
    return { kind: 'rejected', reason };
  }
}
