/**
 * Composition root of the agent: executor → worker (task loops + persistence)
 * → reporter → session (gRPC Dispatcher client). Used by `swarmd`.
 */
import type * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { systemClock, systemRng, taskStateName, type Clock, type Rng } from '@swarm/shared';
import { describeNode } from './exec/describe.js';
import type { Executor } from './exec/executor.js';
import { startSession, type SessionStatus } from './session/session.js';
import type { WeightedPeer } from './session/proto.js';
import { createReporter } from './worker/reporter.js';
import { createWorker } from './worker/worker.js';

export interface AgentOptions {
  nodeId: string;
  /** Dispatcher address, host:port. */
  managerAddr: string;
  /** Agent state lives in `<stateDir>/worker/`. */
  stateDir: string;
  executor: Executor;
  /** Overrides the hostname the executor reports. */
  hostname?: string;
  /** Defaults to insecure; mutual TLS comes later. */
  credentials?: grpc.ChannelCredentials;
  /** gRPC channel options for the dispatcher connection. */
  channelOptions?: grpc.ChannelOptions;
  logger?: Logger;
  clock?: Clock;
  rng?: Rng;
  /** How often the node description is re-read (default 20 s; 0 = never). */
  describeIntervalMs?: number;
  /** The managers' addresses changed (e.g. persist them for the next start). */
  onManagers?(addrs: string[]): void;
  /** Heartbeats and statuses as unary calls instead of messages on the Report stream (benchmark baselines). */
  unaryReports?: boolean;
}

export interface AgentStatus {
  nodeId: string;
  executor: string;
  session: SessionStatus['state'];
  sessionId?: string;
  managers: WeightedPeer[];
  lastError?: string;
  sessions: number;
  rpc: SessionStatus['rpc'];
  tasks: Array<{ id: string; state: string; message: string; err?: string }>;
  /** Status updates not yet acknowledged by the dispatcher. */
  pendingReports: number;
  /** This node's object as the dispatcher last sent it (unvalidated JSON). */
  node?: unknown;
}

export interface Agent {
  /** Stops the session and task loops. By default tasks keep running (leaveTasks: true). */
  stop(opts?: { leaveTasks?: boolean }): Promise<void>;
  status(): AgentStatus;
  /** Moves the session to a new connection (after a certificate renewal). */
  reconnect(reason: string): void;
}

export async function startAgent(opts: AgentOptions): Promise<Agent> {
  const clock = opts.clock ?? systemClock;
  const log = opts.logger?.child({ node: opts.nodeId });
  const logOpt = log ? { logger: log } : {};
  const reporter = createReporter({ clock, ...logOpt });
  const worker = createWorker({
    executor: opts.executor,
    stateDir: opts.stateDir,
    clock,
    ...logOpt,
    onStatus: (taskId, status) => reporter.report(taskId, status),
    onForget: (taskId) => reporter.forget(taskId),
  });
  await worker.init();

  const session = startSession({
    nodeId: opts.nodeId,
    managerAddr: opts.managerAddr,
    clock,
    rng: opts.rng ?? systemRng,
    ...logOpt,
    ...(opts.credentials ? { credentials: opts.credentials } : {}),
    ...(opts.channelOptions ? { channelOptions: opts.channelOptions } : {}),
    ...(opts.describeIntervalMs !== undefined ? { describeIntervalMs: opts.describeIntervalMs } : {}),
    ...(opts.onManagers ? { onManagers: opts.onManagers } : {}),
    ...(opts.unaryReports ? { unaryReports: true } : {}),
    handlers: {
      describe: () => describeNode(opts.executor, opts.hostname),
      onComplete: (tasks) => worker.assign(tasks),
      onIncremental: (updated, removed) => worker.update(updated, removed),
      onConnected(send) {
        reporter.setSender(send);
        for (const { taskId, status } of worker.statuses()) reporter.report(taskId, status);
      },
      onDisconnected: () => reporter.setSender(undefined),
    },
  });

  let stopping: Promise<void> | undefined;
  return {
    reconnect: (reason) => session.reconnect(reason),
    stop(o = {}) {
      stopping ??= (async () => {
        await session.stop();
        reporter.close();
        await worker.close({ leaveTasks: o.leaveTasks !== false });
        await opts.executor.close();
      })();
      return stopping;
    },
    status() {
      const s = session.status();
      const out: AgentStatus = {
        nodeId: opts.nodeId,
        executor: opts.executor.name,
        session: s.state,
        managers: s.managers,
        sessions: s.sessions,
        rpc: { ...s.rpc },
        tasks: worker.statuses().map(({ taskId, status }) => ({
          id: taskId,
          state: taskStateName(status.state),
          message: status.message,
          ...(status.err ? { err: status.err } : {}),
        })),
        pendingReports: reporter.pending(),
      };
      if (s.sessionId) out.sessionId = s.sessionId;
      if (s.lastError) out.lastError = s.lastError;
      if (s.node !== undefined) out.node = s.node;
      return out;
    },
  };
}
