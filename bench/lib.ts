/** Shared bench helpers: medians, machine facts, the final JSON line. */
import os from 'node:os';

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : Math.round(((s[m - 1] as number) + (s[m] as number)) / 2);
};

export const machine = () => ({
  cpus: os.cpus().length,
  cpu_model: os.cpus()[0]?.model ?? 'unknown',
  mem_gb: Math.round(os.totalmem() / 2 ** 30),
  node: process.version,
  kernel: os.release(),
});

export const wantsJson = process.argv.includes('--json');

/** Prints a human summary (unless --json) and always ends with one JSON line. */
export function report(figures: Record<string, unknown>, details?: Record<string, unknown>): void {
  if (!wantsJson && details) console.log(JSON.stringify(details, null, 2));
  console.log(JSON.stringify(figures));
}

export async function until(cond: () => Promise<boolean> | boolean, timeoutMs: number, what: string, pollMs = 10): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
