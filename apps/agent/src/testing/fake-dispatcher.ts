/**
 * A small in-test Dispatcher gRPC server on 127.0.0.1:0. It keeps a task set,
 * answers Session/Heartbeat/Assignments/UpdateTaskStatus/Report like the real one
 * (COMPLETE first, then INCREMENTAL with applies_to/results_in), and records
 * what the agent sent.
 */
import * as grpc from '@grpc/grpc-js';
import type { Task, TaskStatus } from '@swarm/shared';
import { dispatcherPackage, type AssignmentsMessage, type ReportRequest, type ReportResponse, type SessionMessage } from '../session/proto.js';

type Stream<T> = grpc.ServerWritableStream<{ sessionId: string; nodeId?: string; descriptionJson?: string }, T>;

export async function startFakeDispatcher(
  opts: {
    heartbeatMs?: number;
    failStatusUpdates?: number;
    resume?: boolean;
    /** The first N heartbeats are never answered (a stalled manager): the caller's deadline passes. */
    hangHeartbeats?: number;
    /** The first N sessions never get their first message. */
    silentSessions?: number;
    /** Every heartbeat after the first is answered this late (a busy manager). */
    slowHeartbeatsMs?: number;
    /** No Report stream (a manager from before it): agents must use the unary calls. */
    noReportStream?: boolean;
  } = {},
) {
  const tasks = new Map<string, Task>();
  const sessions: Array<{ sessionId: string; nodeId: string; description: unknown; peer: string; call: Stream<SessionMessage> }> = [];
  const streams: Array<{ sessionId: string; seq: number; call: Stream<AssignmentsMessage> }> = [];
  const statuses: Array<{ sessionId: string; taskId: string; status: TaskStatus }> = [];
  let heartbeats = 0;
  let hang = opts.hangHeartbeats ?? 0;
  let silent = opts.silentSessions ?? 0;
  let failStatus = opts.failStatusUpdates ?? 0;
  let current: string | undefined;
  let reportStreams = 0;
  const reportCalls: Array<grpc.ServerDuplexStream<ReportRequest, ReportResponse>> = [];

  const liveStreams = () => streams.filter((s) => s.sessionId === current && !s.call.cancelled && s.call.writable);

  type Reply<T> = (e: { code: grpc.status; details: string } | null, value?: T) => void;
  const heartbeat = (sessionId: string, reply: Reply<number>) => {
    if (sessionId !== current) return reply({ code: grpc.status.INVALID_ARGUMENT, details: 'session invalid' });
    if (hang > 0) return void hang--;
    heartbeats++;
    const answer = () => reply(null, opts.heartbeatMs ?? 5000);
    if (opts.slowHeartbeatsMs && heartbeats > 1) setTimeout(answer, opts.slowHeartbeatsMs);
    else answer();
  };
  const updateStatus = (sessionId: string, updates: Array<{ taskId: string; statusJson: string }>, reply: Reply<void>) => {
    if (failStatus > 0) {
      failStatus--;
      return reply({ code: grpc.status.UNAVAILABLE, details: 'try again' });
    }
    for (const u of updates) statuses.push({ sessionId, taskId: u.taskId, status: JSON.parse(u.statusJson) });
    reply(null);
  };
  /** The Report stream: the same answers as the unary calls, by sequence number. */
  const report = (call: grpc.ServerDuplexStream<ReportRequest, ReportResponse>) => {
    reportStreams++;
    call.on('data', (req: ReportRequest) => {
      const reply = (e: { code: grpc.status; details: string } | null, periodMs?: number | void) => {
        if (!call.writableEnded) call.write({ seq: req.seq, periodMs: periodMs ?? 0, code: e?.code ?? 0, error: e?.details ?? '' });
      };
      if (req.heartbeat) heartbeat(req.sessionId, reply);
      else updateStatus(req.sessionId, req.updates, reply);
    });
    call.on('end', () => call.end());
    reportCalls.push(call);
  };

  const impl: grpc.UntypedServiceImplementation = {
    Session(call: Stream<SessionMessage>) {
      const resumed = opts.resume && call.request.sessionId !== '' && call.request.sessionId === current;
      const sessionId = resumed ? current! : `session-${sessions.length + 1}`;
      current = sessionId;
      const description: unknown = JSON.parse(call.request.descriptionJson || 'null');
      sessions.push({ sessionId, nodeId: call.request.nodeId ?? '', description, peer: call.getPeer(), call });
      if (silent > 0) return void silent--;
      call.write({ sessionId, nodeJson: JSON.stringify({ id: call.request.nodeId }), managers: [{ nodeId: 'm1', addr: '127.0.0.1:1', weight: 10 }] });
    },
    Heartbeat(call: grpc.ServerUnaryCall<{ sessionId: string }, unknown>, cb: grpc.sendUnaryData<unknown>) {
      heartbeat(call.request.sessionId, (e, periodMs) => (e ? cb(e) : cb(null, { periodMs })));
    },
    UpdateTaskStatus(call: grpc.ServerUnaryCall<{ sessionId: string; updates: Array<{ taskId: string; statusJson: string }> }, unknown>, cb: grpc.sendUnaryData<unknown>) {
      updateStatus(call.request.sessionId, call.request.updates, (e) => (e ? cb(e) : cb(null, {})));
    },
    ...(opts.noReportStream ? {} : { Report: report }),
    Assignments(call: Stream<AssignmentsMessage>) {
      const s = { sessionId: call.request.sessionId, seq: 1, call };
      streams.push(s);
      call.write({
        type: 'COMPLETE',
        appliesTo: 0,
        resultsIn: 1,
        changes: [...tasks.values()].map((t) => ({ action: 'UPDATE', taskId: t.id, taskJson: JSON.stringify(t) })),
      });
    },
  };

  const server = new grpc.Server();
  server.addService(dispatcherPackage().Dispatcher.service, impl);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
  );

  const push = (changes: AssignmentsMessage['changes'], gap = false) => {
    for (const s of liveStreams()) {
      const appliesTo = gap ? s.seq + 100 : s.seq;
      s.seq++;
      s.call.write({ type: 'INCREMENTAL', appliesTo, resultsIn: s.seq, changes });
    }
  };

  return {
    addr: `127.0.0.1:${port}`,
    sessions,
    streams,
    statuses,
    heartbeats: () => heartbeats,
    /** Report streams opened so far. */
    reportStreams: () => reportStreams,
    /** Latest reported state of a task. */
    reported: (taskId: string) => statuses.filter((s) => s.taskId === taskId).at(-1)?.status,
    upsert(task: Task) {
      tasks.set(task.id, task);
      push([{ action: 'UPDATE', taskId: task.id, taskJson: JSON.stringify(task) }]);
    },
    remove(taskId: string) {
      tasks.delete(taskId);
      push([{ action: 'REMOVE', taskId, taskJson: '' }]);
    },
    /** Change the task set without telling anyone, then send a message that does not follow on. */
    gap(task: Task) {
      tasks.set(task.id, task);
      push([], true);
    },
    /** End the current session with UNAVAILABLE, as a restarting manager would. */
    dropSession() {
      current = undefined;
      for (const s of sessions) if (!s.call.cancelled) s.call.emit('error', { code: grpc.status.UNAVAILABLE, details: 'dispatcher restarting' });
      for (const s of streams) if (!s.call.cancelled) s.call.emit('error', { code: grpc.status.UNAVAILABLE, details: 'dispatcher restarting' });
      for (const c of reportCalls) if (!c.cancelled && !c.writableEnded) c.emit('error', { code: grpc.status.UNAVAILABLE, details: 'dispatcher restarting' });
    },
    async close() {
      server.forceShutdown();
    },
  };
}
