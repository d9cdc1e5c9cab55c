/** The dispatcher over gRPC: assignment streams and task status reports. */
import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type Task, TaskState, ok } from '@swarm/shared';
import { createStore } from '../store/store.js';
import { makeTask } from '../testing/fixtures.js';
import { openAssignments as openStream } from './assignments.js';
import type { AssignmentsMessage } from './proto.js';
import { createNodeEvents } from './router.js';
import { dispatcherHarness } from './testing/harness.js';

const S = TaskState;

describe('dispatcher over gRPC: assignments and status reports', { timeout: 15_000 }, () => {
  const h = dispatcherHarness();
  const { openSession, openAssignments, report } = h;

  it('Assignments: COMPLETE first, INCREMENTAL updates, no echo of agent status, REMOVE on delete', async () => {
    await h.store.update((tx) => {
      tx.create('tasks', makeTask({ id: 'a1', nodeId: 'w1', state: S.ASSIGNED }));
      tx.create('tasks', makeTask({ id: 'p1', nodeId: 'w1', state: S.PENDING })); // not shipped before ASSIGNED
      tx.create('tasks', makeTask({ id: 'o1', nodeId: 'w2', state: S.ASSIGNED })); // another node's
      return ok(undefined);
    });
    const s = await openSession('w1');
    const a = openAssignments(s.sessionId);
    const complete = await a.next();
    expect(complete.type).toBe('COMPLETE');
    expect(complete.applies_to).toBe(0);
    expect(complete.results_in).toBe(1);
    expect(complete.changes.map((c) => [c.action, c.task_id])).toEqual([['UPDATE', 'a1']]);
    expect((JSON.parse(complete.changes[0]?.task_json ?? '{}') as Task).id).toBe('a1');

    // The scheduler assigns another task to this node.
    await h.store.update((tx) => tx.create('tasks', makeTask({ id: 'a2', nodeId: 'w1', state: S.ASSIGNED })));
    const inc = await a.next();
    expect(inc).toMatchObject({ type: 'INCREMENTAL', applies_to: 1, results_in: 2 });
    expect(inc.changes.map((c) => [c.action, c.task_id])).toEqual([['UPDATE', 'a2']]);

    // The agent reports a2 RUNNING: stored, but not echoed back.
    expect((await report(s.sessionId, 'a2', { timestamp: 1, state: S.RUNNING, message: 'started' })).err).toBeNull();
    await h.dispatcher.flush();
    expect(h.store.view((tx) => tx.get('tasks', 'a2')?.status)).toMatchObject({ state: S.RUNNING, message: 'started', appliedBy: 'mgr', appliedAt: h.clock.now() });

    // The orchestrator stops a2: that is news for the agent.
    await h.store.update((tx) => {
      const t = tx.get('tasks', 'a2');
      return t ? tx.update('tasks', { ...t, desiredState: S.SHUTDOWN }) : ok(undefined);
    });
    const stop = await a.next();
    expect(stop).toMatchObject({ type: 'INCREMENTAL', applies_to: 2, results_in: 3 });
    expect(stop.changes.map((c) => [c.action, c.task_id])).toEqual([['UPDATE', 'a2']]);
    expect((JSON.parse(stop.changes[0]?.task_json ?? '{}') as Task).desiredState).toBe(S.SHUTDOWN);

    // Delete a1 (the reaper): REMOVE. Tasks of other nodes never show up.
    await h.store.update((tx) => {
      const o = tx.get('tasks', 'o1');
      if (o) tx.update('tasks', { ...o, desiredState: S.SHUTDOWN });
      return tx.delete('tasks', 'a1');
    });
    const rm = await a.next();
    expect(rm).toMatchObject({ type: 'INCREMENTAL', applies_to: 3, results_in: 4 });
    expect(rm.changes).toEqual([{ action: 'REMOVE', task_id: 'a1', task_json: '' }]);
    expect(a.unread()).toBe(0);
  });

  // dispatcher/router.ts remembers where each task was routed, so the old node still hears of a move.
  it('a task moved to another node is REMOVEd from the old node', async () => {
    await h.store.update((tx) => tx.create('tasks', makeTask({ id: 'a1', nodeId: 'w1', state: S.ASSIGNED })));
    const s = await openSession('w1');
    const a = openAssignments(s.sessionId);
    expect((await a.next()).changes.map((c) => c.task_id)).toEqual(['a1']);
    await h.store.update((tx) => {
      const t = tx.get('tasks', 'a1');
      return t ? tx.update('tasks', { ...t, nodeId: 'w2' }) : ok(undefined);
    });
    expect((await a.next()).changes).toEqual([{ action: 'REMOVE', task_id: 'a1', task_json: '' }]);
  });

  it('Assignments with a bad session is INVALID_ARGUMENT', async () => {
    const err = await openAssignments('bogus').done();
    expect(err?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(err?.details).toBe('session invalid');
  });

  it('UpdateTaskStatus for a task on another node is PERMISSION_DENIED and changes nothing', async () => {
    await h.store.update((tx) => tx.create('tasks', makeTask({ id: 'o1', nodeId: 'w2', state: S.ASSIGNED })));
    const s = await openSession('w1');
    const { err } = await report(s.sessionId, 'o1', { timestamp: 1, state: S.RUNNING });
    expect(err?.code).toBe(grpc.status.PERMISSION_DENIED);
    expect(err?.details).toBe('cannot update a task not assigned this node');
    await h.dispatcher.flush();
    expect(h.store.view((tx) => tx.get('tasks', 'o1')?.status.state)).toBe(S.ASSIGNED);
  });

  it('UpdateTaskStatus drops lower states (states only move forward)', async () => {
    await h.store.update((tx) => tx.create('tasks', makeTask({ id: 't', nodeId: 'w1', state: S.RUNNING })));
    const s = await openSession('w1');
    const before = h.store.view((tx) => tx.get('tasks', 't'));
    expect((await report(s.sessionId, 't', { timestamp: 1, state: S.STARTING, message: 'late' })).err).toBeNull();
    await h.dispatcher.flush();
    expect(h.store.view((tx) => tx.get('tasks', 't'))).toEqual(before);
    expect((await report(s.sessionId, 't', { timestamp: 2, state: S.FAILED, message: 'exit 1' })).err).toBeNull();
    await h.dispatcher.flush();
    expect(h.store.view((tx) => tx.get('tasks', 't')?.status)).toMatchObject({ state: S.FAILED, message: 'exit 1' });
  });

  it('UpdateTaskStatus with invalid JSON or an invalid status is INVALID_ARGUMENT naming the task and field', async () => {
    await h.store.update((tx) => tx.create('tasks', makeTask({ id: 't', nodeId: 'w1', state: S.ASSIGNED })));
    const s = await openSession('w1');
    const notJson = await report(s.sessionId, 't', '{oops');
    expect(notJson.err?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(notJson.err?.details).toBe('status of task t is not JSON');
    const bad = await report(s.sessionId, 't', { timestamp: 1, state: 12345 });
    expect(bad.err?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(bad.err?.details).toBe('invalid status for task t: state: not a task state');
    const missing = await report(s.sessionId, 't', { state: S.RUNNING });
    expect(missing.err?.details).toMatch(/^invalid status for task t: timestamp: /);
    await h.dispatcher.flush();
    expect(h.store.view((tx) => tx.get('tasks', 't')?.status.state)).toBe(S.ASSIGNED);
  });
});

describe('assignment batching: a batch goes 10 ms after its first change, or at 100 changes', () => {
  afterEach(() => void vi.useRealTimers());

  it('changes within the window share a message; a commit of 150 tasks goes as 100 at once and 50 after the window', async () => {
    vi.useFakeTimers();
    const store = createStore();
    const events = createNodeEvents(store);
    const sent: AssignmentsMessage[] = [];
    const stream = openStream({ store, events, nodeId: 'w1', send: (m) => sent.push(m) });
    expect(sent.map((m) => m.type)).toEqual(['COMPLETE']);
    await store.update((tx) => tx.create('tasks', makeTask({ id: 'a', nodeId: 'w1', state: S.ASSIGNED })));
    await vi.advanceTimersByTimeAsync(6);
    await store.update((tx) => tx.create('tasks', makeTask({ id: 'b', nodeId: 'w1', state: S.ASSIGNED })));
    expect(sent).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(4); // 10 ms after the first change: the window does not restart
    expect(sent).toHaveLength(2);
    expect(sent[1]!.changes.map((c) => c.task_id)).toEqual(['a', 'b']);
    await store.update((tx) => {
      for (let i = 0; i < 150; i++) tx.create('tasks', makeTask({ id: `t${i}`, nodeId: 'w1', state: S.ASSIGNED }));
      return ok(undefined);
    });
    expect(sent).toHaveLength(3);
    expect(sent[2]!.changes).toHaveLength(100);
    await vi.advanceTimersByTimeAsync(10);
    expect(sent.map((m) => m.changes.length)).toEqual([0, 2, 100, 50]);
    expect(sent.map((m) => [m.applies_to, m.results_in])).toEqual([[0, 1], [1, 2], [2, 3], [3, 4]]);
    stream.close();
    events.stop();
  });
});
