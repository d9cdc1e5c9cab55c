/**
 * Segmented write-ahead log.
 *
 * Record framing: [u32 length][u32 crc32(type+payload)][u8 type][payload].
 * Records: entry, hard state, snapshot marker (index/term of a saved snapshot).
 * A segment is rolled over at `segmentBytes`; a new segment starts with the
 * current hard state and snapshot marker so older segments can be deleted
 * once a snapshot covers them.
 *
 * Nothing on the write path blocks the event loop: the next segment is
 * created (and the directory fsynced) in the background once the current one
 * is half full, so a roll is just switching file descriptors; its seed
 * records go out in the same write as the entries that follow.
 * Writes are serialized (one at a time, in call order).
 *
 * Segments are opened with O_DSYNC: a write returns once its data is durable,
 * so a save is one call to the thread pool instead of a write plus an
 * fdatasync (the same durability, one wake-up less per Ready). A hard state
 * that differs from the last one written only in its commit index is not
 * written on its own: it rides along with the next write, or is written in the
 * background once no write has come for LAZY_HARD_MS (the commit index needs no
 * durability for Raft; --force-new-cluster keeps only entries up to it).
 *
 * Recovery: a bad or short record at the end of the LAST non-empty segment
 * (only empty, pre-created segments may follow it) is a torn write (never
 * fsynced, so never acknowledged): the file is truncated there.
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

/** How long a commit-only hard state may wait for a write to ride on. */
const LAZY_HARD_MS = 10;

/** Append-only, every write durable on return (see above). */
const OPEN_FLAGS = fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT | fs.constants.O_DSYNC;

const segName = (seq: number): string => `${String(seq).padStart(16, '0')}.wal`;

/** A snapshot marker to write with the next records (see Wal.save). */
export interface SnapMarker {
  readonly index: number;
  readonly term: number;
  /** Received from a leader: replaces the whole log (otherwise: our own compaction). */
  readonly installed: boolean;
}

interface NextSegment {
  readonly seq: number;
  readonly file: string;
  readonly fd: number;
}

