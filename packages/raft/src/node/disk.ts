/**
 * Durable storage for one node: a WAL plus snapshot files, and the
 * MemoryStorage cache the core reads. Layout under `dir`:
 *   wal/<seq>.wal     segmented write-ahead log (see wal.ts)
 *   snap/<index>.snap snapshot files (see snapfile.ts)
 */
import * as path from 'node:path';
import { MemoryStorage } from '../core/storage.js';
import type { ConfState, Entry, HardState, Ready, Snapshot } from '../core/types.js';
import { loadNewestSnapshot, saveSnapshotAsync } from './snapfile.js';
import { Wal, WalCorruptError, type SnapMarker } from './wal.js';

/** How long a finished snapshot waits to ride along with a Ready's write before writing its marker alone. */
const MARKER_PIGGYBACK_MS = 100;

/** Our own snapshot is durable; its WAL marker waits for the next write. */
interface PendingMarker {
  readonly marker: SnapMarker;
  readonly compactTo: number;
  readonly done: () => void;
}

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
  private readonly warn: (msg: string) => void;
  private pending: PendingMarker | undefined;
  /** Bumped when a leader's snapshot is installed: an own snapshot in flight is then moot. */
  private installs = 0;

  constructor(
    readonly dir: string,
    opts: DiskOptions = {},
  ) {
    const warn = opts.warn ?? (() => {});
    this.warn = warn;
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
   * Persist a Ready: snapshot file first (if any), then its marker, entries and
   * hard state in one durable WAL write (wal.ts: a commit-only hard state waits for
   * the next write). A finished own snapshot's marker rides along. Then
   * update the cache.
   */
  async persist(rd: Ready): Promise<void> {
    let own: PendingMarker | undefined;
    let marker: SnapMarker | undefined;
    if (rd.snapshot) {
      this.installs++;
      this.pending?.done();
      this.pending = undefined;
      await saveSnapshotAsync(this.snapDir, rd.snapshot);
      marker = { index: rd.snapshot.meta.index, term: rd.snapshot.meta.term, installed: true };
    } else {
      own = this.pending;
      this.pending = undefined;
      marker = own?.marker;
    }
    await this.wal.save(rd.hardState, rd.entries, marker);
    if (rd.snapshot) this.storage.applySnapshot(rd.snapshot);
    if (own) this.compacted(own);
    this.storage.append(rd.entries);
    if (rd.hardState) this.storage.setHardState(rd.hardState);
  }

  /**
   * Persist several Readys without snapshots, taken in this order, as one WAL
   * durable write: entries in order (a later
   * Ready's entries may replace an earlier one's suffix; replay resolves that
   * the same way), then the newest hard state. Then update the cache, in order.
   */
  async persistAll(rds: readonly Ready[]): Promise<void> {
    if (rds.some((rd) => rd.snapshot)) throw new Error('persistAll: a Ready with a snapshot must be persisted alone');
    const own = this.pending;
    this.pending = undefined;
    const entries = rds.length === 1 ? rds[0]!.entries : rds.flatMap((rd) => rd.entries);
    const hard = rds.findLast((rd) => rd.hardState)?.hardState;
    await this.wal.save(hard, entries, own?.marker);
    if (own) this.compacted(own);
    for (const rd of rds) this.storage.append(rd.entries);
    if (hard) this.storage.setHardState(hard);
  }

  /** Bootstrap a brand-new node's log (conf entries committed at term 1). */
  async bootstrap(entries: readonly Entry[]): Promise<void> {
    const hs: HardState = { term: 1, vote: '', commit: entries.length };
    await this.wal.save(hs, entries);
    this.storage.append(entries);
    this.storage.setHardState(hs);
  }

  /**
   * Take an application snapshot at `index` (<= applied), keeping `keep` entries
   * below it. The snapshot is served from memory at once; its file is written in
   * the background (never blocking the event loop); once that is durable, its WAL
   * marker goes out with the next persist() (or alone after MARKER_PIGGYBACK_MS),
   * and only then are the log compacted and old segments deleted. Resolves then.
   * Call one at a time.
   */
  async snapshot(index: number, conf: ConfState, data: Uint8Array, keep: number): Promise<Snapshot> {
    const snap = this.storage.createSnapshot(index, conf, data);
    const installs = this.installs;
    await saveSnapshotAsync(this.snapDir, snap);
    if (this.installs !== installs) return snap; // a leader's newer snapshot replaced the log meanwhile
    let done!: () => void;
    const written = new Promise<void>((res) => (done = res));
    const own: PendingMarker = { marker: { index, term: snap.meta.term, installed: false }, compactTo: index - keep, done };
    this.pending = own;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([written, new Promise<void>((res) => (timer = setTimeout(res, MARKER_PIGGYBACK_MS)))]);
    clearTimeout(timer);
    if (this.pending === own) {
      this.pending = undefined;
      await this.wal.save(undefined, [], own.marker);
      this.compacted(own);
    }
    await written;
    return snap;
  }

  /** An own snapshot's marker is durable: compact the cache and release covered segments. */
  private compacted(own: PendingMarker): void {
    if (own.compactTo > this.storage.firstIndex()) this.storage.compact(own.compactTo);
    this.wal.releaseBefore(own.marker.index + 1, this.warn);
    own.done();
  }

  segmentCount(): number {
    return this.wal.segmentCount();
  }

  /** Waits for queued WAL writes. */
  close(): Promise<void> {
    return this.wal.close();
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
