/**
 * tab_memory_mb: the tab's JS heap under a steady stream of live updates.
 *
 * A fresh tab opens the page of a small `churn` service (the store also holds
 * every other task of the cluster, e.g. the 10,000 of `big`), while the bench
 * scales two services through the API, so that the cluster's state stays
 * bounded and a flat heap is the right expectation:
 *
 *  - `churn`, 4 ↔ 12 replicas: each scale-up creates new task objects (new
 *    IDs) in slots 5–12, which the agent runs; a scale-down marks them for
 *    removal and the reaper deletes them once the agent reports them
 *    stopped. It scales up again only when `churn` has at most
 *    BENCH_SOAK_BOUND tasks (default 24), i.e. the reaper caught up.
 *  - `churn-pending`, 0 ↔ 10 replicas, constrained to a label no node has:
 *    its tasks are created, marked PENDING with the scheduler's reason, then
 *    removed and deleted by the orchestrator alone (no agent involved), so it
 *    keeps the pace when the agent is slow.
 *
 * The earlier soak scaled `churn` alone, without the wait, and the cluster's
 * state grew for real: with thousands of tasks on the node the agent stopped
 * removed tasks more slowly than the soak created them (hundreds of `churn`
 * tasks ASSIGNED with desired state REMOVE after a few minutes), and the
 * tab's copy of the store grew with them. `churn_tasks` (sampled from the
 * API) shows the count now stays bounded; BENCH_SOAK_BOUND=0 turns the wait off,
 * BENCH_SOAK_PENDING=0 leaves `churn-pending` out (both: the earlier soak).
 *
 * Every store change the tab receives is counted from the WebSocket frames
 * (commit → `changes.length`), and the pace adapts toward TARGET changes/s.
 * Every SAMPLE_S the heap is measured after a forced GC (CDP
 * `HeapProfiler.collectGarbage`, then `Runtime.getHeapUsage`), so the figures
 * are live objects, not garbage. Reported: the heap at the end (median of the
 * last three samples: one late sample is not the figure), at the start, the
 * least-squares slope over the whole soak and the Theil–Sen slope (median of
 * pairwise slopes: robust to a stray sample) over its second half, once the
 * capped event timeline has filled, and `flat`: that second-half slope is at
 * most FLAT_MB_PER_MIN. The issue asks for 10 minutes; a session run uses a
 * shorter soak (BENCH_SOAK_S, default 120 s), and says so.
 *
 * BENCH_HEAP_SNAPSHOTS=120,360 also writes heap snapshots at those soak
 * seconds (BENCH_HEAP_DIR, default a temp dir) and prints what grew between
 * the first and the last (heapdiff.ts).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { mutate, queryWith } from '../../e2e/harness/api.js';
import type { SwarmNode } from '../../e2e/harness/swarmd.js';
import { diffReport, Heap, takeSnapshot } from './heapdiff.js';

export interface SoakResult {
  seconds: number;
  heap_start_mb: number;
  /** Median of the last three samples: the reported `tab_memory_mb`. */
  heap_end_mb: number;
  heap_max_mb: number;
  /** Least-squares slope over the whole soak. */
  slope_mb_per_min: number;
  /** Theil–Sen slope over the second half of the soak (the timeline has filled by then). */
  slope_2nd_half_mb_per_min: number;
  /** `slope_2nd_half_mb_per_min` ≤ `flat_limit_mb_per_min`. */
  flat: boolean;
  flat_limit_mb_per_min: number;
  changes_per_s: number;
  samples_mb: number[];
  /** `churn` and `churn-pending` tasks in the cluster (history included) at each sample: bounded. */
  churn_tasks: number[];
  /** BENCH_SOAK_BOUND, and the steps in which `churn` waited for the reaper (only `churn-pending` moved). */
  churn_bound: number;
  churn_steps_skipped: number;
}

