/**
 * The tab's live stream over a real WebSocket: the manager's own HTTP/WS
 * server (in process, on loopback) and the dashboard's own tRPC client, link
 * and live store. The socket is cut twice while commits stream; after each
 * cut the tab must resume from the version it holds: every commit arrives
 * exactly once, in order, and no fresh snapshot is needed.
 */
import { createTRPCClient, createWSClient, wsLink } from '@trpc/client';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { WatchMessage } from '@swarm/shared';
import { ensureCluster } from '../../../manager/src/bootstrap';
import { startApiServer, type ApiServer } from '../../../manager/src/server/http';
import { createStore } from '../../../manager/src/store/store';
import { makeNode } from '../../../manager/src/testing/fixtures';
import type { AppRouter } from '../trpc/app-router';
import { createLiveStore } from './store';
import { connectLiveStore } from './stream';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(cond: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await sleep(5);
  }
}

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

describe('live stream over a real WebSocket', () => {
  it('a socket cut mid-stream loses nothing and repeats nothing: the tab resumes from its version', async () => {
    const store = createStore();
    const c = await ensureCluster(store);
    if (!c.ok) throw new Error(c.error);
    // A one-manager context, as the manager's own HTTP tests build it.
    const context = ((caller: unknown) => ({ caller, store, self: { nodeId: 'n1', version: 'test' }, config: { minCertExpiryMs: 3_600_000 } })) as never;
    const server: ApiServer = await startApiServer({ listen: { kind: 'tcp', host: '127.0.0.1', port: 0 }, context });
    cleanup.push(() => server.close());

    const sockets: WebSocket[] = [];
    class CuttableWebSocket extends WebSocket {
      constructor(url: string, protocols?: string | string[]) {
        super(url, protocols);
        sockets.push(this);
      }
    }
    const wsClient = createWSClient({ url: `ws://${server.address}/trpc`, WebSocket: CuttableWebSocket as never, retryDelayMs: () => 20 });
    cleanup.push(() => wsClient.close());
    const client = createTRPCClient<AppRouter>({ links: [wsLink({ client: wsClient })] });

    const live = createLiveStore();
    const commits: number[] = [];
    let snapshots = 0;
    const apply = live.apply.bind(live);
    live.apply = (m: WatchMessage) => {
      if (m.kind === 'commit') commits.push(m.event.version);
      else snapshots++;
      return apply(m);
    };
    const disconnect = connectLiveStore(client as never, live);
    cleanup.push(disconnect);
    await until(() => live.getState().version >= 0, 'first snapshot');
    const from = live.getState().version;

    const N = 400;
    const writer = (async () => {
      for (let i = 0; i < N; i++) {
        await store.update((tx) => tx.create('nodes', makeNode(`ws-${i}`)));
        if (i % 8 === 0) await sleep(2);
      }
    })();
    await until(() => commits.length >= 60, 'commits before the first cut');
    sockets.at(-1)!.terminate();
    await until(() => sockets.length >= 2 && commits.length >= 200, 'commits after the first cut');
    sockets.at(-1)!.terminate();
    await writer;
    await until(() => live.getState().version === store.version(), 'caught up after the cuts');

    expect(sockets.length).toBeGreaterThanOrEqual(3); // two cuts, two reconnects
    expect(snapshots).toBe(1); // resumed both times, never resynced
    expect(commits).toEqual(Array.from({ length: store.version() - from }, (_, i) => from + 1 + i)); // each once, in order
    expect([...live.getState().nodes.keys()].filter((id) => id.startsWith('ws-'))).toHaveLength(N);
  });
});
