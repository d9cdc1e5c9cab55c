/**
 * Real Docker integration tests (engine at unix:///var/run/docker.sock, image
 * local/busybox:1). Every container carries this file run's test-run label and
 * is removed in afterAll.
 */
import { randomUUID } from 'node:crypto';
import Docker from 'dockerode';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LABEL, TaskState as S, taskName, type Task } from '@swarm/shared';
import { describeNode, detectExecutor } from '../describe.js';
import type { Executor } from '../executor.js';
import { createWorker, type Worker } from '../../worker/worker.js';
import { eventually, makeTask, statusLog, tempDir, withDesired } from '../../testing/tasks.js';
import { createDockerExecutor } from './executor.js';

const RUN = `agent-docker-${randomUUID()}`;
const docker = new Docker({ socketPath: '/var/run/docker.sock' });
const extraLabels = { [LABEL.testRun]: RUN };
const open: Array<{ worker: Worker; executor: Executor }> = [];

async function setup(stateDir?: string) {
  const executor = createDockerExecutor({ extraLabels });
  const log = statusLog();
  const worker = createWorker({ executor, stateDir: stateDir ?? (await tempDir()), onStatus: log.onStatus });
  await worker.init();
  open.push({ worker, executor });
  return { executor, worker, log };
}

const stateOf = (w: Worker, id: string) => w.statuses().find((s) => s.taskId === id)?.status;
const until = (w: Worker, t: Task, state: S) =>
  eventually(() => expect(stateOf(w, t.id)?.state).toBe(state));
const containerOf = async (t: Task) => {
  const [c] = await docker.listContainers({ all: true, filters: { label: [`${LABEL.taskId}=${t.id}`] } });
  return c ? docker.getContainer(c.Id).inspect() : undefined;
};

beforeAll(async () => {
  await docker.ping();
});

afterAll(async () => {
  for (const { worker, executor } of open) {
    await worker.close();
    await executor.close();
  }
  const leftovers = await docker.listContainers({ all: true, filters: { label: [`${LABEL.testRun}=${RUN}`] } });
  await Promise.all(leftovers.map((c) => docker.getContainer(c.Id).remove({ force: true })));
});

