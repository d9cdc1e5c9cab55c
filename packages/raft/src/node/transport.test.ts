/** gRPC transport: bad frames are dropped, a dead peer does not block a live one. */
import * as grpc from '@grpc/grpc-js';
import { afterAll, describe, expect, it } from 'vitest';
import type { Message } from '../core/types.js';
import { freePorts } from '../testing/ports.js';
import { encodeBatch } from './codec.js';
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
