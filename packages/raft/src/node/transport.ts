/**
 * gRPC transport between managers: one client-streaming call per peer
 * (`/swarm.raft.Raft/Send`), each frame a batch of binary-encoded messages.
 *
 * Every peer has its own bounded queue and its own stream, so a slow or dead
 * peer only fills (and then drops from) its own queue: Raft tolerates loss,
 * and the core is told (reportUnreachable / reportSnapshot) so it backs off.
 * Credentials are pluggable (insecure by default; pass mTLS credentials from the CA).
 */
import * as grpc from '@grpc/grpc-js';
import type { Message, NodeId } from '../core/types.js';
import { CodecError, decodeBatch, encodeBatch } from './codec.js';

const PATH = '/swarm.raft.Raft/Send';
const ident = (b: Buffer): Buffer => b;
const serviceDef: grpc.ServiceDefinition = {
  send: {
    path: PATH,
    requestStream: true,
    responseStream: false,
    requestSerialize: ident,
    requestDeserialize: ident,
    responseSerialize: ident,
    responseDeserialize: ident,
    originalName: 'send',
  },
};

const MAX_MSG = 512 * 1024 * 1024;
const CHANNEL_OPTS: grpc.ChannelOptions = {
  'grpc.max_send_message_length': MAX_MSG,
  'grpc.max_receive_message_length': MAX_MSG,
  'grpc.initial_reconnect_backoff_ms': 50,
  'grpc.min_reconnect_backoff_ms': 50,
  'grpc.max_reconnect_backoff_ms': 500,
  'grpc.keepalive_time_ms': 10_000,
};

export interface TransportOptions {
  readonly id: NodeId;
  /** host:port to listen on (port 0 picks a free port). */
  readonly listen: string;
  /** Serve on this (already bound) server instead of binding one: e.g. the manager's remote API port. */
  readonly server?: grpc.Server;
  /** Refuses an inbound stream when it returns a reason (e.g. the caller is not a manager). */
  readonly authorize?: (call: grpc.ServerReadableStream<Buffer, Buffer>) => string | undefined;
  readonly serverCredentials?: grpc.ServerCredentials;
  readonly channelCredentials?: grpc.ChannelCredentials;
  readonly onMessage: (m: Message) => void;
  readonly onUnreachable?: (id: NodeId) => void;
  readonly onSnapshotStatus?: (id: NodeId, ok: boolean) => void;
  /** The stream to `id` failed (connection refused or reset). */
  readonly onPeerDown?: (id: NodeId) => void;
  /** Max messages queued per peer before dropping. Default 4096. */
  readonly maxQueue?: number;
  readonly warn?: (msg: string) => void;
}

export interface Transport {
  /** Bind and serve; resolves with the bound port. */
  start(): Promise<number>;
  setPeer(id: NodeId, address: string): void;
  removePeer(id: NodeId): void;
  send(msgs: readonly Message[]): void;
  close(): Promise<void>;
  stats(): { dropped: number; sentFrames: number; badFrames: number };
  /** This node, a peer heard from in the last few seconds, or one our channel to is connected. */
  reachable(id: NodeId): boolean;
}

