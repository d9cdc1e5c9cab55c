/**
 * The agent-facing Dispatcher service (leader only): sessions, heartbeats,
 * task status reports and assignment streams, over gRPC. Every agent message
 * is validated with zod before it touches the store.
 *
 *   agent ──Session──► register (node READY) ──► SessionMessage stream
 *         ──Heartbeat─► re-arm timer ── expiry ──► node DOWN
 *         ──UpdateTaskStatus─► status batcher ──► store
 *         ──Report (stream)──► heartbeats and status reports as messages, answered by seq
 *         ◄─Assignments── COMPLETE, then INCREMENTAL from store commits
 */
import * as grpc from '@grpc/grpc-js';
import {
  type Clock, type Node, type Result, type Rng, NodeDescriptionSchema, TaskStatusSchema, formatZodError, jsonEqual, newId, systemClock, systemRng,
} from '@swarm/shared';
import type { Store } from '../store/store.js';
import { openAssignments } from './assignments.js';
import { DEFAULT_HEARTBEAT_PERIOD_MS, DEFAULT_MAX_HEARTBEATS_PER_SECOND, createHeartbeatTracker } from './heartbeat.js';
import type * as P from './proto.js';
import { createNodeEvents } from './router.js';
import { createNodeWriter } from './node-writes.js';
import { serveReportStream } from './report-stream.js';
import { createStatusBatcher } from './status-batcher.js';

export interface DispatcherDeps {
  store: Store;
  clock?: Clock;
  rng?: Rng;
  /** This manager's node ID (written as `appliedBy`). */
  managerId: () => string;
  /** The managers agents may connect to. */
  managers: () => Array<{ node_id: string; addr: string; weight: number }>;
  /** Who is calling: the node ID from the peer certificate, or why not. */
  identify: (call: AgentCall) => Result<string, string>;
  /**
   * `identify` depends only on the connection (the mutual-TLS peer certificate), not on the call: then a
   * heartbeat or status report on the connection that opened the session is that session's node, and
   * the certificate is re-read at most every REVERIFY_MS instead of on every call (grpc-js parses it
   * again per call: the top manager function in the scale benchmark's profiles).
   */
  identityPerConnection?: boolean;
  log?: (msg: string) => void;
}

/** What the dispatcher needs of any agent call: who is at the other end of its connection. */
type AgentCall = Pick<grpc.ServerUnaryCall<unknown, unknown>, 'getPeer' | 'getAuthContext' | 'metadata'>;

export interface Session { id: string; nodeId: string; close: () => void; streams: Set<() => void>; peer: string; verifiedAt: number }

/** How long a session's connection is trusted without reading its certificate again. */
export const REVERIFY_MS = 30_000;

export interface Dispatcher {
  implementation: grpc.UntypedServiceImplementation;
  stop(): Promise<void>;
  /** Resolves when every queued status report is in the store (tests). */
  flush(): Promise<void>;
  /** Arms heartbeat timers for nodes expected to reconnect (UNKNOWN after a restart). */
  expect(nodeIds: string[]): void;
}

const peerIp = (peer: string) => peer.replace(/^ipv[46]:/, '').replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
export const status = (code: grpc.status, details: string) => Object.assign(new Error(details), { code, details });

