/** Session client against a fake Dispatcher on 127.0.0.1 (ephemeral port). */
import { afterEach, describe, expect, it } from 'vitest';
import { TaskState as S, seededRng, systemClock } from '@swarm/shared';
import { startAgent, type Agent } from '../agent.js';
import { createFakeExecutor } from '../exec/fake/executor.js';
import { startFakeDispatcher } from '../testing/fake-dispatcher.js';
import { eventually, makeTask, manualClock, tempDir, withDesired } from '../testing/tasks.js';
import { jittered, nextBackoff } from './backoff.js';
import { type SessionHandlers, startSession } from './session.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(dispatcherOpts: Parameters<typeof startFakeDispatcher>[0] = {}) {
  const d = await startFakeDispatcher(dispatcherOpts);
  cleanups.push(() => d.close());
  const executor = createFakeExecutor({ hostname: 'fake-host' });
  const stateDir = await tempDir();
  const agent = await startAgent({ nodeId: 'node1', managerAddr: d.addr, stateDir, executor, hostname: 'n1', rng: seededRng(1), clock: systemClock });
  cleanups.push(() => agent.stop());
  return { d, executor, agent, stateDir };
}

const reportedState = (d: Awaited<ReturnType<typeof startFakeDispatcher>>, id: string) => d.reported(id)?.state;

describe('session backoff', () => {
  it('grows as min(100 ms + 2×backoff, 8 s) and jitters within [0, backoff)', () => {
    const seq: number[] = [];
    let b = 0;
    for (let i = 0; i < 8; i++) seq.push((b = nextBackoff(b)));
    expect(seq).toEqual([100, 300, 700, 1500, 3100, 6300, 8000, 8000]);
    expect(jittered(1000, { next: () => 0.5 })).toBe(500);
    expect(jittered(1000, { next: () => 0 })).toBe(0);
  });
});

