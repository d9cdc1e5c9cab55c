/**
 * The agent's side of the Dispatcher protocol (swarmkit.md §7). One session at
 * a time: open `Session`, take the session ID from its first message, heartbeat
 * immediately and then every returned period, stream `Assignments` into the
 * worker and send status batches; heartbeats and statuses go as messages on the
 * `Report` stream (reports.ts). Any failure tears the session down; a new one
 * starts after the jittered backoff.
 */
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { TaskSchema, err, ok, systemClock, systemRng, type Clock, type NodeDescription, type Rng, type Task } from '@swarm/shared';
import type { SendStatuses } from '../worker/reporter.js';
import { jittered, nextBackoff } from './backoff.js';
import { createDispatcherClient, type AssignmentsMessage, type DispatcherClient, type SessionMessage, type WeightedPeer } from './proto.js';
import { openReportChannel, type ReportChannel } from './reports.js';

export interface SessionHandlers {
  describe(): Promise<NodeDescription>;
  onComplete(tasks: Task[]): Promise<void>;
  onIncremental(updated: Task[], removed: string[]): Promise<void>;
  /** A session is up: install the sender and re-report every task. */
  onConnected(send: SendStatuses): void;
  onDisconnected(): void;
}

export interface SessionOptions {
  nodeId: string;
  managerAddr: string;
  handlers: SessionHandlers;
  credentials?: grpc.ChannelCredentials;
  /** gRPC channel options, e.g. `grpc.ssl_target_name_override`. */
  channelOptions?: grpc.ChannelOptions;
  clock?: Clock;
  rng?: Rng;
  logger?: Logger;
  /**
   * Time allowed for the first SessionMessage (default 5 s). Doubled after each session that timed out
   * waiting for it, up to 8×, and back to this once a session is established: a manager too loaded to
   * answer within 5 s is not helped by every agent re-registering every 5 s.
   */
  sessionTimeoutMs?: number;
  /**
   * Heartbeats whose deadline passed that are retried at once before the session is given up (default 2):
   * a manager that stalls for a few seconds (a large commit) has not lost the session; the dispatcher
   * itself waits 5 periods before it marks the node DOWN.
   */
  heartbeatRetries?: number;
  /** Deadline of heartbeats and status reports (default 5 s). */
  rpcTimeoutMs?: number;
  /** Send heartbeats and statuses as unary calls, not on the Report stream (default false; tests, benchmarks). */
  unaryReports?: boolean;
  /** Re-read the node description this often; a change opens a new session (default 20 s, 0 = never). */
  describeIntervalMs?: number;
  /** The managers' addresses changed (from the session's manager list). */
  onManagers?(addrs: string[]): void;
}

export interface SessionStatus {
  state: 'connecting' | 'ready' | 'stopped';
  sessionId?: string;
  managers: WeightedPeer[];
  /** The node object as last sent by the dispatcher (JSON, unvalidated). */
  node?: unknown;
  lastError?: string;
  /** Sessions established so far. */
  sessions: number;
  /** Times the Assignments stream was reopened after a sequencing gap. */
  assignmentReopens: number;
  /** Calls and messages so far (what a converge costs in RPCs: see the scheduler bench). */
  rpc: { heartbeats: number; statusCalls: number; statusUpdates: number; assignmentMessages: number; unaryCalls: number };
}

export interface SessionClient {
  status(): SessionStatus;
  /**
   * Moves the session to a new connection (same session ID when the dispatcher
   * allows it): after a certificate renewal, so the manager sees the new one.
   */
  reconnect(reason: string): void;
  stop(): Promise<void>;
}

export const DEFAULT_HEARTBEAT_MS = 5000;
/**
 * A heartbeat may take up to a fifth of the period (at least the RPC timeout, at most 30 s): with the
 * dispatcher's rate cap a 5,000-node cluster beats every 50 s and a node is DOWN only after ~250 s of
 * silence, so a manager slowed by a burst of work need not answer within 5 s; failing sessions for it
 * turned a busy manager into a reconnect storm.
 */