export class Wal {
  private segments: Segment[] = [];
  private fd = -1;
  private size = 0;
  private hard: HardState = { term: 0, vote: '', commit: 0 };
  /** The hard state of the newest write queued (`hard` is the newest written). */
  private queuedHard: HardState = this.hard;
  /** A newer hard state that differs from `queuedHard` only in its commit index, not yet written. */
  private lazyHard: HardState | undefined;
  private lazyTimer: NodeJS.Timeout | undefined;
  /** Segment deletions still running: `close` waits for them (a reopen must not list a file being deleted). */
  private deleting = new Set<Promise<void>>();
  /** Writes queued so far (the lazy timer's measure of whether writes keep coming). */
  private saves = 0;
  private snap = { index: 0, term: 0 };
  /** The active segment has no records yet: the next write starts with the seed records. */
  private needSeed = false;
  /** The next segment, being created in the background. */
  private next: Promise<NextSegment> | undefined;
  /** Tail of the queue that serializes writes. */
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly dir: string,
    readonly segmentBytes: number,
  ) {}

  /** Open (creating if needed) and replay the log. */
  static open(dir: string, segmentBytes = 16 * 1024 * 1024): { wal: Wal; replay: WalReplay } {
    fs.mkdirSync(dir, { recursive: true });
    const wal = new Wal(dir, segmentBytes);
    const names = fs.readdirSync(dir).filter((n) => /^\d{16}\.wal$/.test(n)).sort();
    // Torn writes can only be at the end of the last segment that has any bytes (empty
    // segments after it were pre-created for a roll that had not happened yet).
    const sizes = names.map((n) => fs.statSync(path.join(dir, n)).size);
    let lastWritten = names.length - 1;
    while (lastWritten > 0 && sizes[lastWritten] === 0) lastWritten--;
    let hardState: HardState | undefined;
    let snapshot: { index: number; term: number } | undefined;
    let entries: Entry[] = [];
    let truncatedBytes = 0;
    names.forEach((name, i) => {
      const file = path.join(dir, name);
      const seg: Segment = { seq: Number(name.slice(0, 16)), file, lastIndex: 0 };
      const res = readSegment(file, i >= lastWritten);
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
    if (hardState) wal.hard = wal.queuedHard = hardState;
    if (snapshot) wal.snap = snapshot;
    if (snapshot) entries = entries.filter((e) => e.index > snapshot!.index);
    checkContiguous(entries, snapshot?.index);
    if (wal.segments.length === 0) wal.createFirst();
    else wal.openTail();
    return { wal, replay: { hardState, entries, snapshot, truncatedBytes } };
  }

  private openTail(): void {
    const seg = this.segments[this.segments.length - 1]!;
    this.fd = fs.openSync(seg.file, OPEN_FLAGS);
    this.size = fs.fstatSync(this.fd).size;
    this.needSeed = this.size === 0;
  }

  /** The first segment of a new log (startup only, so synchronous). */
  private createFirst(): void {
    const file = path.join(this.dir, segName(1));
    this.fd = fs.openSync(file, OPEN_FLAGS);
    this.segments.push({ seq: 1, file, lastIndex: 0 });
    const buf = this.seed(new Writer()).finish();
    for (let off = 0; off < buf.length; ) off += fs.writeSync(this.fd, buf, off);
    this.size = buf.length;
    fsyncDir(this.dir);
  }

  private seed(w: Writer): Writer {
    record(w, REC_SNAP, (x) => x.num(this.snap.index).num(this.snap.term).u8(0));
    record(w, REC_HARD, (x) => writeHardState(x, this.hard));
    return w;
  }

  /** Create the next segment file and make its name durable, in the background. */
  private prepareNext(): Promise<NextSegment> {
    const seq = this.segments[this.segments.length - 1]!.seq + 1;
    const file = path.join(this.dir, segName(seq));
    const p = (async () => {
      const fd = await fsp.call<number>((cb) => fs.open(file, OPEN_FLAGS, cb));
      await fsyncDirAsync(this.dir);
      return { seq, file, fd };
    })();
    p.catch(() => {}); // surfaces when the roll awaits it
    this.next = p;
    return p;
  }

  /** Switch to the next segment (its seed records go out with the next write). */
  private async roll(): Promise<void> {
    const next = await (this.next ?? this.prepareNext());
    this.next = undefined;
    const old = this.fd;
    this.fd = next.fd;
    this.size = 0;
    this.needSeed = true;
    this.segments.push({ seq: next.seq, file: next.file, lastIndex: 0 });
    fs.close(old, () => {});
  }

  /** Run `f` after every write queued before it. */
  private serial<T>(f: () => Promise<T>): Promise<T> {
    const p = this.queue.then(f);
    this.queue = p.catch(() => {});
    return p;
  }

  /**
   * Append entries and the hard state as one durable write (preceded by
   * `marker`, a snapshot that is already durable on disk). Returns once the
   * data is durable — only then may messages that depend on it be sent. A
   * hard state whose only news is its commit index is kept for the next write.
   */
  save(hard: HardState | undefined, entries: readonly Entry[], marker?: SnapMarker): Promise<void> {
    if (hard && entries.length === 0 && !marker && onlyCommitDiffers(hard, this.queuedHard)) {
      this.lazyHard = hard;
      if (!this.lazyTimer) this.armLazyTimer();
      return Promise.resolve();
    }
    const h = hard ?? this.lazyHard;
    if (!h && entries.length === 0 && !marker) return Promise.resolve();
    this.lazyHard = undefined;
    this.saves++;
    if (h) this.queuedHard = h;
    return this.serial(() => this.write(h, entries, marker));
  }

  /**
   * Write a waiting commit-only hard state alone if no write came for LAZY_HARD_MS. While writes
   * keep coming, each carries the newest one at that time: wait for the next instead.
   */
  private armLazyTimer(): void {
    const saves = this.saves;
    this.lazyTimer = setTimeout(() => {
      this.lazyTimer = undefined;
      if (!this.lazyHard || this.fd < 0) return;
      if (this.saves !== saves) return this.armLazyTimer();
      // Errors surface on the next write, which fails the same way.
      this.save(undefined, []).catch(() => {});
    }, LAZY_HARD_MS);
  }

  private async write(hard: HardState | undefined, entries: readonly Entry[], marker: SnapMarker | undefined): Promise<void> {
    if (this.fd < 0) throw new Error('wal: closed');
    if (this.size >= this.segmentBytes) await this.roll();
    else if (!this.next && this.size >= this.segmentBytes / 2) void this.prepareNext();
    const w = new Writer(entries.length * 300 + 128);
    if (this.needSeed) this.seed(w);
    if (marker) record(w, REC_SNAP, (x) => x.num(marker.index).num(marker.term).u8(marker.installed ? 1 : 0));
    for (const e of entries) record(w, REC_ENTRY, (x) => writeEntry(x, e));
    if (hard) record(w, REC_HARD, (x) => writeHardState(x, hard));
    const buf = w.finish();
    const fd = this.fd;
    for (let off = 0; off < buf.length; ) off += await fsp.call<number>((cb) => fs.write(fd, buf, off, buf.length - off, null, cb));
    this.size += buf.length;
    this.needSeed = false;
    if (hard) this.hard = hard;
    const seg = this.segments[this.segments.length - 1]!;
    const last = entries[entries.length - 1];
    if (last) seg.lastIndex = Math.max(seg.lastIndex, last.index);
    if (marker) this.snap = { index: marker.index, term: marker.term };
  }

  /**
   * Forget whole segments whose entries are all below `index` (never the active
   * one); their files are deleted in the background. Call only once a snapshot
   * marker at or above index - 1 is durable.
   */
  releaseBefore(index: number, warn: (msg: string) => void = () => {}): number {
    let removed = 0;
    while (this.segments.length > 1 && this.segments[0]!.lastIndex < index) {
      const seg = this.segments.shift()!;
      const p: Promise<void> = fs.promises
        .rm(seg.file, { force: true })
        .catch((e: unknown) => warn(`raft: could not delete WAL segment ${seg.file}: ${String(e)}`))
        .finally(() => this.deleting.delete(p));
      this.deleting.add(p);
      removed++;
    }
    return removed;
  }

  segmentCount(): number {
    return this.segments.length;
  }

  /** Wait for queued writes, then close (a pre-created next segment stays, empty). */
  async close(): Promise<void> {
    clearTimeout(this.lazyTimer);
    if (this.lazyHard) void this.save(undefined, []);
    await this.queue;
    await Promise.all(this.deleting);
    const next = await this.next?.catch(() => undefined);
    this.next = undefined;
    if (next) fs.closeSync(next.fd);
    if (this.fd >= 0) fs.closeSync(this.fd);
    this.fd = -1;
  }
}

/** Node-style callback API as a promise. */
const fsp = {
  call<T>(f: (cb: (err: NodeJS.ErrnoException | null, v: T) => void) => void): Promise<T> {
    return new Promise<T>((res, rej) => f((err, v) => (err ? rej(err) : res(v))));
  },
};

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

const onlyCommitDiffers = (a: HardState, b: HardState): boolean => a.term === b.term && a.vote === b.vote;

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

export async function fsyncDirAsync(dir: string): Promise<void> {
  const fh = await fs.promises.open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
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
