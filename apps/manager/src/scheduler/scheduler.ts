/**
 * The scheduler loop (leader only). Moves NEW tasks to PENDING (the allocator
 * step; there is nothing to allocate yet) and PENDING tasks to ASSIGNED on a
 * node, writing all decisions of a pass in one transaction. A task that
 * cannot be placed stays PENDING with the reason in `status.err` and is
 * retried whenever nodes or tasks change.
 */
import { type Clock, type Task, TaskState, ok, systemClock } from '@swarm/shared';
import { type Loop, startLoop } from '../lib/control-loop.js';
import type { Store } from '../store/store.js';
import { newNodeInfo } from './node-info.js';
import { scheduleTasks } from './schedule.js';

const wantsPlacement = (t: Task) => t.status.state <= TaskState.PENDING && !t.nodeId && t.desiredState <= TaskState.RUNNING;

export function startScheduler(deps: { store: Store; clock?: Clock }): Loop {
  const { store } = deps;
  const clock = deps.clock ?? systemClock;
  return startLoop<'all'>({
    name: 'scheduler',
    store,
    clock,
    debounceMs: 5,
    maxDelayMs: 100,
    initialKeys: () => ['all'],
    dirtyKeys(event, add) {
      for (const c of event.changes) {
        if (c.table === 'nodes') add('all');
        else if (c.table === 'tasks' && (c.object.status.state <= TaskState.PENDING || c.action === 'delete' || c.object.status.state > TaskState.RUNNING)) add('all');
      }
    },
    async reconcile() {
      const r = await store.update((tx) => {
        const now = clock.now();
        const tasks = tx.list('tasks');
        for (const t of tasks) {
          if (t.status.state === TaskState.NEW && t.desiredState <= TaskState.RUNNING) {
            tx.update('tasks', { ...t, status: { ...t.status, state: TaskState.PENDING, message: 'pending task scheduling', timestamp: now } });
          }
        }
        const pending = tx.list('tasks').filter(wantsPlacement);
        if (pending.length === 0) return ok(0);
        const infos = tx.list('nodes').map((n) => newNodeInfo(n, tx.tasksByNode(n.id)));
        for (const d of scheduleTasks(pending, infos)) {
          const cur = tx.get('tasks', d.taskId);
          if (!cur) continue;
          if ('nodeId' in d) {
            tx.update('tasks', {
              ...cur,
              nodeId: d.nodeId,
              status: { timestamp: now, state: TaskState.ASSIGNED, message: 'scheduler assigned task to node' },
            });
          } else if (cur.status.err !== d.error) {
            tx.update('tasks', { ...cur, status: { ...cur.status, err: d.error, timestamp: now } });
          }
        }
        return ok(pending.length);
      });
      if (!r.ok) throw new Error(`scheduler write failed: ${JSON.stringify(r.error)}`);
    },
  });
}
