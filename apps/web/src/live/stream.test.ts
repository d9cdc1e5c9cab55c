import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { WatchMessage } from '@swarm/shared';
import type { ApiClient } from '../trpc/client';
import { createLiveStore } from './store';
import { connectLiveStore } from './stream';

type Callbacks = {
  onData: (v: { id: string; data: WatchMessage }) => void;
  onError: (e: Error) => void;
  onComplete: () => void;
  onConnectionStateChange: (s: { type: 'state'; state: string; error: Error | null }) => void;
};

/** A client whose `watch.stream.subscribe` records each call. */
function fakeClient() {
  const calls: { input: { lastEventId: string | null }; cb: Callbacks; unsubscribed: boolean }[] = [];
  const client = {
    watch: {
      stream: {
        subscribe(input: { lastEventId: string | null }, cb: Callbacks) {
          const call = { input, cb, unsubscribed: false };
          calls.push(call);
          return { unsubscribe: () => void (call.unsubscribed = true) };
        },
      },
    },
  } as unknown as ApiClient;
  return { client, calls };
}

const snapshot = (version: number): WatchMessage => ({ kind: 'snapshot', snapshot: { version, nodes: [], services: [], tasks: [], clusters: [] } });

describe('connectLiveStore', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('subscribes once from scratch and feeds the store', () => {
    const { client, calls } = fakeClient();
    const store = createLiveStore({ schedule: (f) => f() });
    connectLiveStore(client, store);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.input).toEqual({ lastEventId: null });
    calls[0]?.cb.onData({ id: '4', data: snapshot(4) });
    expect(store.getState().version).toBe(4);
    expect(store.getState().connection.kind).toBe('live');
  });

  it('shows reconnecting while the socket retries, live again once it is back', () => {
    const { client, calls } = fakeClient();
    const store = createLiveStore({ schedule: (f) => f() });
    connectLiveStore(client, store);
    calls[0]?.cb.onData({ id: '4', data: snapshot(4) });
    calls[0]?.cb.onConnectionStateChange({ type: 'state', state: 'connecting', error: new Error('closed') });
    expect(store.getState().connection).toEqual({ kind: 'reconnecting', error: 'closed' });
    calls[0]?.cb.onConnectionStateChange({ type: 'state', state: 'pending', error: null });
    expect(store.getState().connection.kind).toBe('live');
    expect(calls).toHaveLength(1); // wsLink resumed the same subscription
  });

  it('resubscribes from its version after the server ends the stream, with backoff', () => {
    const { client, calls } = fakeClient();
    const store = createLiveStore({ schedule: (f) => f() });
    connectLiveStore(client, store);
    calls[0]?.cb.onData({ id: '9', data: snapshot(9) });
    calls[0]?.cb.onError(new Error('not the leader'));
    expect(store.getState().connection).toEqual({ kind: 'error', error: 'not the leader' });
    vi.advanceTimersByTime(999);
    expect(calls).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(calls).toHaveLength(2);
    expect(calls[0]?.unsubscribed).toBe(true);
    expect(calls[1]?.input).toEqual({ lastEventId: '9' });
    // Late callbacks from the replaced subscription are ignored.
    calls[0]?.cb.onData({ id: '3', data: snapshot(3) });
    expect(store.getState().version).toBe(9);
    // A second failure waits longer.
    calls[1]?.cb.onComplete();
    vi.advanceTimersByTime(1999);
    expect(calls).toHaveLength(2);
    vi.advanceTimersByTime(1);
    expect(calls).toHaveLength(3);
  });

  it('starts over from a snapshot when the server is behind its version', () => {
    const { client, calls } = fakeClient();
    const store = createLiveStore({ schedule: (f) => f() });
    connectLiveStore(client, store);
    calls[0]?.cb.onData({ id: '50', data: snapshot(50) });
    // e.g. the manager came back from an older state: its commits are "in our past".
    calls[0]?.cb.onData({ id: '12', data: { kind: 'commit', event: { version: 12, changes: [] } } });
    expect(calls).toHaveLength(2);
    expect(calls[1]?.input).toEqual({ lastEventId: null });
    calls[1]?.cb.onData({ id: '12', data: snapshot(12) });
    expect(store.getState().version).toBe(12);
  });

  it('disconnect unsubscribes and cancels a pending retry', () => {
    const { client, calls } = fakeClient();
    const store = createLiveStore({ schedule: (f) => f() });
    const disconnect = connectLiveStore(client, store);
    calls[0]?.cb.onError(new Error('boom'));
    disconnect();
    vi.advanceTimersByTime(60_000);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.unsubscribed).toBe(true);
  });
});
