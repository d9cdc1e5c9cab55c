'use client';
/**
 * Owns the tab's single `watch.stream` subscription and the live store it
 * feeds. Everything the dashboard shows comes from here; nothing polls.
 */
import { createContext, useContext, useEffect, useState, type ReactNode } from 'react';
import { socketFailover } from '../trpc/client';
import { useTRPCClient } from '../trpc/react';
import { createLiveStore, type LiveStore } from './store';
import { connectLiveStore } from './stream';

const LiveStoreContext = createContext<LiveStore | null>(null);

export function LiveStoreProvider({ children }: { children: ReactNode }) {
  const client = useTRPCClient();
  const [store] = useState(() => createLiveStore());

  useEffect(() => connectLiveStore(client, store), [client, store]);
  // The managers' dashboard origins follow the live node list (where the socket fails over to).
  useEffect(() => {
    let last: unknown;
    const feed = () => {
      const nodes = store.getState().nodes;
      if (nodes === last) return;
      last = nodes;
      socketFailover().setManagers(nodes.values());
    };
    feed();
    return store.subscribe(feed);
  }, [store]);

  return <LiveStoreContext.Provider value={store}>{children}</LiveStoreContext.Provider>;
}

export function useLiveStore(): LiveStore {
  const store = useContext(LiveStoreContext);
  if (!store) throw new Error('useLiveStore must be used inside <LiveStoreProvider>');
  return store;
}
