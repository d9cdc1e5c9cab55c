/**
 * Task lifecycle, as SwarmKit numbers it: gapped values that only move forward.
 * The manager owns NEW → PENDING → ASSIGNED; the agent reports everything after.
 * REMOVE is only ever a desired state.
 */
export const TaskState = {
  NEW: 0,
  PENDING: 64,
  ASSIGNED: 192,
  ACCEPTED: 256,
  PREPARING: 320,
  READY: 384,
  STARTING: 448,
  RUNNING: 512,
  COMPLETE: 576,
  SHUTDOWN: 640,
  FAILED: 704,
  REJECTED: 768,
  REMOVE: 800,
  ORPHANED: 832,
} as const;

export type TaskStateName = keyof typeof TaskState;
export type TaskState = (typeof TaskState)[TaskStateName];

const names = new Map<number, TaskStateName>(
  (Object.entries(TaskState) as [TaskStateName, TaskState][]).map(([k, v]) => [v, k]),
);

export const taskStateValues = [...names.keys()] as TaskState[];

export function taskStateName(s: number): TaskStateName | 'UNKNOWN' {
  return names.get(s) ?? 'UNKNOWN';
}

export function isTaskState(n: number): n is TaskState {
  return names.has(n);
}

/** Terminal: the task will never run again. */
export const isTerminal = (s: number): boolean => s > TaskState.RUNNING;

/** A state change is accepted only if it moves forward. */
export const canTransition = (from: number, to: number): boolean => to > from;
