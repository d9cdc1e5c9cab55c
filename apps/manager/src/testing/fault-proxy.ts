/**
 * Test-only fault-injecting TCP proxy (chaos runs, issue 5): listens on
 * 127.0.0.1, forwards every accepted connection to one target, byte for byte
 * (TLS passes through untouched), and can be switched at any time to
 *   pass        forward (the default)
 *   blackhole   keep every connection open and accept new ones, but drop all
 *               bytes both ways: a true partition (peers see timeouts, not
 *               resets). New connections are not dialled through to the
 *               target. Going back to `pass` closes the connections that lost
 *               bytes (their streams are corrupt, as a TCP connection would
 *               time out during a long partition); later ones forward again.
 *   reset       destroy every connection at once and each new one on accept
 *   delay       forward, each chunk `ms` later (order kept)
 * One proxy per directed manager pair (A→B) carries A's connections to B:
 * blackholing it cuts A→B (requests and their answers) while B→A still flows.
 */
import net from 'node:net';

export type FaultMode = { kind: 'pass' } | { kind: 'blackhole' } | { kind: 'reset' } | { kind: 'delay'; ms: number };

export interface FaultProxy {
  /** "127.0.0.1:port" to dial instead of the target. */
  readonly address: string;
  readonly target: string;
  mode(): FaultMode;
  set(mode: FaultMode): void;
  stats(): { accepted: number; open: number; forwardedBytes: number; droppedBytes: number; resets: number };
  close(): Promise<void>;
}

/** One proxied connection: the accepted socket and (once dialled) its upstream. */
interface Conn {
  down: net.Socket;
  up: net.Socket | undefined;
  /** Bytes were dropped: the stream is corrupt and must not carry traffic again. */
  tainted: boolean;
  /** Per-direction chunk queues while delaying; `due` keeps them in order. */
  lanes: { toUp: Lane; toDown: Lane };
}
interface Lane {
  chunks: { at: number; data: Buffer }[];
  timer: NodeJS.Timeout | undefined;
}

function splitHostPort(addr: string): { host: string; port: number } {
  const i = addr.lastIndexOf(':');
  const port = Number(addr.slice(i + 1));
  if (i <= 0 || !Number.isInteger(port) || port <= 0 || port > 65535) throw new Error(`invalid address "${addr}": expected host:port`);
  return { host: addr.slice(0, i).replace(/^\[(.*)\]$/, '$1'), port };
}

/** Starts a proxy to `target` ("host:port") on 127.0.0.1:`port` (0: a free port). */
export async function startFaultProxy(target: string, o: { port?: number; mode?: FaultMode } = {}): Promise<FaultProxy> {
  const to = splitHostPort(target);
  let mode: FaultMode = o.mode ?? { kind: 'pass' };
  const conns = new Set<Conn>();
  const st = { accepted: 0, forwardedBytes: 0, droppedBytes: 0, resets: 0 };

  const kill = (c: Conn) => {
    for (const l of [c.lanes.toUp, c.lanes.toDown]) clearTimeout(l.timer);
    c.down.destroy();
    c.up?.destroy();
    conns.delete(c);
  };
  const write = (c: Conn, dir: 'toUp' | 'toDown', data: Buffer) => {
    const dst = dir === 'toUp' ? c.up : c.down;
    if (!dst || dst.destroyed) return void kill(c);
    st.forwardedBytes += data.length;
    dst.write(data);
  };
  const drain = (c: Conn, dir: 'toUp' | 'toDown') => {
    const lane = c.lanes[dir];
    lane.timer = undefined;
    const now = Date.now();
    while (lane.chunks.length && lane.chunks[0]!.at <= now) write(c, dir, lane.chunks.shift()!.data);
    if (lane.chunks.length) lane.timer = setTimeout(() => drain(c, dir), Math.max(1, lane.chunks[0]!.at - now));
  };
  /** Bytes read from one side, for the other: what happens to them depends on the mode now. */
  const onData = (c: Conn, dir: 'toUp' | 'toDown', data: Buffer) => {
    const lane = c.lanes[dir];
    if (mode.kind === 'blackhole' || c.tainted) {
      c.tainted = true;
      st.droppedBytes += data.length;
      return;
    }
    if (mode.kind === 'delay' || lane.chunks.length) {
      const ms = mode.kind === 'delay' ? mode.ms : 0;
      const last = lane.chunks.at(-1)?.at ?? 0;
      lane.chunks.push({ at: Math.max(last, Date.now() + ms), data });
      if (!lane.timer) lane.timer = setTimeout(() => drain(c, dir), ms);
      return;
    }
    write(c, dir, data);
  };
  const dial = (c: Conn) => {
    const up = net.connect(to.port, to.host);
    c.up = up;
    up.setNoDelay(true);
    up.on('data', (d: Buffer) => onData(c, 'toDown', d));
    up.on('error', () => kill(c));
    up.on('close', () => kill(c));
  };

  const server = net.createServer((down) => {
    st.accepted++;
    down.setNoDelay(true);
    down.on('error', () => undefined);
    if (mode.kind === 'reset') {
      st.resets++;
      return void down.resetAndDestroy();
    }
    const c: Conn = { down, up: undefined, tainted: false, lanes: { toUp: { chunks: [], timer: undefined }, toDown: { chunks: [], timer: undefined } } };
    conns.add(c);
    down.on('data', (d: Buffer) => onData(c, 'toUp', d));
    down.on('error', () => kill(c));
    down.on('close', () => kill(c));
    // A partitioned peer's connect "succeeds" but nothing ever reaches the target.
    if (mode.kind === 'blackhole') c.tainted = true;
    else dial(c);
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port));
  });

  return {
    address: `127.0.0.1:${port}`,
    target,
    mode: () => mode,
    set(next) {
      mode = next;
      if (next.kind === 'reset') {
        for (const c of [...conns]) {
          st.resets++;
          c.down.resetAndDestroy();
          kill(c);
        }
      } else if (next.kind === 'pass' || next.kind === 'delay') {
        for (const c of [...conns]) if (c.tainted) kill(c);
      }
    },
    stats: () => ({ ...st, open: conns.size }),
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of [...conns]) kill(c);
        server.close(() => resolve());
      }),
  };
}
