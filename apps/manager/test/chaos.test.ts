/**
 * CI version of `npm run chaos` (scripts/chaos-lib.ts, run in-process): three
 * managers and one worker as real swarmd processes (sim executor), every
 * manager dialling the others through fault-injecting proxies, a write load
 * through random managers, and seven faults in a fixed order: kill -9, the
 * leader isolated by a network partition (it must step down, the majority
 * must elect a new leader and keep acknowledging writes, and writes sent to
 * the isolated manager must be refused with "no quorum"), SIGSTOP, a one-way
 * cut, two managers down at once, a minority/majority split, and flaky
 * (delayed, reset) links; victims and durations come from a fixed seed.
 * Afterwards every manager must hold the same state, every acknowledged write
 * must be there, and tasks must converge. Needs the built dist (`npx turbo
 * build`), like ha.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { type FaultKind, runChaos } from '../../../scripts/chaos-lib.js';

const seed = Number(process.env['CHAOS_SEED'] ?? 5);

describe('chaos (short)', () => {
  const faults: FaultKind[] = ['kill', 'isolate', 'pause', 'oneway', 'quorum', 'split', 'flaky'];
  it('process and network faults under load: identical copies, no acknowledged write lost, tasks converge', async () => {
    const logs: string[] = [];
    const report = await runChaos({ rounds: faults.length, seed, workers: 1, order: 'cycle', faults, log: (m) => logs.push(m) });
    console.log([...logs.filter((l) => !l.startsWith('---')), `writes: ${JSON.stringify(report.writes.acked)} acknowledged, ${JSON.stringify(report.writes.failed)} failed; ${report.durationMs} ms`].join('\n'));
    if (!report.ok) console.log(logs.join('\n'));
    expect(report.violations).toEqual([]);
    expect(report.rounds.map((r) => r.fault)).toEqual(faults);
    // The partition round cut off the leader (its step-down, the new leader and "no quorum" are checked in the round).
    expect(report.rounds[1]!.detail).toMatch(/^isolate m\d \(leader\)/);
    // The load really ran through the faults.
    expect(report.writes.acked.create).toBeGreaterThan(20);
    expect(report.writes.acked.scale + report.writes.acked.remove).toBeGreaterThan(10);
  }, 300_000);
});