const HEARTBEAT_DEADLINE_DIVISOR = 5;
const MAX_HEARTBEAT_DEADLINE_MS = 30_000;
const NO_FIRST_MESSAGE = 'no session message in time';

export function startSession(opts: SessionOptions): SessionClient {
  const clock = opts.clock ?? systemClock;
  const rng = opts.rng ?? systemRng;
  const log = opts.logger;
  const rpcTimeout = opts.rpcTimeoutMs ?? 5000;
  // A local subchannel pool: a reconnect must open a new connection, not reuse the old one.
  let addr = opts.managerAddr;
  const dial = () => createDispatcherClient(addr, opts.credentials ?? grpc.credentials.createInsecure(), { ...opts.channelOptions, 'grpc.use_local_subchannel_pool': 1 });
  let client = dial();
  let redial: string | undefined;
  const st: SessionStatus = { state: 'connecting', managers: [], sessions: 0, assignmentReopens: 0, rpc: { heartbeats: 0, statusCalls: 0, statusUpdates: 0, assignmentMessages: 0, unaryCalls: 0 } };
  let stopped = false;
  let abortCurrent: ((reason: string) => void) | undefined;
  let wakeSleep: (() => void) | undefined;

  const baseFirstMessageTimeout = opts.sessionTimeoutMs ?? 5000;
  let firstMessageTimeout = baseFirstMessageTimeout;
  /** The period the dispatcher last handed out (kept across sessions: a new session's first heartbeat uses it too). */
  let heartbeatPeriod = 0;

  const applySessionMessage = (m: SessionMessage) => {
    if (m.managers.length > 0) {
      const before = st.managers.map((x) => x.addr).join(',');
      st.managers = m.managers;
      if (m.managers.map((x) => x.addr).join(',') !== before) opts.onManagers?.(m.managers.map((x) => x.addr));
    }
    if (m.nodeJson) {
      try {
        st.node = JSON.parse(m.nodeJson);
      } catch {
        log?.warn('unparseable node_json in SessionMessage');
      }
    }
  };

  async function runSession(): Promise<{ established: boolean; reason: string }> {
    let reason: string | undefined;
    let signalFailed!: (r: string) => void;
    const failed = new Promise<string>((r) => (signalFailed = r));
    const fail = (r: string) => {
      if (reason !== undefined) return;
      reason = r;
      signalFailed(r);
    };
    abortCurrent = fail;
    const cleanups: Array<() => void> = [];

    let description: NodeDescription;
    try {
      description = await opts.handlers.describe();
    } catch (e) {
      return { established: false, reason: `describe node: ${String(e)}` };
    }
    if (reason !== undefined) return { established: false, reason };

    const call = client.Session({ nodeId: opts.nodeId, descriptionJson: JSON.stringify(description), sessionId: st.sessionId ?? '' });
    cleanups.push(() => call.cancel());
    let gotFirst!: (m: SessionMessage) => void;
    const first = new Promise<SessionMessage>((r) => (gotFirst = r));
    let firstSeen = false;
    call.on('data', (m: SessionMessage) => {
      if (firstSeen) return applySessionMessage(m);
      firstSeen = true;
      gotFirst(m);
    });
    call.on('error', (e: grpc.ServiceError) => fail(`session: ${e.details || e.message}`));
    call.on('end', () => fail('session stream ended'));
    const timer = clock.setTimeout(() => fail(NO_FIRST_MESSAGE), firstMessageTimeout);
    const m = await Promise.race([first, failed.then(() => undefined)]);
    timer.cancel();
    if (!m || reason !== undefined) {
      cleanups.forEach((c) => c());
      return { established: false, reason: reason ?? 'session failed' };
    }
    const sessionId = m.sessionId;
    const resumed = st.sessionId === sessionId;
    st.sessionId = m.sessionId;
    applySessionMessage(m);
    st.state = 'ready';
    if (resumed) log?.info({ sessionId }, 'session resumed on a new connection');
    else {
      st.sessions++;
      log?.info({ sessionId, managers: st.managers.length }, 'session established');
    }

    const reports = openReportChannel({ client, sessionId, onBroken: fail, unary: opts.unaryReports, clock, onUnaryCall: () => st.rpc.unaryCalls++ });
    cleanups.push(() => reports.close());
    cleanups.push(heartbeat(reports, fail));
    cleanups.push(watchDescription(JSON.stringify(description), fail));
    cleanups.push(assignments(client, sessionId, fail));
    opts.handlers.onConnected(sender(reports, fail));

    const r = await failed;
    st.state = 'connecting';
    opts.handlers.onDisconnected();
    cleanups.forEach((c) => c());
    return { established: true, reason: r };
  }

  function heartbeat(reports: ReportChannel, fail: (r: string) => void): () => void {
    let timer: { cancel(): void } | undefined;
    let done = false;
    const retries = opts.heartbeatRetries ?? 2;
    let missed = 0;
    const beat = async () => {
      st.rpc.heartbeats++;
      const r = await reports.heartbeat(Math.max(rpcTimeout, Math.min(heartbeatPeriod / HEARTBEAT_DEADLINE_DIVISOR, MAX_HEARTBEAT_DEADLINE_MS)));
      if (done) return;
      if (!r.ok && r.code === grpc.status.DEADLINE_EXCEEDED && missed < retries) {
        missed++;
        log?.warn({ missed }, 'heartbeat not answered in time; retrying');
        return beat();
      }
      if (!r.ok) return fail(`heartbeat: ${r.details}`);
      missed = 0;
      heartbeatPeriod = r.value || DEFAULT_HEARTBEAT_MS;
      timer = clock.setTimeout(() => void beat(), heartbeatPeriod);
    };
    void beat();
    return () => {
      done = true;
      timer?.cancel();
    };
  }

  /** SwarmKit's agent re-sends a changed description by starting a new session. */
  function watchDescription(sent: string, fail: (r: string) => void): () => void {
    const every = opts.describeIntervalMs ?? 20_000;
    if (every <= 0) return () => {};
    let timer: { cancel(): void } | undefined;
    let done = false;
    const check = async () => {
      const now = await opts.handlers.describe().then(JSON.stringify, () => sent);
      if (done) return;
      if (now !== sent) return fail('node description changed');
      timer = clock.setTimeout(() => void check(), every);
    };
    timer = clock.setTimeout(() => void check(), every);
    return () => {
      done = true;
      timer?.cancel();
    };
  }

  function assignments(c: DispatcherClient, sessionId: string, fail: (r: string) => void): () => void {
    let current: grpc.ClientReadableStream<AssignmentsMessage> | undefined;
    let chain = Promise.resolve();
    let done = false;

    const open = () => {
      if (done) return;
      let last: number | undefined;
      const s = c.Assignments({ sessionId });
      current = s;
      const handle = async (m: AssignmentsMessage) => {
        if (s !== current || done) return;
        if (m.type === 'COMPLETE') {
          await opts.handlers.onComplete(parseTasks(m));
        } else if (last === undefined || Number(m.appliesTo) !== last) {
          log?.warn({ appliesTo: m.appliesTo, last }, 'assignment sequence gap; reopening the stream');
          st.assignmentReopens++;
          current = undefined;
          s.cancel();
          return open();
        } else {
          const removed = m.changes.filter((x) => x.action === 'REMOVE').map((x) => x.taskId);
          await opts.handlers.onIncremental(parseTasks(m), removed);
        }
        last = Number(m.resultsIn);
      };
      s.on('data', (m: AssignmentsMessage) => {
        st.rpc.assignmentMessages++;
        chain = chain.then(() => handle(m)).catch((e: unknown) => log?.error({ err: e }, 'applying assignments failed'));
      });
      s.on('error', (e: grpc.ServiceError) => {
        if (s === current) fail(`assignments: ${e.details || e.message}`);
      });
      s.on('end', () => {
        if (s === current) fail('assignments stream ended');
      });
    };
    open();
    return () => {
      done = true;
      const s = current;
      current = undefined;
      s?.cancel();
    };
  }

  function parseTasks(m: AssignmentsMessage): Task[] {
    const tasks: Task[] = [];
    for (const ch of m.changes) {
      if (ch.action !== 'UPDATE') continue;
      let json: unknown;
      try {
        json = JSON.parse(ch.taskJson);
      } catch {
        log?.error({ task: ch.taskId }, 'assignment task_json is not JSON; skipped');
        continue;
      }
      const p = TaskSchema.safeParse(json);
      if (p.success) tasks.push(p.data);
      else log?.error({ task: ch.taskId, issues: p.error.issues.slice(0, 3) }, 'invalid task in assignment; skipped');
    }
    return tasks;
  }

  function sender(reports: ReportChannel, fail: (r: string) => void): SendStatuses {
    return async (updates) => {
      st.rpc.statusCalls++;
      st.rpc.statusUpdates += updates.length;
      const r = await reports.statuses(updates.map((u) => ({ taskId: u.taskId, statusJson: JSON.stringify(u.status) })), rpcTimeout);
      if (r.ok) return ok(undefined);
      if (r.code === grpc.status.PERMISSION_DENIED) {
        // Not retriable: the task is no longer ours. Drop the batch rather than block the queue.
        log?.warn({ err: r.details }, 'dispatcher refused status updates; dropped');
        return ok(undefined);
      }
      if (r.code === grpc.status.INVALID_ARGUMENT || r.code === grpc.status.NOT_FOUND) fail(`update status: ${r.details}`);
      return err(r.details);
    };
  }

  /**
   * Where to go after a failed session: the leader a follower named, else the
   * next manager in the list (the current one may be dead); stay for reasons
   * that are not about the manager.
   */
  function nextManager(reason: string): string {
    const named = /leader is (\S+)/.exec(reason)?.[1];
    if (named) return named;
    if (/node description changed|stopped/.test(reason)) return addr;
    const known = [...new Set([...st.managers.map((m) => m.addr), opts.managerAddr])];
    if (known.length <= 1) return addr;
    return known[(known.indexOf(addr) + 1) % known.length]!;
  }

  const loop = (async () => {
    let backoff = 0;
    while (!stopped) {
      st.state = 'connecting';
      const r = await runSession();
      abortCurrent = undefined;
      if (stopped) break;
      const next = redial !== undefined ? addr : nextManager(r.reason);
      if (redial !== undefined || next !== addr) {
        if (next !== addr) log?.info({ from: addr, to: next, reason: r.reason }, 'moving to another manager');
        addr = next;
        const old = client;
        client = dial();
        old.close();
        const immediate = redial !== undefined ? r.established : /leader is /.test(r.reason);
        redial = undefined;
        if (immediate) continue; // straight onto the new connection / the named leader
      }
      st.lastError = r.reason;
      if (r.established) backoff = 0;
      if (r.established) firstMessageTimeout = baseFirstMessageTimeout;
      else if (r.reason === NO_FIRST_MESSAGE) firstMessageTimeout = Math.min(firstMessageTimeout * 2, baseFirstMessageTimeout * 8);
      backoff = nextBackoff(backoff);
      const delay = jittered(backoff, rng);
      log?.warn({ reason: r.reason, delay }, 'session ended; reconnecting');
      await new Promise<void>((resolve) => {
        const t = clock.setTimeout(resolve, delay);
        wakeSleep = () => {
          t.cancel();
          resolve();
        };
      });
      wakeSleep = undefined;
    }
    st.state = 'stopped';
  })();

  return {
    status: () => ({ ...st, managers: [...st.managers] }),
    reconnect(reason) {
      redial = reason;
      abortCurrent?.(reason);
      wakeSleep?.();
    },
    async stop() {
      stopped = true;
      abortCurrent?.('stopped');
      wakeSleep?.();
      await loop;
      client.close();
    },
  };
}
