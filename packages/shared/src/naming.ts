import type { Task } from './objects.js';

/** `<service>.<slot or node>.<task id>`, as SwarmKit names tasks and containers. */
export function taskName(task: Pick<Task, 'annotations' | 'serviceAnnotations' | 'slot' | 'nodeId' | 'id'>): string {
  if (task.annotations.name) return task.annotations.name;
  const slot = task.slot !== 0 ? String(task.slot) : (task.nodeId ?? '');
  return `${task.serviceAnnotations.name}.${slot}.${task.id}`;
}

/** Labels every container and process we start carries. */
export const LABEL = {
  managed: 'com.swarm.managed',
  serviceId: 'com.swarm.service.id',
  serviceName: 'com.swarm.service.name',
  taskId: 'com.swarm.task.id',
  taskName: 'com.swarm.task.name',
  nodeId: 'com.swarm.node.id',
  /** Set by tests so every run cleans up only its own containers. */
  testRun: 'com.swarm.test-run',
} as const;

/** HTTP header asking a manager to answer from its local copy, without the ReadIndex barrier (works without quorum). */
export const STALE_READ_HEADER = 'x-swarm-stale-read';
