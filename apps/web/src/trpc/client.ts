/**
 * The one tRPC client per tab. Queries and mutations go over HTTP
 * (`httpBatchLink` → `/trpc`); subscriptions go over one WebSocket at the
 * same path, on the same origin the dashboard is served from.
 *
 * The socket is lazy: nothing connects during the static pre-render, or until
 * the first subscription starts. tRPC's default exponential backoff retries a
 * dropped socket, and `wsLink` re-sends the last tracked event id on
 * reconnect, so the live store resumes where it left off.
 */
import { createTRPCClient, createWSClient, httpBatchLink, splitLink, wsLink, type TRPCClient } from '@trpc/client';
import type { AppRouter } from './app-router';

export type ApiClient = TRPCClient<AppRouter>;

function wsUrl(): string {
  return (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/trpc';
}

export function createApiClient(): ApiClient {
  const wsClient = createWSClient({
    url: wsUrl,
    // Lazy: no socket during the static pre-render; linger briefly so a resubscribe reuses it.
    lazy: { enabled: true, closeMs: 10_000 },
    keepAlive: { enabled: true, intervalMs: 10_000, pongTimeoutMs: 5_000 },
  });
  return createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (op) => op.type === 'subscription',
        true: wsLink({ client: wsClient }),
        false: httpBatchLink({ url: '/trpc' }),
      }),
    ],
  });
}
