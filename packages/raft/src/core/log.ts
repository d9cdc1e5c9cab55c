/**
 * RaftLog = stable Storage + Unstable tail, plus the commit and applied indexes.
 * Invariant: applied <= committed <= lastIndex().
 */
import { limitSize, StorageError, type Storage } from './storage.js';
import type { Entry, Snapshot } from './types.js';
import { Unstable } from './unstable.js';

export class RaftLog {
  readonly unstable: Unstable;
  committed: number;
  applied: number;
  /** Highest index handed out in a Ready for application but not yet advanced. */
  applying: number;

  constructor(
    readonly storage: Storage,
    readonly maxApplyBytes = 64 * 1024 * 1024,
  ) {
    const first = storage.firstIndex();
    const last = storage.lastIndex();
    this.unstable = new Unstable(last + 1);
    this.committed = first - 1;
    this.applied = first - 1;
    this.applying = first - 1;
  }

  firstIndex(): number {
    return this.unstable.maybeFirstIndex() ?? this.storage.firstIndex();
  }
  lastIndex(): number {
    return this.unstable.maybeLastIndex() ?? this.storage.lastIndex();
  }
  lastTerm(): number {
    return this.termOr0(this.lastIndex());
  }
  /** Term at i, or undefined when compacted/unavailable. */
  term(i: number): number | undefined {
    const dummy = this.firstIndex() - 1;
    if (i < dummy || i > this.lastIndex()) return undefined;
    const t = this.unstable.maybeTerm(i);
    if (t !== undefined) return t;
    try {
      return this.storage.term(i);
    } catch (e) {
      if (e instanceof StorageError) return undefined;
      throw e;
    }
  }
  termOr0(i: number): number {
    return this.term(i) ?? 0;
  }
  matchTerm(i: number, t: number): boolean {
    return this.term(i) === t;
  }
  isUpToDate(lasti: number, term: number): boolean {
    return term > this.lastTerm() || (term === this.lastTerm() && lasti >= this.lastIndex());
  }

  /**
   * Follower append: returns the new last index, or undefined if (index, logTerm) does not match.
   */
  maybeAppend(index: number, logTerm: number, committed: number, ents: readonly Entry[]): number | undefined {
    if (!this.matchTerm(index, logTerm)) return undefined;
    const lastNew = index + ents.length;
    const ci = this.findConflict(ents);
    if (ci !== 0) {
      if (ci <= this.committed) throw new Error(`entry ${ci} conflicts with committed entry [committed(${this.committed})]`);
      this.append(ents.slice(ci - (index + 1)));
    }
    this.commitTo(Math.min(committed, lastNew));
    return lastNew;
  }
  append(ents: readonly Entry[]): number {
    if (ents.length === 0) return this.lastIndex();
    const after = ents[0]!.index - 1;
    if (after < this.committed) throw new Error(`after(${after}) is out of range [committed(${this.committed})]`);
    this.unstable.truncateAndAppend(ents);
    return this.lastIndex();
  }
  /** First index whose term differs from ours (or that we lack); 0 if all match. */
  findConflict(ents: readonly Entry[]): number {
    for (const e of ents) if (!this.matchTerm(e.index, e.term)) return e.index;
    return 0;
  }
  /**
   * Fast backup: the largest index <= index whose term is <= term.
   */
  findConflictByTerm(index: number, term: number): number {
    let i = Math.min(index, this.lastIndex());
    for (; i > 0; i--) {
      const t = this.term(i);
      if (t === undefined || t <= term) break;
    }
    return i;
  }
  commitTo(toCommit: number): void {
    if (this.committed < toCommit) {
      if (this.lastIndex() < toCommit) throw new Error(`tocommit(${toCommit}) is out of range [lastIndex(${this.lastIndex()})]`);
      this.committed = toCommit;
    }
  }
  maybeCommit(maxIndex: number, term: number): boolean {
    if (maxIndex > this.committed && this.term(maxIndex) === term) {
      this.commitTo(maxIndex);
      return true;
    }
    return false;
  }
  appliedTo(i: number): void {
    if (i === 0) return;
    if (this.committed < i || i < this.applied) throw new Error(`applied(${i}) is out of range [prevApplied(${this.applied}), committed(${this.committed})]`);
    this.applied = i;
    if (this.applying < i) this.applying = i;
  }
  stableTo(i: number, t: number): void {
    this.unstable.stableTo(i, t);
  }
  stableSnapTo(i: number): void {
    this.unstable.stableSnapTo(i);
  }
  /** Unstable entries not yet handed out for persistence. */
  unstableEntries(): Entry[] {
    return this.unstable.pendingEntries();
  }
  /**
   * The end of the log that is durable and agrees with stable storage (0 while
   * a snapshot is pending): a snapshot of the applied state may be taken up to here.
   */
  stableIndex(): number {
    return this.unstable.snapshot ? 0 : this.unstable.offset - 1;
  }
  hasNextEnts(): boolean {
    const off = Math.max(this.applying + 1, this.firstIndex());
    return this.committed + 1 > off;
  }
  nextEnts(): Entry[] {
    const off = Math.max(this.applying + 1, this.firstIndex());
    if (this.committed + 1 > off) return this.slice(off, this.committed + 1, this.maxApplyBytes);
    return [];
  }
  snapshot(): Snapshot {
    return this.unstable.snapshot ?? this.storage.snapshot();
  }
  restore(s: Snapshot): void {
    this.committed = s.meta.index;
    this.unstable.restore(s);
  }
  /** Entries from i to the end, capped in size (throws StorageError if compacted). */
  entriesFrom(i: number, maxBytes: number): Entry[] {
    if (i > this.lastIndex()) return [];
    return this.slice(i, this.lastIndex() + 1, maxBytes);
  }
  allEntries(): Entry[] {
    return this.entriesFrom(this.firstIndex(), Number.MAX_SAFE_INTEGER);
  }
  /** Entries in [lo, hi) (throws StorageError('compacted') when lo is compacted). */
  slice(lo: number, hi: number, maxBytes: number): Entry[] {
    if (lo === hi) return [];
    const fi = this.firstIndex();
    if (lo < fi) throw new StorageError('compacted', 'requested index is unavailable due to compaction');
    if (hi > this.lastIndex() + 1) throw new Error(`slice[${lo},${hi}) out of bound [${fi},${this.lastIndex()}]`);
    let ents: Entry[] = [];
    const uoff = this.unstable.offset;
    if (lo < uoff) {
      ents = this.storage.entries(lo, Math.min(hi, uoff), maxBytes);
      if (ents.length < Math.min(hi, uoff) - lo) return ents; // hit size limit
    }
    if (hi > uoff) {
      const u = this.unstable.slice(Math.max(lo, uoff), hi);
      ents = ents.length > 0 ? ents.concat(u) : u;
    }
    return limitSize(ents, maxBytes);
  }
}
