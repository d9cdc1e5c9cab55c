/**
 * Read-only view of stable storage that the core consumes.
 *
 * The core never writes to Storage: the driver persists what a Ready hands it
 * and then appends to / applies into its Storage before calling advance().
 * Entries at indexes <= the snapshot index are "compacted".
 */
import type { ConfState, Entry, HardState, Snapshot } from './types.js';

export class StorageError extends Error {
  constructor(readonly code: 'compacted' | 'unavailable' | 'snapOutOfDate', message: string) {
    super(message);
    this.name = 'StorageError';
  }
}
export const errCompacted = (): StorageError => new StorageError('compacted', 'requested index is unavailable due to compaction');
export const errUnavailable = (): StorageError => new StorageError('unavailable', 'requested entry at index is unavailable');

export interface Storage {
  initialState(): { hardState: HardState; conf: ConfState };
  /** Entries in [lo, hi), total size capped by maxBytes (at least one entry is returned). */
  entries(lo: number, hi: number, maxBytes: number): Entry[];
  /** Term of entry i; valid for firstIndex()-1 .. lastIndex(). */
  term(i: number): number;
  firstIndex(): number;
  lastIndex(): number;
  snapshot(): Snapshot;
}

const emptySnap: Snapshot = { meta: { index: 0, term: 0, conf: { voters: [], learners: [] } }, data: new Uint8Array() };

/** In-memory Storage; reference implementation and the cache the durable driver keeps. */
export class MemoryStorage implements Storage {
  hardState: HardState = { term: 0, vote: '', commit: 0 };
  private snap: Snapshot = emptySnap;
  /** ents[0] is a dummy entry carrying the snapshot's index/term. */
  private ents: Entry[] = [{ term: 0, index: 0, type: 'normal', data: new Uint8Array() }];

  static withConf(conf: ConfState): MemoryStorage {
    const s = new MemoryStorage();
    s.snap = { meta: { index: 0, term: 0, conf }, data: new Uint8Array() };
    return s;
  }

  initialState(): { hardState: HardState; conf: ConfState } {
    return { hardState: this.hardState, conf: this.snap.meta.conf };
  }
  setHardState(h: HardState): void {
    this.hardState = h;
  }
  private offset(): number {
    return this.ents[0]!.index;
  }
  firstIndex(): number {
    return this.offset() + 1;
  }
  lastIndex(): number {
    return this.offset() + this.ents.length - 1;
  }
  term(i: number): number {
    const off = this.offset();
    if (i < off) throw errCompacted();
    if (i - off >= this.ents.length) throw errUnavailable();
    return this.ents[i - off]!.term;
  }
  entries(lo: number, hi: number, maxBytes: number): Entry[] {
    const off = this.offset();
    if (lo <= off) throw errCompacted();
    if (hi > this.lastIndex() + 1) throw errUnavailable();
    return limitSize(this.ents.slice(lo - off, hi - off), maxBytes);
  }
  snapshot(): Snapshot {
    return this.snap;
  }
  /** Replace everything with the snapshot (the driver calls this after persisting it). */
  applySnapshot(snap: Snapshot): void {
    if (snap.meta.index <= this.snap.meta.index) throw new StorageError('snapOutOfDate', 'requested index is older than the existing snapshot');
    this.snap = snap;
    this.ents = [{ term: snap.meta.term, index: snap.meta.index, type: 'normal', data: new Uint8Array() }];
  }
  /** Record an application snapshot at index i (<= applied) and optionally compact. */
  createSnapshot(i: number, conf: ConfState, data: Uint8Array): Snapshot {
    if (i <= this.snap.meta.index) throw new StorageError('snapOutOfDate', 'requested index is older than the existing snapshot');
    if (i > this.lastIndex()) throw new Error(`snapshot ${i} is out of bound lastindex(${this.lastIndex()})`);
    this.snap = { meta: { index: i, term: this.term(i), conf }, data };
    return this.snap;
  }
  /** Discard entries before compactIndex (which becomes the dummy). */
  compact(compactIndex: number): void {
    const off = this.offset();
    if (compactIndex <= off) return;
    if (compactIndex > this.lastIndex()) throw new Error(`compact ${compactIndex} is out of bound lastindex(${this.lastIndex()})`);
    const i = compactIndex - off;
    const head = this.ents[i]!;
    this.ents = [{ term: head.term, index: head.index, type: 'normal', data: new Uint8Array() }, ...this.ents.slice(i + 1)];
  }
  /** Append entries, truncating any conflicting suffix. */
  append(entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    const first = this.firstIndex();
    let ents = entries;
    if (ents[ents.length - 1]!.index < first) return;
    if (ents[0]!.index < first) ents = ents.slice(first - ents[0]!.index);
    const off = ents[0]!.index - this.offset();
    if (off > this.ents.length) throw new Error(`missing log entry [last: ${this.lastIndex()}, append at: ${ents[0]!.index}]`);
    this.ents.length = off;
    for (const e of ents) this.ents.push(e);
  }
}

export function limitSize(ents: Entry[], maxBytes: number): Entry[] {
  if (ents.length === 0) return ents;
  let size = ents[0]!.data.length + 24;
  let n = 1;
  for (; n < ents.length; n++) {
    size += ents[n]!.data.length + 24;
    if (size > maxBytes) break;
  }
  return n === ents.length ? ents : ents.slice(0, n);
}