describe('docker executor', () => {
  it('creates a labelled container (init, no network) and reports RUNNING', async () => {
    const { worker, log } = await setup();
    const t = makeTask({ args: ['sleep', '300'], container: { env: ['FOO=bar'], dir: '/tmp', hostname: 'h1' } });
    await worker.assign([t]);
    await until(worker, t, S.RUNNING);
    expect(log.states(t.id)).toEqual([S.ACCEPTED, S.PREPARING, S.READY, S.STARTING, S.RUNNING]);
    const c = (await containerOf(t))!;
    expect(c.Name).toBe(`/${taskName(t)}`);
    expect(c.State.Running).toBe(true);
    expect(c.HostConfig.Init).toBe(true);
    expect(c.HostConfig.NetworkMode).toBe('none');
    expect(c.Config.Labels).toMatchObject({
      [LABEL.managed]: 'true',
      [LABEL.taskId]: t.id,
      [LABEL.serviceId]: t.serviceId,
      [LABEL.serviceName]: 'web',
      [LABEL.nodeId]: 'node1',
      [LABEL.taskName]: taskName(t),
      [LABEL.testRun]: RUN,
    });
    expect(c.Config.Env).toContain('FOO=bar');
    expect(c.Config.WorkingDir).toBe('/tmp');
    expect(c.Config.Hostname).toBe('h1');
    // RUNNING as soon as the start returns (no inspect); the PID follows once the engine is quiet.
    await eventually(() => expect(stateOf(worker, t.id)?.container).toEqual({ containerId: c.Id, pid: c.State.Pid }));
    expect(log.states(t.id).at(-1)).toBe(S.RUNNING);
  });

  it('sees `docker kill` through the event stream: FAILED with exit code 137', async () => {
    const { worker } = await setup();
    const t = makeTask();
    await worker.assign([t]);
    await until(worker, t, S.RUNNING);
    await docker.getContainer((await containerOf(t))!.Id).kill();
    await until(worker, t, S.FAILED);
    expect(stateOf(worker, t.id)).toMatchObject({ err: 'task: non-zero exit (137)', container: { exitCode: 137 } });
  });

  it('runs entrypoint + args to completion: exit 0 → COMPLETE, exit 3 → FAILED', async () => {
    const { worker } = await setup();
    const good = makeTask({ command: ['sh', '-c'], args: ['test "$FOO" = bar && test "$(pwd)" = /tmp'], container: { env: ['FOO=bar'], dir: '/tmp' } });
    const bad = makeTask({ args: ['sh', '-c', 'exit 3'] });
    await worker.assign([good, bad]);
    await until(worker, good, S.COMPLETE);
    await until(worker, bad, S.FAILED);
    expect(stateOf(worker, bad.id)?.container?.exitCode).toBe(3);
  });

  it('stops a task with its grace period when desired becomes SHUTDOWN', async () => {
    const { worker } = await setup();
    const t = makeTask({ container: { stopGracePeriodMs: 5000 } });
    await worker.assign([t]);
    await until(worker, t, S.RUNNING);
    await worker.update([withDesired(t, S.SHUTDOWN)], []);
    await until(worker, t, S.SHUTDOWN);
    const c = (await containerOf(t))!;
    expect(c.State.Running).toBe(false);
    expect(c.State.ExitCode).toBe(143); // SIGTERM honoured thanks to Init (tini), not SIGKILL after the grace period
  });

  it('rejects a task whose image is missing (pull fails) with Docker’s message', async () => {
    const { worker } = await setup();
    const t = makeTask({ image: 'local/does-not-exist:1' });
    await worker.assign([t]);
    await until(worker, t, S.REJECTED);
    expect(stateOf(worker, t.id)?.err).toBe('No such image: local/does-not-exist:1');
  });

  it('adopts a running container after the agent is recreated (same ID, not restarted)', async () => {
    const first = await setup();
    const stateDir = await tempDir();
    const a = await setup(stateDir);
    const t = makeTask();
    await a.worker.assign([t]);
    await until(a.worker, t, S.RUNNING);
    const before = (await containerOf(t))!;
    await a.worker.close();
    await a.executor.close();

    // Same state dir: restored from the task store (tasks.json + tasks.journal).
    const b = await setup(stateDir);
    expect(stateOf(b.worker, t.id)?.state).toBe(S.RUNNING);
    // Fresh state dir: the manager's COMPLETE says RUNNING; the container is found by its task-ID label.
    await first.worker.assign([{ ...t, status: { ...t.status, state: S.RUNNING, message: 'started' } }]);
    await b.worker.assign([t]);
    const after = (await containerOf(t))!;
    expect(after.Id).toBe(before.Id);
    expect(after.State.StartedAt).toBe(before.State.StartedAt);
    expect(after.RestartCount).toBe(0);
    // Both adopters notice the container dying.
    await docker.getContainer(after.Id).kill();
    await until(b.worker, t, S.FAILED);
    await until(first.worker, t, S.FAILED);
  });

  it('with a health check, reports RUNNING only once the container is healthy', async () => {
    const { worker } = await setup();
    const t = makeTask({
      args: ['sh', '-c', 'sleep 0.5; touch /tmp/ok; exec sleep 300'],
      container: { healthcheck: { test: ['CMD-SHELL', 'test -f /tmp/ok'], intervalMs: 100, timeoutMs: 1000, retries: 50 } },
    });
    await worker.assign([t]);
    await until(worker, t, S.RUNNING);
    const c = (await containerOf(t))!;
    expect((c.State as { Health?: { Status: string } }).Health?.Status).toBe('healthy');
  });

  it('describes the node from docker info', async () => {
    const executor = createDockerExecutor({ extraLabels });
    open.push({ executor, worker: createWorker({ executor, stateDir: await tempDir(), onStatus: () => {} }) });
    const d = await describeNode(executor, 'override-host');
    const info = await docker.info();
    expect(d).toMatchObject({
      hostname: 'override-host',
      platform: { os: 'linux', architecture: info.Architecture },
      resources: { nanoCpus: info.NCPU * 1e9, memoryBytes: info.MemTotal },
      engine: { engineVersion: info.ServerVersion },
      executor: 'docker',
    });
    expect(d.engine.images).toContain('local/busybox:1');
    expect(d.engine.plugins).toContainEqual({ type: 'Network', name: 'overlay' });
    expect(await detectExecutor('unix:///var/run/docker.sock')).toBe('docker');
  });
});

describe('docker executor without an engine', () => {
  it('rejects tasks with the connection error, and detectExecutor falls back to process', async () => {
    const executor = createDockerExecutor({ engineAddr: 'unix:///tmp/no-such-docker.sock', extraLabels });
    const log = statusLog();
    const worker = createWorker({ executor, stateDir: await tempDir(), onStatus: log.onStatus });
    open.push({ worker, executor });
    const t = makeTask();
    await worker.assign([t]);
    await until(worker, t, S.REJECTED);
    expect(stateOf(worker, t.id)?.err).toMatch(/^Cannot connect to the Docker daemon at unix:\/\/\/tmp\/no-such-docker.sock/);
    expect(await detectExecutor('unix:///tmp/no-such-docker.sock', { logger: pino({ level: 'silent' }) })).toBe('process');
    // The node can still describe itself (and so register) while its engine is down.
    expect(await describeNode(executor)).toMatchObject({ executor: 'docker', engine: { engineVersion: '' } });
  });
});
