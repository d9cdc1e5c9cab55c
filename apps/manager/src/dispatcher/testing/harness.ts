/**
 * The dispatcher's gRPC test harness: a store with two UNKNOWN nodes (w1, w2) and a
 * 100 ms heartbeat, a dispatcher served on loopback without TLS (callers name
 * themselves in metadata), a client, and helpers to open sessions and assignment
 * streams, report statuses and beat. `dispatcherHarness()` registers the hooks; call
 * it inside a describe block.
 */
import { createRequire } from 'node:module';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { afterEach, beforeEach } from 'vitest';
import { type CommitEvent, type Node, err, ok, seededRng } from '@swarm/shared';
import { defaultClusterSpec } from '../../bootstrap.js';
import { createStore, type Store } from '../../store/store.js';
import { makeNode, manualClock, type ManualClock } from '../../testing/fixtures.js';
import { type Dispatcher, type DispatcherDeps, createDispatcher } from '../dispatcher.js';
import { type AssignmentsMessage, type ReportResponse, type SessionMessage, loadDispatcherService } from '../proto.js';

const require = createRequire(import.meta.url);

export type Client = grpc.Client & {
  Session(req: object, md: grpc.Metadata): grpc.ClientReadableStream<SessionMessage>;
  Assignments(req: object, md: grpc.Metadata): grpc.ClientReadableStream<AssignmentsMessage>;
  Heartbeat(req: object, md: grpc.Metadata, cb: (e: grpc.ServiceError | null, r?: { period_ms: number }) => void): void;
  UpdateTaskStatus(req: object, md: grpc.Metadata, cb: (e: grpc.ServiceError | null, r?: object) => void): void;
  Report(md: grpc.Metadata): grpc.ClientDuplexStream<object, ReportResponse>;
};

/** Without TLS in this test, the caller names itself in metadata (production reads the peer certificate). */
export const as = (nodeId: string | undefined) => {
  const md = new grpc.Metadata();
  if (nodeId) md.set('x-test-node-id', nodeId);
  return md;
};

export function clientCtor(): new (addr: string, creds: grpc.ChannelCredentials) => Client {
  const file = require.resolve('@swarm/shared/proto/dispatcher.proto');
  const def = protoLoader.loadSync(file, { keepCase: true, longs: Number, enums: String, defaults: true, oneofs: true });
  const pkg = grpc.loadPackageDefinition(def) as unknown as { swarm: { dispatcher: { v1: { Dispatcher: new (a: string, c: grpc.ChannelCredentials) => Client } } } };
  return pkg.swarm.dispatcher.v1.Dispatcher;
}

/** Collects stream messages and lets a test wait for the next one (no timers). */
export function collect<T>(stream: grpc.ClientReadableStream<T>) {
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

export const unary = <R>(f: (cb: (e: grpc.ServiceError | null, r?: R) => void) => void) =>
  new Promise<{ err: grpc.ServiceError | null; res?: R }>((resolve) => f((err, res) => resolve({ err, res })));

/** Resolves on the first commit for which `pred` holds (checked against the store after it). */
export function waitForCommit(store: Store, pred: (e: CommitEvent) => boolean): Promise<CommitEvent> {
  return new Promise((resolve) => {
    const off = store.subscribe((e) => {
      if (pred(e)) {
        off();
        resolve(e);
      }
    });
  });
}

export const description = (hostname: string) => ({
  hostname,
  platform: { os: 'linux', architecture: 'x86_64' },
  resources: { nanoCpus: 2e9, memoryBytes: 1e9, generic: {} },
  engine: { engineVersion: 'test', labels: { zone: 'a' }, plugins: [] },
  executor: 'sim',
});

export function dispatcherHarness() {
  let store: Store;
  let clock: ManualClock;
  let dispatcher: Dispatcher;
  let server: grpc.Server;
  let client: Client;
  const streams: Array<{ cancel(): void }> = [];
  type Identify = DispatcherDeps['identify'];
  const byMetadata: Identify = (call) => {
    const id = call.metadata.get('x-test-node-id')[0];
    return id ? ok(String(id)) : err('no node identity');
  };
  let identify: Identify = byMetadata;

  beforeEach(async () => {
    identify = byMetadata;
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
      identify: (call) => identify(call),
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
  return {
    get store() {
      return store;
    },
    get clock() {
      return clock;
    },
    get dispatcher() {
      return dispatcher;
    },
    get client() {
      return client;
    },
    /** How the dispatcher identifies callers (by default: the node named in metadata). */
    get identify() {
      return identify;
    },
    setIdentify(f: Identify) {
      identify = f;
    },
    streams,
    openSession,
    openAssignments,
    report,
    heartbeat,
  };
}
