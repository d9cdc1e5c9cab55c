/**
 * Orchestration against real Docker with three swarmd nodes on loopback:
 * global services on join and drain, restart conditions, rolling updates
 * (pause, continue, rollback, start-first), health checks, and kill -9 of a
 * node. Every container carries this run's label and is removed at the end.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Service, type ServiceSpec, type Task, TaskState } from '@swarm/shared';
import { type Node, containersOf, docker, startNode, waitFor } from './harness.js';

const runLabel = `orch${process.pid}-${Date.now().toString(36)}`;
const S = TaskState;
type SpecIn = Omit<ServiceSpec, 'task'> & { task: { container: Partial<ServiceSpec['task']['container']> & { image: string }; restart?: ServiceSpec['task']['restart'] } };

const noRestartDelay = { condition: 'any' as const, delayMs: 0, maxAttempts: 0, windowMs: 0 };
const sleeper = (name: string, over: Partial<SpecIn> = {}): SpecIn => ({
  annotations: { name, labels: {} },
  task: { container: { image: 'local/busybox:1', command: ['sleep'], args: ['3600'] }, restart: noRestartDelay },
  mode: { kind: 'replicated', replicas: 3 },
  ...over,
});
const live = (ts: Task[]) => ts.filter((t) => t.desiredState <= S.RUNNING);
const running = (ts: Task[]) => live(ts).filter((t) => t.status.state === S.RUNNING);

describe('orchestration on three nodes with real containers', () => {
  let manager: Node;
  const workers: Node[] = [];
  let token: string;
  const api = () => manager.client;
  const tasksOf = async (id: string, all = true) => api().task.list.query({ service: id, all });
  const service = async (ref: string) => api().service.get.query({ ref }) as Promise<Service>;
  const create = async (spec: SpecIn) => (await api().service.create.mutate({ spec: spec as never })) as Service;
  const update = async (ref: string, patch: (s: ServiceSpec) => ServiceSpec, force = false) => {
    const cur = await service(ref);
    return api().service.update.mutate({ ref, spec: patch(structuredClone(cur.spec)) as never, ...(force ? { force } : {}) });
  };
  const nodeIdOf = (n: Node) => n.id();

  beforeAll(async () => {
    manager = await startNode({ runLabel, hostname: 'orch-1' });
    token = (await api().cluster.inspect.query()).rootCa!.joinTokens.worker;
  }, 60_000);
  afterAll(async () => {
    // `stop` removes the run's containers; a removal racing an agent's own can fail, so retry.
    for (const n of [...workers, manager]) {
      for (let i = 0; i < 3; i++) {
        try {
          await n?.stop();
          break;
        } catch {
          await new Promise((r) => setTimeout(r, 500));
        }
      }
    }
    expect(containersOf(runLabel)).toEqual([]);
  });

  it('a global service runs one task on every node, including nodes that join later', async () => {
    const g = await create(sleeper('glob', { mode: { kind: 'global' } }));
    await waitFor(async () => running(await tasksOf(g.id)).length === 1, 30_000, () => 'global task on the manager');
    for (const hostname of ['orch-2', 'orch-3']) workers.push(await startNode({ runLabel, hostname, join: { addr: manager.remoteApi, token } }));
    await waitFor(async () => running(await tasksOf(g.id)).length === 3, 30_000, () => 'a global task per node');
    const nodes = new Set(running(await tasksOf(g.id)).map((t) => t.nodeId));
    expect(nodes.size).toBe(3);
    expect((await api().service.list.query()).find((l) => l.service.id === g.id)).toMatchObject({ running: 3, desired: 3 });
  }, 90_000);

  it('drain removes the global task from the node and shows DRAIN; activate brings it back; labels and constraints', async () => {
    const g = await service('glob');
    const w = workers[0]!;
    await api().node.update.mutate({ ref: nodeIdOf(w), availability: 'DRAIN' });
    await waitFor(async () => running(await tasksOf(g.id)).length === 2, 30_000, () => 'two global tasks after drain');
    expect(running(await tasksOf(g.id)).some((t) => t.nodeId === nodeIdOf(w))).toBe(false);
    expect((await api().node.get.query({ ref: nodeIdOf(w) })).spec.availability).toBe('DRAIN');
    await waitFor(() => containersOf(runLabel, `label=com.swarm.service.id=${g.id}`).length === 2, 30_000, () => 'drained container stopped');
    await api().node.update.mutate({ ref: nodeIdOf(w), availability: 'ACTIVE' });
    await waitFor(async () => running(await tasksOf(g.id)).length === 3, 30_000, () => 'three global tasks after activate');
    // A constraint on a node label: only the labelled node keeps a task.
    await api().node.update.mutate({ ref: nodeIdOf(w), labels: { tier: 'front' } });
    await update('glob', (s) => ({ ...s, task: { ...s.task, placement: { ...s.task.placement, constraints: ['node.labels.tier==front'] } } }));
    await waitFor(async () => {
      const r = running(await tasksOf(g.id));
      return r.length === 1 && r[0]!.nodeId === nodeIdOf(w);
    }, 30_000, () => 'only the labelled node runs the global task');
    await api().service.remove.mutate({ ref: 'glob' });
  }, 120_000);

  it('restart conditions: none leaves a failed task, on-failure restarts failures only, any restarts exits', async () => {
    const mk = (name: string, condition: 'none' | 'on-failure' | 'any', code: number) =>
      create(sleeper(name, {
        mode: { kind: 'replicated', replicas: 1 },
        task: { container: { image: 'local/busybox:1', command: ['sh', '-c', `sleep 0.3; exit ${code}`] }, restart: { condition, delayMs: 0, maxAttempts: 0, windowMs: 0 } },
      }));
    const none = await mk('rc-none', 'none', 1);
    const onFailOk = await mk('rc-onfail-ok', 'on-failure', 0);
    const onFailBad = await mk('rc-onfail-bad', 'on-failure', 1);
    const anyOk = await mk('rc-any', 'any', 0);
    await waitFor(async () => (await tasksOf(onFailBad.id)).length >= 3 && (await tasksOf(anyOk.id)).length >= 3, 30_000, () => 'restarts of on-failure/any');
    await new Promise((r) => setTimeout(r, 1500));
    const noneTasks = await tasksOf(none.id);
    expect(noneTasks).toHaveLength(1);
    expect(noneTasks[0]!.status.state).toBe(S.FAILED);
    const ok = await tasksOf(onFailOk.id);
    expect(ok).toHaveLength(1);
    expect(ok[0]!.status.state).toBe(S.COMPLETE);
    for (const s of [none, onFailOk, onFailBad, anyOk]) await api().service.remove.mutate({ ref: s.id });
  }, 60_000);

  it('a rolling update to a failing command pauses, naming the task and why', async () => {
    const s = await create(sleeper('roll', { mode: { kind: 'replicated', replicas: 4 }, update: { parallelism: 2, delayMs: 0, failureAction: 'pause', monitorMs: 2000, maxFailureRatio: 0, order: 'stop-first' } }));
    await waitFor(async () => running(await tasksOf(s.id)).length === 4, 30_000, () => 'four running');
    await update('roll', (sp) => ({ ...sp, task: { ...sp.task, container: { ...sp.task.container, command: ['sh', '-c', 'sleep 0.5; exit 3'], args: [] } } }));
    await waitFor(async () => (await service('roll')).updateStatus?.state === 'paused', 30_000, async () => `paused; got ${JSON.stringify((await service('roll')).updateStatus)}`);
    const st = (await service('roll')).updateStatus!;
    expect(st.message).toMatch(/^update paused due to failure or early termination of task \w+: .*non-zero exit \(3\)/);
    // Paused means paused: the service's spec version stays, no further slot is replaced (a new task
    // reaches RUNNING before it dies, so like SwarmKit the updater may already have moved past the first batch).
    const stale = async () => live(await tasksOf(s.id)).filter((t) => t.spec.container.command[0] === 'sleep').length;
    const before = await stale();
    await new Promise((r) => setTimeout(r, 1500));
    expect(await stale()).toBe(before);
    expect((await service('roll')).updateStatus?.state).toBe('paused');
  }, 60_000);

  it('--update-on-failure continue goes on through every slot', async () => {
    await update('roll', (sp) => ({ ...sp, update: { ...sp.update!, failureAction: 'continue' } }));
    await waitFor(async () => live(await tasksOf((await service('roll')).id)).every((t) => t.spec.container.command[0] === 'sh'), 30_000, () => 'every slot on the new spec');
  }, 60_000);

  it('--update-on-failure rollback returns to the previous spec (rollback_completed)', async () => {
    // Back to a good spec first, then a bad update that rolls back.
    await update('roll', (sp) => ({ ...sp, task: { ...sp.task, container: { ...sp.task.container, command: ['sleep'], args: ['3600'] } }, update: { ...sp.update!, failureAction: 'rollback', monitorMs: 2000 } }));
    await waitFor(async () => (await service('roll')).updateStatus?.state === 'completed', 60_000, async () => `completed; got ${JSON.stringify((await service('roll')).updateStatus)}`);
    await update('roll', (sp) => ({ ...sp, task: { ...sp.task, container: { ...sp.task.container, command: ['sh', '-c', 'exit 4'], args: [] } } }));
    await waitFor(async () => (await service('roll')).updateStatus?.state === 'rollback_completed', 60_000, async () => `rollback_completed; got ${JSON.stringify((await service('roll')).updateStatus)}`);
    const svc = await service('roll');
    expect(svc.spec.task.container.command).toEqual(['sleep']);
    await waitFor(async () => running(await tasksOf(svc.id)).length === 4 && live(await tasksOf(svc.id)).every((t) => t.spec.container.command[0] === 'sleep'), 30_000, () => 'four sleepers again');
  }, 120_000);

  it('manual rollback and start-first: the service never drops below its replicas', async () => {
    await update('roll', (sp) => ({ ...sp, task: { ...sp.task, container: { ...sp.task.container, env: ['V=2'] } }, update: { ...sp.update!, order: 'start-first', monitorMs: 500, failureAction: 'pause' } }));
    let minRunning = Infinity;
    const svcId = (await service('roll')).id;
    await waitFor(async () => {
      minRunning = Math.min(minRunning, running(await tasksOf(svcId)).length);
      return (await service('roll')).updateStatus?.state === 'completed';
    }, 60_000, () => 'start-first update completed');
    expect(minRunning).toBeGreaterThanOrEqual(4);
    await api().service.rollback.mutate({ ref: 'roll' });
    expect((await service('roll')).updateStatus).toMatchObject({ state: 'rollback_started', message: 'manually requested rollback' });
    await waitFor(async () => (await service('roll')).updateStatus?.state === 'rollback_completed', 60_000, () => 'manual rollback completed');
    expect(live(await tasksOf(svcId)).every((t) => t.spec.container.env.length === 0)).toBe(true);
    await api().service.remove.mutate({ ref: 'roll' });
  }, 120_000);

  it('health checks: RUNNING only once healthy; an unhealthy task during the monitor fails the update', async () => {
    // Failures inside the start period do not count (Docker), so the first failing probes do not make it unhealthy.
    const hc = (cmd: string) => ({ test: ['CMD-SHELL', cmd], intervalMs: 200, timeoutMs: 1000, retries: 2, startPeriodMs: 2000 });
    const s = await create(sleeper('health', {
      mode: { kind: 'replicated', replicas: 1 },
      task: { container: { image: 'local/busybox:1', command: ['sh', '-c', 'sleep 1; touch /tmp/ok; sleep 3600'], healthcheck: hc('test -f /tmp/ok') }, restart: noRestartDelay },
      update: { parallelism: 1, delayMs: 0, failureAction: 'pause', monitorMs: 5000, maxFailureRatio: 0, order: 'stop-first' },
    }));
    const t0 = Date.now();
    await waitFor(async () => running(await tasksOf(s.id)).length === 1, 30_000, () => 'healthy task');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1000);
    await update('health', (sp) => ({ ...sp, task: { ...sp.task, container: { ...sp.task.container, healthcheck: hc('test -f /tmp/never') } } }));
    await waitFor(async () => (await service('health')).updateStatus?.state === 'paused', 30_000, async () => `paused; got ${JSON.stringify((await service('health')).updateStatus)}`);
    expect((await service('health')).updateStatus!.message).toMatch(/unhealthy/);
    await api().service.remove.mutate({ ref: 'health' });
  }, 60_000);

  it('replicated job: --max-concurrent at a time until --total-completions; a spec change re-runs it; global job on every node', async () => {
    const j = await create(sleeper('job', {
      mode: { kind: 'replicated-job', maxConcurrent: 2, totalCompletions: 4 },
      task: { container: { image: 'local/busybox:1', command: ['sh', '-c', 'sleep 0.5'] }, restart: { condition: 'on-failure', delayMs: 0, maxAttempts: 0, windowMs: 0 } },
    }));
    let maxAtOnce = 0;
    const completed = async (iteration: number) => (await tasksOf(j.id)).filter((t) => t.status.state === S.COMPLETE && (t.jobIteration ?? 0) === iteration).length;
    await waitFor(async () => {
      const ts = await tasksOf(j.id);
      maxAtOnce = Math.max(maxAtOnce, ts.filter((t) => t.status.state === S.RUNNING).length);
      return (await completed(0)) === 4;
    }, 60_000, () => 'four completions');
    expect(maxAtOnce).toBeLessThanOrEqual(2);
    await new Promise((r) => setTimeout(r, 1000));
    expect(await completed(0)).toBe(4); // and no more
    await update('job', (sp) => ({ ...sp, task: { ...sp.task, container: { ...sp.task.container, env: ['RUN=2'] } } }));
    await waitFor(async () => (await completed(1)) === 4, 60_000, () => 'four completions of iteration 1');
    const gj = await create(sleeper('gjob', { mode: { kind: 'global-job' }, task: { container: { image: 'local/busybox:1', command: ['true'] } } }));
    await waitFor(async () => (await tasksOf(gj.id)).filter((t) => t.status.state === S.COMPLETE).length === 3, 60_000, () => 'a completion per node');
    for (const r of ['job', 'gjob']) await api().service.remove.mutate({ ref: r });
  }, 120_000);

  it('kill -9 of a worker: its tasks run elsewhere within 5 s; its old containers stop when it returns', async () => {
    const s = await create(sleeper('survivor', { mode: { kind: 'replicated', replicas: 6 } }));
    await waitFor(async () => running(await tasksOf(s.id)).length === 6, 30_000, () => 'six running');
    const victim = workers[1]!;
    const victimId = nodeIdOf(victim);
    const onVictim = running(await tasksOf(s.id)).filter((t) => t.nodeId === victimId);
    expect(onVictim.length).toBeGreaterThan(0);
    const t0 = Date.now();
    await victim.kill9();
    await waitFor(async () => {
      const r = running(await tasksOf(s.id));
      return r.length === 6 && r.every((t) => t.nodeId !== victimId);
    }, 15_000, () => 'six running elsewhere');
    const took = Date.now() - t0;
    console.log(`node kill -9 → replacements RUNNING elsewhere: ${took} ms`);
    expect(took).toBeLessThanOrEqual(5000);
    expect((await api().node.get.query({ ref: victimId })).status.state).toBe('DOWN');
    // The victim's containers are still there (its agent is dead) until it comes back.
    const stale = onVictim.map((t) => t.status.container!.containerId);
    expect(docker('inspect', '--format', '{{.State.Running}}', stale[0]!)).toBe('true');
    await victim.restart();
    await waitFor(() => stale.every((id) => docker('inspect', '--format', '{{.State.Running}}', id) !== 'true'), 30_000, () => 'old containers stopped');
    await api().service.remove.mutate({ ref: 'survivor' });
    await waitFor(() => containersOf(runLabel, `label=com.swarm.service.id=${s.id}`).length === 0, 30_000, () => 'containers removed');
  }, 90_000);
});
