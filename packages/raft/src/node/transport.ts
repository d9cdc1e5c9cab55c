/**
 * gRPC transport between managers: one client-streaming call per peer
 * (`/swarm.raft.Raft/Send`), each frame a batch of binary-encoded messages.
 *
 * Every peer has its own bounded queue and its own stream, so a slow or dead
 * peer only fills (and then drops from) its own queue: Raft tolerates loss,
 * and the core is told (reportUnreachable / reportSnapshot) so it backs off.
 * Credentials are pluggable (insecure by default; pass mTLS credentials from the CA).
 *
 * Snapshots do not travel on that stream: each InstallSnapshot gets its own
 * client-streaming call (`/swarm.raft.Raft/Snapshot`) carrying the message in
 * checksummed chunks (snapstream.ts), written with backpressure. The receiver
 * reassembles at most one transfer per sender, verifies it, hands it to the
 * core and answers OK; a rejected or broken transfer answers an error, and the
 * sender reports the outcome to the core (reportSnapshot) either way.
 */
import * as grpc from '@grpc/grpc-js';
import type { Message, NodeId } from '../core/types.js';
import { CodecError, decodeBatch } from './codec.js';
import { PATH, PeerSender, SNAP_PATH, ident } from './peer-sender.js';
import { Assembler } from './snapstream.js';

/** A client-streaming method of raw byte frames. */
const streamIn = (path: string, originalName: string) => ({
  path,
  requestStream: true,
  responseStream: false,
  requestSerialize: ident,
  requestDeserialize: ident,
  responseSerialize: ident,
  responseDeserialize: ident,
  originalName,
});
const serviceDef: grpc.ServiceDefinition = {
  send: streamIn(PATH, 'send'),
  snapshot: streamIn(SNAP_PATH, 'snapshot'),
};

/**
 * Largest gRPC message by default. Snapshots are chunked, so the biggest message is an
 * append frame: about 2 MiB of batching plus one entry that may be as large as the
 * core's maxEntryBytes (the node passes maxMessageBytes from it; this default covers 64 MiB entries).
 */
const MAX_MSG = 128 * 1024 * 1024;
/** Largest snapshot a receiver reassembles by default. */
const MAX_SNAPSHOT = 1024 * 1024 * 1024;
const channelOpts = (maxMsg: number): grpc.ChannelOptions => ({ ...CHANNEL_OPTS, 'grpc.max_send_message_length': maxMsg, 'grpc.max_receive_message_length': maxMsg });
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
  /**
   * Where to dial a peer known at `address` (default: `address` itself). Tests
   * route manager-to-manager traffic through fault-injecting proxies with it.
   */
  readonly dialAddress?: (id: NodeId, address: string) => string;
  readonly onMessage: (m: Message) => void;
  readonly onUnreachable?: (id: NodeId) => void;
  readonly onSnapshotStatus?: (id: NodeId, ok: boolean) => void;
  /** The stream to `id` failed (connection refused or reset). */
  readonly onPeerDown?: (id: NodeId) => void;
  /** Max messages queued per peer before dropping. Default 4096. */
  readonly maxQueue?: number;
  /** Largest gRPC message sent or received (an append frame). Default 128 MiB. */
  readonly maxMessageBytes?: number;
  /** Snapshot chunk size. Default 1 MiB. */
  readonly snapshotChunkBytes?: number;
  /** Largest snapshot accepted from a peer. Default 1 GiB. */
  readonly maxSnapshotBytes?: number;
  readonly warn?: (msg: string) => void;
}

export interface Transport {
  /** Bind and serve; resolves with the bound port. */
  start(): Promise<number>;
  setPeer(id: NodeId, address: string): void;
  removePeer(id: NodeId): void;
  send(msgs: readonly Message[]): void;
  close(): Promise<void>;
  /** `receiving`: inbound snapshot transfers in progress (at most one per sender). */
  stats(): { dropped: number; sentFrames: number; badFrames: number; snapshotsSent: number; snapshotsReceived: number; badSnapshots: number; receiving: number };
  /** This node, a peer heard from in the last few seconds, or one our channel to is connected. */
  reachable(id: NodeId): boolean;
}

