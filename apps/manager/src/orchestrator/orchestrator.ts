/**
 * The orchestrator loop for every service mode: services whose tasks, nodes or
 * spec changed are reconciled with the pure reconciler of their mode
 * (`reconcileReplicated`, `reconcileGlobal`, `reconcileJob`; each includes the
 * restart and update supervisors and the task reaper) and the plan is written
 * back in one transaction per service, service status changes included.
 */
import { type Clock, type Service, type Task, TaskState, newId, ok, systemClock } from '@swarm/shared';
import { type Loop, startLoop } from '../lib/control-loop.js';
import type { Store } from '../store/store.js';
import type { WriteTx } from '../store/tx.js';
import { reconcileGlobal } from './global.js';
import { reconcileJob } from './job.js';
import { type ReconcileInput, reconcileReplicated } from './replicated.js';
import type { Plan } from './task.js';

export function reconcileService(input: ReconcileInput): Plan {
  switch (input.service.spec.mode.kind) {
    case 'replicated':
      return reconcileReplicated(input);
    case 'global':
      return reconcileGlobal(input);
    case 'replicated-job':
    case 'global-job':
      return reconcileJob(input);
  }
}

/** The service after the plan's status change / rollback, or undefined if unchanged. */
export function serviceAfter(service: Service, plan: Plan): Service | undefined {
  if (!plan.updateStatus && !plan.rollback) return undefined;
  let next: Service = { ...service };
  if (plan.rollback && service.previousSpec) {
    const { previousSpec, previousSpecVersion, ...rest } = service;
    next = { ...rest, spec: previousSpec, specVersion: previousSpecVersion ?? service.specVersion };
  }
  if (plan.updateStatus) next.updateStatus = plan.updateStatus;
  return next;
}

export interface OrchestratorDeps {
  store: Store;
  clock?: Clock;
  log?: (msg: string) => void;
}

function applyPlan(tx: WriteTx, plan: Plan): void {
  for (const t of plan.create) tx.create('tasks', t);
  for (const { id, desiredState } of plan.stop) {
    const cur = tx.get('tasks', id);
    if (cur && cur.desiredState < desiredState) tx.update('tasks', { ...cur, desiredState });
  }
  for (const id of plan.start) {
    const cur = tx.get('tasks', id);
    if (cur && cur.desiredState === TaskState.READY) {
      const { startAfter: _, ...rest } = cur;
      tx.update('tasks', { ...rest, desiredState: TaskState.RUNNING } as Task);
    }
  }
  for (const id of plan.remove) if (tx.get('tasks', id)) tx.delete('tasks', id);
}

/** Tasks of a deleted service: stop them, then delete them once stopped. */
function removeOrphans(tx: WriteTx, serviceId: string): void {
  for (const t of tx.tasksByService(serviceId)) {
    if (t.status.state >= TaskState.COMPLETE || t.status.state < TaskState.ASSIGNED) tx.delete('tasks', t.id);
    else if (t.desiredState < TaskState.REMOVE) tx.update('tasks', { ...t, desiredState: TaskState.REMOVE });
  }
}

export function startReplicatedOrchestrator(deps: OrchestratorDeps): Loop {
  const { store } = deps;
  const clock = deps.clock ?? systemClock;
  const updating = (serviceId: string) => {
    const st = store.view((tx) => tx.get('services', serviceId))?.updateStatus?.state;
    return st !== undefined && st !== 'completed' && st !== 'rollback_completed';
  };
  return startLoop<string>({
    name: 'orchestrator',
    store,
    clock,
    initialKeys: () => store.view((tx) => [...tx.list('services').map((s) => s.id), ...tx.list('tasks').map((t) => t.serviceId)]),
    dirtyKeys(event, add) {
      for (const c of event.changes) {
        if (c.table === 'services') add(c.object.id);
        else if (c.table === 'tasks') {
          // A task moving forward through live states (ASSIGNED … RUNNING) changes no decision while its service
          // is not updating; reconciling every task of the service for each status report is O(tasks) per report.
          const t = c.object;
          if (c.action === 'update' && t.status.state < TaskState.COMPLETE && t.desiredState === TaskState.RUNNING && !updating(t.serviceId)) continue;
          add(t.serviceId);
        } else if (c.table === 'nodes') {
          for (const t of store.view((tx) => tx.tasksByNode(c.object.id))) add(t.serviceId);
          // Global services and global jobs react to every node change (join, leave, drain, labels).
          for (const s of store.view((tx) => tx.list('services'))) if (s.spec.mode.kind === 'global' || s.spec.mode.kind === 'global-job') add(s.id);
        }
      }
    },
    async reconcile(serviceIds) {
      const wake: Array<{ key: string; at: number }> = [];
      const cluster = store.view((tx) => tx.list('clusters')[0]);
      const historyLimit = cluster?.spec.orchestration.taskHistoryRetentionLimit ?? 5;
      for (const id of serviceIds) {
        const r = await store.update((tx) => {
          const service = tx.get('services', id);
          if (!service) {
            removeOrphans(tx, id);
            return ok(undefined);
          }
          const nodes = new Map(tx.list('nodes').map((n) => [n.id, n]));
          const plan = reconcileService({ service, tasks: tx.tasksByService(id), nodes, now: clock.now(), newId, historyLimit });
          applyPlan(tx, plan);
          const next = serviceAfter(service, plan);
          if (next) {
            const u = tx.update('services', next);
            if (!u.ok) return u;
            if (plan.updateStatus) deps.log?.(`orchestrator: service ${service.spec.annotations.name}: ${plan.updateStatus.state}: ${plan.updateStatus.message}`);
          }
          return ok(plan.wakeAt);
        });
        if (r.ok && r.value !== undefined) wake.push({ key: id, at: r.value });
        else if (!r.ok) deps.log?.(`orchestrator: could not write plan for service ${id}: ${JSON.stringify(r.error)}`);
      }
      return wake;
    },
  });
}
