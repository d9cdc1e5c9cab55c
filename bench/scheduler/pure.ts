/**
 * In-process scheduler benchmarks (no network): the cluster and the workload
 * of issue 7 — 5,000 nodes in 10 zones, 100,000 tasks of 10 services with two
 * constraints, a cpu/memory reservation, spread and one placement preference.
 *
 *   pure: placement alone over the node index, in the loop's chunks
 *   loop: the scheduler loop against an in-memory store (null proposer):
 *         index maintenance from events + placement + store transactions
 */
import { type Node, type Task, TaskState, ok } from '@swarm/shared';
import { createStore } from '../../apps/manager/src/store/store.js';
import { createNodeIndex } from '../../apps/manager/src/scheduler/node-info.js';
import { createPipeline } from '../../apps/manager/src/scheduler/pipeline.js';
import { placeGroup } from '../../apps/manager/src/scheduler/schedule.js';
import { CHUNK, startScheduler } from '../../apps/manager/src/scheduler/scheduler.js';

export interface Workload {
  nodes: number;
  tasks: number;
  services: number;
}

export function makeNodes(count: number): Node[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `node${String(i).padStart(5, '0')}`,
    meta: { version: 1, createdAt: 0, updatedAt: 0 },
    spec: {
      annotations: { name: '', labels: { zone: `z${i % 10}`, tier: i % 50 === 0 ? 'db' : 'app' } },
      desiredRole: 'WORKER',
      membership: 'ACCEPTED',
      availability: 'ACTIVE',
    },
    description: {
      hostname: `sim-${i}`,
      platform: { os: 'linux', architecture: 'x86_64' },
      resources: { nanoCpus: 64e9, memoryBytes: 256 * 2 ** 30, generic: {} },
      engine: { engineVersion: 'sim', labels: { disk: i % 20 === 0 ? 'hdd' : 'ssd' }, plugins: [] },
      executor: 'sim',
    },
    status: { state: 'READY', message: '', addr: '127.0.0.1' },
    role: 'WORKER',
  }));
}

/** The task spec of the benchmark's services: two constraints, reservations, spread by zone. */
export const benchTaskSpec = {
  container: { image: 'sim/app:1', command: [], args: [], env: [], labels: {} },
  resources: { limits: { nanoCpus: 0, memoryBytes: 0, generic: {} }, reservations: { nanoCpus: 1e8, memoryBytes: 64 * 2 ** 20, generic: {} } },
  placement: { constraints: ['node.labels.tier!=db', 'engine.labels.disk==ssd'], preferences: [{ spread: 'node.labels.zone' }], platforms: [], maxReplicas: 0 },
  forceUpdate: 0,
};

export function makeTasks(w: Workload): Task[] {
  const per = Math.ceil(w.tasks / w.services);
  const out: Task[] = [];
  for (let s = 0; s < w.services; s++) {
    for (let i = 0; i < per && out.length < w.tasks; i++) {
      out.push({
        id: `task-${s}-${i}`,
        meta: { version: 1, createdAt: 0, updatedAt: 0 },
        spec: benchTaskSpec,
        specVersion: 1,
        serviceId: `svc${s}`,
        slot: i + 1,
        annotations: { name: '', labels: {} },
        serviceAnnotations: { name: `svc${s}`, labels: {} },
        status: { timestamp: 0, state: TaskState.PENDING, message: 'pending task scheduling' },
        desiredState: TaskState.RUNNING,
      });
    }
  }
  return out;
}

/** Placement alone: returns tasks placed per second. */
export function benchPure(w: Workload): { ms: number; placed: number; perS: number } {
  const index = createNodeIndex();
  for (const n of makeNodes(w.nodes)) index.putNode(n);
  const tasks = makeTasks(w);
  const pipeline = createPipeline();
  const place = (t: Task, n: { node: { id: string } }) => index.assign(t, n.node.id);
  const t0 = performance.now();
  let placed = 0;
  for (let i = 0; i < tasks.length; i += CHUNK) {
    const chunk = tasks.slice(i, i + CHUNK);
    // Chunks never straddle services here (10,000 tasks per service, CHUNK divides it).
    for (const d of placeGroup(chunk, index.nodes(), pipeline, place)) if ('nodeId' in d) placed++;
  }
  const ms = performance.now() - t0;
  return { ms, placed, perS: (placed / ms) * 1000 };
}

/** The scheduler loop over an in-memory store: from tasks committed to all ASSIGNED. */
export async function benchLoop(w: Workload): Promise<{ ms: number; perS: number }> {
  const store = createStore({ retainEvents: 100 });
  await store.update((tx) => {
    for (const n of makeNodes(w.nodes)) tx.create('nodes', n);
    return ok(undefined);
  });
  const loop = startScheduler({ store });
  await loop.idle();
  const tasks = makeTasks(w);
  const t0 = performance.now();
  for (let i = 0; i < tasks.length; i += 5000) {
    await store.update((tx) => {
      for (const t of tasks.slice(i, i + 5000)) tx.create('tasks', t);
      return ok(undefined);
    });
  }
  let assigned = 0;
  const done = new Promise<void>((resolve) => {
    const unsub = store.subscribe((e) => {
      for (const c of e.changes) if (c.table === 'tasks' && c.object.status.state === TaskState.ASSIGNED) assigned++;
      if (assigned >= w.tasks) {
        unsub();
        resolve();
      }
    });
  });
  await done;
  const ms = performance.now() - t0;
  await loop.stop();
  return { ms, perS: (w.tasks / ms) * 1000 };
}

