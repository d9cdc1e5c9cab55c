/**
 * Client requests waiting on the node (node.ts): proposals, batched per turn of
 * the event loop into one append, and linearizable reads (ReadIndex), released
 * once the state machine has applied up to their read index.
 */
import type { Raft, Result } from '../core/raft.js';
import type { ReadState } from '../core/types.js';
import type { NodeError } from './api.js';
import type { WaitRegistry } from './wait.js';

const stoppedError = (): { ok: false; error: NodeError } => ({ ok: false, error: { kind: 'stopped', message: 'raft: node stopped' } });

type Resolve<T> = (r: Result<T, NodeError>) => void;

/** Proposals arriving in the same turn of the event loop go out as one append. */
export class ProposalBatcher {
  private batch: { data: Uint8Array; resolve: Resolve<unknown> }[] = [];
  /** When the last batch was appended (performance.now()). */
  lastAt = -Infinity;
  /** Milliseconds between the last two batches. */
  gap = Infinity;
  /** Batches appended so far. */
  batches = 0;

  constructor(
    private readonly raft: Raft,
    private readonly waits: WaitRegistry<unknown>,
    private readonly hooks: { stopped: () => boolean; appended: (lastIndex: number) => void },
  ) {}

  /** Proposals are arriving at least every `ms` (the next one is likely due within `ms`). */
  flowing(ms: number): boolean {
    return this.gap < ms && performance.now() - this.lastAt < ms;
  }

  add(data: Uint8Array): Promise<Result<unknown, NodeError>> {
    return new Promise((resolve) => {
      if (this.batch.length === 0) queueMicrotask(() => this.flush());
      this.batch.push({ data, resolve });
    });
  }

  private flush(): void {
    const b = this.batch;
    this.batch = [];
    if (this.hooks.stopped()) {
      for (const p of b) p.resolve(stoppedError());
      return;
    }
    const res = this.raft.proposeBatch(b.map((p) => p.data));
    if (!res.ok) {
      for (const p of b) p.resolve(res);
      return;
    }
    const now = performance.now();
    this.gap = now - this.lastAt;
    this.lastAt = now;
    this.batches++;
    res.value.forEach((pr, i) => void this.waits.register(pr.index, pr.term).then(b[i]!.resolve));
    this.hooks.appended(res.value[res.value.length - 1]?.index ?? 0);
  }
}

/** ReadIndex requests: keyed by their context until the leader confirms an index, then until it is applied. */
export class ReadTracker {
  private readonly byContext = new Map<string, Resolve<number>>();
  private readonly waiting: { index: number; resolve: Resolve<number> }[] = [];
  private seq = 0;

  constructor(private readonly id: string) {}

  /** A unique context for the next request. */
  nextContext(): Buffer {
    const ctx = Buffer.alloc(8 + this.id.length);
    ctx.writeDoubleLE(++this.seq);
    ctx.write(this.id, 8);
    return ctx;
  }

  wait(ctx: Buffer): Promise<Result<number, NodeError>> {
    return new Promise((resolve) => this.byContext.set(ctx.toString('hex'), resolve));
  }

  /** The core confirmed read indexes; release every read applied by now. */
  confirmed(states: readonly ReadState[], applied: number): void {
    for (const rs of states) {
      const key = Buffer.from(rs.context).toString('hex');
      const resolve = this.byContext.get(key);
      this.byContext.delete(key);
      if (resolve) this.waiting.push({ index: rs.index, resolve });
    }
    this.release(applied);
  }

  release(applied: number): void {
    for (let i = this.waiting.length - 1; i >= 0; i--) {
      const w = this.waiting[i]!;
      if (w.index <= applied) {
        this.waiting.splice(i, 1);
        w.resolve({ ok: true, value: w.index });
      }
    }
  }

  cancelAll(): void {
    for (const r of this.byContext.values()) r(stoppedError());
    for (const w of this.waiting) w.resolve(stoppedError());
    this.byContext.clear();
    this.waiting.length = 0;
  }
}
