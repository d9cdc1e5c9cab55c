/**
 * The replicated orchestrator's loop: services whose tasks, nodes or spec
 * changed are reconciled with `reconcileReplicated` and the plan is written
 * back in one transaction per service.
 */
import { type Clock, type Task, TaskState, newId, ok, systemClock } from '@swarm/shared';
import { type Loop, startLoop } from '../lib/control-loop.js';
import type { Store } from '../store/store.js';
import type { WriteTx } from '../store/tx.js';
import { type Plan, reconcileReplicated } from './replicated.js';

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
  return startLoop<string>({
    name: 'orchestrator',
    store,
    clock,
    initialKeys: () => store.view((tx) => [...tx.list('services').map((s) => s.id), ...tx.list('tasks').map((t) => t.serviceId)]),
    dirtyKeys(event, add) {
      for (const c of event.changes) {
        if (c.table === 'services') add(c.object.id);
        else if (c.table === 'tasks') add(c.object.serviceId);
        else if (c.table === 'nodes') {
          for (const t of store.view((tx) => tx.tasksByNode(c.object.id))) add(t.serviceId);
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
          if (service.spec.mode.kind !== 'replicated') return ok(undefined);
          const nodes = new Map(tx.list('nodes').map((n) => [n.id, n]));
          const plan = reconcileReplicated({ service, tasks: tx.tasksByService(id), nodes, now: clock.now(), newId, historyLimit });
          applyPlan(tx, plan);
          return ok(plan.wakeAt);
        });
        if (r.ok && r.value !== undefined) wake.push({ key: id, at: r.value });
        else if (!r.ok) deps.log?.(`orchestrator: could not write plan for service ${id}: ${JSON.stringify(r.error)}`);
      }
      return wake;
    },
  });
}