export function createGrpcTransport(o: TransportOptions): Transport {
  const server = o.server ?? new grpc.Server(CHANNEL_OPTS);
  const peers = new Map<NodeId, PeerSender>();
  const warn = o.warn ?? (() => {});
  const stats = { dropped: 0, sentFrames: 0, badFrames: 0 };
  /** When each peer last sent us something. */
  const heard = new Map<NodeId, number>();

  server.addService(serviceDef, {
    send: (call: grpc.ServerReadableStream<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
      const refused = o.authorize?.(call);
      if (refused !== undefined) {
        stats.badFrames++;
        warn(`raft transport: refused a stream from ${call.getPeer()}: ${refused}`);
        return cb({ code: grpc.status.PERMISSION_DENIED, details: refused });
      }
      call.on('data', (buf: Buffer) => {
        let msgs: Message[];
        try {
          msgs = decodeBatch(buf);
        } catch (e) {
          stats.badFrames++;
          warn(`raft transport: dropped malformed frame from ${call.getPeer()}: ${e instanceof CodecError ? e.message : String(e)}`);
          return;
        }
        const now = Date.now();
        for (const m of msgs) heard.set(m.from, now);
        for (const m of msgs) {
          if (m.to !== o.id) {
            stats.badFrames++;
            warn(`raft transport: dropped message for ${m.to} (this is ${o.id})`);
            continue;
          }
          o.onMessage(m);
        }
      });
      call.on('end', () => cb(null, Buffer.alloc(0)));
      call.on('error', () => {});
    },
  });

  const creds = o.channelCredentials ?? grpc.credentials.createInsecure();
  const maxQueue = o.maxQueue ?? 4096;
  return {
    start: () =>
      o.server
        ? Promise.resolve(Number(o.listen.slice(o.listen.lastIndexOf(':') + 1)))
        : new Promise((res, rej) =>
            server.bindAsync(o.listen, o.serverCredentials ?? grpc.ServerCredentials.createInsecure(), (err, port) => (err ? rej(err) : res(port))),
          ),
    setPeer(id, address) {
      if (id === o.id) return;
      const cur = peers.get(id);
      if (cur?.address === address) return;
      cur?.close();
      peers.set(id, new PeerSender(id, address, creds, maxQueue, o, stats));
    },
    removePeer(id) {
      peers.get(id)?.close();
      peers.delete(id);
    },
    send(msgs) {
      for (const m of msgs) {
        const p = peers.get(m.to);
        if (p) p.enqueue(m);
        else stats.dropped++;
      }
      for (const p of peers.values()) p.flush();
    },
    async close() {
      for (const p of peers.values()) p.close();
      peers.clear();
      // Peers keep their streams to us open; do not wait for them to finish. A shared server is its owner's.
      if (o.server) server.removeService(serviceDef);
      else server.forceShutdown();
    },
    stats: () => ({ ...stats }),
    reachable: (id) => id === o.id || (heard.get(id) ?? 0) > Date.now() - HEARD_WITHIN_MS || peers.get(id)?.connected() === true,
  };
}

const FRAME_BYTES = 1024 * 1024;
/** A peer heard from this recently counts as reachable. */
const HEARD_WITHIN_MS = 3_000;
const FRAME_MSGS = 1024;

class PeerSender {
  private queue: Message[] = [];
  private client: grpc.Client;
  private stream: grpc.ClientWritableStream<Buffer> | undefined;
  private writable = true;
  private closed = false;

  constructor(
    readonly id: NodeId,
    readonly address: string,
    creds: grpc.ChannelCredentials,
    private readonly maxQueue: number,
    private readonly o: TransportOptions,
    private readonly stats: { dropped: number; sentFrames: number },
  ) {
    this.client = new grpc.Client(address, creds, CHANNEL_OPTS);
  }

  enqueue(m: Message): void {
    if (this.queue.length >= this.maxQueue) {
      this.stats.dropped++;
      this.failed(m);
      return;
    }
    this.queue.push(m);
  }

  private failed(m: Message): void {
    if (m.type === 'snap') this.o.onSnapshotStatus?.(this.id, false);
    else if (m.type === 'app') this.o.onUnreachable?.(this.id);
  }

  private open(): grpc.ClientWritableStream<Buffer> {
    const s = this.client.makeClientStreamRequest<Buffer, Buffer>(PATH, ident, ident, (err) => {
      // The call ended (peer gone or closed): reconnect lazily on the next flush.
      if (this.stream === s) {
        this.stream = undefined;
        this.writable = true;
        this.o.onUnreachable?.(this.id);
        if (err && !this.closed) this.o.onPeerDown?.(this.id);
      }
    });
    s.on('error', () => {});
    this.stream = s;
    this.writable = true;
    return s;
  }

  flush(): void {
    while (!this.closed && this.writable && this.queue.length > 0) {
      const s = this.stream ?? this.open();
      let bytes = 0;
      let n = 0;
      while (n < this.queue.length && n < FRAME_MSGS && bytes < FRAME_BYTES) {
        bytes += 64 + (this.queue[n]!.entries?.reduce((a, e) => a + e.data.length + 24, 0) ?? 0);
        n++;
      }
      const batch = this.queue.splice(0, n);
      const snaps = batch.filter((m) => m.type === 'snap');
      const ok = s.write(encodeBatch(batch), (err: unknown) => {
        for (const m of snaps) this.o.onSnapshotStatus?.(this.id, !err);
      });
      this.stats.sentFrames++;
      if (!ok) {
        // Backpressure: wait for this stream to drain; other peers are unaffected.
        this.writable = false;
        s.once('drain', () => {
          if (this.stream === s) {
            this.writable = true;
            this.flush();
          }
        });
      }
    }
  }

  /** The channel to this peer has a live connection (a dead peer's breaks at once: reset, refused). */
  connected(): boolean {
    return this.client.getChannel().getConnectivityState(false) === grpc.connectivityState.READY;
  }

  close(): void {
    this.closed = true;
    this.stream?.end();
    this.stream = undefined;
    this.client.close();
  }
}
