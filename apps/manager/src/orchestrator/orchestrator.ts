/**
 * The orchestrator loop for every service mode: services whose tasks, nodes or
 * spec changed are reconciled with the pure reconciler of their mode
 * (`reconcileReplicated`, `reconcileGlobal`, `reconcileJob`; each includes the
 * restart and update supervisors and the task reaper) over the committed state,
 * and the plan is written back in one transaction per service (creates beyond
 * CREATE_CHUNK in further ones), service status changes included. A large
 * service's reconciles are throttled to a share of the CPU.
 */
import { type Clock, type Node, type Result, type Service, type Task, TaskState, newId, ok, systemClock } from '@swarm/shared';
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
  /**
   * CPU budget of one service's reconciles: after a reconcile that computed for `d` ms (≥ `minMs`), the service
   * is reconciled again no sooner than `factor × d` later (its changes accumulate meanwhile). A large
   * service costs O(its tasks) per reconcile, so a storm of task or node changes would otherwise keep
   * the orchestrator busy back to back. Defaults: 20 ms, 4 (at most ~25 % of a core per large service).
   */
  throttle?: { minMs: number; factor: number };
  /** Milliseconds of elapsed time, for the throttle (tests). */
  elapsed?: () => number;
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

/** Tasks created per transaction. */
export const CREATE_CHUNK = 2000;

/** The part of a node the reconcilers of its tasks look at: its state (DOWN, …) and availability (DRAIN, …). */
export const orchestrationSig = (n: Node): string => `${n.status.state}/${n.spec.availability}`;

export function startReplicatedOrchestrator(deps: OrchestratorDeps): Loop {
  const { store } = deps;
  const clock = deps.clock ?? systemClock;
  const throttle = deps.throttle ?? { minMs: 20, factor: 4 };
  const elapsed = deps.elapsed ?? (() => performance.now());
  /** Per service: no reconcile before this clock time (throttle). */
  const quietUntil = new Map<string, number>();
  /** What the replicated and job reconcilers see of each node (see `orchestrationSig`). */
  const nodeSig = new Map<string, string>();

  /**
   * Reconciles one service. The plan is computed over the committed state (a view), outside the store's
   * write batch: reading every task of a large service through the batch's stacked overlays costs
   * O(tasks × overlays), and a long transaction function holds up every write queued behind it. The plan
   * is applied only if the service is still at the version it was computed from; otherwise the service is
   * reconciled again at once. Task changes in between are safe: stops only raise desired states, starts
   * need the task still held, removals concern tasks that are stopped for good, and only this loop
   * creates tasks of a replicated service (its own writes are awaited before the next view).
   * `computeMs`: the time spent computing (view and plan; the throttle's measure, commit waits excluded).
   */
  const reconcileOne = async (id: string, historyLimit: number): Promise<{ r: Result<number | undefined, unknown>; computeMs: number }> => {
    const t0 = elapsed();
    const input = store.view((tx) => {
      const service = tx.get('services', id);
      if (!service) return undefined;
      const nodes = new Map(tx.list('nodes').map((n) => [n.id, n]));
      return { service, tasks: tx.tasksByService(id), nodes };
    });
    if (!input) {
      const computeMs = elapsed() - t0;
      const r = await store.update((tx) => {
        if (tx.get('services', id)) return ok(clock.now()); // created again meanwhile: look again
        removeOrphans(tx, id);
        return ok(undefined);
      });
      return { r, computeMs };
    }
    const { service } = input;
    const plan = reconcileService({ ...input, now: clock.now(), newId, historyLimit });
    const computeMs = elapsed() - t0;
    // A big create (a new service of 100,000 replicas) goes in chunks: one huge transaction is one huge Raft
    // entry and one long stall of the event loop (heartbeats time out), and the scheduler can start on the first chunk.
    const later = plan.create.splice(CREATE_CHUNK);
    let version = service.meta.version;
    let stale = false;
    /** Still the service the plan was computed for (it may have changed since the view)? */
    const unchanged = (tx: WriteTx): boolean => {
      stale ||= tx.get('services', id)?.meta.version !== version;
      return !stale;
    };
    const r = await store.update((tx) => {
      if (!unchanged(tx)) return ok(undefined);
      applyPlan(tx, plan);
      const next = serviceAfter(service, plan);
      if (next) {
        const u = tx.update('services', next);
        if (!u.ok) return u;
        version = u.value.meta.version;
        if (plan.updateStatus) deps.log?.(`orchestrator: service ${service.spec.annotations.name}: ${plan.updateStatus.state}: ${plan.updateStatus.message}`);
      }
      return ok(plan.wakeAt);
    });
    for (let i = 0; r.ok && !stale && i < later.length; i += CREATE_CHUNK) {
      const w = await store.update((tx) => {
        if (!unchanged(tx)) return ok(undefined);
        for (const t of later.slice(i, i + CREATE_CHUNK)) tx.create('tasks', t);
        return ok(undefined);
      });
      if (!w.ok) return { r: w, computeMs };
    }
    return { r: stale ? ok(clock.now()) : r, computeMs }; // a stale plan (wholly or partly unapplied): again, at once
  };
  const updating = (serviceId: string) => {
    const st = store.view((tx) => tx.get('services', serviceId))?.updateStatus?.state;
    return st !== undefined && st !== 'completed' && st !== 'rollback_completed';
  };
  return startLoop<string>({
    name: 'orchestrator',
    store,
    clock,
    initialKeys: () =>
      store.view((tx) => {
        for (const n of tx.list('nodes')) nodeSig.set(n.id, orchestrationSig(n));
        return [...tx.list('services').map((s) => s.id), ...tx.list('tasks').map((t) => t.serviceId)];
      }),
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
          // The tasks' services care only about whether the node can hold tasks (DOWN, DRAIN, gone): a session
          // re-registering its node READY, or a description change, must not reconcile every service on it.
          const before = nodeSig.get(c.object.id);
          const after = c.action === 'delete' ? undefined : orchestrationSig(c.object);
          if (after === undefined) nodeSig.delete(c.object.id);
          else nodeSig.set(c.object.id, after);
          if (before !== after || c.action !== 'update') for (const t of store.view((tx) => tx.tasksByNode(c.object.id))) add(t.serviceId);
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
        const notBefore = quietUntil.get(id);
        if (notBefore !== undefined && notBefore > clock.now()) {
          wake.push({ key: id, at: notBefore });
          continue;
        }
        const { r, computeMs } = await reconcileOne(id, historyLimit);
        if (computeMs >= throttle.minMs) quietUntil.set(id, clock.now() + computeMs * (throttle.factor - 1));
        else quietUntil.delete(id);
        if (r.ok && r.value !== undefined) wake.push({ key: id, at: r.value });
        else if (!r.ok) deps.log?.(`orchestrator: could not write plan for service ${id}: ${JSON.stringify(r.error)}`);
      }
      return wake;
    },
  });
}
