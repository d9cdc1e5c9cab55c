/**
 * Issue 8 benchmark: the dashboard in Chromium against a real swarmd
 * (`--executor sim`, sign-in through its setup link, ports 15000–15999: the
 * e2e harness's `startSwarmd`), holding a service of 10,000 simulated tasks.
 *
 *   update_to_dom_p95_ms        scale a small service from the page (fetch POST /trpc/service.scale)
 *                               → the new desired count is in its row's DOM (MutationObserver).
 *                               Both timestamps are the page's performance.now(): one clock. This
 *                               is a round trip (HTTP to the manager + commit + stream + render),
 *                               so an upper bound on commit → DOM. p95 over UPDATES samples.
 *   service_10k_interactive_ms  navigation start → the 10,000-task service page shows its task rows
 *                               and the main thread answers a setTimeout(0) probe (no long task
 *                               pending): performance.now() in the page, whose origin is the
 *                               navigation start. Median of RUNS fresh page loads.
 *   scroll_fps_min              on that page, a rAF loop scrolls the window 120 px per frame for
 *                               4 s through the virtualized list; frames are counted in 500 ms
 *                               windows; the slowest window, in frames/s. Median of RUNS.
 *   tab_memory_mb               JS heap (after a forced GC) of a tab on a live service page after a soak of
 *                               store changes at ~BENCH_SOAK_RATE/s (default 100) for BENCH_SOAK_S seconds
 *                               (default 120: the 10 minutes are too long for a session run; set
 *                               BENCH_SOAK_S=600 for the full soak). The median of the last samples, with
 *                               the start value, slopes and whether the heap is flat (soak.ts).
 *
 * BENCH_ONLY=soak skips the page-load, scroll and update figures (the soak alone, e.g. to hunt a leak
 * with BENCH_HEAP_SNAPSHOTS: see heapdiff.ts).
 */
import { chromium, type Browser, type Page } from 'playwright-core';
import { mutate, query } from '../../e2e/harness/api.js';
import { startSwarmd, type SwarmNode } from '../../e2e/harness/swarmd.js';
import { machine, median, report, until } from '../lib.js';
import { soak } from './soak.js';
import { traceBreakdown } from './trace.js';

const TASKS = Number(process.env['BENCH_TASKS'] ?? 10_000);
const RUNS = Number(process.env['BENCH_RUNS'] ?? 5);
const UPDATES = Number(process.env['BENCH_UPDATES'] ?? 40);
const STEP = 1000;
const SOAK_S = Number(process.env['BENCH_SOAK_S'] ?? 120);
const SOAK_RATE = Number(process.env['BENCH_SOAK_RATE'] ?? 100);
const SOAK_ONLY = process.env['BENCH_ONLY'] === 'soak';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const p95 = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(0.95 * s.length) - 1)] as number;
};
const round = (x: number) => Math.round(x * 10) / 10;

function spec(name: string, replicas: number) {
  return { spec: { annotations: { name, labels: {} }, task: { container: { image: 'local/busybox:1', command: ['sleep'], args: ['3600'], env: [] } }, mode: { kind: 'replicated', replicas } } };
}

async function newPage(browser: Browser, node: SwarmNode): Promise<Page> {
  const context = await browser.newContext({ baseURL: node.url, viewport: { width: 1280, height: 800 } });
  const s = node.session;
  if (s) await context.addCookies([{ name: s.cookie.name, value: s.cookie.value, url: node.url, httpOnly: true, sameSite: 'Strict' }]);
  const page = await context.newPage();
  page.on('pageerror', (e) => console.error('pageerror:', e.message));
  return page;
}

// In-page scripts are plain strings: tsx's keepNames would inject `__name` into functions passed to evaluate.
const UPDATE_PROBE = `async ({ name, replicas }) => {
  const cell = document.querySelector('[data-testid="service-row-' + name + '"] [data-testid="replicas"]');
  const shows = () => (cell.textContent || '').trim().endsWith('/' + replicas);
  const seen = new Promise((resolve) => {
    const mo = new MutationObserver(() => {
      if (shows()) { mo.disconnect(); resolve(performance.now()); }
    });
    mo.observe(cell, { subtree: true, childList: true, characterData: true });
  });
  const t0 = performance.now();
  const res = await fetch('/trpc/service.scale', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ref: name, replicas }) });
  if (!res.ok) throw new Error('scale: HTTP ' + res.status);
  return (await seen) - t0;
}`;

const SCROLL_PROBE = `() => new Promise((resolve) => {
  const frames = [];
  const start = performance.now();
  const step = (t) => {
    frames.push(t);
    window.scrollBy(0, 120);
    if (t - start < 4000) requestAnimationFrame(step);
    else {
      let min = Infinity;
      for (let w = start; w + 500 <= t; w += 250) {
        const n = frames.filter((f) => f >= w && f < w + 500).length;
        min = Math.min(min, n * 2);
      }
      resolve(min);
    }
  };
  requestAnimationFrame(step);
})`;

