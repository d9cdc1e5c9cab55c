/**
 * One store subscription for the whole dispatcher, fanned out by node ID, so
 * the cost of a commit grows with what it changed, not with the number of
 * connected agents.
 */
import type { CommitEvent, Node, Task } from '@swarm/shared';
import type { Store } from '../store/store.js';

export interface NodeEvents {
  /** Changes to tasks assigned to `nodeId` (a deleted task arrives with action 'delete'). */
  onTasks(nodeId: string, fn: (changes: Array<{ action: 'create' | 'update' | 'delete'; task: Task }>) => void): () => void;
  /** Updates and deletion of the node object itself. */
  onNode(nodeId: string, fn: (node: Node, deleted: boolean) => void): () => void;
  stop(): void;
}

export function createNodeEvents(store: Store): NodeEvents {
  const taskFns = new Map<string, Set<(c: Array<{ action: 'create' | 'update' | 'delete'; task: Task }>) => void>>();
  const nodeFns = new Map<string, Set<(n: Node, deleted: boolean) => void>>();
  const add = <F>(m: Map<string, Set<F>>, id: string, fn: F) => {
    let s = m.get(id);
    if (!s) m.set(id, (s = new Set()));
    s.add(fn);
    return () => {
      s!.delete(fn);
      if (s!.size === 0 && m.get(id) === s) m.delete(id);
    };
  };
  /** Where each task was last routed, so a task moved off a node is reported there as deleted. */
  const lastNode = new Map<string, string>();
  const unsubscribe = store.subscribe((e: CommitEvent) => {
    const perNode = new Map<string, Array<{ action: 'create' | 'update' | 'delete'; task: Task }>>();
    const push = (id: string, action: 'create' | 'update' | 'delete', task: Task) => {
      if (!taskFns.has(id)) return;
      let list = perNode.get(id);
      if (!list) perNode.set(id, (list = []));
      list.push({ action, task });
    };
    for (const c of e.changes) {
      if (c.table === 'tasks') {
        const t = c.object;
        const prev = lastNode.get(t.id);
        if (prev && prev !== t.nodeId) push(prev, 'delete', t);
        if (c.action === 'delete' || !t.nodeId) lastNode.delete(t.id);
        else lastNode.set(t.id, t.nodeId);
        if (t.nodeId) push(t.nodeId, c.action, t);
      } else if (c.table === 'nodes') {
        for (const fn of nodeFns.get(c.object.id) ?? []) fn(c.object, c.action === 'delete');
      }
    }
    for (const [id, list] of perNode) for (const fn of taskFns.get(id) ?? []) fn(list);
  });
  return {
    onTasks: (id, fn) => add(taskFns, id, fn),
    onNode: (id, fn) => add(nodeFns, id, fn),
    stop: unsubscribe,
  };
}
