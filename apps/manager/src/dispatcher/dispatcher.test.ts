/** The dispatcher over gRPC: sessions, node identity, heartbeats and node expiry. */
import * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { type Node, err, ok, seededRng } from '@swarm/shared';
import type { Store } from '../store/store.js';
import { createDispatcher } from './dispatcher.js';
import { loadDispatcherService } from './proto.js';
import { type Client, as, clientCtor, collect, description, dispatcherHarness, unary, waitForCommit } from './testing/harness.js';

describe('dispatcher over gRPC: sessions and heartbeats', { timeout: 15_000 }, () => {
  const h = dispatcherHarness();
  const { openSession, openAssignments, heartbeat } = h;

  it('a new session for a node ends the old one, and a fourth within 8 s is refused', async () => {
    const first = await openSession('w1');
    const second = await openSession('w1');
    expect(second.sessionId).not.toBe(first.sessionId);
    expect(await first.done()).toBeUndefined(); // the old stream ended cleanly
    expect(await heartbeat(first.sessionId)).toMatchObject({ err: { code: grpc.status.INVALID_ARGUMENT } });
    await openSession('w1');
    const stream = h.client.Session({ node_id: 'w1', description_json: JSON.stringify(description('host-w1')), session_id: '' }, as('w1'));
    const err = await collect(stream).done();
    expect(err).toMatchObject({ code: grpc.status.UNAVAILABLE, details: 'node w1 exceeded rate limit count of registrations' });
    h.clock.advance(8_001);
    const again = await openSession('w1');
    expect(again.sessionId).toMatch(/^[0-9a-z]{25}$/);
  });

  it('a node write whose commit fails once is retried; failing twice fails the session', async () => {
    let proposals = 0;
    let failures = 1;
    h.store.setProposer({
      propose: async () => {
        proposals++;
        if (failures > 0) {
          failures--;
          throw new Error('write not committed within 5000 ms');
        }
      },
    });
    const [a, b] = await Promise.all([openSession('w1'), openSession('w2')]);
    expect(JSON.parse(a.first.node_json).status.state).toBe('READY');
    expect(JSON.parse(b.first.node_json).status.state).toBe('READY');
    expect(proposals).toBeGreaterThanOrEqual(2); // the failed batch, then the retry (batching itself: node-writes.test.ts)
    expect(failures).toBe(0);
    failures = 2;
    // A changed description needs a write (an unchanged one does not: see the reconnect test below).
    const stream = h.client.Session({ node_id: 'w2', description_json: JSON.stringify(description('host-w2-renamed')), session_id: '' }, as('w2'));
    const e = await collect(stream).done();
    expect(e?.code).toBe(grpc.status.NOT_FOUND);
    expect(e?.details).toMatch(/^node write failed: .*not committed/);
  });

  it('Session for an unknown node fails with NOT_FOUND', async () => {
    const stream = h.client.Session({ node_id: 'nobody', description_json: JSON.stringify(description('x')), session_id: '' }, as('nobody'));
    const err = await collect(stream).done();
    expect(err?.code).toBe(grpc.status.NOT_FOUND);
    expect(err?.details).toBe('node not found');
  });

  it('Session with an invalid description fails with INVALID_ARGUMENT naming the field', async () => {
    const stream = h.client.Session({ node_id: 'w1', description_json: JSON.stringify({ hostname: 'h' }), session_id: '' }, as('w1'));
    const err = await collect(stream).done();
    expect(err?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(err?.details).toMatch(/invalid node description: .*platform/);
    expect(h.store.view((tx) => tx.get('nodes', 'w1')?.status.state)).toBe('UNKNOWN');
  });

  it('Session for a known node marks it READY with its description and address, and streams node changes', async () => {
    const s = await openSession('w1');
    expect(s.sessionId).toMatch(/^[0-9a-z]{25}$/);
    expect(s.first.managers).toEqual([{ node_id: 'mgr', addr: '127.0.0.1:1', weight: 10 }]);
    const node = JSON.parse(s.first.node_json) as Node;
    expect(node.status).toEqual({ state: 'READY', message: '', addr: '127.0.0.1' });
    expect(node.description?.hostname).toBe('host-w1');
    const stored = h.store.view((tx) => tx.get('nodes', 'w1'));
    expect(stored?.status.state).toBe('READY');
    expect(stored?.description).toEqual(description('host-w1'));
    // A change to the node object reaches the agent.
    await h.store.update((tx) => {
      const n = tx.get('nodes', 'w1');
      return n ? tx.update('nodes', { ...n, spec: { ...n.spec, availability: 'DRAIN' } }) : ok(undefined);
    });
    const msg = await s.next();
    expect(msg.session_id).toBe(s.sessionId);
    expect((JSON.parse(msg.node_json) as Node).spec.availability).toBe('DRAIN');
  });

  it('a node change committed between the READY write of a session and its subscription still reaches the agent', async () => {
    // Commit a demotion right after the READY write, before the dispatcher can subscribe to the node
    // (a promotion or demotion racing a reconnect, as seen under load in the HA tests).
    const update = h.store.update.bind(h.store);
    let raced = false;
    h.store.update = (async (fn: Parameters<Store['update']>[0]) => {
      const r = await update(fn);
      if (!raced && h.store.view((tx) => tx.get('nodes', 'w1'))?.status.state === 'READY') {
        raced = true;
        await update((tx) => {
          const n = tx.get('nodes', 'w1')!;
          return tx.update('nodes', { ...n, role: 'MANAGER', spec: { ...n.spec, desiredRole: 'MANAGER' } });
        });
      }
      return r;
    }) as Store['update'];
    const s = await openSession('w1');
    expect(raced).toBe(true);
    const node = JSON.parse(s.first.node_json) as Node;
    expect(node.role).toBe('MANAGER');
    expect(node.status.state).toBe('READY');
  });

  it('a caller without identity is PERMISSION_DENIED; a session is only usable by its own node', async () => {
    const anon = await collect(h.client.Session({ description_json: JSON.stringify(description('x')), session_id: '' }, as(undefined))).done();
    expect(anon?.code).toBe(grpc.status.PERMISSION_DENIED);
    expect(anon?.details).toBe('no node identity');
    const s = await openSession('w1');
    const stolen = await heartbeat(s.sessionId, 'w2');
    expect(stolen.err?.code).toBe(grpc.status.PERMISSION_DENIED);
    expect(stolen.err?.details).toBe('session belongs to another node');
    expect((await openAssignments(s.sessionId, 'w2').done())?.code).toBe(grpc.status.PERMISSION_DENIED);
  });

  it('Heartbeat with a bad session is INVALID_ARGUMENT "session invalid"', async () => {
    const { err } = await heartbeat('bogus');
    expect(err?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(err?.details).toBe('session invalid');
  });

  it('heartbeats keep the node up; when they stop, the node goes DOWN "heartbeat failure" and the session ends', async () => {
    const s = await openSession('w1');
    const hb = await heartbeat(s.sessionId);
    expect(hb.err).toBeNull();
    // Period 100 ms with jitter min(500, period/10).
    expect(hb.res?.period_ms).toBeGreaterThanOrEqual(90);
    expect(hb.res?.period_ms).toBeLessThan(110);
    // Grace is 3 × period ≥ 270 ms: advancing 260 ms twice with a heartbeat between never expires it.
    h.clock.advance(260);
    expect((await heartbeat(s.sessionId)).err).toBeNull();
    h.clock.advance(260);
    expect((await heartbeat(s.sessionId)).err).toBeNull();
    expect(h.store.view((tx) => tx.get('nodes', 'w1')?.status.state)).toBe('READY');

    const down = waitForCommit(h.store, (e) => e.changes.some((c) => c.table === 'nodes' && c.object.id === 'w1' && c.object.status.state === 'DOWN'));
    h.clock.advance(1000);
    const event = await down;
    const change = event.changes.find((c) => c.table === 'nodes');
    expect(change?.object.status).toMatchObject({ state: 'DOWN', message: 'heartbeat failure' });
    expect(await s.done()).toBeUndefined(); // the session stream ended cleanly
    const { err } = await heartbeat(s.sessionId);
    expect(err?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(err?.details).toBe('session invalid');
  });

  it('a cluster change to the heartbeat rate cap applies at the next heartbeat', async () => {
    const s = await openSession('w1');
    expect((await heartbeat(s.sessionId)).res?.period_ms).toBeLessThan(110); // 100 ms: one node is far under the default cap
    await h.store.update((tx) => {
      const c = tx.list('clusters')[0]!;
      return tx.update('clusters', { ...c, spec: { ...c.spec, dispatcher: { ...c.spec.dispatcher, maxHeartbeatsPerSecond: 1 } } });
    });
    const p = (await heartbeat(s.sessionId)).res?.period_ms; // one node at 1/s: every second ± 10 %
    expect(p).toBeGreaterThanOrEqual(900);
    expect(p).toBeLessThanOrEqual(1100);
  });

  it('a heartbeat expiry racing a new session of the node does not leave the node DOWN under a live session', async () => {
    const first = await openSession('w1');
    // Commits stall (a loaded manager): the new session's READY write waits while the old session's timer runs out.
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let entered!: () => void;
    const writing = new Promise<void>((r) => (entered = r));
    h.store.setProposer({
      propose: () => {
        entered();
        return gate;
      },
    });
    const stream = h.client.Session({ node_id: 'w1', description_json: JSON.stringify(description('host-w1-renamed')), session_id: '' }, as('w1'));
    h.streams.push(stream);
    const second = collect(stream);
    await writing;
    h.clock.advance(1000); // the first session's heartbeat timer expires: markDown queues its DOWN write behind READY
    release();
    const m = await second.next();
    await h.dispatcher.flush();
    expect(await first.done()).toBeUndefined();
    expect(h.store.view((tx) => tx.get('nodes', 'w1')?.status.state)).toBe('READY');
    expect((await heartbeat(m.session_id)).err).toBeNull();
    // The node still goes DOWN if that session stops beating.
    const down = waitForCommit(h.store, (e) => e.changes.some((c) => c.table === 'nodes' && c.object.id === 'w1' && c.object.status.state === 'DOWN'));
    h.clock.advance(1000);
    await down;
  });

  it('a reconnect of a node still READY as described starts at once, without a write; a changed description is written', async () => {
    const first = await openSession('w1');
    let proposals = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    h.store.setProposer({
      propose: () => {
        proposals++;
        return gate; // commits stall (a loaded manager)
      },
    });
    const again = await openSession('w1');
    expect(again.sessionId).not.toBe(first.sessionId);
    expect(await first.done()).toBeUndefined(); // the new session replaced the old one
    expect(proposals).toBe(0);
    expect((await heartbeat(again.sessionId)).err).toBeNull();
    const renamed = h.client.Session({ node_id: 'w1', description_json: JSON.stringify(description('host-w1-renamed')), session_id: '' }, as('w1'));
    h.streams.push(renamed);
    collect(renamed);
    for (let i = 0; i < 200 && proposals === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(proposals).toBe(1);
    release();
  });

  it('nodes expected back after a restart go DOWN if they never reconnect (2× grace); others are left alone', async () => {
    h.dispatcher.expect(['w2']);
    const down = waitForCommit(h.store, (e) => e.changes.some((c) => c.table === 'nodes' && c.object.id === 'w2' && c.object.status.state === 'DOWN'));
    h.clock.advance(500); // < 2 × 3 × 90 ms: not yet
    expect(h.store.view((tx) => tx.get('nodes', 'w2')?.status.state)).toBe('UNKNOWN');
    h.clock.advance(1000);
    expect((await down).changes.find((c) => c.table === 'nodes')?.object.status.message).toBe('heartbeat failure');
    expect(h.store.view((tx) => tx.get('nodes', 'w1')?.status.state)).toBe('UNKNOWN');
  });

  it('deleting a node ends its session', async () => {
    const s = await openSession('w1');
    await h.store.update((tx) => tx.delete('nodes', 'w1'));
    expect(await s.done()).toBeUndefined();
    expect((await heartbeat(s.sessionId)).err?.details).toBe('session invalid');
  });

  it("with identity per connection, calls on a session's own connection skip identify (re-verified every 30 s); others do not", async () => {
    let calls = 0;
    const d2 = createDispatcher({
      store: h.store, clock: h.clock, rng: seededRng(2), managerId: () => 'mgr', managers: () => [], identityPerConnection: true,
      identify: (call) => {
        calls++;
        const id = call.metadata.get('x-test-node-id')[0];
        return id ? ok(String(id)) : err('no node identity');
      },
    });
    const s2 = new grpc.Server();
    s2.addService(loadDispatcherService(), d2.implementation);
    const port = await new Promise<number>((resolve, reject) => s2.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
    const Ctor = clientCtor() as unknown as new (a: string, c: grpc.ChannelCredentials, o?: object) => Client;
    const own = new Ctor(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 });
    const other = new Ctor(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 });
    try {
      const stream = own.Session({ node_id: 'w1', description_json: JSON.stringify(description('host-w1')), session_id: '' }, as('w1'));
      h.streams.push(stream);
      const sessionId = (await collect(stream).next()).session_id;
      expect(calls).toBe(1);
      for (let i = 0; i < 80; i++) {
        h.clock.advance(400); // 32 s in all, beating well within the grace
        expect((await unary<{ period_ms: number }>((cb) => own.Heartbeat({ session_id: sessionId }, as('w1'), cb))).err).toBeNull();
      }
      expect(calls).toBe(2); // one re-verification after 30 s
      expect((await unary<{ period_ms: number }>((cb) => other.Heartbeat({ session_id: sessionId }, as('w1'), cb))).err).toBeNull();
      expect(calls).toBe(3);
      const stolen = await unary<{ period_ms: number }>((cb) => other.Heartbeat({ session_id: sessionId }, as('w2'), cb));
      expect(stolen.err).toMatchObject({ code: grpc.status.PERMISSION_DENIED, details: 'session belongs to another node' });
    } finally {
      own.close();
      other.close();
      await d2.stop();
      s2.forceShutdown();
    }
  });
});
