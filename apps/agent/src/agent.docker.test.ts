/**
 * Whole agent (session + worker + docker executor) against the fake Dispatcher:
 * an agent restart re-adopts the running container and re-reports it.
 */
import { randomUUID } from 'node:crypto';
import Docker from 'dockerode';
import { afterAll, describe, expect, it } from 'vitest';
import { LABEL, TaskState as S, seededRng } from '@swarm/shared';
import { startAgent } from './agent.js';
import { createDockerExecutor } from './exec/docker/executor.js';
import { startFakeDispatcher } from './testing/fake-dispatcher.js';
import { eventually, makeTask, tempDir, withDesired } from './testing/tasks.js';

const RUN = `agent-e2e-${randomUUID()}`;
const docker = new Docker({ socketPath: '/var/run/docker.sock' });

afterAll(async () => {
  const leftovers = await docker.listContainers({ all: true, filters: { label: [`${LABEL.testRun}=${RUN}`] } });
  await Promise.all(leftovers.map((c) => docker.getContainer(c.Id).remove({ force: true })));
});

describe('agent with the docker executor', () => {
  it('survives an agent restart without restarting its container', async () => {
    const d = await startFakeDispatcher();
    const stateDir = await tempDir();
    const start = () =>
      startAgent({ nodeId: 'node1', managerAddr: d.addr, stateDir, executor: createDockerExecutor({ extraLabels: { [LABEL.testRun]: RUN } }), rng: seededRng(3) });
    const t = makeTask();
    d.upsert(t);
    const a1 = await start();
    await eventually(() => expect(d.reported(t.id)?.state).toBe(S.RUNNING));
    const containerId = d.reported(t.id)?.container?.containerId;
    const before = await docker.getContainer(containerId!).inspect();
    await a1.stop(); // leaves the container running

    const a2 = await start();
    await eventually(() => expect(d.statuses.some((s) => s.sessionId === 'session-2' && s.taskId === t.id && s.status.state === S.RUNNING)).toBe(true));
    const after = await docker.getContainer(containerId!).inspect();
    expect(after.State.StartedAt).toBe(before.State.StartedAt);

    d.upsert(withDesired(t, S.SHUTDOWN));
    await eventually(() => expect(d.reported(t.id)?.state).toBe(S.SHUTDOWN));
    d.remove(t.id);
    await eventually(async () => expect((await docker.listContainers({ all: true, filters: { label: [`${LABEL.taskId}=${t.id}`] } })).length).toBe(0));
    await a2.stop();
    await d.close();
  });
});
