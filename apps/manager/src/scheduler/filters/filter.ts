/**
 * A filter decides whether a node can take a task (Nomad's FeasibilityChecker,
 * SwarmKit's Filter). `setTask` is called once per task group and says whether
 * the filter applies at all; `check` then runs per node and must be cheap;
 * `explain` words the failure for `n` nodes in "no suitable node (...)".
 */
import type { Task } from '@swarm/shared';
import type { NodeInfo } from '../node-info.js';

export interface Filter {
  readonly name: string;
  setTask(task: Task): boolean;
  check(node: NodeInfo): boolean;
  explain(nodes: number): string;
}

/** "insufficient memory on 3 nodes". */
export const onNodes = (what: string, n: number): string => `${what} on ${n} node${n === 1 ? '' : 's'}`;
