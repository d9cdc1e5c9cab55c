/**
 * Docker controller for one task. The container is found by the task-ID label
 * (adoption after an agent restart), created with `createOptions`, and watched
 * through the executor's shared event stream, never by polling. A container it
 * creates costs the engine two calls (create, start): see `startFresh`.
 */
import type Docker from 'dockerode';
import type { Logger } from 'pino';
import { err, ok, type Result, type Task } from '@swarm/shared';
import { aborted, done, fatal, temporary, type Controller, type ExecFailure, type Observed, type OpResult, type RuntimeInfo } from '../executor.js';
import type { ContainerIndex } from './container-index.js';
import { dockerMessage, isConnectionError, observedOf, pull, statusCode } from './engine.js';
import { eventQueue, watchContainer, type EventHub } from './events.js';
import type { EngineQuiet } from './quiet.js';
import { type DefaultNetwork, createOptions, exitMessage, graceSeconds, hasHealthcheck } from './spec.js';

export interface DockerControllerDeps {
  docker: Docker;
  events: EventHub;
  engineAddr: string;
  extraLabels: Record<string, string>;
  network?: DefaultNetwork;
  logger?: Logger;
  /** Task → container, shared by the node's controllers. */
  index: ContainerIndex;
  /** Shared by the node's controllers: when the engine last answered. */
  engine?: { lastOk?: number };
  /** Shared by the node's controllers: creates and starts in flight; a PID is asked for once there are none. */
  quiet?: EngineQuiet;
}

/** How long an engine that stopped answering is waited for (steps retried every second) before tasks fail. */
export const ENGINE_RESTART_GRACE_MS = 60_000;

type Inspect = Docker.ContainerInspectInfo;
type Queue = ReturnType<typeof eventQueue>;

