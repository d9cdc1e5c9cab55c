/**
 * Docker controller for one task. The container is found by the task-ID label
 * (adoption after an agent restart), created with `createOptions`, and watched
 * through the executor's shared event stream, never by polling.
 */
import type Docker from 'dockerode';
import type { Logger } from 'pino';
import { LABEL, err, ok, type Result, type Task } from '@swarm/shared';
import { aborted, done, fatal, temporary, type Controller, type ExecFailure, type Observed, type OpResult } from '../executor.js';
import type { ContainerIndex } from './container-index.js';
import { dockerMessage, isConnectionError, statusCode } from './engine.js';
import { eventQueue, type EngineEvent, type EventHub } from './events.js';
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
}

/** How long an engine that stopped answering is waited for (steps retried every second) before tasks fail. */
export const ENGINE_RESTART_GRACE_MS = 60_000;

type Inspect = Docker.ContainerInspectInfo;

export function createDockerController(task: Task, deps: DockerControllerDeps): Controller {
  const { docker, events } = deps;
  let containerId: string | undefined;
  /** This controller created the container and has not started it yet. */
  let justCreated = false;
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
        containerId = (await docker.createContainer(opts)).id;
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

  /** Waits on the event queue for a terminal or health event. */
  async function watch(q: ReturnType<typeof eventQueue>, signal: AbortSignal, untilHealthy: boolean): Promise<OpResult | 'lost'> {
    for (;;) {
      const e: EngineEvent | undefined = await q.next(signal);
      if (!e) return aborted();
      if (e.action === 'lost') return 'lost';
      if (e.action === 'die') {
        const code = Number(e.attributes['exitCode'] ?? -1);
        return code === 0 ? done({ containerId: e.id, exitCode: 0 }) : fatal(exitMessage(code), { exitCode: code, containerId: e.id });
      }
      if (e.action === 'health_status: unhealthy') return fatal('container unhealthy', { containerId: e.id });
      if (untilHealthy && e.action === 'health_status: healthy') return done({ containerId: e.id });
    }
  }

  /**
   * `docker start` unless the container already ran. A container this controller has just created is
   * known to be fresh, so it is started without an inspect first.
   */
  async function startOnce(): Promise<OpResult | undefined> {
    if (!justCreated) {
      const found = await find();
      if (!found.ok) return fail(found.error);
      if (!found.value) return fatal('container not found');
      const st = found.value.State;
      if (st.Running || st.Status === 'exited' || st.Status === 'dead') return undefined;
    }
    justCreated = false;
    const id = containerId!;
    try {
      await docker.getContainer(id).start();
    } catch (e) {
      if (statusCode(e) !== 304) return fail(e, { containerId: id });
    }
    return undefined;
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
          const failed = await startOnce();
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
        const r = await watch(q, signal, untilHealthy);
        if (r !== 'lost') return r.ok ? { ok: true, value: { ...r.value, pid: r.value.pid ?? pid } } : r;
      } finally {
        q.close();
      }
    }
  }

  return {
    async prepare() {
      const found = await find();
      if (!found.ok) return fail(found.error);
      if (found.value) return done({ containerId: found.value.Id });
      return create();
    },

    start(signal) {
      return observe(signal, true, true);
    },

    wait(signal) {
      return observe(signal, false, false);
    },

    async shutdown() {
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
      const c = found.value;
      if (!c) return ok({ kind: 'absent' });
      const info = { containerId: c.Id, pid: c.State.Pid };
      if (c.State.Running) return ok({ kind: 'running', info });
      if (c.State.Status === 'created') return ok({ kind: 'created', info });
      return ok({ kind: 'exited', info: { ...info, exitCode: c.State.ExitCode } });
    },

    close() {},
  };
}

async function pull(docker: Docker, image: string): Promise<Result<void, string>> {
  try {
    const stream = await docker.pull(image);
    return await new Promise((resolve) => {
      docker.modem.followProgress(stream, (e: Error | null, output: Array<{ error?: string }>) => {
        const streamErr = output?.find((o) => o.error)?.error;
        resolve(e || streamErr ? err(String(e?.message ?? streamErr)) : ok(undefined));
      });
    });
  } catch (e) {
    return err(dockerMessage(e));
  }
}
