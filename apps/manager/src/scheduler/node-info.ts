/** What the scheduler knows about a node: its object plus the tasks placed on it. */
import { type Node, type Task, TaskState } from '@swarm/shared';

export interface NodeInfo {
  node: Node;
  /** Tasks counted against the node: ASSIGNED..RUNNING observed, or placed and not yet reported. */
  tasks: Map<string, Task>;
  /** Active tasks (desired ≤ COMPLETE) per service. */
  perService: Map<string, number>;
  active: number;
  reserved: { nanoCpus: number; memoryBytes: number };
}

const counts = (t: Task) => t.status.state <= TaskState.RUNNING;
const isActive = (t: Task) => t.desiredState <= TaskState.COMPLETE;

export function newNodeInfo(node: Node, tasks: Iterable<Task>): NodeInfo {
  const info: NodeInfo = { node, tasks: new Map(), perService: new Map(), active: 0, reserved: { nanoCpus: 0, memoryBytes: 0 } };
  for (const t of tasks) addTask(info, t);
  return info;
}

export function addTask(info: NodeInfo, t: Task): void {
  if (!counts(t) || info.tasks.has(t.id)) return;
  info.tasks.set(t.id, t);
  const r = t.spec.resources.reservations;
  info.reserved.nanoCpus += r.nanoCpus;
  info.reserved.memoryBytes += r.memoryBytes;
  if (isActive(t)) {
    info.active++;
    info.perService.set(t.serviceId, (info.perService.get(t.serviceId) ?? 0) + 1);
  }
}
