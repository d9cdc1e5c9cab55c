/**
 * Wait registry: resolves propose() promises when their entry is applied.
 * A proposal is identified by where it landed (index, term): if the entry
 * applied at that index has another term, the proposal was lost.
 */
import type { Result } from '../core/raft.js';

export type WaitError =
  | { readonly kind: 'dropped'; readonly message: string }
  | { readonly kind: 'stopped'; readonly message: string };

interface Waiter<T> {
  readonly term: number;
  readonly resolve: (r: Result<T, WaitError>) => void;
}

export class WaitRegistry<T> {
  private waits = new Map<number, Waiter<T>[]>();

  register(index: number, term: number): Promise<Result<T, WaitError>> {
    return new Promise((resolve) => {
      const list = this.waits.get(index) ?? [];
      list.push({ term, resolve });
      this.waits.set(index, list);
    });
  }

  /** The entry (index, term) was applied with result `value`. */
  trigger(index: number, term: number, value: T): void {
    const list = this.waits.get(index);
    if (!list) return;
    this.waits.delete(index);
    for (const w of list) {
      if (w.term === term) w.resolve({ ok: true, value });
      else w.resolve({ ok: false, error: { kind: 'dropped', message: 'raft: proposal was overwritten by a new leader (not committed)' } });
    }
  }

  /** Everything up to `index` was replaced by a snapshot: outcome unknown, report dropped. */
  dropUpTo(index: number): void {
    for (const [i, list] of this.waits) {
      if (i > index) continue;
      this.waits.delete(i);
      for (const w of list) w.resolve({ ok: false, error: { kind: 'dropped', message: 'raft: proposal outcome unknown (log replaced by a snapshot)' } });
    }
  }

  cancelAll(message: string): void {
    for (const list of this.waits.values()) for (const w of list) w.resolve({ ok: false, error: { kind: 'stopped', message } });
    this.waits.clear();
  }

  size(): number {
    return this.waits.size;
  }
}
