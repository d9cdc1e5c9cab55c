/**
 * One agent's Assignments stream: a COMPLETE message with every task on the
 * node that the scheduler has assigned, then INCREMENTAL batches of changes.
 * Status changes the agent reported itself are not echoed back.
 */
import type { Task } from '@swarm/shared';
import { TaskState } from '@swarm/shared';
import type { Store } from '../store/store.js';
import type { AssignmentChange, AssignmentsMessage } from './proto.js';
import type { NodeEvents } from './router.js';

/** What the agent acts on; a change to anything else is a status echo. */
const agentView = (t: Task) => JSON.stringify([t.spec, t.desiredState, t.specVersion, t.nodeId, t.serviceAnnotations]);
/** Same view as the last one sent: by reference first (a status write keeps the other fields), else by value. */
const sameView = (a: Task, b: Task) =>
  (a.spec === b.spec && a.desiredState === b.desiredState && a.specVersion === b.specVersion && a.nodeId === b.nodeId && a.serviceAnnotations === b.serviceAnnotations) ||
  agentView(a) === agentView(b);
const visible = (t: Task) => t.status.state >= TaskState.ASSIGNED;

export interface AssignmentStream {
  close(): void;
}

export function openAssignments(opts: {
  store: Store;
  events: NodeEvents;
  nodeId: string;
  send: (msg: AssignmentsMessage) => void;
  /** Batching window for incremental changes. */
  batchMs?: number;
  maxBatch?: number;
}): AssignmentStream {
  const { store, nodeId, send } = opts;
  const batchMs = opts.batchMs ?? 10;
  const maxBatch = opts.maxBatch ?? 100;
  /** The task as last sent (or snapshotted) for each task on the node. */
  const sent = new Map<string, Task>();
  let seq = 0;
  let pending = new Map<string, AssignmentChange>();
  let timer: NodeJS.Timeout | undefined;

  const flush = () => {
    timer = undefined;
    if (pending.size === 0) return;
    const changes = [...pending.values()];
    pending = new Map();
    send({ type: 'INCREMENTAL', applies_to: seq, results_in: ++seq, changes });
  };
  const queue = (c: AssignmentChange) => {
    pending.set(c.task_id, c);
    if (pending.size >= maxBatch) flush();
    else timer ??= setTimeout(flush, batchMs);
  };

  const onTasks = (changes: Array<{ action: 'create' | 'update' | 'delete'; task: Task }>) => {
    for (const c of changes) {
      const t = c.task;
      if (c.action === 'delete') {
        if (sent.delete(t.id)) queue({ action: 'REMOVE', task_id: t.id, task_json: '' });
        continue;
      }
      if (!visible(t)) continue;
      const prev = sent.get(t.id);
      const echo = !!prev && t.status.state > TaskState.ASSIGNED && sameView(prev, t);
      sent.set(t.id, t); // the newest version: the older one can be collected
      if (echo) continue;
      queue({ action: 'UPDATE', task_id: t.id, task_json: JSON.stringify(t) });
    }
  };

  // Subscribe and take the snapshot in the same synchronous turn: nothing is missed or doubled.
  const unsubscribe = opts.events.onTasks(nodeId, onTasks);
  const tasks = store.view((tx) => tx.tasksByNode(nodeId)).filter(visible);
  for (const t of tasks) sent.set(t.id, t);
  send({
    type: 'COMPLETE',
    applies_to: 0,
    results_in: ++seq,
    changes: tasks.map((t) => ({ action: 'UPDATE', task_id: t.id, task_json: JSON.stringify(t) })),
  });

  return {
    close() {
      unsubscribe();
      if (timer) clearTimeout(timer);
    },
  };
}
