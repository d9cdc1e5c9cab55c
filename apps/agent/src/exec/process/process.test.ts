/** Process executor with real child processes (`sh`, `sleep`). */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TaskState as S, type Task } from '@swarm/shared';
import { describeNode } from '../describe.js';
import { createWorker, type Worker } from '../../worker/worker.js';
import { eventually, makeTask, statusLog, tempDir, withDesired } from '../../testing/tasks.js';
import { createProcessExecutor } from './executor.js';

const stateOf = (w: Worker, id: string) => w.statuses().find((s) => s.taskId === id)?.status;
const until = (w: Worker, t: Task, state: S) =>
  eventually(() => expect(stateOf(w, t.id)?.state).toBe(state));

async function setup() {
  const executor = createProcessExecutor();
  const log = statusLog();
  const worker = createWorker({ executor, stateDir: await tempDir(), onStatus: log.onStatus });
  return { executor, worker, log };
}

describe('process executor', () => {
  it('runs command + args with env and dir: exit 0 → COMPLETE, non-zero → FAILED with the code', async () => {
    const { worker } = await setup();
    const good = makeTask({ command: ['sh', '-c'], args: ['test "$FOO" = bar && test "$(pwd)" = /tmp'], container: { env: ['FOO=bar'], dir: '/tmp' } });
    const bad = makeTask({ args: ['sh', '-c', 'exit 7'] });
    await worker.assign([good, bad]);
    await until(worker, good, S.COMPLETE);
    await until(worker, bad, S.FAILED);
    expect(stateOf(worker, bad.id)).toMatchObject({ err: 'task: non-zero exit (7)', container: { exitCode: 7 } });
    await worker.close();
  });

  it('shuts down with SIGTERM', async () => {
    const { worker } = await setup();
    const t = makeTask({ args: ['sleep', '300'] });
    await worker.assign([t]);
    await until(worker, t, S.RUNNING);
    const pid = stateOf(worker, t.id)?.container?.pid;
    expect(pid).toBeGreaterThan(0);
    await worker.update([withDesired(t, S.SHUTDOWN)], []);
    await until(worker, t, S.SHUTDOWN);
    expect(() => process.kill(pid!, 0)).toThrow();
    expect(stateOf(worker, t.id)?.container?.exitCode).toBe(143);
    await worker.close();
  });

  it('escalates to SIGKILL after the grace period when SIGTERM is ignored', async () => {
    const { worker } = await setup();
    const ready = join(await tempDir(), 'trap-installed');
    const t = makeTask({ args: ['sh', '-c', `trap "" TERM; touch ${ready}; while :; do sleep 1; done`], container: { stopGracePeriodMs: 200 } });
    await worker.assign([t]);
    await until(worker, t, S.RUNNING);
    await eventually(() => expect(existsSync(ready)).toBe(true));
    await worker.update([withDesired(t, S.SHUTDOWN)], []);
    await until(worker, t, S.SHUTDOWN);
    expect(stateOf(worker, t.id)?.container?.exitCode).toBe(137);
    await worker.close({ leaveTasks: false });
  });

  it('a command that cannot be spawned fails the task; an empty command rejects it', async () => {
    const { worker } = await setup();
    const missing = makeTask({ args: ['/no/such/binary'] });
    const empty = makeTask({ args: [] });
    await worker.assign([missing, empty]);
    await until(worker, missing, S.FAILED);
    expect(stateOf(worker, missing.id)?.err).toMatch(/ENOENT/);
    await until(worker, empty, S.REJECTED);
    await worker.close();
  });

  it('describes the local machine', async () => {
    const d = await describeNode(createProcessExecutor(), 'h');
    expect(d).toMatchObject({ hostname: 'h', platform: { os: 'linux' }, executor: 'process' });
    expect(d.resources.nanoCpus).toBeGreaterThan(0);
  });
});