const MB = 1024 * 1024;
const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;
const FLAT_MB_PER_MIN = Number(process.env['BENCH_FLAT_MB_PER_MIN'] ?? 0.1);
/** Most `churn` tasks (history and tasks being stopped included) before the soak scales up again; 0: no wait. */
const BOUND = Number(process.env['BENCH_SOAK_BOUND'] ?? 24);
/** `churn-pending` goes 0 ↔ this many replicas every step; 0: no `churn-pending` (with BENCH_SOAK_BOUND=0: the earlier soak). */
const PENDING_REPLICAS = Number(process.env['BENCH_SOAK_PENDING'] ?? 10);

/** Least-squares slope of ys over xs. */
export function slope(xs: number[], ys: number[]): number {
  const n = xs.length;
  if (n < 2) return 0;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += ((xs[i] as number) - mx) * ((ys[i] as number) - my);
    den += ((xs[i] as number) - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

const medianOf = (xs: number[]): number => {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

/** Theil–Sen estimator: the median of the slopes between every pair of samples. */
export function robustSlope(xs: number[], ys: number[]): number {
  const slopes: number[] = [];
  for (let i = 0; i < xs.length; i++) {
    for (let j = i + 1; j < xs.length; j++) {
      const dx = (xs[j] as number) - (xs[i] as number);
      if (dx > 0) slopes.push(((ys[j] as number) - (ys[i] as number)) / dx);
    }
  }
  return medianOf(slopes);
}

/** The figures of a soak from its heap samples (xs in minutes, ys in MB). */
export function summarize(xs: number[], ys: number[], limit = FLAT_MB_PER_MIN): Pick<SoakResult, 'heap_start_mb' | 'heap_end_mb' | 'heap_max_mb' | 'slope_mb_per_min' | 'slope_2nd_half_mb_per_min' | 'flat' | 'flat_limit_mb_per_min'> {
  const half = (xs[xs.length - 1] ?? 0) / 2;
  const late = xs.map((x, i) => [x, ys[i] as number] as const).filter(([x]) => x >= half);
  const lateSlope = robustSlope(late.map(([x]) => x), late.map(([, y]) => y));
  return {
    heap_start_mb: round(ys[0] ?? 0),
    heap_end_mb: round(medianOf(ys.slice(-3))),
    heap_max_mb: round(Math.max(...ys)),
    slope_mb_per_min: round(slope(xs, ys), 2),
    slope_2nd_half_mb_per_min: round(lateSlope, 2),
    flat: lateSlope <= limit,
    flat_limit_mb_per_min: limit,
  };
}

/** Length of the first `changes` array in a stream message (its envelope depends on the tRPC version and `tracked`). */
function changesIn(v: unknown, depth = 0): number {
  if (!v || typeof v !== 'object' || depth > 6) return 0;
  const o = v as Record<string, unknown>;
  if (Array.isArray(o['changes'])) return o['changes'].length;
  for (const x of Object.values(o)) {
    const n = changesIn(x, depth + 1);
    if (n > 0) return n;
  }
  return 0;
}

/** Counts the store changes the page receives over its WebSocket (must be attached before the page opens it). */
function countChanges(page: Page): { total: () => number } {
  let total = 0;
  page.on('websocket', (ws) => {
    ws.on('framereceived', ({ payload }) => {
      const text = typeof payload === 'string' ? payload : payload.toString();
      if (!text.includes('"changes"')) return;
      try {
        total += changesIn(JSON.parse(text) as unknown);
      } catch {
        // not a commit frame
      }
    });
  });
  return { total: () => total };
}

/** Soak seconds at which to write heap snapshots (BENCH_HEAP_SNAPSHOTS=120,360). */
const snapshotAt = (process.env['BENCH_HEAP_SNAPSHOTS'] ?? '').split(',').filter(Boolean).map(Number).sort((a, b) => a - b);

const sleeper = (name: string, replicas: number, constraints: string[] = []) => ({
  spec: {
    annotations: { name, labels: {} },
    task: { container: { image: 'local/busybox:1', command: ['sleep'], args: ['3600'], env: [] }, ...(constraints.length ? { placement: { constraints, preferences: [], platforms: [], maxReplicas: 0 } } : {}) },
    mode: { kind: 'replicated', replicas },
  },
});

export async function soak(browser: Browser, node: SwarmNode, newPage: (b: Browser, n: SwarmNode) => Promise<Page>, opts: { seconds: number; target: number; sampleS: number }): Promise<SoakResult> {
  const churn = await mutate<{ id: string }>(node, 'service.create', sleeper('churn', 4));
  // No node has this label: its tasks stay PENDING (with the scheduler's reason) until removed.
  const pending = await mutate<{ id: string }>(node, 'service.create', sleeper('churn-pending', 0, ['node.labels.bench-soak==nowhere']));
  const page = await newPage(browser, node);
  const changes = countChanges(page);
  await page.goto(`/services/view?id=${encodeURIComponent(churn.id)}`, { waitUntil: 'load' });
  await page.getByTestId('task-row').first().waitFor({ timeout: 120_000 });
  const cdp = await page.context().newCDPSession(page);
  const heap = async () => {
    await cdp.send('HeapProfiler.collectGarbage');
    return (await cdp.send('Runtime.getHeapUsage')).usedSize / MB;
  };
  const tasksOf = async (id: string) => (await queryWith<unknown[]>(node, 'task.list', { service: id, all: true })).length;
  const snapDir = snapshotAt.length > 0 ? (process.env['BENCH_HEAP_DIR'] ?? fs.mkdtempSync(path.join(os.tmpdir(), 'bench-heap-'))) : '';
  const snapshots: string[] = [];

  const t0 = Date.now();
  const c0 = changes.total();
  const xs: number[] = [];
  const ys: number[] = [];
  const counts: number[] = [];
  const sample = async () => {
    ys.push(await heap());
    xs.push((Date.now() - t0) / 60_000);
    counts.push((await tasksOf(churn.id)) + (await tasksOf(pending.id)));
  };
  await sample();
  let nextSample = t0 + opts.sampleS * 1000;
  let pauseMs = 500;
  let up = true;
  let pendingUp = true;
  let skipped = 0;
  while (Date.now() - t0 < opts.seconds * 1000) {
    const before = changes.total();
    const t = Date.now();
    // Back-pressure: `churn` scales up again only once the reaper caught up with its last
    // scale-down (its tasks need the agent to stop them); `churn-pending` never reaches an agent.
    if (!up || BOUND <= 0 || (await tasksOf(churn.id)) <= BOUND) {
      await mutate(node, 'service.scale', { ref: churn.id, replicas: up ? 12 : 4 });
      up = !up;
    } else skipped++;
    if (PENDING_REPLICAS > 0) {
      await mutate(node, 'service.scale', { ref: pending.id, replicas: pendingUp ? PENDING_REPLICAS : 0 });
      pendingUp = !pendingUp;
    }
    await new Promise((r) => setTimeout(r, pauseMs));
    // Steer toward the target rate: changes seen in this step vs the time it took.
    const rate = ((changes.total() - before) * 1000) / Math.max(1, Date.now() - t);
    if (rate > opts.target * 1.1) pauseMs = Math.min(5000, pauseMs * 1.2);
    else if (rate < opts.target * 0.9) pauseMs = Math.max(20, pauseMs / 1.2);
    if (Date.now() >= nextSample) {
      await sample();
      nextSample += opts.sampleS * 1000;
    }
    const due = snapshotAt[snapshots.length];
    if (due !== undefined && Date.now() - t0 >= due * 1000) {
      const file = path.join(snapDir, `soak-${due}s.heapsnapshot`);
      await takeSnapshot(cdp, file);
      snapshots.push(file);
      console.error(`heap snapshot at ${Math.round((Date.now() - t0) / 1000)} s: ${file}`);
    }
  }
  const seconds = (Date.now() - t0) / 1000;
  const changesPerS = (changes.total() - c0) / seconds;
  await sample();
  await page.context().close();
  if (snapshots.length >= 2) console.error(diffReport(Heap.read(snapshots[0] as string), Heap.read(snapshots[snapshots.length - 1] as string)));
  return {
    seconds: Math.round(seconds),
    ...summarize(xs, ys),
    changes_per_s: Math.round(changesPerS),
    samples_mb: ys.map((y) => round(y)),
    churn_tasks: counts,
    churn_bound: BOUND,
    churn_steps_skipped: skipped,
  };
}
