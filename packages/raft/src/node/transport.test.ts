/** gRPC transport: bad frames are dropped, a dead peer does not block a live one. */
import * as grpc from '@grpc/grpc-js';
import { afterAll, describe, expect, it } from 'vitest';
import type { Message } from '../core/types.js';
import { freePorts } from '../testing/ports.js';
import { encodeBatch } from './codec.js';
import { chunkSnapshot } from './snapstream.js';
import { createGrpcTransport, type Transport } from './transport.js';

const open: Transport[] = [];
afterAll(async () => {
  for (const t of open) await t.close();
});

async function until(f: () => boolean, what: string): Promise<void> {
  const end = Date.now() + 20_000;
  while (!f()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const hb = (from: string, to: string, term: number): Message => ({ type: 'heartbeat', from, to, term, commit: 0 });

describe('gRPC transport', () => {
  it('drops malformed frames and misaddressed messages, keeps serving', async () => {
    const [port] = await freePorts(1);
    const got: Message[] = [];
    const warnings: string[] = [];
    const a = createGrpcTransport({ id: 'a', listen: `127.0.0.1:${port}`, onMessage: (m) => got.push(m), warn: (w) => warnings.push(w) });
    open.push(a);
    await a.start();
    const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    const id = (b: Buffer): Buffer => b;
    const call = client.makeClientStreamRequest<Buffer, Buffer>('/swarm.raft.Raft/Send', id, id, () => {});
    call.write(Buffer.from('definitely not a frame'));
    call.write(encodeBatch([hb('x', 'someone-else', 1)]));
    call.write(encodeBatch([hb('x', 'a', 7)]));
    await until(() => got.length === 1, 'the valid message');
    expect(got[0]!.term).toBe(7);
    expect(a.stats().badFrames).toBe(2);
    expect(warnings.join('\n')).toMatch(/malformed frame/);
    call.end();
    client.close();
  });

  it('a dead peer only fills (and drops from) its own bounded queue', async () => {
    const [pLive, pDead, pSelf] = await freePorts(3);
    const got: Message[] = [];
    const live = createGrpcTransport({ id: 'live', listen: `127.0.0.1:${pLive}`, onMessage: (m) => got.push(m) });
    open.push(live);
    await live.start();
    let unreachable = 0;
    const me = createGrpcTransport({ id: 'me', listen: `127.0.0.1:${pSelf}`, onMessage: () => {}, maxQueue: 100, onUnreachable: () => unreachable++ });
    open.push(me);
    await me.start();
    me.setPeer('live', `127.0.0.1:${pLive}`);
    me.setPeer('dead', `127.0.0.1:${pDead}`); // nothing listens there
    // paced below what the live link carries; the dead link's queue overflows
    for (let i = 0; i < 300; i++) {
      me.send([hb('me', 'dead', i), hb('me', 'dead', i), hb('me', 'live', i)]);
      if (i % 10 === 0) await new Promise((r) => setTimeout(r, 2));
    }
    await until(() => got.length === 300, 'all messages to the live peer');
    expect(got.map((m) => m.term)).toEqual(Array.from({ length: 300 }, (_, i) => i));
    expect(unreachable).toBeGreaterThan(0); // the core is told, so it stops pipelining to the dead peer
    // Reachability (for "no quorum (n of m managers unreachable)"): connected or recently heard from.
    expect(me.reachable('me')).toBe(true);
    expect(me.reachable('live')).toBe(true);
    expect(me.reachable('dead')).toBe(false);
    expect(live.reachable('me')).toBe(true); // heard from it
    expect(live.reachable('dead')).toBe(false); // not a peer, never heard
  });
});

describe('gRPC transport: chunked snapshots', () => {
  const snap = (bytes: number, from = 's', to = 'r'): Message => {
    const data = new Uint8Array(bytes);
    for (let i = 0; i < bytes; i++) data[i] = (i * 13) & 0xff;
    return { type: 'snap', from, to, term: 2, snapshot: { meta: { index: 9000, term: 2, conf: { voters: [from, to], learners: [] } }, data } };
  };
  const rawCall = (port: number, cb: (err: grpc.ServiceError | null) => void): grpc.ClientWritableStream<Buffer> => {
    const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    const id = (b: Buffer): Buffer => b;
    return client.makeClientStreamRequest<Buffer, Buffer>('/swarm.raft.Raft/Snapshot', id, id, (err) => {
      cb(err);
      client.close();
    });
  };

  it('carries a snapshot of several MiB in 256 KiB chunks, verified, and reports success', async () => {
    const [pr, ps] = await freePorts(2);
    const got: Message[] = [];
    const r = createGrpcTransport({ id: 'r', listen: `127.0.0.1:${pr}`, onMessage: (m) => got.push(m), maxMessageBytes: 1024 * 1024 });
    open.push(r);
    await r.start();
    const status: boolean[] = [];
    const s = createGrpcTransport({
      id: 's', listen: `127.0.0.1:${ps}`, onMessage: () => {}, onSnapshotStatus: (_, ok) => status.push(ok), snapshotChunkBytes: 256 * 1024, maxMessageBytes: 1024 * 1024,
    });
    open.push(s);
    await s.start();
    s.setPeer('r', `127.0.0.1:${pr}`);
    const m = snap(5 * 1024 * 1024 + 17); // bigger than maxMessageBytes: only chunks can carry it
    s.send([m, hb('s', 'r', 2)]);
    await until(() => status.length === 1 && got.length === 2, 'the snapshot and the heartbeat');
    expect(status).toEqual([true]);
    const received = got.find((x) => x.type === 'snap')!;
    expect(received.snapshot!.meta).toEqual(m.snapshot!.meta);
    expect(Buffer.from(received.snapshot!.data).equals(Buffer.from(m.snapshot!.data))).toBe(true);
    expect(s.stats().snapshotsSent).toBe(1);
    expect(r.stats().snapshotsReceived).toBe(1);
  });

  it('reports failure to the core when the peer is unreachable', async () => {
    const [pDead, ps] = await freePorts(2);
    const status: boolean[] = [];
    const s = createGrpcTransport({ id: 's', listen: `127.0.0.1:${ps}`, onMessage: () => {}, onSnapshotStatus: (_, ok) => status.push(ok) });
    open.push(s);
    await s.start();
    s.setPeer('r', `127.0.0.1:${pDead}`);
    s.send([snap(3 * 1024 * 1024)]);
    await until(() => status.length === 1, 'the snapshot status');
    expect(status).toEqual([false]);
  });

  it('rejects a broken transfer with a clear warning, never applies it, and the sender sees an error', async () => {
    const pr = (await freePorts(1))[0]!;
    const got: Message[] = [];
    const warnings: string[] = [];
    const r = createGrpcTransport({ id: 'r', listen: `127.0.0.1:${pr}`, onMessage: (m) => got.push(m), warn: (w) => warnings.push(w) });
    open.push(r);
    await r.start();
    const c = chunkSnapshot(snap(3000), 7, 1024);
    let err: grpc.ServiceError | null | undefined;
    const call = rawCall(pr, (e) => (err = e));
    call.write(c.chunk(0));
    call.write(c.chunk(2)); // out of order
    call.write(c.chunk(1));
    call.end();
    await until(() => err !== undefined, 'the answer');
    expect(err?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(err?.details).toMatch(/out of order/);
    expect(warnings.join('\n')).toMatch(/rejected a snapshot from s: chunk 2 out of order/);
    expect(r.stats().badSnapshots).toBe(1);
    // A stream that ends early is rejected too.
    let err2: grpc.ServiceError | null | undefined;
    const call2 = rawCall(pr, (e) => (err2 = e));
    call2.write(c.chunk(0));
    call2.end();
    await until(() => err2 !== undefined, 'the second answer');
    expect(err2?.details).toMatch(/ended before the snapshot was complete/);
    // An unverified snapshot on the message stream is dropped as well.
    const client = new grpc.Client(`127.0.0.1:${pr}`, grpc.credentials.createInsecure());
    const id = (b: Buffer): Buffer => b;
    const plain = client.makeClientStreamRequest<Buffer, Buffer>('/swarm.raft.Raft/Send', id, id, () => {});
    plain.write(encodeBatch([snap(100, 's', 'r'), hb('s', 'r', 5)]));
    await until(() => got.length === 1, 'the heartbeat');
    expect(got.map((m) => m.type)).toEqual(['heartbeat']);
    expect(warnings.join('\n')).toMatch(/sent outside the snapshot stream/);
    plain.end();
    client.close();
  });

  it('a new transfer from the same sender discards the older one', async () => {
    const pr = (await freePorts(1))[0]!;
    const got: Message[] = [];
    const r = createGrpcTransport({ id: 'r', listen: `127.0.0.1:${pr}`, onMessage: (m) => got.push(m) });
    open.push(r);
    await r.start();
    const old = chunkSnapshot(snap(3000), 1, 1024);
    const fresh = chunkSnapshot(snap(5000), 2, 1024);
    let errOld: grpc.ServiceError | null | undefined;
    let errNew: grpc.ServiceError | null | undefined;
    const a = rawCall(pr, (e) => (errOld = e));
    a.write(old.chunk(0));
    await until(() => r.stats().receiving === 1, 'the old transfer under way');
    const b = rawCall(pr, (e) => (errNew = e));
    b.write(fresh.chunk(0));
    await until(() => errOld !== undefined, 'the old transfer aborted');
    expect(r.stats().receiving).toBe(1); // never more than one per sender
    for (let i = 1; i < fresh.count; i++) b.write(fresh.chunk(i));
    b.end();
    await until(() => errNew !== undefined, 'the new answer');
    expect(r.stats().receiving).toBe(0);
    expect(errNew).toBeNull();
    expect(errOld?.code).toBe(grpc.status.ABORTED);
    expect(errOld?.details).toMatch(/superseded/);
    a.write(old.chunk(1));
    a.write(old.chunk(2));
    a.end();
    await new Promise((res) => setTimeout(res, 200));
    expect(got.length).toBe(1);
    expect(got[0]!.snapshot!.data.length).toBe(5000);
  });
});
