/**
 * The filter pipeline. A node stops at its first failing filter, and that
 * filter's failure count goes up; the counts make up the explanation of a task
 * that cannot be placed. Order = cost, cheapest first:
 *
 *  1. ready        two string compares; rules out down/drained nodes early
 *  2. cpu, memory  two additions against the node's running totals
 *  3. generic      a few map lookups, only for tasks that ask for gpu=… etc.
 *  4. constraints  compiled once per task group; string compares per node
 *  5. platform     only when the spec lists platforms
 *  6. host-port    set lookups, only for host-mode published ports
 *  7. max-replicas one map lookup; last because its explanation is the least
 *                  helpful when another filter also fails (as in SwarmKit)
 */
import type { Task } from '@swarm/shared';
import type { Filter } from './filters/filter.js';
import { constraintFilter } from './filters/constraint.js';
import { hostPortFilter } from './filters/host-port.js';
import { maxReplicasFilter } from './filters/max-replicas.js';
import { platformFilter } from './filters/platform.js';
import { readyFilter } from './filters/ready.js';
import { cpuFilter, genericFilter, memoryFilter } from './filters/resources.js';
import type { NodeInfo } from './node-info.js';

export type Failures = Map<Filter, number>;

export interface Pipeline {
  readonly filters: readonly Filter[];
  /** Prepares every filter for a task (or a group of tasks sharing one spec). */
  setTask(task: Task): void;
  /** The first filter the node fails, or null if it passes all. */
  check(node: NodeInfo): Filter | null;
}

export function createPipeline(): Pipeline {
  const filters: Filter[] = [readyFilter(), cpuFilter(), memoryFilter(), genericFilter(), constraintFilter(), platformFilter(), hostPortFilter(), maxReplicasFilter()];
  let enabled: Filter[] = filters;
  return {
    filters,
    setTask(task) {
      enabled = filters.filter((f) => f.setTask(task));
    },
    check(node) {
      for (const f of enabled) if (!f.check(node)) return f;
      return null;
    },
  };
}

export function recordFailure(failures: Failures, f: Filter): void {
  failures.set(f, (failures.get(f) ?? 0) + 1);
}

/** The filters' explanations, most frequent first: "insufficient memory on 3 nodes; …". */
export function explain(failures: Failures, order: readonly Filter[]): string {
  const parts = [...failures.entries()]
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1] || order.indexOf(a[0]) - order.indexOf(b[0]))
    .map(([f, n]) => f.explain(n));
  return parts.join('; ');
}

/** The `status.err` of an unplaceable task. */
export function noSuitableNode(failures: Failures, order: readonly Filter[]): string {
  const why = explain(failures, order);
  return why ? `no suitable node (${why})` : 'no suitable node';
}
