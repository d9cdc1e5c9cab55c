/**
 * One peer's outbound side of the Raft transport (transport.ts): a bounded
 * queue of messages sent as frames on one client stream, and each snapshot on
 * a call of its own, in checksummed chunks written with backpressure.
 */
import * as grpc from '@grpc/grpc-js';
import type { Message, NodeId } from '../core/types.js';
import { encodeBatch } from './codec.js';
import { DEFAULT_CHUNK_BYTES, chunkSnapshot } from './snapstream.js';
import type { TransportOptions } from './transport.js';

export const PATH = '/swarm.raft.Raft/Send';
export const SNAP_PATH = '/swarm.raft.Raft/Snapshot';
export const ident = (b: Buffer): Buffer => b;

const FRAME_BYTES = 1024 * 1024;
const FRAME_MSGS = 1024;

/** Unique enough per sender process: a transfer id distinguishes successive snapshots to a peer. */
let transferSeq = Math.floor(Math.random() * 2 ** 32) * 1024;

export class PeerSender {
  private queue: Message[] = [];
  private client: grpc.Client;
  private stream: grpc.ClientWritableStream<Buffer> | undefined;
  private writable = true;
  private closed = false;
  /** The snapshot transfer in progress to this peer. */
  private snap: { call: grpc.ClientWritableStream<Buffer>; done: boolean; wake: () => void } | undefined;

  constructor(
    readonly id: NodeId,
    readonly address: string,
    creds: grpc.ChannelCredentials,
    private readonly maxQueue: number,
    private readonly o: TransportOptions,
    private readonly stats: { dropped: number; sentFrames: number; snapshotsSent: number },
    channelOptions: grpc.ChannelOptions,
  ) {
    this.client = new grpc.Client(o.dialAddress?.(id, address) ?? address, creds, channelOptions);
  }

  enqueue(m: Message): void {
    if (m.type === 'snap') {
      void this.sendSnapshot(m);
      return;
    }
    if (this.queue.length >= this.maxQueue) {
      this.stats.dropped++;
      this.failed(m);
      return;
    }
    this.queue.push(m);
  }

  private failed(m: Message): void {
    if (m.type === 'app') this.o.onUnreachable?.(this.id);
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
      const ok = s.write(encodeBatch(this.queue.splice(0, n)));
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

  /**
   * Stream a snapshot in chunks on a call of its own, waiting for 'drain' when
   * the call's buffer is full. A newer snapshot cancels the transfer in progress
   * (without a report: the core already moved on to the new one).
   */
  private async sendSnapshot(m: Message): Promise<void> {
    if (this.snap && !this.snap.done) {
      this.snap.done = true;
      this.snap.call.cancel();
      this.snap.wake();
    }
    let chunks;
    try {
      chunks = chunkSnapshot(m, ++transferSeq, this.o.snapshotChunkBytes ?? DEFAULT_CHUNK_BYTES);
    } catch (e) {
      this.o.warn?.(`raft transport: cannot send snapshot to ${this.id}: ${e instanceof Error ? e.message : String(e)}`);
      this.o.onSnapshotStatus?.(this.id, false);
      return;
    }
    // Generous deadline: a minute plus 1 s per MiB, so a stalled transfer is eventually reported as failed.
    const deadline = Date.now() + 60_000 + Math.ceil(chunks.total / 1024);
    const t = { call: undefined as unknown as grpc.ClientWritableStream<Buffer>, done: false, wake: (): void => {} };
    const finish = (ok: boolean, why?: string): void => {
      t.wake();
      if (t.done) return;
      t.done = true;
      if (ok) this.stats.snapshotsSent++;
      else this.o.warn?.(`raft transport: snapshot to ${this.id} failed: ${why ?? 'unknown error'}`);
      this.o.onSnapshotStatus?.(this.id, ok);
    };
    t.call = this.client.makeClientStreamRequest<Buffer, Buffer>(SNAP_PATH, ident, ident, { deadline }, (err) => finish(!err, err?.details || err?.message));
    t.call.on('error', () => {});
    this.snap = t;
    for (let seq = 0; seq < chunks.count && !t.done && !this.closed; seq++) {
      if (!t.call.write(chunks.chunk(seq))) {
        await new Promise<void>((res) => {
          t.wake = res; // the call ended (answered, failed or cancelled)
          t.call.once('drain', res);
        });
      }
    }
    if (!t.done) t.call.end();
  }

  /** The channel to this peer has a live connection (a dead peer's breaks at once: reset, refused). */
  connected(): boolean {
    return this.client.getChannel().getConnectivityState(false) === grpc.connectivityState.READY;
  }

  close(): void {
    this.closed = true;
    if (this.snap && !this.snap.done) {
      this.snap.done = true;
      this.snap.call.cancel();
      this.snap.wake();
    }
    this.stream?.end();
    this.stream = undefined;
    this.client.close();
  }
}
