import { createRequire } from 'node:module';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type CommitEvent, type Node, type Task, TaskState, err, ok, seededRng } from '@swarm/shared';
import { defaultClusterSpec } from '../bootstrap.js';
import { createStore, type Store } from '../store/store.js';
import { makeNode, makeTask, manualClock, type ManualClock } from '../testing/fixtures.js';
import { type Dispatcher, createDispatcher } from './dispatcher.js';
import { type AssignmentsMessage, type SessionMessage, loadDispatcherService } from './proto.js';

const S = TaskState;
const require = createRequire(import.meta.url);

type Client = grpc.Client & {
  Session(req: object, md: grpc.Metadata): grpc.ClientReadableStream<SessionMessage>;
  Assignments(req: object, md: grpc.Metadata): grpc.ClientReadableStream<AssignmentsMessage>;
  Heartbeat(req: object, md: grpc.Metadata, cb: (e: grpc.ServiceError | null, r?: { period_ms: number }) => void): void;
  UpdateTaskStatus(req: object, md: grpc.Metadata, cb: (e: grpc.ServiceError | null, r?: object) => void): void;
};

/** Without TLS in this test, the caller names itself in metadata (production reads the peer certificate). */
const as = (nodeId: string | undefined) => {
  const md = new grpc.Metadata();
  if (nodeId) md.set('x-test-node-id', nodeId);
  return md;
};

function clientCtor(): new (addr: string, creds: grpc.ChannelCredentials) => Client {
  const file = require.resolve('@swarm/shared/proto/dispatcher.proto');
  const def = protoLoader.loadSync(file, { keepCase: true, longs: Number, enums: String, defaults: true, oneofs: true });
  const pkg = grpc.loadPackageDefinition(def) as unknown as { swarm: { dispatcher: { v1: { Dispatcher: new (a: string, c: grpc.ChannelCredentials) => Client } } } };
  return pkg.swarm.dispatcher.v1.Dispatcher;
}

/** Collects stream messages and lets a test wait for the next one (no timers). */
function collect<T>(stream: grpc.ClientReadableStream<T>) {
  const items: T[] = [];
  let error: grpc.ServiceError | undefined;
  let ended = false;
  let waiters: Array<() => void> = [];
  const wake = () => {
    const w = waiters;
    waiters = [];
    w.forEach((f) => f());
  };
  stream.on('data', (m: T) => {
    items.push(m);
    wake();
  });
  stream.on('error', (e: grpc.ServiceError) => {
    error = e;
    wake();
  });
  stream.on('end', () => {
    ended = true;
    wake();
  });
  let read = 0;
  return {
    items,
    get error() {
      return error;
    },
    get ended() {
      return ended;
    },
    /** Resolves with the next unread message; rejects if the stream fails or ends first. */
    async next(): Promise<T> {
      while (read >= items.length) {
        if (error) throw error;
        if (ended) throw new Error('stream ended');
        await new Promise<void>((r) => waiters.push(r));
      }
      return items[read++] as T;
    },
    async done(): Promise<grpc.ServiceError | undefined> {
      while (!error && !ended) await new Promise<void>((r) => waiters.push(r));
      return error;
    },
    unread: () => items.length - read,
  };
}

const unary = <R>(f: (cb: (e: grpc.ServiceError | null, r?: R) => void) => void) =>
  new Promise<{ err: grpc.ServiceError | null; res?: R }>((resolve) => f((err, res) => resolve({ err, res })));

/** Resolves on the first commit for which `pred` holds (checked against the store after it). */
function waitForCommit(store: Store, pred: (e: CommitEvent) => boolean): Promise<CommitEvent> {
  return new Promise((resolve) => {
    const off = store.subscribe((e) => {
      if (pred(e)) {
        off();
        resolve(e);
      }
    });
  });
}

const description = (hostname: string) => ({
  hostname,
  platform: { os: 'linux', architecture: 'x86_64' },
  resources: { nanoCpus: 2e9, memoryBytes: 1e9, generic: {} },
  engine: { engineVersion: 'test', labels: { zone: 'a' }, plugins: [] },
  executor: 'sim',
});

