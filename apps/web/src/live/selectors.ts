/**
 * Pure derivations over the live store's tables. Components call these inside
 * `useMemo` keyed on the table maps, which keep their identity until a commit
 * touches that table.
 */
import { TaskState, taskStateName, type Node, type Service, type Task } from '@swarm/shared';

export interface ReplicaCounts {
  running: number;
  desired: number;
}

/** A task counts as running when it runs and is meant to keep running. */
export const isRunning = (t: Task): boolean => t.status.state === TaskState.RUNNING && t.desiredState <= TaskState.RUNNING;

/** Tasks the orchestrator still wants (not shut down or replaced). */
export const isCurrent = (t: Task): boolean => t.desiredState <= TaskState.RUNNING;

export function desiredReplicas(service: Service, currentTasks: number): number {
  switch (service.spec.mode.kind) {
    case 'replicated':
      return service.spec.mode.replicas;
    case 'replicated-job':
      return service.spec.mode.totalCompletions;
    default:
      // Global services want one task per eligible node; the orchestrator's
      // current tasks are the best client-side measure of that.
      return currentTasks;
  }
}

export function replicaCounts(services: ReadonlyMap<string, Service>, tasks: ReadonlyMap<string, Task>): Map<string, ReplicaCounts> {
  const running = new Map<string, number>();
  const current = new Map<string, number>();
  for (const t of tasks.values()) {
    if (isRunning(t)) running.set(t.serviceId, (running.get(t.serviceId) ?? 0) + 1);
    if (isCurrent(t)) current.set(t.serviceId, (current.get(t.serviceId) ?? 0) + 1);
  }
  const out = new Map<string, ReplicaCounts>();
  for (const s of services.values()) {
    out.set(s.id, { running: running.get(s.id) ?? 0, desired: desiredReplicas(s, current.get(s.id) ?? 0) });
  }
  return out;
}

export function modeLabel(service: Service): string {
  const m = service.spec.mode;
  switch (m.kind) {
    case 'replicated':
      return 'replicated';
    case 'global':
      return 'global';
    case 'replicated-job':
      return 'replicated job';
    case 'global-job':
      return 'global job';
  }
}

/** Services sorted by name. */
export function sortedServices(services: ReadonlyMap<string, Service>): Service[] {
  return [...services.values()].sort((a, b) => a.spec.annotations.name.localeCompare(b.spec.annotations.name));
}

export function nodeName(node: Node | undefined, fallbackId?: string): string {
  if (node) return node.description?.hostname || node.spec.annotations.name || node.id.slice(0, 12);
  return fallbackId ? fallbackId.slice(0, 12) : '';
}

export function sortedNodes(nodes: ReadonlyMap<string, Node>): Node[] {
  return [...nodes.values()].sort((a, b) => nodeName(a).localeCompare(nodeName(b)));
}

/** `localeCompare`, skipped for equal strings (the common case when sorting 10,000 tasks of one service). */
const compareText = (a: string, b: string): number => (a === b ? 0 : a.localeCompare(b));

/**
 * Tasks in the order `docker service ps` prints them: by service name, then
 * slot, current task before its history, newest history first.
 */
export function sortTasks(tasks: Iterable<Task>): Task[] {
  return [...tasks].sort(
    (a, b) =>
      compareText(a.serviceAnnotations.name, b.serviceAnnotations.name) ||
      a.slot - b.slot ||
      compareText(a.nodeId ?? '', b.nodeId ?? '') ||
      Number(isCurrent(b)) - Number(isCurrent(a)) ||
      b.meta.createdAt - a.meta.createdAt,
  );
}

export function tasksOfService(tasks: ReadonlyMap<string, Task>, serviceId: string): Task[] {
  const out: Task[] = [];
  for (const t of tasks.values()) if (t.serviceId === serviceId) out.push(t);
  return sortTasks(out);
}

/** `web.2` for replicated tasks, `web.<node>` for global ones (without the task ID suffix). */
export function taskDisplayName(t: Task, nodes: ReadonlyMap<string, Node>): string {
  if (t.annotations.name) return t.annotations.name;
  if (t.slot !== 0) return `${t.serviceAnnotations.name}.${t.slot}`;
  return `${t.serviceAnnotations.name}.${nodeName(t.nodeId ? nodes.get(t.nodeId) : undefined, t.nodeId)}`;
}

/** Lower-case text a task filter matches against: name, ID, node, state, error. */
export function taskSearchText(t: Task, nodes: ReadonlyMap<string, Node>): string {
  const node = t.nodeId ? nodeName(nodes.get(t.nodeId), t.nodeId) : '';
  return [taskDisplayName(t, nodes), t.id, node, taskStateName(t.status.state), t.status.err ?? ''].join(' ').toLowerCase();
}

/** Running tasks per node ID. */
export function runningByNode(tasks: ReadonlyMap<string, Task>): Map<string, number> {
  const out = new Map<string, number>();
  for (const t of tasks.values()) if (t.nodeId && isRunning(t)) out.set(t.nodeId, (out.get(t.nodeId) ?? 0) + 1);
  return out;
}

