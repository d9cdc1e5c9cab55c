/**
 * The executor contract. An executor turns tasks into controllers; a controller
 * owns exactly one task's runtime object (a container, a child process, or
 * nothing at all for the simulator) and exposes SwarmKit's lifecycle verbs.
 *
 * Contract for every controller method:
 *  - idempotent: calling prepare/start twice, or on an adopted object, succeeds;
 *  - expected failures are returned as values (`Result<_, ExecFailure>`), never thrown;
 *  - `signal` aborts a long call (mainly `wait`); an aborted call returns
 *    `{ kind: 'aborted' }` and leaves the runtime object untouched.
 */
import type { NodeDescription, Result, Task } from '@swarm/shared';

export type ExecutorName = 'docker' | 'process' | 'sim';

/** Runtime details that flow into `TaskStatus.container`. */
export interface RuntimeInfo {
  containerId?: string;
  pid?: number;
  exitCode?: number;
}

/**
 * fatal: the task can never succeed this way (→ REJECTED before STARTING, FAILED after).
 * temporary: retry the same step after 1 s. aborted: the caller cancelled.
 */
export interface ExecFailure {
  kind: 'fatal' | 'temporary' | 'aborted';
  message: string;
  exitCode?: number;
  containerId?: string;
}

export type OpResult = Result<RuntimeInfo, ExecFailure>;

/** What `inspect` found for a task's runtime object (used to adopt it after a restart). */
export type Observed =
  | { kind: 'absent' }
  | { kind: 'created'; info: RuntimeInfo }
  | { kind: 'running'; info: RuntimeInfo }
  | { kind: 'exited'; info: RuntimeInfo & { exitCode: number } };

export interface Controller {
  /** Pull/verify and create the runtime object (adopting an existing one). PREPARING → READY. */
  prepare(signal: AbortSignal): Promise<OpResult>;
  /** Start it (and, with a health check, wait until healthy). STARTING → RUNNING. */
  start(signal: AbortSignal): Promise<OpResult>;
  /**
   * Resolve when it exits: ok on exit 0, fatal with exitCode otherwise. RUNNING → COMPLETE/FAILED.
   * `onInfo` receives runtime details learned meanwhile (the docker executor's PID, which it asks
   * for only once the engine is quiet); the task stays RUNNING.
   */
  wait(signal: AbortSignal, onInfo?: (info: RuntimeInfo) => void): Promise<OpResult>;
  /** Stop gracefully (SIGTERM, then SIGKILL after the grace period). → SHUTDOWN. */
  shutdown(signal: AbortSignal): Promise<OpResult>;
  /** Kill immediately. */
  terminate(): Promise<OpResult>;
  /** Remove the runtime object (after the task left the node's assignment set). */
  remove(): Promise<OpResult>;
  /** Look for an existing runtime object of this task. */
  inspect(): Promise<Result<Observed, ExecFailure>>;
  /** Drop watches and handles; the runtime object itself is left alone. */
  close(): void;
}

export interface Executor {
  readonly name: ExecutorName;
  /** A controller for one task; `task` gives spec and identity (they never change for a task ID). */
  controller(task: Task): Controller;
  /** Node facts this executor can see (hostname override is applied by `describeNode`). */
  describe(): Promise<NodeDescription>;
  /** Release engine connections, event streams, and so on. Leaves tasks running; the executor stays usable (it reconnects on demand). */
  close(): Promise<void>;
}

export const fatal = (message: string, extra: Partial<ExecFailure> = {}): { ok: false; error: ExecFailure } => ({
  ok: false,
  error: { kind: 'fatal', message, ...extra },
});
export const temporary = (message: string): { ok: false; error: ExecFailure } => ({
  ok: false,
  error: { kind: 'temporary', message },
});
export const aborted = (): { ok: false; error: ExecFailure } => ({ ok: false, error: { kind: 'aborted', message: 'aborted' } });
export const done = (info: RuntimeInfo = {}): { ok: true; value: RuntimeInfo } => ({ ok: true, value: info });

/** Resolves when `signal` aborts (never rejects). */
export function onAbort(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}
