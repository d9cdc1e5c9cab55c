import { describe, expect, it } from 'vitest';
import { runChaos } from './chaos.js';

const SEEDS = Number(process.env['RAFT_CHAOS_SEEDS'] ?? 1000);

describe(`randomized chaos over ${SEEDS} seeds`, () => {
  it('keeps every safety invariant and converges after healing', () => {
    let acked = 0;
    let checks = 0;
    for (let seed = 1; seed <= SEEDS; seed++) {
      const r = runChaos(seed);
      acked += r.acked;
      checks += r.checks;
    }
    expect(acked).toBeGreaterThan(SEEDS); // proposals really went through
    expect(checks).toBeGreaterThan(SEEDS * 100);
  });
});