export function findService(services: ReadonlyMap<string, Service>, ref: string): Service | undefined {
  const direct = services.get(ref);
  if (direct) return direct;
  for (const s of services.values()) if (s.spec.annotations.name === ref) return s;
  return undefined;
}

export function findNode(nodes: ReadonlyMap<string, Node>, ref: string): Node | undefined {
  const direct = nodes.get(ref);
  if (direct) return direct;
  for (const n of nodes.values()) if (nodeName(n) === ref) return n;
  return undefined;
}

export function tasksOfNode(tasks: ReadonlyMap<string, Task>, nodeId: string): Task[] {
  const out: Task[] = [];
  for (const t of tasks.values()) if (t.nodeId === nodeId) out.push(t);
  return sortTasks(out);
}

export type ServiceHealth = 'converged' | 'updating' | 'degraded';

/** Converged: all desired replicas run and no update is in flight; updating: an update or rollback runs; degraded: short of replicas, or an update paused. */
export function serviceHealth(service: Service, counts: ReplicaCounts | undefined): ServiceHealth {
  const u = service.updateStatus?.state;
  if (u === 'paused' || u === 'rollback_paused') return 'degraded';
  if (u === 'updating' || u === 'rollback_started') return 'updating';
  if (counts && counts.running < counts.desired) return 'degraded';
  return 'converged';
}

export interface ClusterOverview {
  managers: Node[];
  leader: Node | undefined;
  reachable: number;
  unreachable: number;
  /** Node count by status (READY, DOWN, DISCONNECTED, UNKNOWN). */
  byStatus: Record<Node['status']['state'], number>;
  /** Node count by availability (ACTIVE, PAUSE, DRAIN). */
  byAvailability: Record<Node['spec']['availability'], number>;
  nodes: number;
  services: Record<ServiceHealth, Service[]>;
}

export function clusterOverview(nodes: ReadonlyMap<string, Node>, services: ReadonlyMap<string, Service>, counts: ReadonlyMap<string, ReplicaCounts>): ClusterOverview {
  const byStatus: ClusterOverview['byStatus'] = { READY: 0, DOWN: 0, DISCONNECTED: 0, UNKNOWN: 0 };
  const byAvailability: ClusterOverview['byAvailability'] = { ACTIVE: 0, PAUSE: 0, DRAIN: 0 };
  const managers: Node[] = [];
  let reachable = 0;
  let unreachable = 0;
  for (const n of nodes.values()) {
    byStatus[n.status.state] = (byStatus[n.status.state] ?? 0) + 1;
    byAvailability[n.spec.availability] = (byAvailability[n.spec.availability] ?? 0) + 1;
    if (n.role === 'MANAGER') {
      managers.push(n);
      const r = n.managerStatus?.reachability;
      // A manager without Raft status (single manager, no Raft) counts as reachable while READY.
      if (r === 'REACHABLE' || (!r && n.status.state === 'READY')) reachable++;
      else if (r === 'UNREACHABLE' || n.status.state === 'DOWN') unreachable++;
    }
  }
  managers.sort((a, b) => Number(!!b.managerStatus?.leader) - Number(!!a.managerStatus?.leader) || nodeName(a).localeCompare(nodeName(b)));
  const leader = managers.find((n) => n.managerStatus?.leader);
  const health: ClusterOverview['services'] = { converged: [], updating: [], degraded: [] };
  for (const s of sortedServices(services)) health[serviceHealth(s, counts.get(s.id))].push(s);
  return { managers, leader, reachable, unreachable, byStatus, byAvailability, nodes: nodes.size, services: health };
}

export interface TaskFilter {
  /** Service ID. */
  service?: string;
  /** Node ID. */
  node?: string;
  /** Task state name (RUNNING, FAILED, …). */
  state?: string;
  /** Desired state name. */
  desired?: string;
  text?: string;
  /** Include history (tasks no longer desired running); default true. */
  history?: boolean;
}

/** The Tasks page's filters; keeps the input order. */
export function filterTasks(tasks: readonly Task[], nodes: ReadonlyMap<string, Node>, f: TaskFilter): Task[] {
  const q = (f.text ?? '').trim().toLowerCase();
  return tasks.filter(
    (t) =>
      (f.history !== false || isCurrent(t)) &&
      (!f.service || t.serviceId === f.service) &&
      (!f.node || t.nodeId === f.node) &&
      (!f.state || taskStateName(t.status.state) === f.state) &&
      (!f.desired || taskStateName(t.desiredState) === f.desired) &&
      (!q || taskSearchText(t, nodes).includes(q)),
  );
}

/** Pending tasks by the scheduler's reason ("no suitable node (…)"), most frequent first. */
export function pendingReasons(tasks: readonly Task[]): { reason: string; count: number }[] {
  const by = new Map<string, number>();
  for (const t of tasks) {
    if (t.status.state !== TaskState.PENDING || t.desiredState > TaskState.RUNNING) continue;
    const reason = t.status.err || t.status.message || 'waiting for the scheduler';
    by.set(reason, (by.get(reason) ?? 0) + 1);
  }
  return [...by].map(([reason, count]) => ({ reason, count })).sort((a, b) => b.count - a.count);
}
