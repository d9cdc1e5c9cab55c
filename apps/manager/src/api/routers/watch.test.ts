/**
 * The live stream resumes exactly: after a disconnect, a client that sends
 * the last version it saw gets every later commit once, in order; a client
 * whose cursor was compacted away (or is ahead) gets a fresh snapshot.
 */
import { describe, expect, it } from 'vitest';
import type { WatchMessage } from '@swarm/shared';
import { ok } from '@swarm/shared';
import { makeNode } from '../../testing/fixtures.js';
import { createStore } from '../../store/store.js';
import { watchStore } from './watch.js';

type Tracked = { id: string; data: WatchMessage };

async function take(it: AsyncGenerator<unknown>, n: number): Promise<Tracked[]> {
  const out: Tracked[] = [];
  while (out.length < n) {
    const r = await it.next();
    if (r.done) break;
    const [id, data] = r.value as [string, WatchMessage]; // tRPC's tracked() envelope
    out.push({ id, data });
  }
  return out;
}

const versions = (msgs: Tracked[]) => msgs.map((m) => (m.data.kind === 'commit' ? m.data.event.version : `snap@${m.data.snapshot.version}`));

describe('watch stream', () => {
  it('starts with a snapshot, then streams each commit once, tagged with its version', async () => {
    const store = createStore();
    await store.update((tx) => tx.create('nodes', makeNode('n1')));
    const ac = new AbortController();
    const gen = watchStore(store, undefined, ac.signal);
    const first = await take(gen, 1);
    expect(versions(first)).toEqual(['snap@1']);
    expect(first[0]!.id).toBe('1');
    await store.update((tx) => tx.create('nodes', makeNode('n2')));
    await store.update((tx) => tx.create('nodes', makeNode('n3')));
    const next = await take(gen, 2);
    expect(versions(next)).toEqual([2, 3]);
    expect(next.map((m) => m.id)).toEqual(['2', '3']);
    ac.abort();
    await gen.return(undefined);
  });

  it('resumes after a cut from the last version seen: nothing lost, nothing doubled', async () => {
    const store = createStore();
    const ac1 = new AbortController();
    const gen1 = watchStore(store, undefined, ac1.signal);
    await take(gen1, 1);
    for (let i = 1; i <= 3; i++) await store.update((tx) => tx.create('nodes', makeNode(`a${i}`)));
    const seen = await take(gen1, 2); // the cut happens after version 2
    ac1.abort();
    await gen1.return(undefined);
    for (let i = 1; i <= 3; i++) await store.update((tx) => tx.create('nodes', makeNode(`b${i}`)));
    const ac2 = new AbortController();
    const gen2 = watchStore(store, seen.at(-1)!.id, ac2.signal);
    const resumed = await take(gen2, 4);
    expect(versions(resumed)).toEqual([3, 4, 5, 6]);
    await store.update((tx) => tx.create('nodes', makeNode('c1')));
    expect(versions(await take(gen2, 1))).toEqual([7]);
    ac2.abort();
    await gen2.return(undefined);
  });

  it('sends a snapshot when the cursor was compacted away or is ahead of the store', async () => {
    const store = createStore({ retainEvents: 2 });
    for (let i = 1; i <= 10; i++) await store.update((tx) => tx.create('nodes', makeNode(`n${i}`)));
    for (const cursor of ['1', '99']) {
      const ac = new AbortController();
      const gen = watchStore(store, cursor, ac.signal);
      expect(versions(await take(gen, 1))).toEqual(['snap@10']);
      ac.abort();
      await gen.return(undefined);
    }
  });

  it('never sends the CA key or credentials', async () => {
    const store = createStore();
    await store.update((tx) => {
      tx.create('clusters', {
        id: 'c',
        spec: { annotations: { name: 'default', labels: {} }, orchestration: { taskHistoryRetentionLimit: 5 }, dispatcher: { heartbeatPeriodMs: 5000 }, caConfig: { nodeCertExpiryMs: 1 }, raft: { snapshotInterval: 1, logEntriesForSlowFollowers: 1, heartbeatTick: 1, electionTick: 10 } },
        rootCa: { caCert: 'CERT', caKey: 'SECRET-KEY', caCertHash: 'h', joinTokens: { worker: 'w', manager: 'm' } },
        auth: { sessionKey: 'SECRET-SESSION', users: [], apiTokens: [] },
      });
      return ok(undefined);
    });
    const ac = new AbortController();
    const gen = watchStore(store, '0', ac.signal);
    const text = JSON.stringify(await take(gen, 1));
    expect(text).toContain('CERT');
    expect(text).not.toMatch(/SECRET/);
    ac.abort();
    await gen.return(undefined);
  });
});