describe('session client', () => {
  it('opens a session with node id and description, heartbeats, and keeps the manager list', async () => {
    const { d, agent } = await setup({ heartbeatMs: 50 });
    await eventually(() => expect(agent.status().session).toBe('ready'));
    expect(d.sessions[0]).toMatchObject({ nodeId: 'node1', description: { hostname: 'n1', executor: 'sim' } });
    expect(agent.status()).toMatchObject({ sessionId: 'session-1', managers: [{ nodeId: 'm1', addr: '127.0.0.1:1', weight: 10 }] });
    await eventually(() => expect(d.heartbeats()).toBeGreaterThanOrEqual(3)); // immediately, then every period_ms
  });

  it('runs assigned tasks and reports their statuses; INCREMENTAL updates and removals apply', async () => {
    const { d, executor } = await setup();
    const a = makeTask();
    d.upsert(a);
    await eventually(() => expect(reportedState(d, a.id)).toBe(S.RUNNING));
    expect(d.statuses.filter((s) => s.taskId === a.id).map((s) => s.status.state)).toEqual(
      // coalescing may skip intermediate states, but never reorders them
      expect.arrayContaining([S.RUNNING]),
    );
    const states = d.statuses.filter((s) => s.taskId === a.id).map((s) => s.status.state);
    expect([...states].sort((x, y) => x - y)).toEqual(states);

    const b = makeTask();
    d.upsert(b);
    await eventually(() => expect(reportedState(d, b.id)).toBe(S.RUNNING));
    d.upsert(withDesired(a, S.SHUTDOWN));
    await eventually(() => expect(reportedState(d, a.id)).toBe(S.SHUTDOWN));
    d.remove(b.id);
    await executor.until(() => executor.runtime(b.id) === undefined);
  });

  it('sends heartbeats and statuses as messages on one Report stream, not as unary calls', async () => {
    const { d, agent } = await setup({ heartbeatMs: 50 });
    const a = makeTask();
    d.upsert(a);
    await eventually(() => expect(reportedState(d, a.id)).toBe(S.RUNNING));
    await eventually(() => expect(d.heartbeats()).toBeGreaterThanOrEqual(3));
    expect(d.reportStreams()).toBe(1);
    expect(agent.status().rpc).toMatchObject({ unaryCalls: 0 });
    expect(agent.status().rpc.heartbeats).toBeGreaterThanOrEqual(3);
    expect(agent.status().rpc.statusCalls).toBeGreaterThanOrEqual(1);
  });

  it('against a manager without the Report stream (UNIMPLEMENTED), heartbeats and statuses go as unary calls', async () => {
    const { d, agent } = await setup({ heartbeatMs: 50, noReportStream: true });
    const a = makeTask();
    d.upsert(a);
    await eventually(() => expect(reportedState(d, a.id)).toBe(S.RUNNING));
    await eventually(() => expect(d.heartbeats()).toBeGreaterThanOrEqual(3));
    expect(agent.status()).toMatchObject({ session: 'ready', sessions: 1 });
    const rpc = agent.status().rpc;
    // Every heartbeat and status report was a unary call (the first one after the stream was refused, resent).
    expect(rpc.unaryCalls).toBeGreaterThanOrEqual(rpc.heartbeats + rpc.statusCalls - 1);
  });

  it('reconnects after the session drops, and re-reports every task status on the new session', async () => {
    const { d, agent } = await setup();
    const a = makeTask();
    d.upsert(a);
    await eventually(() => expect(reportedState(d, a.id)).toBe(S.RUNNING));
    d.dropSession();
    await eventually(() => expect(agent.status().sessionId).toBe('session-2'));
    await eventually(() => expect(d.statuses.some((s) => s.sessionId === 'session-2' && s.taskId === a.id && s.status.state === S.RUNNING)).toBe(true));
    expect(agent.status().sessions).toBe(2);
  });

  it('reconnect() moves the session to a new connection: same session ID, the task keeps running', async () => {
    const { d, agent, executor } = await setup({ resume: true });
    const a = makeTask();
    d.upsert(a);
    await eventually(() => expect(reportedState(d, a.id)).toBe(S.RUNNING));
    const starts = () => executor.calls.filter((c) => c.taskId === a.id && c.op === 'start').length;
    expect(starts()).toBe(1);
    agent.reconnect('certificate renewed');
    await eventually(() => expect(d.sessions).toHaveLength(2));
    expect(d.sessions[1]!.sessionId).toBe(d.sessions[0]!.sessionId);
    expect(d.sessions[1]!.peer).not.toBe(d.sessions[0]!.peer); // a new TCP connection
    await eventually(() => expect(d.streams.filter((s) => !s.call.cancelled)).toHaveLength(1));
    expect(agent.status()).toMatchObject({ session: 'ready', sessions: 1 });
    expect(starts()).toBe(1);
    expect(executor.runtime(a.id)).toBe('running');
  });

  it('reopens Assignments on a sequence gap and gets a new COMPLETE', async () => {
    const { d, agent } = await setup();
    await eventually(() => expect(d.streams).toHaveLength(1));
    const hidden = makeTask();
    d.gap(hidden); // the agent only learns about this task from the next COMPLETE
    await eventually(() => expect(reportedState(d, hidden.id)).toBe(S.RUNNING));
    expect(d.streams).toHaveLength(2);
    expect(d.sessions).toHaveLength(1);
    expect(agent.status().sessions).toBe(1);
  });

  it('retries status updates the dispatcher fails', async () => {
    const { d } = await setup({ failStatusUpdates: 2 });
    const a = makeTask();
    d.upsert(a);
    await eventually(() => expect(reportedState(d, a.id)).toBe(S.RUNNING));
  });

  it('opens a new session when the node description changes', async () => {
    const d = await startFakeDispatcher();
    cleanups.push(() => d.close());
    const description = { engine: { engineVersion: 'v1', labels: {}, plugins: [] } };
    const executor = createFakeExecutor(description);
    const agent = await startAgent({ nodeId: 'node1', managerAddr: d.addr, stateDir: await tempDir(), executor, rng: seededRng(4), describeIntervalMs: 20 });
    cleanups.push(() => agent.stop());
    await eventually(() => expect(agent.status().session).toBe('ready'));
    description.engine.engineVersion = 'v2';
    await eventually(() => expect(d.sessions.at(-1)?.description).toMatchObject({ engine: { engineVersion: 'v2' } }));
    expect(d.sessions).toHaveLength(2);
  });

  it('keeps retrying while no manager answers', async () => {
    const d0 = await startFakeDispatcher();
    const addr = d0.addr;
    await d0.close(); // nothing listens on addr for now
    const agent: Agent = await startAgent({ nodeId: 'node1', managerAddr: addr, stateDir: await tempDir(), executor: createFakeExecutor(), rng: seededRng(2) });
    cleanups.push(() => agent.stop());
    await eventually(() => expect(agent.status().lastError).toBeDefined());
    expect(agent.status().session).toBe('connecting');
  });

  it('stop() leaves tasks running by default', async () => {
    const { d, executor, agent } = await setup();
    const a = makeTask();
    d.upsert(a);
    await eventually(() => expect(reportedState(d, a.id)).toBe(S.RUNNING));
    await agent.stop();
    expect(executor.runtime(a.id)).toBe('running');
    expect(agent.status().session).toBe('stopped');
  });

  const quietHandlers = (): SessionHandlers => ({
    describe: async () => ({ hostname: 'n1', platform: { os: 'linux', architecture: 'x86_64' }, resources: { nanoCpus: 1e9, memoryBytes: 1e9, generic: {} }, engine: { engineVersion: 't', labels: {}, plugins: [] }, executor: 'sim' }),
    onComplete: async () => {},
    onIncremental: async () => {},
    onConnected: () => {},
    onDisconnected: () => {},
  });

  it('a heartbeat that misses its deadline is retried (twice by default) before the session is given up', async () => {
    // Two unanswered heartbeats in a row: the session survives.
    const d = await startFakeDispatcher({ heartbeatMs: 20, hangHeartbeats: 2 });
    cleanups.push(() => d.close());
    const s = startSession({ nodeId: 'node1', managerAddr: d.addr, handlers: quietHandlers(), rpcTimeoutMs: 100, rng: seededRng(1) });
    cleanups.push(() => s.stop());
    await eventually(() => expect(d.heartbeats()).toBeGreaterThanOrEqual(3));
    expect(d.sessions).toHaveLength(1);
    // Three in a row: a new session.
    const d3 = await startFakeDispatcher({ heartbeatMs: 20, hangHeartbeats: 3 });
    cleanups.push(() => d3.close());
    const s3 = startSession({ nodeId: 'node1', managerAddr: d3.addr, handlers: quietHandlers(), rpcTimeoutMs: 100, rng: seededRng(1) });
    cleanups.push(() => s3.stop());
    await eventually(() => expect(d3.sessions[0]?.call.cancelled).toBe(true)); // given up (then redialled elsewhere)
    expect(d3.heartbeats()).toBe(0);
    expect(d.sessions[0]?.call.cancelled).toBe(false);
  });

  it('a long heartbeat period gets a longer deadline: a slow answer within a fifth of the period is not a miss', async () => {
    // Period 1.5 s: deadline 300 ms, though the RPC timeout is 50 ms; answers come after 150 ms.
    const d = await startFakeDispatcher({ heartbeatMs: 1500, slowHeartbeatsMs: 150 });
    cleanups.push(() => d.close());
    const s = startSession({ nodeId: 'node1', managerAddr: d.addr, handlers: quietHandlers(), rpcTimeoutMs: 50, rng: seededRng(1) });
    cleanups.push(() => s.stop());
    await eventually(() => expect(d.heartbeats()).toBeGreaterThanOrEqual(3), 6000);
    await new Promise((r) => setTimeout(r, 400)); // past the retries a 50 ms deadline would have made
    expect(d.sessions).toHaveLength(1);
    expect(d.sessions[0]?.call.cancelled).toBe(false);
    expect(s.status().sessions).toBe(1);
  });

  it('waits twice as long for the first session message after a session that got none', async () => {
    const clock = manualClock();
    const d = await startFakeDispatcher({ silentSessions: 2 });
    cleanups.push(() => d.close());
    const s = startSession({ nodeId: 'node1', managerAddr: d.addr, handlers: quietHandlers(), sessionTimeoutMs: 1000, clock, rng: seededRng(1) });
    cleanups.push(() => s.stop());
    await eventually(() => expect(d.sessions).toHaveLength(1));
    clock.advance(1000); // the first session times out
    await eventually(() => expect(d.sessions[0]?.call.cancelled).toBe(true));
    await eventually(() => {
      if (d.sessions.length < 2) clock.advance(50); // through the reconnect backoff (< 100 ms for the first retry)
      expect(d.sessions).toHaveLength(2);
    });
    // The second session's timer was armed before the server saw the call, at most 50 ms of clock ago.
    clock.advance(1500); // > 1000 ms, < 2000 ms: still waiting
    await new Promise((r) => setTimeout(r, 50));
    expect(d.sessions[1]?.call.cancelled).toBe(false);
    clock.advance(500);
    await eventually(() => expect(d.sessions[1]?.call.cancelled).toBe(true));
    await eventually(() => {
      clock.advance(300);
      expect(s.status().state).toBe('ready'); // the third session gets its message
    });
  });
});
