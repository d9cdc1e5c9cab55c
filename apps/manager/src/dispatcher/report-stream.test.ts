/** The dispatcher's Report stream: heartbeats and status reports as messages, answered by sequence number. */
import * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { TaskState as S } from '@swarm/shared';
import { makeTask } from '../testing/fixtures.js';
import { REVERIFY_MS } from './dispatcher.js';
import { type ReportResponse } from './proto.js';
import { as, collect } from './testing/harness.js';
import { dispatcherHarness } from './testing/harness.js';

describe('dispatcher over gRPC: the Report stream', { timeout: 15_000 }, () => {
  const h = dispatcherHarness();

  const openReports = (nodeId = 'w1') => {
    const call = h.client.Report(as(nodeId));
    h.streams.push(call);
    const c = collect<ReportResponse>(call);
    let seq = 0;
    /** Sends one request and waits for its answer (answers come in order). */
    const ask = async (sessionId: string, req: { heartbeat?: boolean; updates?: Array<{ task_id: string; status_json: string }> }) => {
      const n = ++seq;
      call.write({ session_id: sessionId, seq: n, heartbeat: req.heartbeat ?? false, updates: req.updates ?? [] });
      const r = await c.next();
      expect(r.seq).toBe(n);
      return r;
    };
    const status = (taskId: string, s: object | string) => ({ updates: [{ task_id: taskId, status_json: typeof s === 'string' ? s : JSON.stringify(s) }] });
    return { call, ...c, ask, status };
  };

  it('answers a heartbeat with the period and a status report once queued; the statuses reach the store', async () => {
    await h.store.update((tx) => tx.create('tasks', makeTask({ id: 't', nodeId: 'w1', state: S.ASSIGNED })));
    const s = await h.openSession('w1');
    const r = openReports();
    expect(await r.ask(s.sessionId, { heartbeat: true })).toMatchObject({ code: 0, period_ms: expect.any(Number) });
    expect((await r.ask(s.sessionId, { heartbeat: true })).period_ms).toBeGreaterThan(0);
    expect(await r.ask(s.sessionId, r.status('t', { timestamp: 1, state: S.RUNNING, message: 'started' }))).toMatchObject({ seq: 3, code: 0 });
    await h.dispatcher.flush();
    expect(h.store.view((tx) => tx.get('tasks', 't')?.status)).toMatchObject({ state: S.RUNNING, message: 'started', appliedBy: 'mgr' });
  });

  it('heartbeats on the stream keep the node up past the grace', async () => {
    const s = await h.openSession('w1');
    const r = openReports();
    // The harness's period is 100 ms; a node is DOWN after 5 periods without a heartbeat.
    for (let i = 0; i < 10; i++) {
      h.clock.advance(90);
      expect((await r.ask(s.sessionId, { heartbeat: true })).code).toBe(0);
    }
    expect(h.store.view((tx) => tx.get('nodes', 'w1')?.status.state)).toBe('READY');
  });

  it('a refused request is answered with its code and message, changes nothing, and the stream goes on', async () => {
    await h.store.update((tx) => {
      tx.create('tasks', makeTask({ id: 't', nodeId: 'w1', state: S.ASSIGNED }));
      return tx.create('tasks', makeTask({ id: 'o', nodeId: 'w2', state: S.ASSIGNED }));
    });
    const s = await h.openSession('w1');
    const r = openReports();
    expect(await r.ask(s.sessionId, r.status('t', '{oops'))).toMatchObject({ code: grpc.status.INVALID_ARGUMENT, error: 'status of task t is not JSON' });
    expect(await r.ask(s.sessionId, r.status('t', { timestamp: 1, state: 12345 }))).toMatchObject({ code: grpc.status.INVALID_ARGUMENT, error: 'invalid status for task t: state: not a task state' });
    expect(await r.ask(s.sessionId, r.status('o', { timestamp: 1, state: S.RUNNING }))).toMatchObject({ code: grpc.status.PERMISSION_DENIED, error: 'cannot update a task not assigned this node' });
    expect(await r.ask('no-such-session', { heartbeat: true })).toMatchObject({ code: grpc.status.INVALID_ARGUMENT, error: 'session invalid' });
    await h.dispatcher.flush();
    expect(h.store.view((tx) => [tx.get('tasks', 't')?.status.state, tx.get('tasks', 'o')?.status.state])).toEqual([S.ASSIGNED, S.ASSIGNED]);
    // Still open: a valid report goes through.
    expect((await r.ask(s.sessionId, r.status('t', { timestamp: 2, state: S.RUNNING }))).code).toBe(0);
  });

  it('belongs to the session of its first request: another node cannot use it, nor another session', async () => {
    const w1 = await h.openSession('w1');
    const w2 = await h.openSession('w2');
    const stolen = openReports('w2');
    expect(await stolen.ask(w1.sessionId, { heartbeat: true })).toMatchObject({ code: grpc.status.PERMISSION_DENIED, error: 'session belongs to another node' });
    const r = openReports('w1');
    expect((await r.ask(w1.sessionId, { heartbeat: true })).code).toBe(0);
    expect(await r.ask(w2.sessionId, { heartbeat: true })).toMatchObject({ code: grpc.status.INVALID_ARGUMENT, error: 'session invalid' });
  });

  it('ends with its session: a new session of the node ends the old one and its Report stream', async () => {
    const first = await h.openSession('w1');
    const r = openReports();
    expect((await r.ask(first.sessionId, { heartbeat: true })).code).toBe(0);
    await h.openSession('w1');
    expect(await r.done()).toBeUndefined(); // ended cleanly: the agent starts over with its new session
  });

  it("re-reads the caller's certificate after REVERIFY_MS (an expired one is refused)", async () => {
    // A heartbeat period long enough that the node stays up while the clock moves on by REVERIFY_MS.
    await h.store.update((tx) => {
      const c = tx.get('clusters', 'cluster')!;
      return tx.update('clusters', { ...c, spec: { ...c.spec, dispatcher: { heartbeatPeriodMs: 60_000 } } });
    });
    const s = await h.openSession('w1');
    const r = openReports();
    expect((await r.ask(s.sessionId, { heartbeat: true })).code).toBe(0);
    let calls = 0;
    const identify = h.identify;
    h.setIdentify(() => {
      calls++;
      return { ok: false, error: 'certificate expired' };
    });
    try {
      h.clock.advance(REVERIFY_MS - 1);
      expect((await r.ask(s.sessionId, { heartbeat: true })).code).toBe(0);
      expect(calls).toBe(0);
      h.clock.advance(1);
      expect(await r.ask(s.sessionId, { heartbeat: true })).toMatchObject({ code: grpc.status.PERMISSION_DENIED, error: 'certificate expired' });
      expect(calls).toBe(1);
    } finally {
      h.setIdentify(identify);
    }
  });
});
