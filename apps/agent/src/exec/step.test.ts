import { describe, expect, it } from 'vitest';
import { TaskState as S, type TaskStatus } from '@swarm/shared';
import { applyOutcome, step } from './step.js';

const at = (desiredState: number, state: number) => step({ desiredState: desiredState as S }, { state: state as S });

describe('step (controller Do, swarmkit.md §3.2)', () => {
  it.each([
    [S.RUNNING, S.ASSIGNED, { kind: 'transition', state: S.ACCEPTED, message: 'accepted' }],
    [S.RUNNING, S.NEW, { kind: 'transition', state: S.ACCEPTED, message: 'accepted' }],
    [S.RUNNING, S.ACCEPTED, { kind: 'transition', state: S.PREPARING, message: 'preparing' }],
    [S.RUNNING, S.PREPARING, { kind: 'call', op: 'prepare', onSuccess: { state: S.READY, message: 'prepared' } }],
    [S.RUNNING, S.READY, { kind: 'transition', state: S.STARTING, message: 'starting' }],
    [S.RUNNING, S.STARTING, { kind: 'call', op: 'start', onSuccess: { state: S.RUNNING, message: 'started' } }],
    [S.RUNNING, S.RUNNING, { kind: 'call', op: 'wait', onSuccess: { state: S.COMPLETE, message: 'finished' } }],
    [S.COMPLETE, S.RUNNING, { kind: 'call', op: 'wait', onSuccess: { state: S.COMPLETE, message: 'finished' } }],
  ])('desired %i, observed %i → %o', (desired, observed, expected) => {
    expect(at(desired, observed)).toEqual(expected);
  });

  it('desired READY prepares but does not start', () => {
    expect(at(S.READY, S.ACCEPTED)).toMatchObject({ kind: 'transition', state: S.PREPARING });
    expect(at(S.READY, S.PREPARING)).toMatchObject({ kind: 'call', op: 'prepare' });
    expect(at(S.READY, S.READY)).toEqual({ kind: 'noop' });
  });

  it('PREPARING and STARTING run even when they overtake desired', () => {
    expect(at(S.ACCEPTED, S.PREPARING)).toEqual({ kind: 'noop' }); // observed > desired
    expect(at(S.PREPARING, S.PREPARING)).toMatchObject({ kind: 'call', op: 'prepare' });
    expect(at(S.STARTING, S.STARTING)).toMatchObject({ kind: 'call', op: 'start' });
  });

  it('desired ≥ SHUTDOWN shuts down anything not finished, and nothing else', () => {
    for (const desired of [S.SHUTDOWN, S.REMOVE]) {
      for (const observed of [S.ASSIGNED, S.ACCEPTED, S.PREPARING, S.READY, S.STARTING, S.RUNNING]) {
        expect(at(desired, observed)).toEqual({ kind: 'call', op: 'shutdown', onSuccess: { state: S.SHUTDOWN, message: 'shutdown' } });
      }
      for (const observed of [S.COMPLETE, S.SHUTDOWN, S.FAILED, S.REJECTED]) expect(at(desired, observed)).toEqual({ kind: 'noop' });
    }
  });

  it('terminal states never move', () => {
    for (const observed of [S.COMPLETE, S.FAILED, S.REJECTED, S.SHUTDOWN]) expect(at(S.RUNNING, observed)).toEqual({ kind: 'noop' });
  });
});

describe('applyOutcome', () => {
  const cur = (state: S): TaskStatus => ({ timestamp: 1, state, message: 'x' });

  it('success moves to the step target and keeps runtime info', () => {
    const n = applyOutcome(cur(S.STARTING), { kind: 'ok', state: S.RUNNING, message: 'started', info: { containerId: 'c1', pid: 7 } }, 5);
    expect(n).toEqual({ kind: 'status', status: { timestamp: 5, state: S.RUNNING, message: 'started', container: { containerId: 'c1', pid: 7 } } });
  });

  it('fatal before STARTING rejects, from STARTING on fails (with exit code)', () => {
    const f = (state: S) => applyOutcome(cur(state), { kind: 'failed', failure: { kind: 'fatal', message: 'boom', exitCode: 3 } }, 9);
    expect(f(S.PREPARING)).toMatchObject({ kind: 'status', status: { state: S.REJECTED, err: 'boom', message: 'boom' } });
    expect(f(S.STARTING)).toMatchObject({ kind: 'status', status: { state: S.FAILED, err: 'boom' } });
    expect(f(S.RUNNING)).toMatchObject({ kind: 'status', status: { state: S.FAILED, container: { exitCode: 3 } } });
  });

  it('temporary errors retry after 1 s in the same state; aborts just re-evaluate', () => {
    expect(applyOutcome(cur(S.PREPARING), { kind: 'failed', failure: { kind: 'temporary', message: 'busy' } }, 2)).toEqual({
      kind: 'retry',
      delayMs: 1000,
      status: { timestamp: 2, state: S.PREPARING, message: 'x', err: 'busy' },
    });
    expect(applyOutcome(cur(S.RUNNING), { kind: 'failed', failure: { kind: 'aborted', message: '' } }, 2)).toEqual({ kind: 'again' });
  });
});
