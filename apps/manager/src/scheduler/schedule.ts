/**
 * Pure placement: given pending tasks and node infos, pick a node per task
 * (spread: fewest tasks of the service, then fewest tasks overall) or explain
 * why none fits. Node infos are updated as tasks are placed, so a batch never
 * overcommits a node.
 */
import type { Task } from '@swarm/shared';
import { type Filter, explainFailures, passes } from './filters.js';
import { type NodeInfo, addTask } from './node-info.js';

export type Decision = { taskId: string; nodeId: string } | { taskId: string; error: string };

function better(task: Task, a: NodeInfo, b: NodeInfo): boolean {
  const sa = a.perService.get(task.serviceId) ?? 0;
  const sb = b.perService.get(task.serviceId) ?? 0;
  if (sa !== sb) return sa < sb;
  if (a.active !== b.active) return a.active < b.active;
  return a.node.id < b.node.id;
}

export function scheduleTasks(tasks: readonly Task[], nodes: readonly NodeInfo[]): Decision[] {
  const out: Decision[] = [];
  for (const task of tasks) {
    const failures = new Map<Filter, number>();
    let best: NodeInfo | undefined;
    for (const n of nodes) {
      if (!passes(task, n, failures)) continue;
      if (!best || better(task, n, best)) best = n;
    }
    if (!best) {
      out.push({ taskId: task.id, error: explainFailures(failures) });
      continue;
    }
    addTask(best, { ...task, nodeId: best.node.id });
    out.push({ taskId: task.id, nodeId: best.node.id });
  }
  return out;
}
