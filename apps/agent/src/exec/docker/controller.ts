/**
 * Docker controller for one task. The container is found by the task-ID label
 * (adoption after an agent restart), created with `createOptions`, and watched
 * through the executor's shared event stream, never by polling.
 */
import type Docker from 'dockerode';
import type { Logger } from 'pino';
import { LABEL, err, ok, type Result, type Task } from '@swarm/shared';
import { aborted, done, fatal, temporary, type Controller, type ExecFailure, type Observed, type OpResult } from '../executor.js';
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
  /** Shared by the node's controllers: when the engine last answered. */
  engine?: { lastOk?: number };
}

/** How long an engine that stopped answering is waited for (steps retried every second) before tasks fail. */
export const ENGINE_RESTART_GRACE_MS = 60_000;

type Inspect = Docker.ContainerInspectInfo;

export function createDockerController(task: Task, deps: DockerControllerDeps): Controller {
  const { docker, events } = deps;
  let containerId: string | undefined;
  /**
   * An engine that cannot be reached (restarting dockerd) is a temporary error: the step is retried
   * every second until the engine answers, then the container is re-inspected and its real state
   * reported (a container that died with the engine fails and is replaced by the orchestrator).
   */
  const fail = (e: unknown, extra: Partial<ExecFailure> = {}) =>
    isConnectionError(e) && restarting() ? temporary(dockerMessage(e, deps.engineAddr)) : fatal(dockerMessage(e, deps.engineAddr), extra);
  /** The engine answered recently, so an unreachable engine is restarting (an engine never seen is simply down: fatal). */
  const restarting = () => deps.engine !== undefined && deps.engine.lastOk !== undefined && Date.now() - deps.engine.lastOk < ENGINE_RESTART_GRACE_MS;

  /** The task's container, by cached ID or by task-ID label. */
  async function find(): Promise<Result<Inspect | undefined, unknown>> {
    try {
      if (!containerId) {
        const list = await docker.listContainers({ all: true, filters: { label: [`${LABEL.taskId}=${task.id}`] } });
        if (deps.engine) deps.engine.lastOk = Date.now();
        containerId = list[0]?.Id;
        if (!containerId) return ok(undefined);
      }
      const info = await docker.getContainer(containerId).inspect();
      if (deps.engine) deps.engine.lastOk = Date.now();
      return ok(info);
    } catch (e) {
      if (statusCode(e) === 404) {
        containerId = undefined;
        return ok(undefined);
      }
      return err(e);
    }
  }

  async function create(): Promise<OpResult> {
    const opts = createOptions(task, deps.extraLabels, deps.network);
    try {
      containerId = (await docker.createContainer(opts)).id;
      return done({ containerId });
    } catch (e) {
      if (statusCode(e) !== 404) return fail(e);
      const message = dockerMessage(e, deps.engineAddr);
      deps.logger?.info({ task: task.id, image: opts.Image }, 'image missing, trying to pull');
      const pulled = await pull(docker, task.spec.container.image);
      if (!pulled.ok) {
        deps.logger?.warn({ task: task.id, err: pulled.error }, 'pull failed');
        return fatal(message);
      }
      try {
        containerId = (await docker.createContainer(opts)).id;
        return done({ containerId });
      } catch (e2) {
        return fail(e2);
      }
    }
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

  /** Shared by start (untilHealthy) and wait: subscribe, then inspect, then watch. */
  async function observe(signal: AbortSignal, untilHealthy: boolean, beforeWatch?: (c: Inspect) => Promise<OpResult | undefined>): Promise<OpResult> {
    for (;;) {
      if (signal.aborted) return aborted();
      const found = await find();
      if (!found.ok) return fail(found.error);
      const c = found.value;
      if (!c) return fatal('container not found');
      const q = eventQueue(events, c.Id);
      try {
        const connected = await events.ready();
        if (!connected.ok) return restarting() ? temporary(connected.error) : fatal(connected.error);
        let fresh = await find();
        if (!fresh.ok) return fail(fresh.error);
        if (!fresh.value) return fatal('container not found');
        if (beforeWatch) {
          const pre = await beforeWatch(fresh.value);
          if (pre) return pre;
          fresh = await find(); // after `docker start`: current state and PID
          if (!fresh.ok) return fail(fresh.error);
          if (!fresh.value) return fatal('container not found');
        }
        const st = fresh.value.State;
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
      return observe(signal, true, async (c) => {
        if (c.State.Running || c.State.Status === 'exited' || c.State.Status === 'dead') return undefined;
        try {
          await docker.getContainer(c.Id).start();
        } catch (e) {
          if (statusCode(e) !== 304) return fail(e, { containerId: c.Id });
        }
        return undefined;
      });
    },

    wait(signal) {
      return observe(signal, false);
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
