/** Shared body of the chaos test files: RAFT_CHAOS_SEEDS seeds in total (default 1,000). */
import { expect, it } from 'vitest';
import { runChaos } from './chaos.js';

export const SEEDS = Number(process.env['RAFT_CHAOS_SEEDS'] ?? 1000);

export function chaosSuite(from: number, to: number): void {
  it('keeps every safety invariant on every Ready and converges after healing', () => {
    let acked = 0;
    let checks = 0;
    for (let seed = from; seed <= to; seed++) {
      const r = runChaos(seed);
      acked += r.acked;
      checks += r.checks;
    }
    const n = to - from + 1;
    expect(acked).toBeGreaterThan(n); // proposals really went through
    expect(checks).toBeGreaterThan(n * 100);
  }, 300_000); // CPU-bound and deterministic: a slow (shared) machine may take minutes
}
