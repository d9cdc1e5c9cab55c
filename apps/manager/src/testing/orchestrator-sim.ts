/**
 * A tiny in-memory world for property-testing `reconcileReplicated`: tasks,
 * nodes, one service and a fake clock. `reconcile()` runs the pure reconciler
 * and applies its plan the way the orchestrator loop does (raise desired
 * state, start held replacements, create, delete); the agent and scheduler
 * are simulated by the test.
 */
import { type Node, type Service, type Task, TaskState } from '@swarm/shared';
import { serviceAfter } from '../orchestrator/orchestrator.js';
import { type Plan, reconcileReplicated } from '../orchestrator/replicated.js';

export interface World {
  now: number;
  service: Service;
  nodes: Map<string, Node>;
  tasks: Map<string, Task>;
  historyLimit: number;
  nextId: number;
  version: number;
}

export function emptyPlanOf(p: Plan): boolean {
  return p.create.length === 0 && p.stop.length === 0 && p.start.length === 0 && p.remove.length === 0;
}

export function planFor(w: World): Plan {
  return reconcileReplicated({
    service: w.service,
    tasks: [...w.tasks.values()].filter((t) => t.serviceId === w.service.id),
    nodes: w.nodes,
    now: w.now,
    newId: () => `t${String(++w.nextId).padStart(5, '0')}`,
    historyLimit: w.historyLimit,
  });
}

/** Applies a plan with the orchestrator's semantics (orchestrator.ts `applyPlan`). */
export function applyPlan(w: World, plan: Plan): void {
  const v = ++w.version;
  const touch = (t: Task): Task => ({ ...t, meta: { ...t.meta, version: v, updatedAt: w.now } });
  for (const t of plan.create) {
    if (w.tasks.has(t.id)) throw new Error(`duplicate task id ${t.id}`);
    w.tasks.set(t.id, { ...t, meta: { version: v, createdAt: w.now, updatedAt: w.now } });
  }
  for (const { id, desiredState } of plan.stop) {
    const cur = w.tasks.get(id);
    if (cur && cur.desiredState < desiredState) w.tasks.set(id, touch({ ...cur, desiredState }));
  }
  for (const id of plan.start) {
    const cur = w.tasks.get(id);
    if (cur && cur.desiredState === TaskState.READY) {
      const { startAfter: _, ...rest } = cur;
      w.tasks.set(id, touch({ ...rest, desiredState: TaskState.RUNNING } as Task));
    }
  }
  for (const id of plan.remove) w.tasks.delete(id);
  const next = serviceAfter(w.service, plan);
  if (next) w.service = { ...next, meta: { ...next.meta, version: v } };
}

export function setTask(w: World, t: Task, patch: Partial<Task>): void {
  w.tasks.set(t.id, { ...t, ...patch, meta: { ...t.meta, version: ++w.version, updatedAt: w.now } });
}

export function slotsOf(w: World): Map<number, Task[]> {
  const m = new Map<number, Task[]>();
  for (const t of w.tasks.values()) m.set(t.slot, [...(m.get(t.slot) ?? []), t]);
  return m;
}
