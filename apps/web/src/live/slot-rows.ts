/**
 * A service's tasks grouped by slot (replicated, jobs) or by node (global),
 * as rows of one table: a header row per group with history, then its tasks,
 * current first, history newest first (the order `sortTasks` gives). Pure.
 */
import type { Node, Task } from '@swarm/shared';
import { isCurrent, nodeName } from './selectors';

export interface SlotHeader {
  kind: 'slot';
  key: string;
  label: string;
  /** Tasks in the group, and how many of them are history (no longer desired running). */
  tasks: number;
  history: number;
}
export interface TaskItem {
  kind: 'task';
  task: Task;
}
export type TableItem = SlotHeader | TaskItem;

const groupKey = (t: Task): string => (t.slot !== 0 ? `slot:${t.slot}` : `node:${t.nodeId ?? ''}`);

/**
 * Rows for `tasks` (already sorted by slot). Without grouping: task rows only. With grouping, a
 * slot of more than one task (its current task and history) gets a header row; a slot of one
 * task is its own row (a service of 10,000 fresh tasks is not 20,000 rows).
 */
export function tableItems(tasks: readonly Task[], nodes: ReadonlyMap<string, Node>, group: boolean): TableItem[] {
  const out: TableItem[] = [];
  for (let i = 0; i < tasks.length; ) {
    const first = tasks[i] as Task;
    let end = i + 1;
    if (group) {
      const key = groupKey(first);
      while (end < tasks.length && groupKey(tasks[end] as Task) === key) end++;
      if (end - i > 1) {
        const label = first.slot !== 0 ? `Slot ${first.slot}` : `Node ${first.nodeId ? nodeName(nodes.get(first.nodeId), first.nodeId) : '(unassigned)'}`;
        let history = 0;
        for (let j = i; j < end; j++) if (!isCurrent(tasks[j] as Task)) history++;
        out.push({ kind: 'slot', key, label, tasks: end - i, history });
      }
    }
    for (let j = i; j < end; j++) out.push({ kind: 'task', task: tasks[j] as Task });
    i = end;
  }
  return out;
}
