/**
 * The leader's view of one follower.
 *
 *            +--------------------------------------------------------+
 *            |                  send snapshot                          |
 *            |                                                         v
 *   +-----------+   append accepted    +-------------+   needs snap  +----------+
 *   |   probe   | -------------------> |  replicate  | ------------> | snapshot |
 *   +-----------+ <------------------- +-------------+               +----------+
 *        ^          append rejected                                     |
 *        +---------------------- snapshot applied / failed ------------+
 *
 * probe: at most one append in flight per heartbeat interval, `next` walks back.
 * replicate: optimistic pipelining, bounded by Inflights (count of messages).
 * snapshot: no appends until the follower reports it applied the snapshot.
 */
export type ProgressState = 'probe' | 'replicate' | 'snapshot';

export class Inflights {
  private buf: number[] = [];
  constructor(readonly size: number) {}
  full(): boolean {
    return this.buf.length >= this.size;
  }
  count(): number {
    return this.buf.length;
  }
  add(last: number): void {
    if (this.full()) throw new Error('cannot add into a full inflights');
    this.buf.push(last);
  }
  /** Free all inflight messages whose last index is <= to. */
  freeLE(to: number): void {
    let i = 0;
    while (i < this.buf.length && this.buf[i]! <= to) i++;
    if (i > 0) this.buf.splice(0, i);
  }
  freeFirstOne(): void {
    this.buf.shift();
  }
  reset(): void {
    this.buf = [];
  }
}

export class Progress {
  match = 0;
  next: number;
  state: ProgressState = 'probe';
  /** In probe state: an append was sent and we wait for the reply or a heartbeat response. */
  probeSent = false;
  pendingSnapshot = 0;
  /** CheckQuorum rounds spent waiting in snapshot state. */
  snapshotRounds = 0;
  /** Heard from since the last CheckQuorum round. */
  recentActive = false;
  /** The highest commit index an append to this follower carried. */
  sentCommit = 0;
  readonly inflights: Inflights;
  constructor(next: number, maxInflight: number, readonly learner: boolean) {
    this.next = next;
    this.inflights = new Inflights(maxInflight);
  }
  private resetState(state: ProgressState): void {
    this.probeSent = false;
    this.pendingSnapshot = 0;
    this.snapshotRounds = 0;
    this.state = state;
    this.inflights.reset();
  }
  becomeProbe(): void {
    if (this.state === 'snapshot') {
      const ps = this.pendingSnapshot;
      this.resetState('probe');
      this.next = Math.max(this.match + 1, ps + 1);
    } else {
      this.resetState('probe');
      this.next = this.match + 1;
    }
  }
  becomeReplicate(): void {
    this.resetState('replicate');
    this.next = this.match + 1;
  }
  becomeSnapshot(snapIndex: number): void {
    this.resetState('snapshot');
    this.pendingSnapshot = snapIndex;
  }
  /** Follower acknowledged up to n; returns false if the ack is stale. */
  maybeUpdate(n: number): boolean {
    let updated = false;
    if (this.match < n) {
      this.match = n;
      updated = true;
      this.probeSent = false;
    }
    this.next = Math.max(this.next, n + 1);
    return updated;
  }
  /** Optimistically advance next after sending entries up to `last` in replicate state. */
  sentEntries(count: number, last: number): void {
    if (this.state === 'replicate') {
      if (count > 0) {
        this.next = last + 1;
        this.inflights.add(last);
      }
    } else if (this.state === 'probe') {
      this.probeSent = true;
    }
  }
  /**
   * A rejection of an append at `rejected`; `matchHint` is the follower's guess.
   * Returns false if the rejection is stale.
   */
  maybeDecrTo(rejected: number, matchHint: number): boolean {
    if (this.state === 'replicate') {
      if (rejected <= this.match) return false;
      this.next = this.match + 1;
      return true;
    }
    if (this.next - 1 !== rejected) return false;
    this.next = Math.max(Math.min(rejected, matchHint + 1), this.match + 1, 1);
    this.probeSent = false;
    return true;
  }
  isPaused(): boolean {
    switch (this.state) {
      case 'probe':
        return this.probeSent;
      case 'replicate':
        return this.inflights.full();
      case 'snapshot':
        return true;
    }
  }
}
