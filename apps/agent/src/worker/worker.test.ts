import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TaskState as S } from '@swarm/shared';
import { createFakeExecutor } from '../exec/fake/executor.js';
import { eventually, makeTask, manualClock, statusLog, tempDir, withDesired } from '../testing/tasks.js';
import { createTaskStore } from './task-store.js';
import { createWorker } from './worker.js';

async function setup(opts: { stateDir?: string; executor?: ReturnType<typeof createFakeExecutor>; clock?: ReturnType<typeof manualClock> } = {}) {
  const stateDir = opts.stateDir ?? (await tempDir());
  const executor = opts.executor ?? createFakeExecutor();
  const log = statusLog();
  const worker = createWorker({ executor, stateDir, onStatus: log.onStatus, ...(opts.clock ? { clock: opts.clock } : {}) });
  await worker.init();
  return { stateDir, executor, log, worker };
}

const stateOf = (w: ReturnType<typeof createWorker>, id: string) => w.statuses().find((s) => s.taskId === id)?.status.state;

describe('worker', () => {
  it('drives an assigned task to RUNNING through every state, in order', async () => {
    const { executor, log, worker } = await setup();
    const t = makeTask();
    await worker.assign([t]);
    await eventually(() => expect(stateOf(worker, t.id)).toBe(S.RUNNING));
    expect(log.states(t.id)).toEqual([S.ACCEPTED, S.PREPARING, S.READY, S.STARTING, S.RUNNING]);
    expect(executor.calls.filter((c) => c.taskId === t.id).map((c) => c.op)).toEqual(['prepare', 'start', 'wait']);
    await worker.close();
  });

  it('reports COMPLETE on exit 0 and FAILED with the exit code otherwise', async () => {
    const { executor, log, worker } = await setup();
    const ok = makeTask();
    const bad = makeTask();
    await worker.assign([ok, bad]);
    await executor.until(() => executor.calls.filter((c) => c.op === 'wait').length === 2);
    executor.exit(ok.id, 0);
    executor.exit(bad.id, 2);
    await eventually(() => expect([stateOf(worker, ok.id), stateOf(worker, bad.id)]).toEqual([S.COMPLETE, S.FAILED]));
    expect(log.last(bad.id)).toMatchObject({ err: 'task: non-zero exit (2)', container: { exitCode: 2 } });
    await worker.close();
  });

  it('shuts a running task down when desired becomes SHUTDOWN (aborting wait)', async () => {
    const { executor, worker } = await setup();
    const t = makeTask();
    await worker.assign([t]);
    await executor.until(() => executor.runtime(t.id) === 'running');
    await worker.update([withDesired(t, S.SHUTDOWN)], []);
    await eventually(() => expect(stateOf(worker, t.id)).toBe(S.SHUTDOWN));
    expect(executor.runtime(t.id)).toBe('exited');
    await worker.close();
  });

  it('a fatal prepare error rejects the task; a temporary one is retried after 1 s', async () => {
    const clock = manualClock();
    const { executor, log, worker } = await setup({ clock });
    const rejected = makeTask();
    const retried = makeTask();
    executor.failNext(rejected.id, 'prepare', { kind: 'fatal', message: 'No such image: nope:1' });
    executor.failNext(retried.id, 'prepare', { kind: 'temporary', message: 'engine busy' });
    await worker.assign([rejected, retried]);
    await eventually(() => expect(stateOf(worker, rejected.id)).toBe(S.REJECTED));
    expect(log.last(rejected.id)).toMatchObject({ err: 'No such image: nope:1' });
    await eventually(() => expect(log.last(retried.id)?.err).toBe('engine busy'));
    expect(stateOf(worker, retried.id)).toBe(S.PREPARING);
    clock.advance(1000);
    await eventually(() => expect(stateOf(worker, retried.id)).toBe(S.RUNNING));
    await worker.close();
  });

  it('COMPLETE removes unknown local tasks; INCREMENTAL adds and removes', async () => {
    const { executor, worker } = await setup();
    const a = makeTask();
    const b = makeTask();
    await worker.assign([a]);
    await executor.until(() => executor.runtime(a.id) === 'running');
    await worker.assign([b]); // a is no longer assigned
    await executor.until(() => executor.runtime(a.id) === undefined && executor.runtime(b.id) === 'running');
    expect(executor.calls.filter((c) => c.taskId === a.id).map((c) => c.op)).toEqual(['prepare', 'start', 'wait', 'shutdown', 'remove']);
    const c = makeTask();
    await worker.update([c], [b.id]);
    await executor.until(() => executor.runtime(b.id) === undefined && executor.runtime(c.id) === 'running');
    expect(worker.statuses().map((s) => s.taskId)).toEqual([c.id]);
    await worker.close();
  });

  it('persists tasks and re-adopts running work after a restart without restarting it', async () => {
    const first = await setup();
    const t = makeTask();
    await first.worker.assign([t]);
    await eventually(() => expect(stateOf(first.worker, t.id)).toBe(S.RUNNING));
    await first.worker.close(); // leaves tasks running
    const persisted = await createTaskStore(first.stateDir, { get: () => undefined, all: () => [] }).load();
    expect(persisted.map((x) => [x.task.id, x.status.state])).toEqual([[t.id, S.RUNNING]]);

    const startsBefore = first.executor.calls.filter((c) => c.op === 'start').length;
    const second = await setup({ stateDir: first.stateDir, executor: first.executor });
    expect(stateOf(second.worker, t.id)).toBe(S.RUNNING);
    await first.executor.until(() => first.executor.calls.filter((c) => c.op === 'wait').length === 2);
    expect(first.executor.calls.filter((c) => c.op === 'start').length).toBe(startsBefore);
    first.executor.exit(t.id, 0);
    await eventually(() => expect(stateOf(second.worker, t.id)).toBe(S.COMPLETE));
    await second.worker.close();
  });

  it('a corrupt tasks file is ignored and rebuilt from the next COMPLETE', async () => {
    const stateDir = await tempDir();
    await mkdir(join(stateDir, 'worker'), { recursive: true });
    await writeFile(join(stateDir, 'worker', 'tasks.json'), '{"version":1,"tasks":[{"task":{"id":3}}]}');
    const { worker } = await setup({ stateDir });
    expect(worker.statuses()).toEqual([]);
    const t = makeTask();
    await worker.assign([t]);
    await worker.flush();
    const file = JSON.parse(await readFile(join(stateDir, 'worker', 'tasks.json'), 'utf8'));
    expect(file.tasks.map((x: { task: { id: string } }) => x.task.id)).toEqual([t.id]);
    await worker.close();
  });

  it('close({ leaveTasks: false }) shuts everything down and removes it', async () => {
    const { executor, worker } = await setup();
    const t = makeTask();
    await worker.assign([t]);
    await executor.until(() => executor.runtime(t.id) === 'running');
    await worker.close({ leaveTasks: false });
    expect(executor.runtime(t.id)).toBeUndefined();
  });
});
