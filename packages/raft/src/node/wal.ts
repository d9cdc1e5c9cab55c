/**
 * Segmented write-ahead log.
 *
 * Record framing: [u32 length][u32 crc32(type+payload)][u8 type][payload].
 * Records: entry, hard state, snapshot marker (index/term of a saved snapshot).
 * A segment is rolled over at `segmentBytes`; a new segment starts with the
 * current hard state and snapshot marker so older segments can be deleted
 * once a snapshot covers them.
 *
 * Recovery: a bad or short record at the end of the LAST segment is a torn
 * write (never fsynced, so never acknowledged): the file is truncated there.
 * A bad record anywhere else is corruption: open() fails with WalCorruptError.
 */
import { crc32 } from 'node:zlib';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Entry, HardState } from '../core/types.js';
import { CodecError, Reader, Writer, readEntry, readHardState, writeEntry, writeHardState } from './codec.js';

export class WalCorruptError extends Error {
  override name = 'WalCorruptError';
}

const REC_ENTRY = 1;
const REC_HARD = 2;
const REC_SNAP = 3;
const HEADER = 9;

export interface WalReplay {
  readonly hardState: HardState | undefined;
  /** Entries after the last snapshot marker, in log order, conflicts resolved. */
  readonly entries: Entry[];
  readonly snapshot: { index: number; term: number } | undefined;
  /** Bytes dropped from a torn tail (0 if the log was clean). */
  readonly truncatedBytes: number;
}

interface Segment {
  readonly seq: number;
  readonly file: string;
  /** Highest entry index written into this segment (0 if none). */
  lastIndex: number;
}

const segName = (seq: number): string => `${String(seq).padStart(16, '0')}.wal`;

export class Wal {
  private segments: Segment[] = [];
  private fd = -1;
  private size = 0;
  private hard: HardState = { term: 0, vote: '', commit: 0 };
  private snap = { index: 0, term: 0 };

  private constructor(
    readonly dir: string,
    readonly segmentBytes: number,
  ) {}

  /** Open (creating if needed) and replay the log. */
  static open(dir: string, segmentBytes = 16 * 1024 * 1024): { wal: Wal; replay: WalReplay } {
    fs.mkdirSync(dir, { recursive: true });
    const wal = new Wal(dir, segmentBytes);
    const names = fs.readdirSync(dir).filter((n) => /^\d{16}\.wal$/.test(n)).sort();
    let hardState: HardState | undefined;
    let snapshot: { index: number; term: number } | undefined;
    let entries: Entry[] = [];
    let truncatedBytes = 0;
    names.forEach((name, i) => {
      const file = path.join(dir, name);
      const seg: Segment = { seq: Number(name.slice(0, 16)), file, lastIndex: 0 };
      const res = readSegment(file, i === names.length - 1);
      truncatedBytes += res.truncatedBytes;
      for (const rec of res.records) {
        if (rec.kind === 'hard') hardState = rec.hard;
        else if (rec.kind === 'snap') {
          snapshot = { index: rec.snap.index, term: rec.snap.term };
          // An installed snapshot replaces the whole log; our own compaction keeps the newer tail.
          entries = rec.snap.installed ? [] : entries.filter((e) => e.index > rec.snap.index);
        } else {
          const e = rec.entry;
          seg.lastIndex = Math.max(seg.lastIndex, e.index);
          const first = entries[0]?.index;
          if (first !== undefined && e.index <= entries[entries.length - 1]!.index) {
            entries.length = Math.max(0, e.index - first); // a later write overwrote a conflicting suffix
          }
          entries.push(e);
        }
      }
      wal.segments.push(seg);
    });
    if (hardState) wal.hard = hardState;
    if (snapshot) wal.snap = snapshot;
    if (snapshot) entries = entries.filter((e) => e.index > snapshot!.index);
    checkContiguous(entries, snapshot?.index);
    if (wal.segments.length === 0) wal.roll();
    else wal.openTail();
    return { wal, replay: { hardState, entries, snapshot, truncatedBytes } };
  }

  private openTail(): void {
    const seg = this.segments[this.segments.length - 1]!;
    this.fd = fs.openSync(seg.file, 'a');
    this.size = fs.fstatSync(this.fd).size;
  }

  /** Start a new segment, seeded with the hard state and snapshot marker. */
  private roll(): void {
    if (this.fd >= 0) fs.closeSync(this.fd);
    const seq = (this.segments[this.segments.length - 1]?.seq ?? 0) + 1;
    const file = path.join(this.dir, segName(seq));
    this.fd = fs.openSync(file, 'a');
    this.size = 0;
    this.segments.push({ seq, file, lastIndex: 0 });
    const w = new Writer();
    record(w, REC_SNAP, (x) => x.num(this.snap.index).num(this.snap.term).u8(0));
    record(w, REC_HARD, (x) => writeHardState(x, this.hard));
    this.writeSync(w.finish());
    fs.fsyncSync(this.fd);
    fsyncDir(this.dir);
  }

  private writeSync(buf: Buffer): void {
    let off = 0;
    while (off < buf.length) off += fs.writeSync(this.fd, buf, off);
    this.size += buf.length;
  }

