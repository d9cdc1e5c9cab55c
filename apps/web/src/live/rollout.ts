/**
 * A rolling update as the service page shows it, derived from the service and
 * its tasks (pure): which slots (or nodes, for global services) already run
 * the current spec, which are being replaced, which failed, and the batches
 * implied by the parallelism of the config that drives it (`rollback` while
 * rolling back, else `update`; SwarmKit's defaults when absent).
 */
import { TaskState, type Node, type Service, type Task, type UpdateConfig } from '@swarm/shared';
import { sameJson } from '../lib/same-json';
import { isCurrent, nodeName } from './selectors';

export type UpdateStateName = NonNullable<Service['updateStatus']>['state'];
export type GroupState = 'updated' | 'updating' | 'failed' | 'old';

export interface RolloutGroup {
  /** `slot:3` or `node:<id>`. */
  key: string;
  label: string;
  state: GroupState;
  /** The task that decides the state (newest of the group). */
  task: Task | undefined;
}

export interface Rollout {
  state: UpdateStateName | undefined;
  rollback: boolean;
  groups: RolloutGroup[];
  updated: number;
  updating: number;
  failed: number;
  total: number;
  parallelism: number;
  batches: number;
  /** 1-based batch in progress (= batches once everything is updated). */
  batch: number;
}

const DEFAULT_PARALLELISM = 1;
export const isRollbackState = (s: UpdateStateName | undefined): boolean => s === 'rollback_started' || s === 'rollback_paused' || s === 'rollback_completed';

/**
 * Per service spec object: spec version → whether tasks of that version run it. Tasks written at
 * one spec version carry the same spec, so 10,000 tasks cost one deep comparison per version.
 */
const freshCache = new WeakMap<Service['spec'], Map<number, boolean>>();

/** The task runs the service's current spec (same spec version, or an identical task spec). */
export function isFresh(service: Service, t: Task): boolean {
  if (t.specVersion === service.specVersion) return true;
  let byVersion = freshCache.get(service.spec);
  if (!byVersion) freshCache.set(service.spec, (byVersion = new Map()));
  let fresh = byVersion.get(t.specVersion);
  if (fresh === undefined) {
    fresh = sameJson(t.spec, service.spec.task) && sameJson(t.endpoint?.ports ?? [], service.spec.endpoint?.ports ?? []);
    byVersion.set(t.specVersion, fresh);
  }
  return fresh;
}

const failedState = (s: TaskState) => s === TaskState.FAILED || s === TaskState.REJECTED;

function groupState(service: Service, tasks: Task[]): { state: GroupState; task: Task | undefined } | undefined {
  const current = tasks.filter(isCurrent);
  const fresh = current.filter((t) => isFresh(service, t));
  const running = fresh.find((t) => t.status.state === TaskState.RUNNING);
  if (running) return { state: 'updated', task: running };
  // A task of this spec failed here and none runs yet (a restart may be pending): the slot failed the update.
  const failed = tasks.find((t) => failedState(t.status.state) && isFresh(service, t));
  if (failed) return { state: 'failed', task: failed };
  if (fresh.length > 0) return { state: 'updating', task: fresh[0] };
  if (current.length === 0) return undefined; // a slot scaled away
  return { state: 'old', task: current[0] };
}

/** The update config in effect: the rollback config while rolling back. */
export function activeConfig(service: Service): UpdateConfig | undefined {
  return isRollbackState(service.updateStatus?.state) ? service.spec.rollback : service.spec.update;
}

export function rollout(service: Service, tasks: readonly Task[], nodes: ReadonlyMap<string, Node>): Rollout {
  const bySlot = new Map<string, Task[]>();
  for (const t of tasks) {
    const key = t.slot !== 0 ? `slot:${t.slot}` : `node:${t.nodeId ?? t.id}`;
    const list = bySlot.get(key);
    if (list) list.push(t);
    else bySlot.set(key, [t]);
  }
  const groups: RolloutGroup[] = [];
  for (const [key, list] of bySlot) {
    const g = groupState(service, list);
    if (!g) continue;
    const label = key.startsWith('slot:') ? `slot ${key.slice(5)}` : nodeName(nodes.get(key.slice(5)), key.slice(5));
    groups.push({ key, label, ...g });
  }
  groups.sort((a, b) => Number(a.key.slice(5)) - Number(b.key.slice(5)) || a.label.localeCompare(b.label));
  const count = (s: GroupState) => groups.filter((g) => g.state === s).length;
  const updated = count('updated');
  const total = groups.length;
  const parallelism = activeConfig(service)?.parallelism ?? DEFAULT_PARALLELISM;
  const per = parallelism === 0 ? Math.max(1, total) : parallelism;
  const batches = Math.max(1, Math.ceil(total / per));
  const state = service.updateStatus?.state;
  return {
    state,
    rollback: isRollbackState(state),
    groups,
    updated,
    updating: count('updating'),
    failed: count('failed'),
    total,
    parallelism,
    batches,
    batch: Math.min(batches, Math.floor(updated / per) + 1),
  };
}
