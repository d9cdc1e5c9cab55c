import { describe, expect, it } from 'vitest';
import { TaskState as S, err, ok, type Result, type TaskStatus } from '@swarm/shared';
import { manualClock } from '../testing/tasks.js';
import { createReporter, type StatusUpdate } from './reporter.js';

const st = (state: S, message = ''): TaskStatus => ({ timestamp: 0, state, message });

/** A sender whose calls the test answers one by one. */
function fakeSender() {
  const calls: Array<{ updates: StatusUpdate[]; answer: (r: Result<void, string>) => void }> = [];
  const send = (updates: StatusUpdate[]) => new Promise<Result<void, string>>((answer) => calls.push({ updates, answer }));
  return { calls, send };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('status reporter', () => {
  it('coalesces per task: latest state wins, lower states are dropped', async () => {
    const r = createReporter({ clock: manualClock() });
    r.report('a', st(S.ACCEPTED));
    r.report('a', st(S.PREPARING));
    r.report('a', st(S.ACCEPTED)); // older: dropped
    r.report('b', st(S.RUNNING));
    r.report('a', st(S.RUNNING, 'started'));
    const s = fakeSender();
    r.setSender(s.send);
    await tick();
    expect(s.calls).toHaveLength(1);
    expect(s.calls[0]!.updates).toEqual([
      { taskId: 'a', status: st(S.RUNNING, 'started') },
      { taskId: 'b', status: st(S.RUNNING) },
    ]);
    s.calls[0]!.answer(ok(undefined));
    await r.idle();
    r.report('a', st(S.PREPARING)); // lower than acknowledged: dropped
    expect(r.pending()).toBe(0);
    r.report('a', st(S.RUNNING, 'same state again')); // equal is allowed (re-report after a new session)
    await tick();
    expect(s.calls).toHaveLength(2);
  });

  it('batches updates queued while a send is in flight', async () => {
    const r = createReporter({ clock: manualClock(), holdMs: 0 });
    const s = fakeSender();
    r.setSender(s.send);
    r.report('a', st(S.ACCEPTED));
    await tick();
    r.report('a', st(S.PREPARING));
    r.report('b', st(S.ACCEPTED));
    await tick();
    expect(s.calls.map((c) => c.updates.length)).toEqual([1]);
    s.calls[0]!.answer(ok(undefined));
    await tick();
    expect(s.calls[1]!.updates).toEqual([
      { taskId: 'a', status: st(S.PREPARING) },
      { taskId: 'b', status: st(S.ACCEPTED) },
    ]);
  });

  it('holds states before RUNNING for holdMs, unless an urgent state comes first', async () => {
    const clock = manualClock();
    const r = createReporter({ clock, holdMs: 200 });
    const s = fakeSender();
    r.setSender(s.send);
    r.report('a', st(S.ACCEPTED));
    r.report('b', st(S.PREPARING));
    expect(s.calls).toHaveLength(0);
    clock.advance(199);
    expect(s.calls).toHaveLength(0);
    clock.advance(1);
    expect(s.calls.map((c) => c.updates.map((u) => u.taskId))).toEqual([['a', 'b']]);
    s.calls[0]!.answer(ok(undefined));
    await tick();
    r.report('a', st(S.STARTING));
    r.report('b', st(S.RUNNING)); // urgent: sent at the end of this turn, with what was held
    expect(s.calls).toHaveLength(1);
    await tick();
    expect(s.calls[1]!.updates).toEqual([
      { taskId: 'a', status: st(S.STARTING) },
      { taskId: 'b', status: st(S.RUNNING) },
    ]);
    s.calls[1]!.answer(ok(undefined));
    await r.idle();
    expect(clock.pending()).toBe(0); // the hold was cancelled
  });

  it('urgent states reported in one turn go as one batch (an assignment whose tasks start together)', async () => {
    const r = createReporter({ clock: manualClock() });
    const s = fakeSender();
    r.setSender(s.send);
    await tick();
    for (const id of ['a', 'b', 'c']) {
      r.report(id, st(S.ACCEPTED));
      r.report(id, st(S.RUNNING, 'started'));
    }
    expect(s.calls).toHaveLength(0);
    await tick();
    expect(s.calls.map((c) => c.updates.map((u) => [u.taskId, u.status.state]))).toEqual([
      [['a', S.RUNNING], ['b', S.RUNNING], ['c', S.RUNNING]],
    ]);
  });

  it('retries failed sends after a backoff until acknowledged, keeping newer states', async () => {
    const clock = manualClock();
    const r = createReporter({ clock, retryMs: { initial: 100, max: 400 } });
    const s = fakeSender();
    r.setSender(s.send);
    r.report('a', st(S.RUNNING));
    await tick();
    s.calls[0]!.answer(err('unavailable'));
    await tick();
    r.report('a', st(S.FAILED, 'newer while failing'));
    await tick();
    expect(s.calls).toHaveLength(1); // waiting for the retry timer
    clock.advance(100);
    expect(s.calls).toHaveLength(2);
    expect(s.calls[1]!.updates).toEqual([{ taskId: 'a', status: st(S.FAILED, 'newer while failing') }]);
    s.calls[1]!.answer(ok(undefined));
    await r.idle();
    expect(r.pending()).toBe(0);
  });

  it('holds statuses while there is no session', async () => {
    const r = createReporter({ clock: manualClock() });
    r.report('a', st(S.RUNNING));
    expect(r.pending()).toBe(1);
    const s = fakeSender();
    r.setSender(s.send);
    await tick();
    r.setSender(undefined);
    s.calls[0]!.answer(err('session closed'));
    await tick();
    expect(r.pending()).toBe(1);
  });
});
