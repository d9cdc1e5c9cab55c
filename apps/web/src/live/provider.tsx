'use client';
/**
 * Owns the tab's single `watch.stream` subscription and the live store it
 * feeds. Everything the dashboard shows comes from here; nothing polls.
 */
import { createContext, useContext, useEffect, useState, type ReactNode } from 'react';
import type { WatchMessage } from '@swarm/shared';
import { useTRPCClient } from '../trpc/react';
import { errorMessage } from '../trpc/errors';
import { createLiveStore, type LiveStore } from './store';

const LiveStoreContext = createContext<LiveStore | null>(null);

export function LiveStoreProvider({ children }: { children: ReactNode }) {
  const client = useTRPCClient();
  const [store] = useState(() => createLiveStore());

  useEffect(() => {
    // Resume from what we already hold (e.g. after a Strict Mode remount);
    // wsLink itself tracks the cursor across socket reconnects.
    const version = store.getState().version;
    const sub = client.watch.stream.subscribe(
      { lastEventId: version >= 0 ? String(version) : null },
      {
        onData: ({ data }) => store.apply(data as WatchMessage),
        onError: (err) => store.setConnection({ kind: 'error', error: errorMessage(err) }),
        onConnectionStateChange: (s) => {
          if (s.state === 'connecting' && s.error) store.setConnection({ kind: 'reconnecting', error: errorMessage(s.error) });
          else if (s.state === 'connecting' && store.getState().version >= 0) store.setConnection({ kind: 'reconnecting' });
          // Reconnected and resumed: replayed commits (if any) follow, but the data is current either way.
          else if (s.state === 'pending' && store.getState().version >= 0) store.setConnection({ kind: 'live' });
        },
      },
    );
    return () => sub.unsubscribe();
  }, [client, store]);

  return <LiveStoreContext.Provider value={store}>{children}</LiveStoreContext.Provider>;
}

export function useLiveStore(): LiveStore {
  const store = useContext(LiveStoreContext);
  if (!store) throw new Error('useLiveStore must be used inside <LiveStoreProvider>');
  return store;
}
