import { describe, expect, it } from 'vitest';
import { TaskState as S } from '@swarm/shared';
import { createWorker } from '../../worker/worker.js';
import { eventually, makeTask, tempDir, withDesired } from '../../testing/tasks.js';
import { createSimExecutor } from './executor.js';

describe('sim executor', () => {
  it('runs many tasks to RUNNING and keeps them there until shutdown', async () => {
    const worker = createWorker({ executor: createSimExecutor(), stateDir: await tempDir(), onStatus: () => {} });
    const tasks = Array.from({ length: 500 }, () => makeTask());
    await worker.assign(tasks);
    await eventually(() => expect(worker.statuses().every((s) => s.status.state === S.RUNNING)).toBe(true));
    await worker.update(tasks.slice(0, 10).map((t) => withDesired(t, S.SHUTDOWN)), []);
    await eventually(() => expect(worker.statuses().filter((s) => s.status.state === S.SHUTDOWN)).toHaveLength(10));
    expect(worker.statuses().filter((s) => s.status.state === S.RUNNING)).toHaveLength(490);
    await worker.close({ leaveTasks: false });
  });
});