  /**
   * Append entries and the hard state as one write; fdatasync when `sync`.
   * Returns once the data is durable (when sync) — only then may messages
   * that depend on it be sent.
   */
  async save(hard: HardState | undefined, entries: readonly Entry[], sync: boolean): Promise<void> {
    if (!hard && entries.length === 0) return;
    if (this.size >= this.segmentBytes) this.roll();
    const w = new Writer(entries.length * 300 + 64);
    for (const e of entries) record(w, REC_ENTRY, (x) => writeEntry(x, e));
    if (hard) {
      record(w, REC_HARD, (x) => writeHardState(x, hard));
      this.hard = hard;
    }
    const buf = w.finish();
    const fd = this.fd;
    await new Promise<void>((res, rej) => fs.write(fd, buf, 0, buf.length, null, (err) => (err ? rej(err) : res())));
    this.size += buf.length;
    const seg = this.segments[this.segments.length - 1]!;
    const last = entries[entries.length - 1];
    if (last) seg.lastIndex = Math.max(seg.lastIndex, last.index);
    if (sync) await new Promise<void>((res, rej) => fs.fdatasync(fd, (err) => (err ? rej(err) : res())));
  }

  /**
   * Record that a snapshot at (index, term) is durable. `installed` (received
   * from a leader) discards the whole log; otherwise entries above it stay.
   */
  markSnapshot(index: number, term: number, installed: boolean): void {
    const w = new Writer();
    record(w, REC_SNAP, (x) => x.num(index).num(term).u8(installed ? 1 : 0));
    this.writeSync(w.finish());
    fs.fdatasyncSync(this.fd);
    this.snap = { index, term };
  }

  /** Delete whole segments whose entries are all below `index` (never the active one). */
  releaseBefore(index: number): number {
    let removed = 0;
    while (this.segments.length > 1 && this.segments[0]!.lastIndex < index) {
      const seg = this.segments.shift()!;
      fs.rmSync(seg.file, { force: true });
      removed++;
    }
    return removed;
  }

  /** Force a roll so that compaction can release the current segment later. */
  rollNow(): void {
    this.roll();
  }

  segmentCount(): number {
    return this.segments.length;
  }

  close(): void {
    if (this.fd >= 0) fs.closeSync(this.fd);
    this.fd = -1;
  }
}

type Rec =
  | { kind: 'entry'; entry: Entry }
  | { kind: 'hard'; hard: HardState }
  | { kind: 'snap'; snap: { index: number; term: number; installed: boolean } };

function record(w: Writer, type: number, body: (w: Writer) => void): void {
  const head = w.pos();
  w.u32(0).u32(0).u8(type);
  body(w);
  const end = w.pos();
  w.patchU32(head, end - head - 8);
  w.patchU32(head + 4, crc32(w.view(head + 8, end)));
}

function readSegment(file: string, isLast: boolean): { records: Rec[]; truncatedBytes: number } {
  const buf = fs.readFileSync(file);
  const records: Rec[] = [];
  let off = 0;
  while (off < buf.length) {
    const bad = (why: string): { records: Rec[]; truncatedBytes: number } => {
      if (!isLast) throw new WalCorruptError(`wal: corrupt record in ${path.basename(file)} at offset ${off}: ${why}`);
      fs.truncateSync(file, off);
      return { records, truncatedBytes: buf.length - off };
    };
    if (off + HEADER > buf.length) return bad('short header');
    const len = buf.readUInt32LE(off);
    const crc = buf.readUInt32LE(off + 4);
    if (len === 0 || off + 8 + len > buf.length) return bad('short record');
    const payload = buf.subarray(off + 8, off + 8 + len);
    if (crc32(payload) !== crc) return bad('checksum mismatch');
    try {
      records.push(decodeRecord(payload));
    } catch (e) {
      if (e instanceof CodecError || e instanceof WalCorruptError) return bad(e.message);
      throw e;
    }
    off += 8 + len;
  }
  return { records, truncatedBytes: 0 };
}

function decodeRecord(payload: Buffer): Rec {
  const r = new Reader(payload);
  const type = r.u8();
  let rec: Rec;
  if (type === REC_ENTRY) rec = { kind: 'entry', entry: readEntry(r) };
  else if (type === REC_HARD) rec = { kind: 'hard', hard: readHardState(r) };
  else if (type === REC_SNAP) rec = { kind: 'snap', snap: { index: r.num(), term: r.num(), installed: r.u8() === 1 } };
  else throw new WalCorruptError(`unknown record type ${type}`);
  if (!r.done()) throw new WalCorruptError('trailing bytes in record');
  return rec;
}

function checkContiguous(entries: readonly Entry[], snapIndex: number | undefined): void {
  const first = entries[0];
  if (!first) return;
  if (snapIndex !== undefined && first.index !== snapIndex + 1) {
    throw new WalCorruptError(`wal: entries start at ${first.index} but the snapshot ends at ${snapIndex}`);
  }
  for (let i = 1; i < entries.length; i++) {
    if (entries[i]!.index !== entries[i - 1]!.index + 1) throw new WalCorruptError(`wal: gap in entries at ${entries[i]!.index}`);
  }
}

export function fsyncDir(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}
