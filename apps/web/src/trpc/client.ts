/**
 * The one tRPC client per tab. Queries and mutations go over HTTP
 * (`httpBatchLink` → `/trpc`); subscriptions go over one WebSocket at the
 * same path, on the same origin the dashboard is served from.
 *
 * The socket is lazy: nothing connects during the static pre-render, or until
 * the first subscription starts. tRPC's default exponential backoff retries a
 * dropped socket, and `wsLink` re-sends the last tracked event id on
 * reconnect, so the live store resumes where it left off. When the manager
 * that served the page dies, the socket moves to another manager (failover.ts),
 * and from then on queries and mutations travel over that socket too: the
 * page's own origin no longer answers, and the socket is already signed in.
 */
import { createTRPCClient, createWSClient, httpBatchLink, splitLink, wsLink, type TRPCClient } from '@trpc/client';
import type { AppRouter } from './app-router';
import { type Failover, createFailover } from './failover';

export type ApiClient = TRPCClient<AppRouter>;

let failover: Failover | undefined;
/** The socket's failover state for this tab (managers are fed in from the live store). */
export function socketFailover(): Failover {
  failover ??= createFailover(location.origin);
  return failover;
}

export function createApiClient(): ApiClient {
  const wsClient = createWSClient({
    url: () => socketFailover().url(),
    onOpen: () => socketFailover().opened(),
    // Retry fast: a dead manager is left after FAILOVER_AFTER attempts (about 0.3 s).
    retryDelayMs: (attempt) => Math.min(2_000, 100 * 2 ** attempt),
    // Lazy: no socket during the static pre-render; linger briefly so a resubscribe reuses it.
    lazy: { enabled: true, closeMs: 10_000 },
    keepAlive: { enabled: true, intervalMs: 10_000, pongTimeoutMs: 5_000 },
  });
  return createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (op) => op.type === 'subscription' || socketFailover().current() !== location.origin,
        true: wsLink({ client: wsClient }),
        false: httpBatchLink({ url: '/trpc' }),
      }),
    ],
  });
}
