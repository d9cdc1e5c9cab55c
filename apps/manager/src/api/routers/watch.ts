/**
 * The live stream: one subscription per client carrying every committed
 * change, tagged with the store version so a reconnecting client resumes
 * exactly where it stopped (tRPC sends the last tracked id back as
 * `lastEventId`). A client whose cursor was compacted away, or who falls too
 * far behind, gets a fresh snapshot instead.
 */
import { tracked } from '@trpc/server';
import { type CommitEvent, type StoreChange, type StoreSnapshot, type WatchMessage, WatchInput } from '@swarm/shared';
import type { Store } from '../../store/store.js';
import { publicProcedure, router } from '../trpc.js';
import { redactCluster } from './cluster.js';

/** Past this many undelivered commits a subscriber is reset with a snapshot rather than buffered further. */
const MAX_BACKLOG = 5_000;

const redactChange = (c: StoreChange): StoreChange => (c.table === 'clusters' ? { ...c, object: redactCluster(c.object) } : c);
const redactEvent = (e: CommitEvent): CommitEvent => (e.changes.some((c) => c.table === 'clusters') ? { ...e, changes: e.changes.map(redactChange) } : e);
const redactSnapshot = (s: StoreSnapshot): StoreSnapshot => ({ ...s, clusters: s.clusters.map(redactCluster) });

export async function* watchStore(store: Store, lastEventId: string | null | undefined, signal: AbortSignal | undefined) {
  let queue: CommitEvent[] = [];
  let overflow = false;
  let wake: (() => void) | undefined;
  const unsubscribe = store.subscribe((e) => {
    if (queue.length >= MAX_BACKLOG) overflow = true;
    else queue.push(e);
    wake?.();
  });
  const onAbort = () => wake?.();
  signal?.addEventListener('abort', onAbort);
  try {
    let last: number;
    const backlog = lastEventId != null ? store.eventsSince(Number(lastEventId)) : null;
    const fresh = () => {
      const snapshot = redactSnapshot(store.snapshot());
      last = snapshot.version;
      return tracked(String(snapshot.version), { kind: 'snapshot', snapshot } as WatchMessage);
    };
    if (backlog === null) yield fresh();
    else {
      last = Number(lastEventId);
      for (const e of backlog) {
        last = e.version;
        yield tracked(String(e.version), { kind: 'commit', event: redactEvent(e) } as WatchMessage);
      }
    }
    while (!signal?.aborted) {
      if (overflow) {
        overflow = false;
        queue = [];
        yield fresh();
        continue;
      }
      const batch = queue;
      queue = [];
      for (const e of batch) {
        if (e.version <= last!) continue;
        last = e.version;
        yield tracked(String(e.version), { kind: 'commit', event: redactEvent(e) } as WatchMessage);
      }
      if (queue.length === 0 && !overflow) await new Promise<void>((r) => (wake = r));
      wake = undefined;
    }
  } finally {
    unsubscribe();
    signal?.removeEventListener('abort', onAbort);
  }
}

export const watchRouter = router({
  stream: publicProcedure.input(WatchInput).subscription(({ ctx, input, signal }) => watchStore(ctx.store, input.lastEventId, signal)),
});
