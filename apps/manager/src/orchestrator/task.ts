/** Helpers shared by the orchestrators: making tasks and deciding when one is stale. */
import { type Node, type RestartPolicy, type Service, type Task, TaskState, type UpdateStatus, isTerminal, jsonEqual } from '@swarm/shared';
import type { NewObject } from '../store/tx.js';

export type NewTask = NewObject<'tasks'>;

/** What a reconciler wants written: tasks to create, stop, start and delete, and service status changes. */
export interface Plan {
  create: NewTask[];
  /** Raise desired state (SHUTDOWN for restarts and updates, REMOVE for scale-down). */
  stop: Array<{ id: string; desiredState: TaskState }>;
  /** Held replacements (desired READY) that may start now. */
  start: string[];
  /** Tasks to delete from the store (history beyond the limit, removed tasks that stopped). */
  remove: string[];
  /** New update status for the service. */
  updateStatus?: UpdateStatus;
  /** Swap the service back to its previous spec (automatic rollback). */
  rollback?: boolean;
  /** When to reconcile again (restart delay, update delay or monitor window). */
  wakeAt?: number;
}

export function emptyPlan(): Plan {
  return { create: [], stop: [], start: [], remove: [] };
}

export function wakeAt(plan: Plan, at: number): void {
  plan.wakeAt = Math.min(plan.wakeAt ?? Infinity, at);
}

export function newTask(service: Service, id: string, slot: number, now: number, nodeId?: string): NewTask {
  return {
    id,
    spec: service.spec.task,
    specVersion: service.specVersion,
    serviceId: service.id,
    slot,
    ...(nodeId ? { nodeId } : {}),
    annotations: { name: '', labels: {} },
    serviceAnnotations: service.spec.annotations,
    status: { timestamp: now, state: TaskState.NEW, message: 'created' },
    desiredState: TaskState.RUNNING,
    ...(service.spec.endpoint ? { endpoint: service.spec.endpoint } : {}),
  };
}

/** A task is dirty when the service's task spec (or endpoint) changed since it was created. */
export function isTaskDirty(service: Service, task: Task): boolean {
  if (task.specVersion === service.specVersion) return false;
  return !jsonEqual(task.spec, service.spec.task) || !jsonEqual(task.endpoint?.ports ?? [], service.spec.endpoint?.ports ?? []);
}

/** Nodes that can no longer hold a task: gone, DOWN or DRAIN. UNKNOWN is not invalid. */
export function isInvalidNode(node: Node | undefined): boolean {
  return !node || node.status.state === 'DOWN' || node.spec.availability === 'DRAIN';
}

/** A missing policy means `any` with a 5 s delay (SwarmKit's defaults). */
export function restartPolicy(task: Task): RestartPolicy {
  return task.spec.restart ?? { condition: 'any', delayMs: 5000, maxAttempts: 0, windowMs: 0 };
}

export function shouldRestart(task: Task, restartsInWindow: number): boolean {
  const p = restartPolicy(task);
  if (p.condition === 'none') return false;
  if (p.condition === 'on-failure' && task.status.state === TaskState.COMPLETE) return false;
  if (p.maxAttempts > 0 && restartsInWindow >= p.maxAttempts) return false;
  return true;
}

/** Runnable: the orchestrator still wants it to run (or be ready to). */
export const isRunnable = (t: Task): boolean => t.desiredState <= TaskState.RUNNING;

/** A runnable task that has stopped (failed, completed, rejected, shut down) needs a decision. */
export const hasStopped = (t: Task): boolean => isTerminal(t.status.state);
