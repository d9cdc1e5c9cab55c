/**
 * How a session's heartbeats and status reports reach the dispatcher: as
 * messages on one `Report` stream, each answered with its sequence number, or
 * (against a manager without it: UNIMPLEMENTED) as the unary `Heartbeat` and
 * `UpdateTaskStatus` calls. Either way a request gets one answer: a result, the
 * manager's refusal (gRPC code and message), or DEADLINE_EXCEEDED when nothing
 * came by its deadline.
 *
 *   heartbeat() / statuses() ──seq──► Report stream ──► dispatcher
 *                ◄── answer by seq ───┘   (UNIMPLEMENTED → unary calls from then on)
 *
 * A unary call is a new HTTP/2 stream with its headers and deadline; at 5,000
 * nodes they cost the manager ~0.9 ms of CPU each (`npm run bench:heartbeat`).
 */
import * as grpc from '@grpc/grpc-js';
import { systemClock, type Clock } from '@swarm/shared';
import type { DispatcherClient, ReportRequest, ReportResponse, TaskStatusUpdateMsg } from './proto.js';

export type Answer<T> = { ok: true; value: T } | { ok: false; code: grpc.status; details: string };

export interface ReportChannel {
  /** A heartbeat; its answer is the period until the next one (ms). */
  heartbeat(timeoutMs: number): Promise<Answer<number>>;
  statuses(updates: TaskStatusUpdateMsg[], timeoutMs: number): Promise<Answer<void>>;
  close(): void;
}

export interface ReportChannelOptions {
  client: DispatcherClient;
  sessionId: string;
  /** The stream failed (not UNIMPLEMENTED): the session is over. */
  onBroken(reason: string): void;
  /** Start on the unary calls (no stream at all). */
  unary?: boolean;
  clock?: Clock;
  /** Counts the requests that went as unary calls (the rest went as stream messages). */
  onUnaryCall?(): void;
}

type Request = Omit<ReportRequest, 'seq' | 'sessionId'>;
interface Pending {
  req: Request;
  timeoutMs: number;
  settle(r: ReportResponse | { code: grpc.status; error: string }): void;
}

const DEADLINE: { code: grpc.status; error: string } = { code: grpc.status.DEADLINE_EXCEEDED, error: 'deadline exceeded' };

export function openReportChannel(o: ReportChannelOptions): ReportChannel {
  const clock = o.clock ?? systemClock;
  const { client, sessionId } = o;
  let unary = o.unary ?? false;
  let closed = false;
  let seq = 0;
  const pending = new Map<number, Pending>();
  let stream: grpc.ClientDuplexStream<ReportRequest, ReportResponse> | undefined;

  const viaUnary = (req: Request, timeoutMs: number, settle: Pending['settle']) => {
    o.onUnaryCall?.();
    const opts = { deadline: new Date(Date.now() + timeoutMs) };
    const done = (e: grpc.ServiceError | null, periodMs?: number) =>
      settle(e ? { code: e.code, error: e.details || e.message } : { seq: 0, periodMs: periodMs ?? 0, code: 0, error: '' });
    if (req.heartbeat) client.Heartbeat({ sessionId }, new grpc.Metadata(), opts, (e, res) => done(e, Number(res?.periodMs)));
    else client.UpdateTaskStatus({ sessionId, updates: req.updates }, new grpc.Metadata(), opts, (e) => done(e));
  };

  const openStream = () => {
    const s = client.Report();
    s.on('data', (r: ReportResponse) => {
      const p = pending.get(Number(r.seq));
      if (p) p.settle(r);
    });
    s.on('error', (e: grpc.ServiceError) => {
      if (stream !== s) return;
      stream = undefined;
      if (e.code === grpc.status.UNIMPLEMENTED) {
        // An older manager: what was waiting on the stream goes again as unary calls.
        unary = true;
        for (const p of [...pending.values()]) viaUnary(p.req, p.timeoutMs, p.settle);
        return;
      }
      broken(`report stream: ${e.details || e.message}`);
    });
    s.on('end', () => {
      if (stream === s) broken('report stream ended');
    });
    return s;
  };

  const broken = (reason: string) => {
    stream = undefined;
    for (const p of [...pending.values()]) p.settle({ code: grpc.status.UNAVAILABLE, error: reason });
    if (!closed) o.onBroken(reason);
  };

  const request = (req: Request, timeoutMs: number): Promise<ReportResponse | { code: grpc.status; error: string }> =>
    new Promise((resolve) => {
      if (closed) return resolve({ code: grpc.status.CANCELLED, error: 'session closed' });
      if (unary) return viaUnary(req, timeoutMs, resolve);
      const n = ++seq;
      const timer = clock.setTimeout(() => p.settle(DEADLINE), timeoutMs);
      const p: Pending = {
        req,
        timeoutMs,
        settle: (r) => {
          if (pending.get(n) !== p) return;
          pending.delete(n);
          timer.cancel();
          resolve(r);
        },
      };
      pending.set(n, p);
      stream ??= openStream();
      stream.write({ sessionId, seq: n, ...req });
    });

  const refused = (r: { code?: grpc.status; error?: string }) => (r.code ? { ok: false as const, code: r.code, details: r.error ?? '' } : undefined);

  return {
    async heartbeat(timeoutMs) {
      const r = await request({ heartbeat: true, updates: [] }, timeoutMs);
      return refused(r) ?? { ok: true, value: Number((r as ReportResponse).periodMs) };
    },
    async statuses(updates, timeoutMs) {
      const r = await request({ heartbeat: false, updates }, timeoutMs);
      return refused(r) ?? { ok: true, value: undefined };
    },
    close() {
      closed = true;
      const s = stream;
      stream = undefined;
      for (const p of [...pending.values()]) p.settle({ code: grpc.status.CANCELLED, error: 'session closed' });
      s?.cancel();
    },
  };
}
