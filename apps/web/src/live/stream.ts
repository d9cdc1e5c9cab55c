/**
 * Connects a live store to the API's `watch.stream`: the tab's one
 * subscription. Returns a function that disconnects it.
 *
 * Socket drops are retried by wsLink itself, which re-sends the last tracked
 * event id, so the server replays what was missed (or sends a snapshot). A
 * subscription the server ends or rejects is not retried by tRPC, so this
 * starts a new one, resuming from the store's version, with capped backoff.
 * If the server turns out to be behind the store's version, it resyncs from
 * a fresh snapshot.
 */
import type { WatchMessage } from '@swarm/shared';
import type { ApiClient } from '../trpc/client';
import { errorMessage } from '../trpc/errors';
import type { LiveStore } from './store';

export function connectLiveStore(client: ApiClient, store: LiveStore): () => void {
  let sub: { unsubscribe(): void } | undefined;
  let retry: ReturnType<typeof setTimeout> | undefined;
  let attempt = 0;
  let closed = false;
  /** Callbacks of a replaced subscription are ignored. */
  let generation = 0;

  const resubscribe = () => {
    if (closed || retry) return;
    const delay = Math.min(1000 * 2 ** attempt++, 10_000);
    retry = setTimeout(() => {
      retry = undefined;
      start();
    }, delay);
  };

  const start = (fromScratch = false) => {
    const gen = ++generation;
    const current = () => gen === generation && !closed;
    sub?.unsubscribe();
    const version = store.getState().version;
    sub = client.watch.stream.subscribe(
      { lastEventId: !fromScratch && version >= 0 ? String(version) : null },
      {
        onData: ({ data }) => {
          if (!current()) return;
          attempt = 0;
          // A commit at or below our version means the server is behind us
          // (state restored from an older point, or another cluster): our
          // cursor is meaningless there, so start over from a snapshot.
          if (!store.apply(data as WatchMessage)) start(true);
        },
        onError: (err) => {
          if (!current()) return;
          store.setConnection({ kind: 'error', error: errorMessage(err) });
          resubscribe();
        },
        onComplete: () => {
          if (!current()) return;
          store.setConnection({ kind: 'reconnecting' });
          resubscribe();
        },
        onConnectionStateChange: (s) => {
          if (!current()) return;
          const synced = store.getState().version >= 0;
          if (s.state === 'connecting' && s.error) store.setConnection({ kind: 'reconnecting', error: errorMessage(s.error) });
          else if (s.state === 'connecting' && synced) store.setConnection({ kind: 'reconnecting' });
          // Reconnected and resumed: replayed commits (if any) follow, but the data is current either way.
          else if (s.state === 'pending' && synced) store.setConnection({ kind: 'live' });
        },
      },
    );
  };

  start();
  return () => {
    closed = true;
    if (retry) clearTimeout(retry);
    sub?.unsubscribe();
  };
}