export function createDockerController(task: Task, deps: DockerControllerDeps): Controller {
  const { docker, events } = deps;
  let containerId: string | undefined;
  /** This controller created the container and has not started it yet. */
  let justCreated = false;
  /** The event subscription a fresh start opened, kept for `wait`. */
  let held: Queue | undefined;
  /** The PID of a container started fresh is asked for once, when the engine is quiet. */
  let learning: Promise<void> | undefined;
  const busy = <T>(p: Promise<T>): Promise<T> => (deps.quiet ? deps.quiet.busy(p) : p);
  /**
   * An engine that cannot be reached (restarting dockerd) is a temporary error: the step is retried
   * every second until the engine answers, then the container is re-inspected and its real state
   * reported (a container that died with the engine fails and is replaced by the orchestrator).
   */
  const fail = (e: unknown, extra: Partial<ExecFailure> = {}) =>
    isConnectionError(e) && restarting() ? temporary(dockerMessage(e, deps.engineAddr)) : fatal(dockerMessage(e, deps.engineAddr), extra);
  /** The engine answered recently, so an unreachable engine is restarting (an engine never seen is simply down: fatal). */
  const restarting = () => deps.engine !== undefined && deps.engine.lastOk !== undefined && Date.now() - deps.engine.lastOk < ENGINE_RESTART_GRACE_MS;

  /** The task's container, by cached ID or through the executor's index (no engine call for a task it never ran). */
  async function find(): Promise<Result<Inspect | undefined, unknown>> {
    try {
      if (!containerId) {
        const known = await deps.index.lookup(task.id);
        if (!known.ok) return known;
        if (deps.engine) deps.engine.lastOk = Date.now();
        containerId = known.value;
        if (!containerId) return ok(undefined);
      }
      const info = await docker.getContainer(containerId).inspect();
      if (deps.engine) deps.engine.lastOk = Date.now();
      return ok(info);
    } catch (e) {
      if (statusCode(e) === 404) {
        containerId = undefined;
        deps.index.forget(task.id);
        return ok(undefined);
      }
      return err(e);
    }
  }

  /** `docker create`, pulling a missing image once. A name conflict means the container exists already: adopt it. */
  async function create(): Promise<OpResult> {
    const opts = createOptions(task, deps.extraLabels, deps.network);
    const attempt = async (): Promise<OpResult | { missingImage: string }> => {
      try {
        containerId = (await busy(docker.createContainer(opts))).id;
        deps.index.record(task.id, containerId);
        justCreated = true;
        return done({ containerId });
      } catch (e) {
        if (statusCode(e) === 409) {
          const again = await deps.index.refresh(task.id);
          if (again.ok && again.value) return done({ containerId: (containerId = again.value) });
        }
        return statusCode(e) === 404 ? { missingImage: dockerMessage(e, deps.engineAddr) } : fail(e);
      }
    };
    const first = await attempt();
    if (!('missingImage' in first)) return first;
    deps.logger?.info({ task: task.id, image: opts.Image }, 'image missing, trying to pull');
    const pulled = await pull(docker, task.spec.container.image);
    if (!pulled.ok) {
      deps.logger?.warn({ task: task.id, err: pulled.error }, 'pull failed');
      return fatal(first.missingImage);
    }
    const second = await attempt();
    return 'missingImage' in second ? fatal(second.missingImage) : second;
  }

  /**
   * `docker start` of a container this controller has just created: subscribed first, then
   * started, and no inspect. The subscription is kept for `wait` (`held`), so a container that
   * dies at once is still seen, and a converge costs the engine two calls per task (create + start).
   * Without a health check the task is RUNNING when the start returns. Its PID is asked for by
   * `wait` once the engine is quiet (`learnPid`), not while it is busiest starting containers.
   */
  async function startFresh(signal: AbortSignal): Promise<OpResult> {
    const id = containerId!;
    const q = eventQueue(events, id);
    const connected = await events.ready();
    if (!connected.ok) {
      q.close();
      return restarting() ? temporary(connected.error) : fatal(connected.error);
    }
    justCreated = false;
    try {
      await busy(docker.getContainer(id).start());
      if (deps.engine) deps.engine.lastOk = Date.now();
    } catch (e) {
      if (statusCode(e) !== 304) {
        q.close();
        return fail(e, { containerId: id });
      }
    }
    if (!hasHealthcheck(task)) {
      hold(q);
      return done({ containerId: id });
    }
    const r = await watchContainer(q, signal, true);
    if (r === 'lost' || !r.ok) {
      q.close();
      return r === 'lost' ? observe(signal, true, false) : r;
    }
    hold(q);
    return r;
  }

  /** Keeps `q` for the next `wait`, replacing (and closing) an older one. */
  function hold(q: Queue | undefined): void {
    if (held && held !== q) held.close();
    held = q;
  }

  /** `docker start` of a container found (not created) by this controller, unless it already ran. */
  async function startFound(): Promise<OpResult | undefined> {
    const found = await find();
    if (!found.ok) return fail(found.error);
    if (!found.value) return fatal('container not found');
    const st = found.value.State;
    if (st.Running || st.Status === 'exited' || st.Status === 'dead') return undefined;
    const id = found.value.Id;
    try {
      await docker.getContainer(id).start();
    } catch (e) {
      if (statusCode(e) !== 304) return fail(e, { containerId: id });
    }
    return undefined;
  }

  /** `wait` on the subscription `start` kept: no inspect needed, nothing was missed since the start. */
  async function waitHeld(q: Queue, signal: AbortSignal, onInfo?: (info: RuntimeInfo) => void): Promise<OpResult | 'lost'> {
    const waiting = new AbortController(); // ends the PID lookup with this wait
    const end = () => waiting.abort();
    signal.addEventListener('abort', end, { once: true });
    if (onInfo && deps.quiet) learning ??= learnPid(waiting.signal, onInfo);
    try {
      const r = await watchContainer(q, signal, false);
      if (r === 'lost' || r.ok || r.error.kind !== 'aborted') hold(undefined);
      return r;
    } finally {
      signal.removeEventListener('abort', end);
      end();
    }
  }

  /** One inspect for the PID of a container started fresh, once the engine is quiet (tried again by a later wait if it fails). */
  async function learnPid(signal: AbortSignal, onInfo: (info: RuntimeInfo) => void): Promise<void> {
    let pid = 0;
    if (await deps.quiet!.wait(signal)) {
      const found = await find();
      if (found.ok && found.value?.State.Running && !signal.aborted) {
        pid = found.value.State.Pid;
        onInfo({ containerId: found.value.Id, pid });
      }
    }
    if (!pid) learning = undefined;
  }

  /** Shared by start (untilHealthy) and wait: subscribe, (start,) inspect, then watch. */
  async function observe(signal: AbortSignal, untilHealthy: boolean, start: boolean): Promise<OpResult> {
    for (;;) {
      if (signal.aborted) return aborted();
      if (!containerId) {
        const found = await find();
        if (!found.ok) return fail(found.error);
        if (!found.value) return fatal('container not found');
      }
      const q = eventQueue(events, containerId!);
      try {
        const connected = await events.ready();
        if (!connected.ok) return restarting() ? temporary(connected.error) : fatal(connected.error);
        if (start) {
          const failed = await startFound();
          if (failed) return failed;
        }
        const fresh = await find(); // current state and PID
        if (!fresh.ok) return fail(fresh.error);
        if (!fresh.value) return fatal('container not found');
        const c = fresh.value;
        const st = c.State;
        const pid = st.Pid;
        if (!st.Running && (st.Status === 'exited' || st.Status === 'dead')) {
          const code = st.ExitCode;
          return code === 0 ? done({ containerId: c.Id, exitCode: 0 }) : fatal(exitMessage(code), { exitCode: code, containerId: c.Id });
        }
        const health = (st as { Health?: { Status?: string } }).Health?.Status;
        if (health === 'unhealthy') return fatal('container unhealthy', { containerId: c.Id });
        if (untilHealthy && (health === 'healthy' || !hasHealthcheck(task))) return done({ containerId: c.Id, pid });
        const r = await watchContainer(q, signal, untilHealthy);
        if (r !== 'lost') return r.ok ? { ok: true, value: { ...r.value, pid: r.value.pid ?? pid } } : r;
      } finally {
        q.close();
      }
    }
  }

  return {
    async prepare() {
      void events.ready(); // connect the event stream while containers are created, not when the first starts
      const found = await find();
      if (!found.ok) return fail(found.error);
      if (found.value) return done({ containerId: found.value.Id });
      return create();
    },

    start(signal) {
      return justCreated ? startFresh(signal) : observe(signal, true, true);
    },

    async wait(signal, onInfo) {
      if (held) {
        const r = await waitHeld(held, signal, onInfo);
        if (r !== 'lost') return r;
      }
      return observe(signal, false, false);
    },

    async shutdown() {
      hold(undefined);
      const found = await find();
      if (!found.ok) return fail(found.error);
      const c = found.value;
      if (!c) return done();
      try {
        if (c.State.Running) await docker.getContainer(c.Id).stop({ t: graceSeconds(task) });
      } catch (e) {
        const code = statusCode(e);
        if (code !== 304 && code !== 404) return fail(e, { containerId: c.Id });
      }
      return done({ containerId: c.Id });
    },

    async terminate() {
      const found = await find();
      if (!found.ok) return fail(found.error);
      if (!found.value) return done();
      try {
        await docker.getContainer(found.value.Id).kill();
      } catch (e) {
        const code = statusCode(e);
        if (code !== 404 && code !== 409) return fail(e);
      }
      return done({ containerId: found.value.Id });
    },

    async remove() {
      hold(undefined);
      const found = await find();
      if (!found.ok) return fail(found.error);
      if (!found.value) return done();
      try {
        await docker.getContainer(found.value.Id).remove({ force: true });
      } catch (e) {
        if (statusCode(e) !== 404) return fail(e);
      }
      containerId = undefined;
      deps.index.forget(task.id);
      return done();
    },

    async inspect(): Promise<Result<Observed, ExecFailure>> {
      const found = await find();
      if (!found.ok) return { ok: false, error: { kind: 'fatal', message: dockerMessage(found.error, deps.engineAddr) } };
      return ok(observedOf(found.value));
    },

    close() {
      hold(undefined);
    },
  };
}
