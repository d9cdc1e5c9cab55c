/**
 * Snapshot files: `<dir>/<index 16 digits>.snap`, content [u32 crc32][payload]
 * with payload = codec snapshot. Written to a temp file, fsynced, renamed and
 * the directory fsynced, so a crash never leaves a half snapshot under the
 * final name. Loading skips (and reports) corrupt files, newest first.
 * The node writes them with saveSnapshotAsync (never blocks the event loop).
 */
import { crc32 } from 'node:zlib';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Snapshot } from '../core/types.js';
import { Reader, Writer, readSnapshot, writeConf, writeSnapshot } from './codec.js';
import { fsyncDir, fsyncDirAsync } from './wal.js';

export class SnapshotCorruptError extends Error {
  override name = 'SnapshotCorruptError';
}

export function saveSnapshot(dir: string, s: Snapshot, keep = 2): string {
  fs.mkdirSync(dir, { recursive: true });
  const w = new Writer(s.data.length + 256);
  writeSnapshot(w, s);
  const payload = w.finish();
  const head = Buffer.allocUnsafe(4);
  head.writeUInt32LE(crc32(payload));
  const file = path.join(dir, `${String(s.meta.index).padStart(16, '0')}.snap`);
  const tmp = `${file}.tmp`;
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeSync(fd, head);
    let off = 0;
    while (off < payload.length) off += fs.writeSync(fd, payload, off);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
  fsyncDir(dir);
  const all = list(dir);
  for (const old of all.slice(0, Math.max(0, all.length - keep))) fs.rmSync(path.join(dir, old), { force: true });
  return file;
}

/**
 * saveSnapshot without blocking the event loop: fs.promises all the way, the
 * snapshot data is written from the caller's buffer (no copy), CRC computed
 * over header and data in two steps (the file is byte-identical to saveSnapshot's).
 */
export async function saveSnapshotAsync(dir: string, s: Snapshot, keep = 2): Promise<string> {
  await fs.promises.mkdir(dir, { recursive: true });
  const w = new Writer(256);
  w.num(s.meta.index).num(s.meta.term);
  writeConf(w, s.meta.conf);
  w.u32(s.data.length);
  const meta = w.finish();
  const head = Buffer.allocUnsafe(4);
  head.writeUInt32LE(crc32(s.data, crc32(meta)));
  const file = path.join(dir, `${String(s.meta.index).padStart(16, '0')}.snap`);
  const tmp = `${file}.tmp`;
  const fh = await fs.promises.open(tmp, 'w');
  try {
    for (const part of [head, meta, s.data]) {
      for (let off = 0; off < part.length; ) off += (await fh.write(part, off, part.length - off)).bytesWritten;
    }
    await fh.sync();
  } finally {
    await fh.close();
  }
  await fs.promises.rename(tmp, file);
  await fsyncDirAsync(dir);
  const all = (await fs.promises.readdir(dir)).filter((n) => /^\d{16}\.snap$/.test(n)).sort();
  for (const old of all.slice(0, Math.max(0, all.length - keep))) await fs.promises.rm(path.join(dir, old), { force: true });
  return file;
}

function list(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).filter((n) => /^\d{16}\.snap$/.test(n)).sort();
}

export function readSnapshotFile(file: string): Snapshot {
  const buf = fs.readFileSync(file);
  if (buf.length < 4) throw new SnapshotCorruptError(`snapshot ${path.basename(file)}: file too short`);
  const payload = buf.subarray(4);
  if (crc32(payload) !== buf.readUInt32LE(0)) throw new SnapshotCorruptError(`snapshot ${path.basename(file)}: checksum mismatch`);
  const r = new Reader(payload);
  const s = readSnapshot(r);
  if (!r.done()) throw new SnapshotCorruptError(`snapshot ${path.basename(file)}: trailing bytes`);
  return s;
}

/** Newest valid snapshot with index >= minIndex, plus the files that were skipped as corrupt. */
export function loadNewestSnapshot(dir: string): { snapshot: Snapshot | undefined; corrupt: string[] } {
  const corrupt: string[] = [];
  for (const name of list(dir).reverse()) {
    try {
      return { snapshot: readSnapshotFile(path.join(dir, name)), corrupt };
    } catch (e) {
      corrupt.push(`${name}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return { snapshot: undefined, corrupt };
}
