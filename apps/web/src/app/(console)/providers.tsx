'use client';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { useState, type ReactNode } from 'react';
import { LiveStoreProvider } from '@/live/provider';
import { createApiClient } from '@/trpc/client';
import { TRPCProvider } from '@/trpc/react';

/**
 * Client-side roots: React Query (mutations and the odd one-shot query), the
 * tRPC client, and the live store. All are created once per tab, lazily, so
 * the static pre-render opens no sockets.
 */
export function Providers({ children }: { children: ReactNode }) {
  const [queryClient] = useState(
    () =>
      new QueryClient({
        defaultOptions: {
          // Live data comes from the stream; queries here are one-shot facts
          // (e.g. the version string), so never refetch them behind its back.
          queries: { staleTime: Infinity, refetchOnWindowFocus: false, retry: 1 },
          mutations: { retry: false },
        },
      }),
  );
  const [trpcClient] = useState(() => createApiClient());
  return (
    <QueryClientProvider client={queryClient}>
      <TRPCProvider trpcClient={trpcClient} queryClient={queryClient}>
        <LiveStoreProvider>{children}</LiveStoreProvider>
      </TRPCProvider>
    </QueryClientProvider>
  );
}
