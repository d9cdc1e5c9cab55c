/**
 * The scheduler loop (leader only).
 *
 *   store events ──► node index (reservations, counts; O(1) per change)
 *                └─► pending set (NEW/PENDING tasks without a node, desired ≤ RUNNING)
 *   commit ──► debounce ──► gather (a big arrival) ──► pass: each group placed in
 *                          slices of ≤ CHUNK tasks over the index (a consistent
 *                          view), yielding the event loop between slices, then
 *                          its decisions written node by node, ≤ CHUNK per store
 *                          transaction, one transaction at a time.
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

/** How long the pending set must stop growing before a big arrival is placed, and the longest wait for it. */
const GATHER_QUIET_MS = 100;
const GATHER_MAX_MS = 5000;

/** Decisions ordered by node (stable within a node), unplaceable ones last. */
export function nodeMajor(ds: readonly Decision[]): Decision[] {
  const byNode = new Map<string, Decision[]>();
  const rest: Decision[] = [];
  for (const d of ds) {
    if (!('nodeId' in d)) {
      rest.push(d);
      continue;
    }
    const l = byNode.get(d.nodeId);
    if (l) l.push(d);
    else byNode.set(d.nodeId, [d]);
  }
  return [...[...byNode.values()].flat(), ...rest];
}

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
      const decided: Decision[] = [];
      for (let i = 0; i < group.length; i += chunk) {
        const ds = placeGroup(group.slice(i, i + chunk), index.nodes(), pipeline, place);
        for (const d of ds) {
          if ('error' in d) unplaceable.add(d.taskId);
          else unplaceable.delete(d.taskId);
        }
        decided.push(...ds);
        await yieldToLoop();
      }
      // Written node by node: spread places a big group one task per node per round, and written in that
      // order every transaction would touch `chunk` nodes once each, so every node would get its tasks (and
      // send its status reports) one message at a time. Grouped by node, a node's share goes out at once.
      // One transaction at a time: issued together they would be merged into one huge store batch (one
      // Raft entry, one long stall of the event loop).
      const byNode = nodeMajor(decided);
      for (let i = 0; i < byNode.length; i += chunk) {
        const w = commit(byNode.slice(i, i + chunk));
        track(w);
        await w.catch(() => {});
      }
    }
    await Promise.all(writes);
    if (failure !== undefined) throw failure;
  };

  /**
   * A big arrival (a service of thousands of replicas is created in transactions of a few thousand tasks)
   * is gathered before a pass: while the pending set keeps growing, wait (up to GATHER_MAX_MS), so the pass
   * places it whole and can write it node by node. Small arrivals are placed at once.
   */
  const gather = async (): Promise<void> => {
    const t0 = clock.now();
    const waiting = () => pending.size - unplaceable.size; // tasks that found no node are not arriving
    let seen = waiting();
    while (seen >= 2 * chunk && clock.now() - t0 < GATHER_MAX_MS) {
      await new Promise<void>((r) => clock.setTimeout(r, GATHER_QUIET_MS));
      if (waiting() <= seen) break;
      seen = waiting();
    }
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
      await gather();
      await pass();
    },
  });
}
