/**
 * CI version of `npm run chaos` (scripts/chaos-lib.ts, run in-process): three
 * managers and one worker as real swarmd processes (sim executor), a write
 * load through random managers, and four faults in a fixed order (kill -9,
 * SIGSTOP, two managers down at once, kill -9) with the victims drawn from a
 * fixed seed. Afterwards every manager must hold the same state, every
 * acknowledged write must be there, and tasks must converge. Needs the built
 * dist (`npx turbo build`), like ha.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { runChaos } from '../../../scripts/chaos-lib.js';

const seed = Number(process.env['CHAOS_SEED'] ?? 5);

describe('chaos (short)', () => {
  it('four faults under load: identical copies, no acknowledged write lost, tasks converge', async () => {
    const logs: string[] = [];
    const report = await runChaos({ rounds: 4, seed, workers: 1, order: 'cycle', faults: ['kill', 'pause', 'quorum', 'kill'], log: (m) => logs.push(m) });
    console.log([...logs.filter((l) => !l.startsWith('---')), `writes: ${JSON.stringify(report.writes.acked)} acknowledged, ${JSON.stringify(report.writes.failed)} failed; ${report.durationMs} ms`].join('\n'));
    if (!report.ok) console.log(logs.join('\n'));
    expect(report.violations).toEqual([]);
    expect(report.rounds.map((r) => r.fault)).toEqual(['kill', 'pause', 'quorum', 'kill']);
    // The load really ran through the faults.
    expect(report.writes.acked.create).toBeGreaterThan(20);
    expect(report.writes.acked.scale + report.writes.acked.remove).toBeGreaterThan(10);
  }, 150_000);
});
