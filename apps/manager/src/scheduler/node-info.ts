/**
 * What the scheduler knows about each node: the node object plus what the
 * tasks on it hold (reservations, host ports, per-service counts). The index
 * is maintained incrementally from store events (one task change = O(1)), so
 * a scheduling pass never recomputes it from all tasks.
 *
 * A task counts against its node while observed ≤ RUNNING with a node ID
 * (SwarmKit: ASSIGNED..RUNNING, or placed and not yet reported), whatever its
 * desired state; it is "active" (counts for spread and max replicas) while
 * desired ≤ COMPLETE.
 */
import { type Node, type Task, TaskState } from '@swarm/shared';

interface TaskUse {
  serviceId: string;
  active: boolean;
  nanoCpus: number;
  memoryBytes: number;
  generic: Record<string, number>;
  hostPorts: string[];
}

export interface NodeInfo {
  node: Node;
  /** False for a stub created because tasks name a node the index has not seen. */
  known: boolean;
  tasks: Map<string, TaskUse>;
  /** Active tasks per service. */
  perService: Map<string, number>;
  active: number;
  reserved: { nanoCpus: number; memoryBytes: number; generic: Map<string, number> };
  /** "tcp/8080" → number of tasks publishing it in host mode. */
  hostPorts: Map<string, number>;
}

const counts = (t: Task) => t.nodeId !== undefined && t.status.state <= TaskState.RUNNING;
const isActive = (t: Task) => t.desiredState <= TaskState.COMPLETE;

/** Host-mode published ports of a task, as "proto/port". */
export function hostPortsOf(t: Pick<Task, 'endpoint'>): string[] {
  const out: string[] = [];
  for (const p of t.endpoint?.ports ?? []) if (p.publishMode === 'host' && p.publishedPort !== 0) out.push(`${p.protocol}/${p.publishedPort}`);
  return out;
}

function stub(id: string): Node {
  return {
    id,
    meta: { version: 0, createdAt: 0, updatedAt: 0 },
    spec: { annotations: { name: '', labels: {} }, desiredRole: 'WORKER', membership: 'ACCEPTED', availability: 'ACTIVE' },
    status: { state: 'UNKNOWN', message: '', addr: '' },
    role: 'WORKER',
  };
}

export function newNodeInfo(node: Node, tasks: Iterable<Task> = []): NodeInfo {
  const info: NodeInfo = {
    node,
    known: true,
    tasks: new Map(),
    perService: new Map(),
    active: 0,
    reserved: { nanoCpus: 0, memoryBytes: 0, generic: new Map() },
    hostPorts: new Map(),
  };
  for (const t of tasks) addTask(info, t);
  return info;
}

const bump = (m: Map<string, number>, k: string, by: number) => {
  const v = (m.get(k) ?? 0) + by;
  if (v === 0) m.delete(k);
  else m.set(k, v);
};

function apply(info: NodeInfo, u: TaskUse, sign: 1 | -1): void {
  info.reserved.nanoCpus += sign * u.nanoCpus;
  info.reserved.memoryBytes += sign * u.memoryBytes;
  for (const k in u.generic) bump(info.reserved.generic, k, sign * u.generic[k]!);
  for (const p of u.hostPorts) bump(info.hostPorts, p, sign);
  if (u.active) {
    info.active += sign;
    bump(info.perService, u.serviceId, sign);
  }
}

/** Counts `t` against the node (replacing what the same task held before). */
export function addTask(info: NodeInfo, t: Task): void {
  removeTask(info, t.id);
  if (counts(t)) use(info, t);
}

/** Counts `t` against the node whether or not it is assigned yet (a placement just decided). */
function use(info: NodeInfo, t: Task): void {
  const r = t.spec.resources.reservations;
  const u: TaskUse = { serviceId: t.serviceId, active: isActive(t), nanoCpus: r.nanoCpus, memoryBytes: r.memoryBytes, generic: r.generic, hostPorts: hostPortsOf(t) };
  info.tasks.set(t.id, u);
  apply(info, u, 1);
}

export function removeTask(info: NodeInfo, taskId: string): void {
  const u = info.tasks.get(taskId);
  if (!u) return;
  info.tasks.delete(taskId);
  apply(info, u, -1);
}

export interface NodeIndex {
  get(nodeId: string): NodeInfo | undefined;
  /** Known nodes (candidates for placement). */
  nodes(): Iterable<NodeInfo>;
  size(): number;
  putNode(node: Node): void;
  deleteNode(nodeId: string): void;
  /** Records a task's latest state (moves its contribution between nodes as needed). */
  putTask(t: Task): void;
  deleteTask(taskId: string): void;
  /** Counts a task just placed on `nodeId`, before the store says so. */
  assign(t: Task, nodeId: string): void;
  /** The node a task currently counts against. */
  nodeOf(taskId: string): string | undefined;
}

export function createNodeIndex(): NodeIndex {
  const infos = new Map<string, NodeInfo>();
  const taskNode = new Map<string, string>();
  const info = (id: string): NodeInfo => {
    let i = infos.get(id);
    if (!i) infos.set(id, (i = { ...newNodeInfo(stub(id)), known: false }));
    return i;
  };
  const index: NodeIndex = {
    get: (id) => infos.get(id),
    *nodes() {
      for (const i of infos.values()) if (i.known) yield i;
    },
    size: () => infos.size,
    putNode(node) {
      const i = info(node.id);
      i.node = node;
      i.known = true;
    },
    deleteNode(id) {
      const i = infos.get(id);
      if (!i) return;
      if (i.tasks.size === 0) infos.delete(id);
      else i.known = false;
    },
    putTask(t) {
      index.deleteTask(t.id);
      if (!counts(t)) return;
      addTask(info(t.nodeId!), t);
      taskNode.set(t.id, t.nodeId!);
    },
    deleteTask(id) {
      const was = taskNode.get(id);
      if (was === undefined) return;
      taskNode.delete(id);
      const i = infos.get(was);
      if (!i) return;
      removeTask(i, id);
      if (!i.known && i.tasks.size === 0) infos.delete(was);
    },
    assign(t, nodeId) {
      index.deleteTask(t.id);
      use(info(nodeId), t);
      taskNode.set(t.id, nodeId);
    },
    nodeOf: (id) => taskNode.get(id),
  };
  return index;
}