export function createDispatcher(deps: DispatcherDeps): Dispatcher {
  const { store } = deps;
  const clock = deps.clock ?? systemClock;
  const log = deps.log ?? (() => {});
  const sessions = new Map<string, Session>();
  /** The open session of each node (at most one), so finding it never scans every session. */
  const byNode = new Map<string, Session>();
  /** SwarmKit's registration limit: more than 3 sessions within 8 s of each other is refused. */
  const registrations = new Map<string, { count: number; last: number }>();
  const registrationAllowed = (nodeId: string): boolean => {
    const now = clock.now();
    const r = registrations.get(nodeId) ?? { count: 0, last: now };
    if (now - r.last > 8_000) r.count = 0;
    r.count++;
    r.last = now;
    registrations.set(nodeId, r);
    return r.count <= 3;
  };
  const events = createNodeEvents(store);
  const batcher = createStatusBatcher({ store, clock, managerId: deps.managerId });
  const nodeWriter = createNodeWriter({ store });

  /** Session opens in progress per node (their READY write is queued or being committed). */
  const opening = perNodeInProgress();
  /** Nodes with a DOWN write queued or in flight (a session open must then write READY after it). */
  const markingDown = perNodeInProgress();
  const markDown = (nodeId: string, message: string) => markingDown.during(nodeId, () => markDownNow(nodeId, message));
  const markDownNow = async (nodeId: string, message: string) => {
    byNode.get(nodeId)?.close();
    // Decided when the write runs, not now: a session that opened (or started opening) after the expiry
    // wrote READY before this edit runs, and marking the node DOWN then would leave it DOWN for good while
    // its agent heartbeats on that session (nothing writes READY again until the next session).
    const r = await nodeWriter.write(nodeId, (n) =>
      n.status.state === 'DOWN' || byNode.has(nodeId) || opening.has(nodeId) ? undefined : { ...n, status: { ...n.status, state: 'DOWN', message } },
    );
    if (r.ok && r.value.status.state !== 'DOWN') {
      // Left READY for a newer session; if that open still fails, the node expires again.
      if (!byNode.has(nodeId)) heartbeats.beat(nodeId);
      return;
    }
    log(`node ${nodeId} is down: ${message}`);
  };
  /** The last session ID issued to each node: the only one it may resume. */
  const lastSession = new Map<string, string>();
  /** The cluster's heartbeat settings, re-read after a cluster change or a second (every heartbeat asks for them). */
  let heartbeatCache: { periodMs: number; maxPerSecond: number; at: number } | undefined;
  const heartbeatSettings = () => {
    if (!heartbeatCache || clock.now() - heartbeatCache.at > 1000) {
      const d = store.view((tx) => tx.list('clusters')[0]?.spec.dispatcher);
      heartbeatCache = {
        periodMs: d?.heartbeatPeriodMs ?? DEFAULT_HEARTBEAT_PERIOD_MS,
        maxPerSecond: d?.maxHeartbeatsPerSecond ?? DEFAULT_MAX_HEARTBEATS_PER_SECOND,
        at: clock.now(),
      };
    }
    return heartbeatCache;
  };
  const heartbeats = createHeartbeatTracker({
    clock,
    rng: deps.rng ?? systemRng,
    periodMs: () => heartbeatSettings().periodMs,
    maxPerSecond: () => heartbeatSettings().maxPerSecond,
    onExpired: (nodeId) => void markDown(nodeId, 'heartbeat failure'),
  });

  /** The caller's session; it must belong to the node the caller's certificate names. */
  const sessionOf = (call: AgentCall, id: string): Session => {
    const known = sessions.get(id);
    // The session's own connection (its stream is open on it, so the address is not reused), recently verified.
    if (known && deps.identityPerConnection && call.getPeer() === known.peer && clock.now() - known.verifiedAt < REVERIFY_MS) return known;
    const who = deps.identify(call);
    if (!who.ok) throw status(grpc.status.PERMISSION_DENIED, who.error);
    const s = sessions.get(id);
    if (!s) throw status(grpc.status.INVALID_ARGUMENT, 'session invalid');
    if (s.nodeId !== who.value) throw status(grpc.status.PERMISSION_DENIED, 'session belongs to another node');
    if (call.getPeer() === s.peer) s.verifiedAt = clock.now();
    return s;
  };
  // A removed node loses its sessions at once.
  const unsubscribeNodes = store.subscribe((e) => {
    for (const c of e.changes) {
      if (c.table === 'clusters') heartbeatCache = undefined;
      if (c.table !== 'nodes' || c.action !== 'delete') continue;
      heartbeats.forget(c.object.id);
      lastSession.delete(c.object.id);
      byNode.get(c.object.id)?.close();
    }
  });

  const session = async (call: grpc.ServerWritableStream<P.SessionRequest, P.SessionMessage>) => {
    const who = deps.identify(call);
    if (!who.ok) return void call.emit('error', status(grpc.status.PERMISSION_DENIED, who.error));
    const nodeId = who.value;
    if (!registrationAllowed(nodeId)) {
      return void call.emit('error', status(grpc.status.UNAVAILABLE, `node ${nodeId} exceeded rate limit count of registrations`));
    }
    let description;
    try {
      const parsed = NodeDescriptionSchema.safeParse(JSON.parse(call.request.description_json || '{}'));
      if (!parsed.success) return void call.emit('error', status(grpc.status.INVALID_ARGUMENT, `invalid node description: ${formatZodError(parsed.error)}`));
      description = parsed.data;
    } catch {
      return void call.emit('error', status(grpc.status.INVALID_ARGUMENT, 'node description is not JSON'));
    }
    const addr = peerIp(call.getPeer());
    // Coalesced with the other sessions opening now: one transaction for a whole reconnect storm.
    // The edit is idempotent, so a commit that timed out (it may still land) is simply retried once.
    const ready = (n: Node): Node => ({ ...n, description, status: { state: 'READY', message: '', addr } });
    // A reconnect of a node that is still READY as described (its session dropped moments ago) needs no
    // write: the session starts at once instead of behind a Raft commit, which under load is what makes
    // a reconnect storm feed itself (opens time out waiting for their commit and are retried).
    const current = markingDown.has(nodeId) ? undefined : store.view((tx) => tx.get('nodes', nodeId));
    if (current && isReadyAs(current, description, addr)) {
      registerSession(call, nodeId, current);
      return;
    }
    // Counted as opening until the session is registered: a DOWN edit queued behind the READY write must see
    // one or the other, with no turn of the event loop in between.
    await opening.during(nodeId, async () => {
      let r = await nodeWriter.write(nodeId, ready);
      if (!r.ok && r.error.startsWith('node write failed')) r = await nodeWriter.write(nodeId, ready);
      if (!r.ok) return void call.emit('error', status(grpc.status.NOT_FOUND, r.error));
      if (call.cancelled) {
        // The agent gave up waiting (a slow commit): no session to set up; the node expires unless it comes back.
        if (!byNode.has(nodeId)) heartbeats.beat(nodeId);
        return;
      }
      registerSession(call, nodeId, r.value);
    });
  };

  /** The session's bookkeeping once its node is READY in the store: ID, node updates, heartbeat, first message. */
  const registerSession = (call: grpc.ServerWritableStream<P.SessionRequest, P.SessionMessage>, nodeId: string, node: Node) => {
    const description = node.description;
    // An agent that moves to a new connection (a renewed certificate) resumes its session ID.
    const asked = call.request.session_id;
    const id = asked && lastSession.get(nodeId) === asked ? asked : newId();
    lastSession.set(nodeId, id);
    const send = (node: Node) => call.write({ session_id: id, node_json: JSON.stringify(node), managers: deps.managers() });
    const unsubscribe = events.onNode(nodeId, (node, deleted) => {
      if (!deleted) send(node);
    });
    // One session per node: a new one replaces the old (an agent that reconnected).
    byNode.get(nodeId)?.close();
    const streams = new Set<() => void>();
    const close = () => {
      if (sessions.get(id) !== entry) return;
      sessions.delete(id);
      if (byNode.get(nodeId) === entry) byNode.delete(nodeId);
      unsubscribe();
      for (const end of streams) end();
      call.end();
    };
    const entry: Session = { id, nodeId, close, streams, peer: call.getPeer(), verifiedAt: clock.now() };
    sessions.set(id, entry);
    byNode.set(nodeId, entry);
    // The agent went away (its connection dropped: crash, kill -9, network). A live agent opens a new
    // session within ~100 ms (its backoff restarts at 0 after an established session), so the node gets
    // one heartbeat period instead of the full grace to come back before it is DOWN. (SwarmKit waits
    // the full grace; this is how a killed node's tasks run elsewhere within 5 s.)
    const lost = () => {
      const wasOpen = sessions.get(id) === entry;
      close();
      if (wasOpen && !byNode.has(nodeId)) heartbeats.lost(nodeId);
    };
    call.on('cancelled', lost);
    call.on('error', lost);
    heartbeats.beat(nodeId);
    // The node as it is now, not as our write left it: a change committed between that write and the
    // subscription above (a promotion or demotion racing a reconnect) would otherwise never reach the agent.
    send(store.view((tx) => tx.get('nodes', nodeId)) ?? node);
    log(`session ${id} opened for node ${nodeId} (${description?.hostname ?? nodeId})`);
  };

  /** Validates a status report (every update, before any is queued) and queues it for the store. */
  const acceptStatuses = (s: Session, reported: P.TaskStatusUpdate[]) => {
    // One read transaction for the whole report.
    const updates = store.view((read) => reported.map((u) => {
      let json: unknown;
      try {
        json = JSON.parse(u.status_json);
      } catch {
        throw status(grpc.status.INVALID_ARGUMENT, `status of task ${u.task_id} is not JSON`);
      }
      const parsed = TaskStatusSchema.safeParse(json);
      if (!parsed.success) throw status(grpc.status.INVALID_ARGUMENT, `invalid status for task ${u.task_id}: ${formatZodError(parsed.error)}`);
      const task = read.get('tasks', u.task_id);
      if (task && task.nodeId !== s.nodeId) throw status(grpc.status.PERMISSION_DENIED, 'cannot update a task not assigned this node');
      return { id: u.task_id, status: parsed.data };
    }));
    for (const u of updates) batcher.add(u.id, u.status);
  };

  const implementation: grpc.UntypedServiceImplementation = {
    Session: (call: grpc.ServerWritableStream<P.SessionRequest, P.SessionMessage>) => {
      session(call).catch((e) => call.emit('error', status(grpc.status.INTERNAL, String(e))));
    },
    Heartbeat(call: grpc.ServerUnaryCall<P.HeartbeatRequest, P.HeartbeatResponse>, cb: grpc.sendUnaryData<P.HeartbeatResponse>) {
      try {
        const s = sessionOf(call, call.request.session_id);
        cb(null, { period_ms: heartbeats.beat(s.nodeId) });
      } catch (e) {
        cb(e as grpc.ServiceError);
      }
    },
    UpdateTaskStatus(call: grpc.ServerUnaryCall<P.UpdateTaskStatusRequest, object>, cb: grpc.sendUnaryData<object>) {
      try {
        acceptStatuses(sessionOf(call, call.request.session_id), call.request.updates);
        cb(null, {});
      } catch (e) {
        cb(e as grpc.ServiceError);
      }
    },
    Report: (call: grpc.ServerDuplexStream<P.ReportRequest, P.ReportResponse>) =>
      serveReportStream(call, {
        clock,
        sessionOf: (id) => sessionOf(call, id),
        isOpen: (s) => sessions.get(s.id) === s,
        reverify: (s) => {
          const who = deps.identify(call);
          if (!who.ok || who.value !== s.nodeId) throw status(grpc.status.PERMISSION_DENIED, who.ok ? 'session belongs to another node' : who.error);
        },
        heartbeat: (s) => heartbeats.beat(s.nodeId),
        statuses: acceptStatuses,
      }),
    Assignments(call: grpc.ServerWritableStream<P.AssignmentsRequest, P.AssignmentsMessage>) {
      let s: Session;
      try {
        s = sessionOf(call, call.request.session_id);
      } catch (e) {
        return void call.emit('error', e as Error);
      }
      const stream = openAssignments({ store, events, nodeId: s.nodeId, send: (m) => call.write(m) });
      const done = () => {
        stream.close();
        s.streams.delete(end);
      };
      const end = () => {
        done();
        call.end();
      };
      s.streams.add(end);
      call.on('cancelled', done);
      call.on('error', done);
      call.on('close', done);
    },
  };

  return {
    implementation,
    flush: async () => {
      await nodeWriter.flush();
      await batcher.flush();
    },
    expect(nodeIds) {
      for (const id of nodeIds) heartbeats.beat(id, 2);
    },
    async stop() {
      unsubscribeNodes();
      events.stop();
      heartbeats.stop();
      for (const s of [...sessions.values()]) s.close();
      await nodeWriter.flush();
      await batcher.stop();
    },
  };
}

/** The node is READY, at this address, with exactly this description: a new session changes nothing in it. */
function isReadyAs(n: Node, description: Node['description'], addr: string): boolean {
  return n.status.state === 'READY' && n.status.addr === addr && !n.status.message && jsonEqual(n.description, description);
}

/** Per node, how many of some operation are under way (nested and concurrent ones counted). */
function perNodeInProgress() {
  const counts = new Map<string, number>();
  return {
    has: (nodeId: string) => counts.has(nodeId),
    async during<T>(nodeId: string, fn: () => Promise<T>): Promise<T> {
      counts.set(nodeId, (counts.get(nodeId) ?? 0) + 1);
      try {
        return await fn();
      } finally {
        const left = (counts.get(nodeId) ?? 1) - 1;
        if (left > 0) counts.set(nodeId, left);
        else counts.delete(nodeId);
      }
    },
  };
}
