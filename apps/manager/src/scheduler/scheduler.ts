/**
 * The scheduler loop (leader only).
 *
 *   store events ──► node index (reservations, counts; O(1) per change)
 *                └─► pending set (NEW/PENDING tasks without a node, desired ≤ RUNNING)
 *   commit ──► debounce ──► pass: groups of ≤ CHUNK tasks placed synchronously
 *                          over the index (a consistent view), each group's
 *                          decisions written in one store transaction; the
 *                          event loop is yielded between groups, so the store,
 *                          the dispatcher and the API keep running.
 *
 * Placements are counted in the index as soon as they are decided (so the
 * next group sees them) and held there until the write lands; a decision the
 * store refuses (task deleted, already assigned, no longer wanted) is undone
 * from the store's current state. Unplaceable tasks stay PENDING with the
 * reason in `status.err` and are retried when a node changes or a task
 * releases its node — not on every pass.
 */
import { type Clock, type Task, TaskState, ok, systemClock } from '@swarm/shared';
import { type Loop, startLoop } from '../lib/control-loop.js';
import type { Store } from '../store/store.js';
import type { WriteTx } from '../store/tx.js';
import { type NodeIndex, createNodeIndex } from './node-info.js';
import { createPipeline } from './pipeline.js';
import { type Decision, groupTasks, placeGroup, verifyPreassigned } from './schedule.js';

/** Tasks decided per store transaction (and per synchronous slice of work). */
export const CHUNK = 2000;

const wantsScheduling = (t: Task) => t.status.state <= TaskState.PENDING && t.desiredState <= TaskState.RUNNING;

export interface SchedulerOptions {
  store: Store;
  clock?: Clock;
  chunk?: number;
}

const yieldToLoop = () => new Promise<void>((r) => setImmediate(r));

export function startScheduler(deps: SchedulerOptions): Loop {
  const { store } = deps;
  const clock = deps.clock ?? systemClock;
  const chunk = deps.chunk ?? CHUNK;
  const index: NodeIndex = createNodeIndex();
  /** Tasks waiting for a node (latest object), and those that found none last time. */
  const pending = new Map<string, Task>();
  const unplaceable = new Set<string>();
  /** Decided but not yet written: their tentative contribution stays in the index. */
  const inflight = new Set<string>();
  let retryUnplaceable = true;

  const onTask = (t: Task | null, id: string): void => {
    if (!t) {
      pending.delete(id);
      unplaceable.delete(id);
      index.deleteTask(id);
      retryUnplaceable = true;
      return;
    }
    if (wantsScheduling(t)) pending.set(id, t);
    else {
      pending.delete(id);
      unplaceable.delete(id);
    }
    if (inflight.has(id) && !t.nodeId) return; // our write has not landed yet
    const before = index.nodeOf(id);
    index.putTask(t);
    if (before !== undefined && index.nodeOf(id) === undefined) retryUnplaceable = true; // resources freed
  };

  const resync = (ids: Iterable<string>) => {
    store.view((tx) => {
      for (const id of ids) {
        inflight.delete(id);
        onTask(tx.get('tasks', id) ?? null, id);
      }
    });
  };

  const write = (tx: WriteTx, decisions: Decision[], written: Set<string>) => {
    const now = clock.now();
    for (const d of decisions) {
      const cur = tx.get('tasks', d.taskId);
      if (!cur || !wantsScheduling(cur)) continue;
      if ('nodeId' in d) {
        if (cur.nodeId && cur.nodeId !== d.nodeId) continue;
        const { err: _e, ...status } = cur.status;
        const u = tx.update('tasks', { ...cur, nodeId: d.nodeId, status: { ...status, timestamp: now, state: TaskState.ASSIGNED, message: 'scheduler assigned task to node' } });
        if (u.ok) written.add(d.taskId);
      } else if (cur.status.err !== d.error || cur.status.state === TaskState.NEW) {
        tx.update('tasks', { ...cur, status: { ...cur.status, timestamp: now, state: TaskState.PENDING, message: 'pending task scheduling', err: d.error } });
      }
    }
  };

  /** Writes one group's decisions; undoes the placements the store refused. */
  const commit = async (decisions: Decision[]): Promise<void> => {
    const written = new Set<string>();
    const r = await store.update((tx) => {
      write(tx, decisions, written);
      return ok(undefined);
    });
    const placed = decisions.filter((d) => 'nodeId' in d).map((d) => d.taskId);
    resync(r.ok ? placed.filter((id) => !written.has(id)) : placed);
    for (const id of written) inflight.delete(id);
    if (!r.ok) throw new Error(`scheduler write failed: ${JSON.stringify(r.error)}`);
  };

  const place = (t: Task, n: { node: { id: string } }) => {
    inflight.add(t.id);
    index.assign(t, n.node.id);
  };

  const pass = async (): Promise<void> => {
    const todo: Task[] = [];
    for (const [id, t] of pending) if (!inflight.has(id) && (retryUnplaceable || !unplaceable.has(id))) todo.push(t);
    retryUnplaceable = false;
    if (todo.length === 0) return;
    const pipeline = createPipeline();
    // A failed write (e.g. not committed in time) must not go unhandled while later groups are placed:
    // the first failure is kept and thrown once every write settled (the loop then retries the pass).
    let failure: unknown;
    const writes: Array<Promise<void>> = [];
    const track = (w: Promise<void>) => writes.push(w.catch((e: unknown) => void (failure ??= e)));
    const preassigned = todo.filter((t) => t.nodeId);
    for (let i = 0; i < preassigned.length; i += chunk) {
      const ds = preassigned.slice(i, i + chunk).map((t) => verifyPreassigned(t, index.get(t.nodeId!), pipeline, place));
      track(commit(ds));
    }
    for (const group of groupTasks(todo.filter((t) => !t.nodeId))) {
      for (let i = 0; i < group.length; i += chunk) {
        const ds = placeGroup(group.slice(i, i + chunk), index.nodes(), pipeline, place);
        for (const d of ds) {
          if ('error' in d) unplaceable.add(d.taskId);
          else unplaceable.delete(d.taskId);
        }
        track(commit(ds));
        await yieldToLoop();
      }
    }
    await Promise.all(writes);
    if (failure !== undefined) throw failure;
  };

  return startLoop<'pass'>({
    name: 'scheduler',
    store,
    clock,
    debounceMs: 5,
    maxDelayMs: 100,
    initialKeys: () => {
      store.view((tx) => {
        for (const n of tx.list('nodes')) index.putNode(n);
        for (const t of tx.list('tasks')) onTask(t, t.id);
      });
      return ['pass'];
    },
    dirtyKeys(event, add) {
      for (const c of event.changes) {
        if (c.table === 'nodes') {
          if (c.action === 'delete') index.deleteNode(c.object.id);
          else index.putNode(c.object);
          retryUnplaceable = true;
          add('pass');
        } else if (c.table === 'tasks') {
          const t = c.action === 'delete' ? null : c.object;
          onTask(t, c.object.id);
          if (retryUnplaceable || (t && pending.has(t.id) && !unplaceable.has(t.id) && !inflight.has(t.id))) add('pass');
        }
      }
    },
    async reconcile() {
      await pass();
    },
  });
}
