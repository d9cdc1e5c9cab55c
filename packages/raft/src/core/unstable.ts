/**
 * The tail of the log (and possibly an incoming snapshot) that is not yet
 * persisted. `entries[i]` has index `offset + i`. Owned by RaftLog.
 *
 * Entries below `inProgress` (and the snapshot, once `snapshotInProgress`)
 * were handed to the driver in a Ready and are being persisted: they are not
 * handed out again, but stay here until the driver reports them durable.
 */
import type { Entry, Snapshot } from './types.js';

export class Unstable {
  snapshot: Snapshot | undefined = undefined;
  entries: Entry[] = [];
  /** First index not yet handed out for persistence. */
  inProgress: number;
  snapshotInProgress = false;
  constructor(public offset: number) {
    this.inProgress = offset;
  }

  /** Entries not yet handed out for persistence. */
  pendingEntries(): Entry[] {
    return this.entries.slice(this.inProgress - this.offset);
  }
  hasPending(): boolean {
    return this.offset + this.entries.length > this.inProgress || (this.snapshot !== undefined && !this.snapshotInProgress);
  }
  /** Everything here was handed out in a Ready. */
  acceptInProgress(): void {
    this.inProgress = this.offset + this.entries.length;
    if (this.snapshot) this.snapshotInProgress = true;
  }

  maybeFirstIndex(): number | undefined {
    return this.snapshot ? this.snapshot.meta.index + 1 : undefined;
  }
  maybeLastIndex(): number | undefined {
    if (this.entries.length > 0) return this.offset + this.entries.length - 1;
    return this.snapshot ? this.snapshot.meta.index : undefined;
  }
  maybeTerm(i: number): number | undefined {
    if (i < this.offset) {
      if (this.snapshot && this.snapshot.meta.index === i) return this.snapshot.meta.term;
      return undefined;
    }
    const last = this.maybeLastIndex();
    if (last === undefined || i > last) return undefined;
    return this.entries[i - this.offset]?.term;
  }
  /** Entries up to (i, t) are now durable. */
  stableTo(i: number, t: number): void {
    const gt = this.maybeTerm(i);
    if (gt === undefined || gt !== t || i < this.offset) return;
    this.entries = this.entries.slice(i + 1 - this.offset);
    this.offset = i + 1;
    this.inProgress = Math.max(this.inProgress, this.offset);
  }
  stableSnapTo(i: number): void {
    if (this.snapshot && this.snapshot.meta.index === i) {
      this.snapshot = undefined;
      this.snapshotInProgress = false;
    }
  }
  restore(s: Snapshot): void {
    this.offset = s.meta.index + 1;
    this.inProgress = this.offset;
    this.entries = [];
    this.snapshot = s;
    this.snapshotInProgress = false;
  }
  truncateAndAppend(ents: readonly Entry[]): void {
    const after = ents[0]!.index;
    // Entries from `after` on are new (or replace ones being persisted): hand them out again.
    this.inProgress = Math.min(this.inProgress, after);
    if (after === this.offset + this.entries.length) {
      for (const e of ents) this.entries.push(e);
    } else if (after <= this.offset) {
      this.offset = after;
      this.entries = ents.slice();
    } else {
      this.entries = this.entries.slice(0, after - this.offset).concat(ents);
    }
  }
  slice(lo: number, hi: number): Entry[] {
    if (lo > hi || lo < this.offset || hi > this.offset + this.entries.length) {
      throw new Error(`invalid unstable.slice ${lo}/${hi} (offset ${this.offset}, len ${this.entries.length})`);
    }
    return this.entries.slice(lo - this.offset, hi - this.offset);
  }
}
