/**
 * Durable storage for one node: a WAL plus snapshot files, and the
 * MemoryStorage cache the core reads. Layout under `dir`:
 *   wal/<seq>.wal     segmented write-ahead log (see wal.ts)
 *   snap/<index>.snap snapshot files (see snapfile.ts)
 */
import * as path from 'node:path';
import { MemoryStorage } from '../core/storage.js';
import type { ConfState, Entry, HardState, Ready, Snapshot } from '../core/types.js';
import { loadNewestSnapshot, saveSnapshot } from './snapfile.js';
import { Wal, WalCorruptError } from './wal.js';

export interface DiskOptions {
  readonly segmentBytes?: number;
  /** Log warnings (torn tail truncated, corrupt snapshot skipped). */
  readonly warn?: (msg: string) => void;
}

export class DiskStore {
  readonly storage: MemoryStorage;
  /** True when the directory held no state (a brand-new node). */
  readonly fresh: boolean;
  private readonly wal: Wal;
  private readonly snapDir: string;

  constructor(
    readonly dir: string,
    opts: DiskOptions = {},
  ) {
    const warn = opts.warn ?? (() => {});
    this.snapDir = path.join(dir, 'snap');
    const { snapshot, corrupt } = loadNewestSnapshot(this.snapDir);
    for (const c of corrupt) warn(`raft: skipped corrupt snapshot ${c}`);
    const { wal, replay } = Wal.open(path.join(dir, 'wal'), opts.segmentBytes);
    this.wal = wal;
    if (replay.truncatedBytes > 0) warn(`raft: truncated a torn WAL tail of ${replay.truncatedBytes} bytes`);
    this.storage = restore(snapshot, replay.snapshot, replay.entries, replay.hardState);
    this.fresh = !snapshot && !replay.hardState && replay.entries.length === 0;
  }

  /**
   * Persist a Ready: snapshot file first (if any), then entries and hard state
   * in one WAL write with fdatasync when `rd.mustSync`. Then update the cache.
   */
  async persist(rd: Ready): Promise<void> {
    if (rd.snapshot) {
      saveSnapshot(this.snapDir, rd.snapshot);
      this.wal.markSnapshot(rd.snapshot.meta.index, rd.snapshot.meta.term, true);
      this.storage.applySnapshot(rd.snapshot);
    }
    await this.wal.save(rd.hardState, rd.entries, rd.mustSync);
    this.storage.append(rd.entries);
    if (rd.hardState) this.storage.setHardState(rd.hardState);
  }

  /** Bootstrap a brand-new node's log (conf entries committed at term 1). */
  async bootstrap(entries: readonly Entry[]): Promise<void> {
    const hs: HardState = { term: 1, vote: '', commit: entries.length };
    await this.wal.save(hs, entries, true);
    this.storage.append(entries);
    this.storage.setHardState(hs);
  }

  /** Take an application snapshot at `index` (<= applied) and compact, keeping `keep` entries. */
  snapshot(index: number, conf: ConfState, data: Uint8Array, keep: number): Snapshot {
    const snap = this.storage.createSnapshot(index, conf, data);
    saveSnapshot(this.snapDir, snap);
    this.wal.markSnapshot(index, snap.meta.term, false);
    const compactTo = index - keep;
    if (compactTo > this.storage.firstIndex()) this.storage.compact(compactTo);
    this.wal.releaseBefore(index + 1);
    return snap;
  }

  segmentCount(): number {
    return this.wal.segmentCount();
  }

  close(): void {
    this.wal.close();
  }
}

function restore(
  snap: Snapshot | undefined,
  marker: { index: number; term: number } | undefined,
  entries: Entry[],
  hard: HardState | undefined,
): MemoryStorage {
  const s = new MemoryStorage();
  const markIndex = marker?.index ?? 0;
  const snapIndex = snap?.meta.index ?? 0;
  if (markIndex > snapIndex) {
    throw new WalCorruptError(`raft: the WAL refers to snapshot ${markIndex} but the newest valid snapshot is ${snapIndex}; refusing to start`);
  }
  let tail = entries;
  if (snap && snapIndex > 0) {
    s.applySnapshot(snap);
    // If the snapshot is newer than the WAL marker (crash between the two writes), keep the
    // WAL tail only if it continues the same history.
    const at = entries.find((e) => e.index === snapIndex);
    const sameHistory = markIndex === snapIndex || (at !== undefined && at.term === snap.meta.term);
    tail = sameHistory ? entries.filter((e) => e.index > snapIndex) : [];
  }
  if (tail.length > 0 && tail[0]!.index !== s.lastIndex() + 1) {
    throw new WalCorruptError(`raft: WAL entries start at ${tail[0]!.index}, expected ${s.lastIndex() + 1}`);
  }
  s.append(tail);
  if (hard) {
    const commit = Math.max(hard.commit, snapIndex);
    if (commit > s.lastIndex()) throw new WalCorruptError(`raft: commit index ${commit} is beyond the last log entry ${s.lastIndex()}`);
    s.setHardState({ ...hard, commit });
  } else if (snapIndex > 0) {
    s.setHardState({ term: snap!.meta.term, vote: '', commit: snapIndex });
  }
  return s;
}
