'use client';
/**
 * Owns the tab's single `watch.stream` subscription and the live store it
 * feeds. Everything the dashboard shows comes from here; nothing polls.
 */
import { createContext, useContext, useEffect, useState, type ReactNode } from 'react';
import { useTRPCClient } from '../trpc/react';
import { createLiveStore, type LiveStore } from './store';
import { connectLiveStore } from './stream';

const LiveStoreContext = createContext<LiveStore | null>(null);

export function LiveStoreProvider({ children }: { children: ReactNode }) {
  const client = useTRPCClient();
  const [store] = useState(() => createLiveStore());

  useEffect(() => connectLiveStore(client, store), [client, store]);

  return <LiveStoreContext.Provider value={store}>{children}</LiveStoreContext.Provider>;
}

export function useLiveStore(): LiveStore {
  const store = useContext(LiveStoreContext);
  if (!store) throw new Error('useLiveStore must be used inside <LiveStoreProvider>');
  return store;
}
