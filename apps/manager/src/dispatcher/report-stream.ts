/**
 * The `Report` stream: an agent's heartbeats and status reports as messages on
 * one stream per session, each answered with its sequence number, like the
 * unary `Heartbeat` and `UpdateTaskStatus` it replaces. A unary call costs the
 * manager a new HTTP/2 stream, headers and a deadline each (~1.0 ms of CPU per
 * heartbeat, ~0.4 ms as a message: `npm run bench:heartbeat`).
 *
 *   agent ──{seq, session, heartbeat | updates}──► bind to the session (first message)
 *         ◄──{seq, period_ms} | {seq} | {seq, code, error}──┘
 *
 * A refusal is an answer (code and message), not the stream's end; the stream
 * ends with its session.
 */
import * as grpc from '@grpc/grpc-js';
import type { Clock } from '@swarm/shared';
import { REVERIFY_MS, type Session, status } from './dispatcher.js';
import type * as P from './proto.js';

export interface ReportStreamDeps {
  clock: Clock;
  /** The session of that ID, if the caller may use it (throws a gRPC status otherwise). */
  sessionOf(id: string): Session;
  /** The session is still the node's open one. */
  isOpen(s: Session): boolean;
  /** Reads the caller's certificate again (throws a gRPC status when it no longer names the session's node). */
  reverify(s: Session): void;
  /** Records a heartbeat; returns the period until the next one. */
  heartbeat(s: Session): number;
  /** Validates and queues a status report (throws a gRPC status when it is refused). */
  statuses(s: Session, updates: P.TaskStatusUpdate[]): void;
}

export function serveReportStream(call: grpc.ServerDuplexStream<P.ReportRequest, P.ReportResponse>, d: ReportStreamDeps): void {
  let bound: Session | undefined;
  let verifiedAt = 0;
  const end = () => {
    bound?.streams.delete(end);
    bound = undefined;
    if (!call.writableEnded) call.end();
  };
  const answer = (req: P.ReportRequest): P.ReportResponse => {
    try {
      if (!bound) {
        bound = d.sessionOf(req.session_id);
        bound.streams.add(end);
        verifiedAt = d.clock.now();
      } else if (req.session_id !== bound.id || !d.isOpen(bound)) {
        throw status(grpc.status.INVALID_ARGUMENT, 'session invalid');
      } else if (d.clock.now() - verifiedAt >= REVERIFY_MS) {
        // The stream's connection is fixed, so its certificate is re-read only to catch its expiry.
        d.reverify(bound);
        verifiedAt = d.clock.now();
      }
      if (req.heartbeat) return { seq: req.seq, period_ms: d.heartbeat(bound) };
      d.statuses(bound, req.updates);
      return { seq: req.seq };
    } catch (e) {
      const se = e as Partial<grpc.ServiceError>;
      return { seq: req.seq, code: se.code ?? grpc.status.INTERNAL, error: se.details ?? String(e) };
    }
  };
  call.on('data', (req: P.ReportRequest) => {
    if (!call.writableEnded) call.write(answer(req));
  });
  call.on('end', end);
  call.on('cancelled', end);
  call.on('error', end);
}