async function interactive(page: Page, serviceId: string): Promise<number> {
  await page.goto(`/services/view?id=${encodeURIComponent(serviceId)}`, { waitUntil: 'commit' });
  await page.waitForFunction(`!!document.querySelector('[data-testid="tasks-table"][data-virtual] [data-testid="task-row"]')`, undefined, { polling: 'raf', timeout: 120_000 });
  // The probe runs after whatever the page queued (render, effects): the time it answers is "interactive".
  return page.evaluate<number>(`new Promise((r) => setTimeout(() => r(performance.now()), 0))`);
}

async function updateToDom(page: Page, name: string, from: number): Promise<number[]> {
  await page.goto('/services', { waitUntil: 'load' });
  await page.getByTestId(`service-row-${name}`).getByTestId('replicas').waitFor();
  const out: number[] = [];
  for (let i = 0; i < UPDATES; i++) {
    const replicas = from + ((i + 1) % 2); // alternate from+1, from
    const ms = await page.evaluate<number>(`(${UPDATE_PROBE})(${JSON.stringify({ name, replicas })})`);
    out.push(ms);
    await page.waitForTimeout(50);
  }
  return out;
}

async function scrollFpsMin(page: Page): Promise<number> {
  await page.evaluate('window.scrollTo(0, 0)');
  return page.evaluate<number>(`(${SCROLL_PROBE})()`);
}

async function main(): Promise<void> {
  const t0 = Date.now();
  const node = await startSwarmd({ executor: 'sim', hostname: 'bench-web', timeoutMs: 60_000 });
  const browser = await chromium.launch({ executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium', args: ARGS });
  try {
    type Row = { service: { id: string; spec: { annotations: { name: string } } }; running: number };
    const running = async (n: string) => (await query<Row[]>(node, 'service.list')).find((r) => r.service.spec.annotations.name === n)?.running ?? 0;
    const tc = Date.now();
    // In steps of STEP replicas: the replicated store refuses a Raft entry over 1.5 MB, and one
    // orchestrator plan of 10,000 new tasks is ~7 MB (one plan of 1,000 is ~0.7 MB).
    const big = await mutate<{ id: string }>(node, 'service.create', spec('big', Math.min(TASKS, STEP)));
    for (let n = STEP * 2; n < TASKS + STEP; n += STEP) {
      await until(async () => (await running('big')) >= Math.min(TASKS, n - STEP), 120_000, `${n - STEP} tasks running`, 250);
      await mutate(node, 'service.scale', { ref: 'big', replicas: Math.min(TASKS, n) });
    }
    await mutate(node, 'service.create', spec('probe', 2));
    await until(async () => (await running('big')) >= TASKS, 600_000, `${TASKS} tasks running`, 500);
    const convergeMs = Date.now() - tc;

    const loads: number[] = [];
    const fps: number[] = [];
    let rows = 0;
    let updates: number[] = [];
    if (!SOAK_ONLY) {
      const page = await newPage(browser, node);
      await interactive(page, big.id); // warm-up: the browser's caches
      for (let i = 0; i < RUNS; i++) {
        loads.push(await interactive(page, big.id));
        await page.waitForTimeout(300);
        fps.push(await scrollFpsMin(page));
      }
      rows = await page.getByTestId('task-row').count();
      const trace = process.env['BENCH_TRACE'] ? await traceBreakdown(page, () => scrollFpsMin(page)) : undefined;
      if (trace) console.error('scroll trace (ms by event, fps min %d):', trace.result, trace.ms);
      updates = await updateToDom(page, 'probe', 2);
      await page.context().close();
    }
    const mem = SOAK_S > 0 ? await soak(browser, node, newPage, { seconds: SOAK_S, target: SOAK_RATE, sampleS: 10 }) : undefined;
    const figures = SOAK_ONLY
      ? {}
      : { update_to_dom_p95_ms: round(p95(updates)), update_to_dom_median_ms: round(median(updates)), service_10k_interactive_ms: Math.round(median(loads)), scroll_fps_min: median(fps) };
    report(
      {
        ...figures,
        ...(mem
          ? {
              tab_memory_mb: mem.heap_end_mb,
              tab_memory_start_mb: mem.heap_start_mb,
              tab_memory_slope_mb_per_min: mem.slope_mb_per_min,
              tab_memory_slope_2nd_half_mb_per_min: mem.slope_2nd_half_mb_per_min,
              tab_memory_flat: mem.flat,
              soak_s: mem.seconds,
              soak_changes_per_s: mem.changes_per_s,
            }
          : {}),
        tasks: TASKS,
        runs: RUNS,
        updates: UPDATES,
      },
      { machine: machine(), converge_10k_ms: convergeMs, loads_ms: loads.map(Math.round), scroll_fps_min_runs: fps, update_ms: updates.map(round), rows_in_dom_after_scroll: rows, soak: mem, total_s: Math.round((Date.now() - t0) / 1000) },
    );
  } finally {
    await browser.close();
    await node.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
