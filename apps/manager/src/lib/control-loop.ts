/**
 * The shape every manager component shares: subscribe to store commits,
 * collect dirty keys, and reconcile them in one batch after a short debounce
 * (capped, so a steady stream of commits cannot starve the loop). A component
 * can also ask to be woken at a time (restart delays).
 */
import type { CommitEvent } from '@swarm/shared';
import { type Clock, systemClock } from '@swarm/shared';
import type { Store } from '../store/store.js';

export interface LoopSpec<K> {
  name: string;
  store: Store;
  clock?: Clock;
  /** Wait this long after the last commit before reconciling. */
  debounceMs?: number;
  /** ...but never longer than this after the first pending commit. */
  maxDelayMs?: number;
  /** Extract the keys a commit makes dirty. */
  dirtyKeys(event: CommitEvent, add: (key: K) => void): void;
  /** Keys to reconcile at start (from a snapshot). */
  initialKeys(): Iterable<K>;
  /** Reconcile a batch; may return a time (clock ms) to be called again for some keys. */
  reconcile(keys: Set<K>): Promise<Array<{ key: K; at: number }> | void>;
  onError?(e: unknown): void;
}

export interface Loop {
  stop(): Promise<void>;
  /** Resolves once nothing is dirty and no reconcile is running (tests). */
  idle(): Promise<void>;
}

export function startLoop<K>(spec: LoopSpec<K>): Loop {
  const clock = spec.clock ?? systemClock;
  const debounce = spec.debounceMs ?? 5;
  const maxDelay = spec.maxDelayMs ?? 200;
  let dirty = new Set<K>(spec.initialKeys());
  const wakeups = new Map<K, { at: number; cancel: () => void }>();
  let timer: { cancel(): void } | undefined;
  let firstPending: number | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;
  let idleWaiters: Array<() => void> = [];

  const checkIdle = () => {
    if (dirty.size === 0 && !running && !timer) {
      const w = idleWaiters;
      idleWaiters = [];
      w.forEach((f) => f());
    }
  };

  const run = async (): Promise<void> => {
    timer = undefined;
    firstPending = undefined;
    if (stopped || dirty.size === 0) return checkIdle();
    const keys = dirty;
    dirty = new Set();
    try {
      const again = await spec.reconcile(keys);
      for (const { key, at } of again ?? []) wakeAt(key, at);
    } catch (e) {
      (spec.onError ?? ((err) => console.error(`[${spec.name}]`, err)))(e);
      for (const k of keys) dirty.add(k); // retry later
      schedule(250);
    }
  };

  const kick = (): void => {
    if (running || stopped) return;
    running = run().finally(() => {
      running = undefined;
      if (dirty.size > 0 && !timer) schedule(debounce);
      checkIdle();
    });
  };

  const schedule = (delay: number): void => {
    if (stopped) return;
    const now = clock.now();
    firstPending ??= now;
    const wait = Math.max(0, Math.min(delay, firstPending + maxDelay - now));
    timer?.cancel();
    timer = clock.setTimeout(() => {
      timer = undefined;
      kick();
    }, wait);
  };

  const wakeAt = (key: K, at: number): void => {
    const prev = wakeups.get(key);
    if (prev && prev.at <= at) return;
    prev?.cancel();
    const t = clock.setTimeout(() => {
      wakeups.delete(key);
      dirty.add(key);
      schedule(0);
    }, Math.max(0, at - clock.now()));
    wakeups.set(key, { at, cancel: t.cancel });
  };

  const unsubscribe = spec.store.subscribe((event) => {
    const before = dirty.size;
    spec.dirtyKeys(event, (k) => dirty.add(k));
    if (dirty.size > before && !running) schedule(debounce);
  });
  schedule(0);

  return {
    async stop() {
      stopped = true;
      unsubscribe();
      timer?.cancel();
      for (const w of wakeups.values()) w.cancel();
      await running;
    },
    idle: () => new Promise<void>((resolve) => {
      idleWaiters.push(resolve);
      checkIdle();
    }),
  };
}
