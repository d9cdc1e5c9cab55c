/**
 * A follower's writes to the leader over one long-lived gRPC stream per
 * leader address (Peers.ProposeStream) instead of one unary call per write.
 * grpc-js spends ~1 ms of CPU per unary call (client and server together:
 * a new HTTP/2 stream, headers, deadline, filters, authentication) against
 * ~0.2 ms per message on an open stream, and every follower write pays it.
 *
 *   follower                                   leader
 *   propose(addr, entry) ─► [u32 id][entry] ─► not the leader? ─► {e: not the leader; leader is …}
 *        ▲                                     raft.propose(entry) ─► {o: ApplyOutcome} | {e: …}
 *        └──────────── [u32 id][JSON answer] ◄──┘
 *
 * The caller is identified when the stream opens and again at most once a
 * second (a manager removed from the swarm is refused, as with unary calls).
 * A request unanswered within its timeout cancels the stream (a stuck link
 * must not hold the next write); the next write opens a new one. A leader
 * without the method (UNIMPLEMENTED, an older manager) gets unary calls.
 */
import * as grpc from '@grpc/grpc-js';
import type { RaftNode } from '@swarm/raft';
import type { Result } from '@swarm/shared';
import type { ApplyOutcome } from '../store/replicated.js';

/** What the leader answers for one request: an outcome, or a gRPC-like error. */
export type StreamAnswer = { o: ApplyOutcome } | { e: { code: grpc.status; details: string } };

/** What identifies the calling manager on a server call (its verified client certificate). */
export type IdentifiableCall = Pick<grpc.ServerDuplexStream<Buffer, Buffer>, 'getPeer' | 'getAuthContext'>;

const REIDENTIFY_MS = 1_000;

export function encodeRequest(id: number, data: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(4 + data.length);
  frame.writeUInt32LE(id, 0);
  frame.set(data, 4);
  return frame;
}

function encodeAnswer(id: number, a: StreamAnswer): Buffer {
  const json = JSON.stringify(a);
  const frame = Buffer.allocUnsafe(4 + Buffer.byteLength(json));
  frame.writeUInt32LE(id, 0);
  frame.write(json, 4, 'utf8');
  return frame;
}

export interface ProposeStreamServerDeps {
  raft: Pick<RaftNode<ApplyOutcome>, 'status' | 'propose'>;
  identifyManager(call: IdentifiableCall): Result<string, string>;
  /** "not the leader; leader is <addr>" */
  notLeader(): string;
  now?: () => number;
}

/** The leader's side of Peers.ProposeStream. */
export function serveProposeStream(call: grpc.ServerDuplexStream<Buffer, Buffer>, d: ProposeStreamServerDeps): void {
  const now = d.now ?? Date.now;
  let open = true;
  let checkedAt = now();
  const closed = () => (open = false);
  /** Identifies the caller; ends the stream with PERMISSION_DENIED if it is not a manager (any more). */
  const refused = (): boolean => {
    const who = d.identifyManager(call);
    checkedAt = now();
    if (who.ok) return false;
    closed();
    call.emit('error', { code: grpc.status.PERMISSION_DENIED, details: who.error });
    return true;
  };
  if (refused()) return;
  call.on('error', closed);
  call.on('cancelled', closed);
  call.on('end', () => {
    closed();
    call.end();
  });
  call.on('data', (frame: Buffer) => {
    if (!open || frame.length < 4) return;
    if (now() - checkedAt >= REIDENTIFY_MS && refused()) return;
    const id = frame.readUInt32LE(0);
    const answer = (a: StreamAnswer) => void (open && call.write(encodeAnswer(id, a)));
    if (d.raft.status().role !== 'leader') return answer({ e: { code: grpc.status.FAILED_PRECONDITION, details: d.notLeader() } });
    // A copy (a typed-array constructor copies; Buffer#slice would not): the log keeps the entry,
    // and the frame may share memory with the transport's buffers.
    void d.raft.propose(new Uint8Array(frame.subarray(4))).then((r) =>
      answer(r.ok ? { o: r.value } : { e: { code: r.error.kind === 'not-leader' ? grpc.status.FAILED_PRECONDITION : grpc.status.UNAVAILABLE, details: r.error.message } }),
    );
  });
}

type Pending = { resolve(a: StreamAnswer): void; reject(e: Error): void; timer: NodeJS.Timeout };
type Stream = { call: grpc.ClientDuplexStream<Buffer, Buffer>; pending: Map<number, Pending> };
type Opener = (addr: string) => grpc.ClientDuplexStream<Buffer, Buffer>;

/** Errors carry the gRPC code when there is one (UNIMPLEMENTED: use unary calls). */
export class StreamError extends Error {
  constructor(
    message: string,
    readonly code?: grpc.status,
  ) {
    super(message);
  }
}

/** The follower's side: one stream per leader address, opened on first use. */
export function createProposeStreams(openStream: Opener) {
  const streams = new Map<string, Stream>();
  let seq = 0;
  const fail = (addr: string, s: Stream, e: StreamError) => {
    if (streams.get(addr) === s) streams.delete(addr);
    for (const p of s.pending.values()) {
      clearTimeout(p.timer);
      p.reject(e);
    }
    s.pending.clear();
  };
  const open = (addr: string): Stream => {
    const s: Stream = { call: openStream(addr), pending: new Map() };
    s.call.on('data', (frame: Buffer) => {
      const p = frame.length >= 4 ? s.pending.get(frame.readUInt32LE(0)) : undefined;
      if (!p) return;
      s.pending.delete(frame.readUInt32LE(0));
      clearTimeout(p.timer);
      try {
        p.resolve(JSON.parse(frame.toString('utf8', 4)) as StreamAnswer);
      } catch {
        p.reject(new StreamError(`${addr}: undecodable answer`));
      }
    });
    s.call.on('error', (e: grpc.ServiceError) => fail(addr, s, new StreamError(`${addr}: ${e.details || e.message}`, e.code)));
    s.call.on('end', () => fail(addr, s, new StreamError(`${addr}: the stream ended`)));
    streams.set(addr, s);
    return s;
  };
  return {
    /** Sends one entry; resolves with the leader's answer, rejects if the stream broke or the answer took too long. */
    send(addr: string, data: Uint8Array, timeoutMs: number): Promise<StreamAnswer> {
      const s = streams.get(addr) ?? open(addr);
      const id = (seq = (seq + 1) >>> 0);
      return new Promise<StreamAnswer>((resolve, reject) => {
        const timer = setTimeout(() => {
          fail(addr, s, new StreamError(`${addr}: no answer within ${timeoutMs} ms`, grpc.status.DEADLINE_EXCEEDED));
          s.call.cancel();
        }, timeoutMs);
        s.pending.set(id, { resolve, reject, timer });
        s.call.write(encodeRequest(id, data));
      });
    },
    close() {
      for (const [addr, s] of streams) {
        fail(addr, s, new StreamError(`${addr}: closed`));
        s.call.cancel();
      }
    },
  };
}
