import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type FaultProxy, startFaultProxy } from './fault-proxy.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** An echo server on a free port; counts the connections it accepted. */
async function echo(): Promise<{ address: string; accepted: () => number }> {
  let accepted = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    accepted++;
    sockets.add(s);
    s.on('error', () => undefined);
    s.on('close', () => sockets.delete(s));
    s.pipe(s);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(() => new Promise<void>((r) => (sockets.forEach((s) => s.destroy()), server.close(() => r()))));
  return { address: `127.0.0.1:${(server.address() as net.AddressInfo).port}`, accepted: () => accepted };
}

async function proxyTo(target: string): Promise<FaultProxy> {
  const p = await startFaultProxy(target);
  cleanups.push(() => p.close());
  return p;
}

/** A client socket that collects what it receives and how it ended. */
async function connect(addr: string) {
  const [host, port] = [addr.slice(0, addr.lastIndexOf(':')), Number(addr.slice(addr.lastIndexOf(':') + 1))];
  const s = net.connect(port, host);
  cleanups.push(() => void s.destroy());
  let got = '';
  let ended: string | undefined;
  s.on('data', (d: Buffer) => (got += d.toString()));
  s.on('error', (e: NodeJS.ErrnoException) => (ended = e.code ?? e.message));
  s.on('close', () => (ended ??= 'closed'));
  await new Promise<void>((resolve, reject) => {
    s.once('connect', resolve);
    s.once('error', reject);
  });
  return { s, got: () => got, ended: () => ended };
}

const until = async (cond: () => boolean, ms = 5_000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met');
    await new Promise((r) => setTimeout(r, 5));
  }
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('fault proxy', () => {
  it('passes bytes through both ways', async () => {
    const e = await echo();
    const p = await proxyTo(e.address);
    const c = await connect(p.address);
    c.s.write('hello');
    await until(() => c.got() === 'hello');
    expect(e.accepted()).toBe(1);
    expect(p.stats().forwardedBytes).toBe(10);
  });

  it('blackhole: keeps connections open, drops every byte, never dials new ones through; pass closes the corrupt ones', async () => {
    const e = await echo();
    const p = await proxyTo(e.address);
    const old = await connect(p.address);
    old.s.write('a');
    await until(() => old.got() === 'a');
    p.set({ kind: 'blackhole' });
    old.s.write('lost');
    const fresh = await connect(p.address); // the connect itself succeeds
    fresh.s.write('also lost');
    await sleep(150);
    expect(old.got()).toBe('a');
    expect(fresh.got()).toBe('');
    expect(old.ended()).toBeUndefined();
    expect(fresh.ended()).toBeUndefined();
    expect(e.accepted()).toBe(1);
    expect(p.stats().droppedBytes).toBe('lost'.length + 'also lost'.length);
    p.set({ kind: 'pass' });
    await until(() => old.ended() !== undefined && fresh.ended() !== undefined);
    const after = await connect(p.address);
    after.s.write('back');
    await until(() => after.got() === 'back');
  });

  it('reset: destroys open connections and refuses new ones', async () => {
    const e = await echo();
    const p = await proxyTo(e.address);
    const c = await connect(p.address);
    p.set({ kind: 'reset' });
    await until(() => c.ended() !== undefined);
    const n = await connect(p.address).catch((err: NodeJS.ErrnoException) => err);
    if (!(n instanceof Error)) await until(() => n.ended() !== undefined);
    expect(p.stats().resets).toBeGreaterThanOrEqual(2);
    expect(p.stats().open).toBe(0);
  });

  it('delay: forwards every chunk later, in order', async () => {
    const e = await echo();
    const p = await proxyTo(e.address);
    p.set({ kind: 'delay', ms: 150 });
    const c = await connect(p.address);
    const t0 = Date.now();
    for (const x of ['1', '2', '3']) c.s.write(x);
    await until(() => c.got() === '123');
    // 150 ms each way; a timer may fire a little early, never 100 ms early.
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
    p.set({ kind: 'pass' });
    c.s.write('4');
    await until(() => c.got() === '1234');
  });

  it('a target that is down: the connection is closed', async () => {
    const e = await echo();
    const p = await proxyTo(e.address);
    await cleanups.shift()!(); // stop the echo server
    const c = await connect(p.address);
    await until(() => c.ended() !== undefined);
  });
});
