/**
 * `BENCH_TRACE=1`: where a scroll run's main-thread time goes. Records a Chrome
 * trace (devtools.timeline) around `run` and sums the durations of the top-level
 * renderer events by name (script, style, layout, paint, …), in ms.
 */
import type { Page } from 'playwright-core';

interface TraceEvent {
  name: string;
  ph: string;
  dur?: number;
  tid: number;
  cat: string;
}

const NAMES = ['FunctionCall', 'EvaluateScript', 'TimerFire', 'EventDispatch', 'FireAnimationFrame', 'UpdateLayoutTree', 'Layout', 'PrePaint', 'Paint', 'Layerize', 'RasterTask', 'CompositeLayers', 'Commit', 'HitTest', 'GPUTask', 'RunTask'];

export async function traceBreakdown<T>(page: Page, run: () => Promise<T>): Promise<{ result: T; ms: Record<string, number> }> {
  const cdp = await page.context().newCDPSession(page);
  const events: TraceEvent[] = [];
  cdp.on('Tracing.dataCollected', (e) => void events.push(...(e.value as unknown as TraceEvent[])));
  const done = new Promise<void>((resolve) => cdp.once('Tracing.tracingComplete', () => resolve()));
  await cdp.send('Tracing.start', { categories: 'devtools.timeline,disabled-by-default-devtools.timeline', transferMode: 'ReportEvents' });
  const result = await run();
  await cdp.send('Tracing.end');
  await done;
  const ms: Record<string, number> = {};
  for (const e of events) {
    if (e.ph !== 'X' || e.dur === undefined || !NAMES.includes(e.name)) continue;
    ms[e.name] = Math.round(((ms[e.name] ?? 0) + e.dur / 1000) * 10) / 10;
  }
  await cdp.detach();
  return { result, ms };
}