describe('dispatcher over gRPC', { timeout: 15_000 }, () => {
  let store: Store;
  let clock: ManualClock;
  let dispatcher: Dispatcher;
  let server: grpc.Server;
  let client: Client;
  const streams: Array<grpc.ClientReadableStream<unknown>> = [];

  beforeEach(async () => {
    clock = manualClock();
    store = createStore({ clock });
    const spec = defaultClusterSpec();
    await store.update((tx) => {
      tx.create('clusters', { id: 'cluster', spec: { ...spec, dispatcher: { heartbeatPeriodMs: 100 } } });
      const bare = (id: string): Omit<Node, 'meta'> => {
        const { description: _d, meta: _m, ...rest } = makeNode(id, { state: 'UNKNOWN' });
        return rest;
      };
      tx.create('nodes', bare('w1'));
      tx.create('nodes', bare('w2'));
      return ok(undefined);
    });
    dispatcher = createDispatcher({
      store,
      clock,
      rng: seededRng(1),
      managerId: () => 'mgr',
      managers: () => [{ node_id: 'mgr', addr: '127.0.0.1:1', weight: 10 }],
      identify: (call) => {
        const id = call.metadata.get('x-test-node-id')[0];
        return id ? ok(String(id)) : err('no node identity');
      },
    });
    server = new grpc.Server();
    server.addService(loadDispatcherService(), dispatcher.implementation);
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
    );
    const Ctor = clientCtor();
    client = new Ctor(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  });

  afterEach(async () => {
    for (const s of streams.splice(0)) s.cancel();
    client.close();
    await dispatcher.stop();
    await new Promise<void>((r) => server.tryShutdown(() => r()));
    server.forceShutdown();
  });

  const openSession = async (nodeId: string) => {
    const stream = client.Session({ node_id: nodeId, description_json: JSON.stringify(description(`host-${nodeId}`)), session_id: '' }, as(nodeId));
    streams.push(stream);
    const c = collect(stream);
    const first = await c.next();
    return { ...c, sessionId: first.session_id, first };
  };
  const openAssignments = (sessionId: string, nodeId = 'w1') => {
    const stream = client.Assignments({ session_id: sessionId }, as(nodeId));
    streams.push(stream);
    return collect(stream);
  };
  const report = (sessionId: string, taskId: string, status: object | string, nodeId = 'w1') =>
    unary<object>((cb) =>
      client.UpdateTaskStatus(
        { session_id: sessionId, updates: [{ task_id: taskId, status_json: typeof status === 'string' ? status : JSON.stringify(status) }] },
        as(nodeId),
        cb,
      ),
    );
  const heartbeat = (sessionId: string, nodeId = 'w1') => unary<{ period_ms: number }>((cb) => client.Heartbeat({ session_id: sessionId }, as(nodeId), cb));

  it('a new session for a node ends the old one, and a fourth within 8 s is refused', async () => {
    const first = await openSession('w1');
    const second = await openSession('w1');
    expect(second.sessionId).not.toBe(first.sessionId);
    expect(await first.done()).toBeUndefined(); // the old stream ended cleanly
    expect(await heartbeat(first.sessionId)).toMatchObject({ err: { code: grpc.status.INVALID_ARGUMENT } });
    await openSession('w1');
    const stream = client.Session({ node_id: 'w1', description_json: JSON.stringify(description('host-w1')), session_id: '' }, as('w1'));
    const err = await collect(stream).done();
    expect(err).toMatchObject({ code: grpc.status.UNAVAILABLE, details: 'node w1 exceeded rate limit count of registrations' });
    clock.advance(8_001);
    const again = await openSession('w1');
    expect(again.sessionId).toMatch(/^[0-9a-z]{25}$/);
  });

  it('a node write whose commit fails once is retried; failing twice fails the session', async () => {
    let proposals = 0;
    let failures = 1;
    store.setProposer({
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
    const stream = client.Session({ node_id: 'w2', description_json: JSON.stringify(description('host-w2')), session_id: '' }, as('w2'));
    const e = await collect(stream).done();
    expect(e?.code).toBe(grpc.status.NOT_FOUND);
    expect(e?.details).toMatch(/^node write failed: .*not committed/);
  });

  it('Session for an unknown node fails with NOT_FOUND', async () => {
    const stream = client.Session({ node_id: 'nobody', description_json: JSON.stringify(description('x')), session_id: '' }, as('nobody'));
    const err = await collect(stream).done();
    expect(err?.code).toBe(grpc.status.NOT_FOUND);
    expect(err?.details).toBe('node not found');
  });

  it('Session with an invalid description fails with INVALID_ARGUMENT naming the field', async () => {
    const stream = client.Session({ node_id: 'w1', description_json: JSON.stringify({ hostname: 'h' }), session_id: '' }, as('w1'));
    const err = await collect(stream).done();
    expect(err?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(err?.details).toMatch(/invalid node description: .*platform/);
    expect(store.view((tx) => tx.get('nodes', 'w1')?.status.state)).toBe('UNKNOWN');
  });

  it('Session for a known node marks it READY with its description and address, and streams node changes', async () => {
    const s = await openSession('w1');
    expect(s.sessionId).toMatch(/^[0-9a-z]{25}$/);
    expect(s.first.managers).toEqual([{ node_id: 'mgr', addr: '127.0.0.1:1', weight: 10 }]);
    const node = JSON.parse(s.first.node_json) as Node;
    expect(node.status).toEqual({ state: 'READY', message: '', addr: '127.0.0.1' });
    expect(node.description?.hostname).toBe('host-w1');
    const stored = store.view((tx) => tx.get('nodes', 'w1'));
    expect(stored?.status.state).toBe('READY');
    expect(stored?.description).toEqual(description('host-w1'));
    // A change to the node object reaches the agent.
    await store.update((tx) => {
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
    const update = store.update.bind(store);
    let raced = false;
    store.update = (async (fn: Parameters<Store['update']>[0]) => {
      const r = await update(fn);
      if (!raced && store.view((tx) => tx.get('nodes', 'w1'))?.status.state === 'READY') {
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
    const anon = await collect(client.Session({ description_json: JSON.stringify(description('x')), session_id: '' }, as(undefined))).done();
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
    clock.advance(260);
    expect((await heartbeat(s.sessionId)).err).toBeNull();
    clock.advance(260);
    expect((await heartbeat(s.sessionId)).err).toBeNull();
    expect(store.view((tx) => tx.get('nodes', 'w1')?.status.state)).toBe('READY');

    const down = waitForCommit(store, (e) => e.changes.some((c) => c.table === 'nodes' && c.object.id === 'w1' && c.object.status.state === 'DOWN'));
    clock.advance(1000);
    const event = await down;
    const change = event.changes.find((c) => c.table === 'nodes');
    expect(change?.object.status).toMatchObject({ state: 'DOWN', message: 'heartbeat failure' });
    expect(await s.done()).toBeUndefined(); // the session stream ended cleanly
    const { err } = await heartbeat(s.sessionId);
    expect(err?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(err?.details).toBe('session invalid');
  });

  it('a heartbeat expiry racing a new session of the node does not leave the node DOWN under a live session', async () => {
    const first = await openSession('w1');
    // Commits stall (a loaded manager): the new session's READY write waits while the old session's timer runs out.
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let entered!: () => void;
    const writing = new Promise<void>((r) => (entered = r));
    store.setProposer({
      propose: () => {
        entered();
        return gate;
      },
    });
    const stream = client.Session({ node_id: 'w1', description_json: JSON.stringify(description('host-w1')), session_id: '' }, as('w1'));
    streams.push(stream);
    const second = collect(stream);
    await writing;
    clock.advance(1000); // the first session's heartbeat timer expires: markDown queues its DOWN write behind READY
    release();
    const m = await second.next();
    await dispatcher.flush();
    expect(await first.done()).toBeUndefined();
    expect(store.view((tx) => tx.get('nodes', 'w1')?.status.state)).toBe('READY');
    expect((await heartbeat(m.session_id)).err).toBeNull();
    // The node still goes DOWN if that session stops beating.
    const down = waitForCommit(store, (e) => e.changes.some((c) => c.table === 'nodes' && c.object.id === 'w1' && c.object.status.state === 'DOWN'));
    clock.advance(1000);
    await down;
  });

  it('nodes expected back after a restart go DOWN if they never reconnect (2× grace); others are left alone', async () => {
    dispatcher.expect(['w2']);
    const down = waitForCommit(store, (e) => e.changes.some((c) => c.table === 'nodes' && c.object.id === 'w2' && c.object.status.state === 'DOWN'));
    clock.advance(500); // < 2 × 3 × 90 ms: not yet
    expect(store.view((tx) => tx.get('nodes', 'w2')?.status.state)).toBe('UNKNOWN');
    clock.advance(1000);
    expect((await down).changes.find((c) => c.table === 'nodes')?.object.status.message).toBe('heartbeat failure');
    expect(store.view((tx) => tx.get('nodes', 'w1')?.status.state)).toBe('UNKNOWN');
  });

  it('deleting a node ends its session', async () => {
    const s = await openSession('w1');
    await store.update((tx) => tx.delete('nodes', 'w1'));
    expect(await s.done()).toBeUndefined();
    expect((await heartbeat(s.sessionId)).err?.details).toBe('session invalid');
  });

  it('Assignments: COMPLETE first, INCREMENTAL updates, no echo of agent status, REMOVE on delete', async () => {
    await store.update((tx) => {
      tx.create('tasks', makeTask({ id: 'a1', nodeId: 'w1', state: S.ASSIGNED }));
      tx.create('tasks', makeTask({ id: 'p1', nodeId: 'w1', state: S.PENDING })); // not shipped before ASSIGNED
      tx.create('tasks', makeTask({ id: 'o1', nodeId: 'w2', state: S.ASSIGNED })); // another node's
      return ok(undefined);
    });
    const s = await openSession('w1');
    const a = openAssignments(s.sessionId);
    const complete = await a.next();
    expect(complete.type).toBe('COMPLETE');
    expect(complete.applies_to).toBe(0);
    expect(complete.results_in).toBe(1);
    expect(complete.changes.map((c) => [c.action, c.task_id])).toEqual([['UPDATE', 'a1']]);
    expect((JSON.parse(complete.changes[0]?.task_json ?? '{}') as Task).id).toBe('a1');

    // The scheduler assigns another task to this node.
    await store.update((tx) => tx.create('tasks', makeTask({ id: 'a2', nodeId: 'w1', state: S.ASSIGNED })));
    const inc = await a.next();
    expect(inc).toMatchObject({ type: 'INCREMENTAL', applies_to: 1, results_in: 2 });
    expect(inc.changes.map((c) => [c.action, c.task_id])).toEqual([['UPDATE', 'a2']]);

    // The agent reports a2 RUNNING: stored, but not echoed back.
    expect((await report(s.sessionId, 'a2', { timestamp: 1, state: S.RUNNING, message: 'started' })).err).toBeNull();
    await dispatcher.flush();
    expect(store.view((tx) => tx.get('tasks', 'a2')?.status)).toMatchObject({ state: S.RUNNING, message: 'started', appliedBy: 'mgr', appliedAt: clock.now() });

    // The orchestrator stops a2: that is news for the agent.
    await store.update((tx) => {
      const t = tx.get('tasks', 'a2');
      return t ? tx.update('tasks', { ...t, desiredState: S.SHUTDOWN }) : ok(undefined);
    });
    const stop = await a.next();
    expect(stop).toMatchObject({ type: 'INCREMENTAL', applies_to: 2, results_in: 3 });
    expect(stop.changes.map((c) => [c.action, c.task_id])).toEqual([['UPDATE', 'a2']]);
    expect((JSON.parse(stop.changes[0]?.task_json ?? '{}') as Task).desiredState).toBe(S.SHUTDOWN);

    // Delete a1 (the reaper): REMOVE. Tasks of other nodes never show up.
    await store.update((tx) => {
      const o = tx.get('tasks', 'o1');
      if (o) tx.update('tasks', { ...o, desiredState: S.SHUTDOWN });
      return tx.delete('tasks', 'a1');
    });
    const rm = await a.next();
    expect(rm).toMatchObject({ type: 'INCREMENTAL', applies_to: 3, results_in: 4 });
    expect(rm.changes).toEqual([{ action: 'REMOVE', task_id: 'a1', task_json: '' }]);
    expect(a.unread()).toBe(0);
  });

  // dispatcher/router.ts remembers where each task was routed, so the old node still hears of a move.
  it('a task moved to another node is REMOVEd from the old node', async () => {
    await store.update((tx) => tx.create('tasks', makeTask({ id: 'a1', nodeId: 'w1', state: S.ASSIGNED })));
    const s = await openSession('w1');
    const a = openAssignments(s.sessionId);
    expect((await a.next()).changes.map((c) => c.task_id)).toEqual(['a1']);
    await store.update((tx) => {
      const t = tx.get('tasks', 'a1');
      return t ? tx.update('tasks', { ...t, nodeId: 'w2' }) : ok(undefined);
    });
    expect((await a.next()).changes).toEqual([{ action: 'REMOVE', task_id: 'a1', task_json: '' }]);
  });

  it("with identity per connection, calls on a session's own connection skip identify (re-verified every 30 s); others do not", async () => {
    let calls = 0;
    const d2 = createDispatcher({
      store, clock, rng: seededRng(2), managerId: () => 'mgr', managers: () => [], identityPerConnection: true,
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
      streams.push(stream);
      const sessionId = (await collect(stream).next()).session_id;
      expect(calls).toBe(1);
      for (let i = 0; i < 80; i++) {
        clock.advance(400); // 32 s in all, beating well within the grace
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

  it('Assignments with a bad session is INVALID_ARGUMENT', async () => {
    const err = await openAssignments('bogus').done();
    expect(err?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(err?.details).toBe('session invalid');
  });

  it('UpdateTaskStatus for a task on another node is PERMISSION_DENIED and changes nothing', async () => {
    await store.update((tx) => tx.create('tasks', makeTask({ id: 'o1', nodeId: 'w2', state: S.ASSIGNED })));
    const s = await openSession('w1');
    const { err } = await report(s.sessionId, 'o1', { timestamp: 1, state: S.RUNNING });
    expect(err?.code).toBe(grpc.status.PERMISSION_DENIED);
    expect(err?.details).toBe('cannot update a task not assigned this node');
    await dispatcher.flush();
    expect(store.view((tx) => tx.get('tasks', 'o1')?.status.state)).toBe(S.ASSIGNED);
  });

  it('UpdateTaskStatus drops lower states (states only move forward)', async () => {
    await store.update((tx) => tx.create('tasks', makeTask({ id: 't', nodeId: 'w1', state: S.RUNNING })));
    const s = await openSession('w1');
    const before = store.view((tx) => tx.get('tasks', 't'));
    expect((await report(s.sessionId, 't', { timestamp: 1, state: S.STARTING, message: 'late' })).err).toBeNull();
    await dispatcher.flush();
    expect(store.view((tx) => tx.get('tasks', 't'))).toEqual(before);
    expect((await report(s.sessionId, 't', { timestamp: 2, state: S.FAILED, message: 'exit 1' })).err).toBeNull();
    await dispatcher.flush();
    expect(store.view((tx) => tx.get('tasks', 't')?.status)).toMatchObject({ state: S.FAILED, message: 'exit 1' });
  });

  it('UpdateTaskStatus with invalid JSON or an invalid status is INVALID_ARGUMENT naming the task and field', async () => {
    await store.update((tx) => tx.create('tasks', makeTask({ id: 't', nodeId: 'w1', state: S.ASSIGNED })));
    const s = await openSession('w1');
    const notJson = await report(s.sessionId, 't', '{oops');
    expect(notJson.err?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(notJson.err?.details).toBe('status of task t is not JSON');
    const bad = await report(s.sessionId, 't', { timestamp: 1, state: 12345 });
    expect(bad.err?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(bad.err?.details).toBe('invalid status for task t: state: not a task state');
    const missing = await report(s.sessionId, 't', { state: S.RUNNING });
    expect(missing.err?.details).toMatch(/^invalid status for task t: timestamp: /);
    await dispatcher.flush();
    expect(store.view((tx) => tx.get('tasks', 't')?.status.state)).toBe(S.ASSIGNED);
  });
});
