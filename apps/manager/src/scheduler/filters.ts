/**
 * The filter pipeline, cheapest first. Each filter says whether a node can take
 * a task and explains itself when nodes fail it; the explanations make up the
 * "no suitable node (...)" message of a task that cannot be placed.
 */
import type { Task } from '@swarm/shared';
import type { NodeInfo } from './node-info.js';

export interface Filter {
  name: string;
  /** False when the filter has nothing to say about this task (skipped). */
  enabled(task: Task): boolean;
  check(task: Task, node: NodeInfo): boolean;
  explain(nodes: number): string;
}

const plural = (n: number, what: string) => `${what} on ${n} node${n === 1 ? '' : 's'}`;

/** Only READY, ACTIVE nodes take new tasks. Cheapest check, so first. */
export const readyFilter: Filter = {
  name: 'ready',
  enabled: () => true,
  check: (_t, n) => n.node.status.state === 'READY' && n.node.spec.availability === 'ACTIVE',
  explain: (n) => (n === 1 ? '1 node not available for new tasks' : `${n} nodes not available for new tasks`),
};

/** Reservations must fit in what the node has left. */
export const resourceFilter: Filter = {
  name: 'resources',
  enabled: (t) => t.spec.resources.reservations.nanoCpus > 0 || t.spec.resources.reservations.memoryBytes > 0,
  check(t, n) {
    const total = n.node.description?.resources;
    if (!total) return false;
    const want = t.spec.resources.reservations;
    return n.reserved.nanoCpus + want.nanoCpus <= total.nanoCpus && n.reserved.memoryBytes + want.memoryBytes <= total.memoryBytes;
  },
  explain: (n) => plural(n, 'insufficient resources'),
};

/** `placement.maxReplicas` caps this service's active tasks per node. */
export const maxReplicasFilter: Filter = {
  name: 'max-replicas',
  enabled: (t) => t.spec.placement.maxReplicas > 0,
  check: (t, n) => (n.perService.get(t.serviceId) ?? 0) < t.spec.placement.maxReplicas,
  explain: () => 'max replicas per node limit exceed',
};

export const pipeline: readonly Filter[] = [readyFilter, resourceFilter, maxReplicasFilter];

/** Runs the pipeline; on failure, counts which filter rejected the node. */
export function passes(task: Task, node: NodeInfo, failures: Map<Filter, number>): boolean {
  for (const f of pipeline) {
    if (!f.enabled(task)) continue;
    if (!f.check(task, node)) {
      failures.set(f, (failures.get(f) ?? 0) + 1);
      return false;
    }
  }
  return true;
}

export function explainFailures(failures: Map<Filter, number>): string {
  if (failures.size === 0) return 'no suitable node';
  const parts = [...failures.entries()].sort((a, b) => b[1] - a[1]).map(([f, n]) => f.explain(n));
  return `no suitable node (${parts.join('; ')})`;
}