export function createGrpcTransport(o: TransportOptions): Transport {
  const opts = channelOpts(o.maxMessageBytes ?? MAX_MSG);
  const server = o.server ?? new grpc.Server(opts);
  const peers = new Map<NodeId, PeerSender>();
  const warn = o.warn ?? (() => {});
  const stats = { dropped: 0, sentFrames: 0, badFrames: 0, snapshotsSent: 0, snapshotsReceived: 0, badSnapshots: 0 };
  /** The transfer each sender has in progress (at most one: a new one aborts the old). */
  const inbound = new Map<NodeId, { abort: (reason: string) => void }>();
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
          if (m.type === 'snap') {
            stats.badFrames++;
            warn(`raft transport: dropped a snapshot from ${m.from} sent outside the snapshot stream (unverified)`);
            continue;
          }
          o.onMessage(m);
        }
      });
      call.on('end', () => cb(null, Buffer.alloc(0)));
      call.on('error', () => {});
    },
    snapshot: (call: grpc.ServerReadableStream<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
      const refused = o.authorize?.(call);
      if (refused !== undefined) {
        stats.badSnapshots++;
        warn(`raft transport: refused a snapshot stream from ${call.getPeer()}: ${refused}`);
        return cb({ code: grpc.status.PERMISSION_DENIED, details: refused });
      }
      receiveSnapshot(call, cb);
    },
  });

  /** One inbound transfer: reassemble, verify, hand to the core, answer. */
  function receiveSnapshot(call: grpc.ServerReadableStream<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>): void {
    const asm = new Assembler(o.id, o.maxSnapshotBytes ?? MAX_SNAPSHOT);
    let answered = false;
    const entry = { abort: (reason: string) => fail(reason, false) };
    const answer = (err: Partial<grpc.StatusObject> | null): void => {
      if (answered) return;
      answered = true;
      const from = asm.first?.from;
      if (from !== undefined && inbound.get(from) === entry) inbound.delete(from);
      cb(err, err ? undefined : Buffer.alloc(0));
    };
    function fail(reason: string, bad: boolean): void {
      if (answered) return;
      asm.abort(reason);
      if (bad) {
        stats.badSnapshots++;
        warn(`raft transport: rejected a snapshot from ${asm.first?.from ?? call.getPeer()}: ${reason}`);
      }
      answer({ code: bad ? grpc.status.INVALID_ARGUMENT : grpc.status.ABORTED, details: reason });
    }
    call.on('data', (buf: Buffer) => {
      if (answered) return;
      const known = asm.first !== undefined;
      const res = asm.accept(buf);
      if (res.kind === 'rejected') return fail(res.reason, true);
      const from = asm.first!.from;
      if (!known) {
        // A new transfer from this sender replaces any older one (its chunks are discarded).
        const prev = inbound.get(from);
        inbound.set(from, entry);
        prev?.abort(`superseded by a newer snapshot from ${from}`);
      }
      if (res.kind === 'done') {
        heard.set(from, Date.now());
        stats.snapshotsReceived++;
        answer(null);
        o.onMessage(res.message);
      }
    });
    call.on('end', () => fail('the stream ended before the snapshot was complete', true));
    call.on('error', () => fail('the stream broke', false));
    call.on('cancelled', () => fail('the sender cancelled', false));
  }

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
      peers.set(id, new PeerSender(id, address, creds, maxQueue, o, stats, opts));
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
    stats: () => ({ ...stats, receiving: inbound.size }),
    reachable: (id) => id === o.id || (heard.get(id) ?? 0) > Date.now() - HEARD_WITHIN_MS || peers.get(id)?.connected() === true,
  };
}

/** A peer heard from this recently counts as reachable. */
const HEARD_WITHIN_MS = 3_000;
