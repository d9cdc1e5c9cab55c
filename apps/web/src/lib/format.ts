import { humanAge, TaskState } from '@swarm/shared';

/** "12 seconds" since `ts`, or an em dash before the clock starts (pre-render). */
export function age(ts: number | undefined, now: number): string {
  if (!ts || !now) return '—';
  return humanAge(now - ts);
}

export const shortId = (id: string | undefined, n = 12): string => (id ? id.slice(0, n) : '');

/** Visual tone of a task state, for badges. */
export type Tone = 'ok' | 'progress' | 'warn' | 'error' | 'muted';

export function taskTone(state: number): Tone {
  if (state === TaskState.RUNNING) return 'ok';
  if (state < TaskState.RUNNING) return 'progress';
  if (state === TaskState.COMPLETE || state === TaskState.SHUTDOWN || state === TaskState.REMOVE) return 'muted';
  if (state === TaskState.ORPHANED) return 'warn';
  return 'error';
}
