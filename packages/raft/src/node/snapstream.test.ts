/** Snapshot chunking and reassembly: the happy path and every rejection. */
import { describe, expect, it } from 'vitest';
import type { Message } from '../core/types.js';
import { Assembler, chunkSnapshot, decodeChunk, encodeChunk, type ChunkHeader } from './snapstream.js';

function snapMsg(bytes: number, from = 'a', to = 'b'): Message {
  const data = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i++) data[i] = (i * 31 + 7) & 0xff;
  return { type: 'snap', from, to, term: 3, snapshot: { meta: { index: 42, term: 2, conf: { voters: ['a', 'b'], learners: [] } }, data } };
}

const all = (m: Message, chunkBytes: number, transfer = 1): Buffer[] => {
  const c = chunkSnapshot(m, transfer, chunkBytes);
  return Array.from({ length: c.count }, (_, i) => c.chunk(i));
};

/** Rewrite a chunk's header and/or data. */
function tamper(buf: Buffer, f: (h: ChunkHeader, d: Uint8Array) => [ChunkHeader, Uint8Array]): Buffer {
  const { header, data } = decodeChunk(buf);
  const [h, d] = f(header, data);
  return encodeChunk(h, d);
}

function feed(asm: Assembler, chunks: Buffer[]): ReturnType<Assembler['accept']>[] {
  return chunks.map((c) => asm.accept(c));
}

describe('snapshot chunks', () => {
  it('splits a snapshot into chunks and reassembles the identical message', () => {
    const m = snapMsg(10_000);
    const chunks = all(m, 1024);
    expect(chunks.length).toBe(Math.ceil(chunkSnapshot(m, 1, 1024).total / 1024));
    expect(chunks.length).toBeGreaterThan(9);
    const asm = new Assembler('b', 1 << 20);
    const res = feed(asm, chunks);
    expect(res.slice(0, -1).every((r) => r.kind === 'more')).toBe(true);
    const last = res.at(-1)!;
    expect(last.kind).toBe('done');
    if (last.kind !== 'done') return;
    expect(last.message).toMatchObject({ type: 'snap', from: 'a', to: 'b', term: 3 });
    expect(last.message.snapshot!.meta).toEqual(m.snapshot!.meta);
    expect(Buffer.from(last.message.snapshot!.data).equals(Buffer.from(m.snapshot!.data))).toBe(true);
  });

  it('a snapshot smaller than one chunk is one chunk', () => {
    const chunks = all(snapMsg(100), 1 << 20);
    expect(chunks.length).toBe(1);
    expect(new Assembler('b', 1 << 20).accept(chunks[0]!).kind).toBe('done');
  });

  const rejects: [string, (c: Buffer[]) => Buffer[], RegExp][] = [
    ['a chunk out of order', (c) => [c[0]!, c[2]!, c[1]!], /out of order \(expected 1\)/],
    ['a missing first chunk', (c) => c.slice(1), /out of order \(expected 0\)/],
    ['a repeated chunk', (c) => [c[0]!, c[0]!], /out of order/],
    ['a short chunk', (c) => [c[0]!, tamper(c[1]!, (h, d) => [h, d.subarray(1)])], /has 1023 bytes \(expected 1024\)/],
    ['an oversized last chunk', (c) => [...c.slice(0, -1), tamper(c.at(-1)!, (h, d) => [h, Buffer.concat([d, Buffer.alloc(1)])])], /bytes \(expected/],
    ['a flipped bit (checksum over the whole snapshot)', (c) => [c[0]!, tamper(c[1]!, (h, d) => [h, Buffer.from(d).fill(0, 0, 1)]), ...c.slice(2)], /checksum mismatch/],
    ['a chunk of another transfer', (c) => [c[0]!, tamper(c[1]!, (h, d) => [{ ...h, transfer: h.transfer + 1 }, d])], /does not belong to transfer/],
    ['a chunk from another sender', (c) => [c[0]!, tamper(c[1]!, (h, d) => [{ ...h, from: 'z' }, d])], /does not belong/],
    ['a chunk for another node', (c) => [tamper(c[0]!, (h, d) => [{ ...h, to: 'c' }, d])], /addressed to c/],
    ['a total beyond the limit', (c) => [tamper(c[0]!, (h, d) => [{ ...h, total: 64 << 20 }, d])], /exceeds the limit/],
    ['an absurd chunk size', (c) => [tamper(c[0]!, (h, d) => [{ ...h, chunkBytes: 1 << 30 }, d])], /bad chunk size/],
    ['garbage', () => [Buffer.from('not a chunk at all')], /malformed chunk/],
  ];
  for (const [what, mutate, why] of rejects) {
    it(`rejects ${what} and hands nothing on`, () => {
      const asm = new Assembler('b', 1 << 20);
      const res = feed(asm, mutate(all(snapMsg(10_000), 1024)));
      expect(res.some((r) => r.kind === 'done')).toBe(false);
      const rejected = res.find((r) => r.kind === 'rejected');
      expect(rejected && rejected.kind === 'rejected' && rejected.reason).toMatch(why);
      expect(asm.buffered()).toBe(0);
      // Once rejected, even the rest of a valid transfer is refused.
      expect(asm.accept(all(snapMsg(10_000), 1024)[0]!).kind).toBe('rejected');
    });
  }

  it('rejects chunks whose message is not a snapshot from the same sender', () => {
    const m = snapMsg(100);
    const c = tamper(all(m, 1 << 20)[0]!, (h, d) => [{ ...h, from: 'x' }, d]);
    const r = new Assembler('b', 1 << 20).accept(c);
    expect(r.kind === 'rejected' && r.reason).toMatch(/from a to b, the chunks from x/);
  });

  it('abort drops what was buffered', () => {
    const asm = new Assembler('b', 1 << 20);
    const chunks = all(snapMsg(10_000), 1024);
    asm.accept(chunks[0]!);
    expect(asm.buffered()).toBe(1024);
    asm.abort('superseded');
    expect(asm.buffered()).toBe(0);
    expect(asm.accept(chunks[1]!)).toEqual({ kind: 'rejected', reason: 'superseded' });
  });
});
