/**
 * npm run chaos -- --rounds N [--seed S] [--workers 1|2] [--faults kill,pause,quorum,isolate,split,oneway,flaky] [--json]
 *
 * Random manager faults under a write load, then checks that every manager
 * holds the same state and that every acknowledged write survived (see
 * scripts/chaos-lib.ts). Needs the built dist (`npx turbo build`). Exits 1 on
 * any violation, with the report; with --json the last stdout line is the
 * report as one JSON object.
 */
import { FAULTS, type FaultKind, runChaos } from './chaos-lib.js';
import { killAllStarted } from './chaos-cluster.js';

const argv = process.argv.slice(2);
const val = (name: string): string | undefined => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
};
const json = argv.includes('--json');
const rounds = Number(val('rounds') ?? 10);
const seed = val('seed') !== undefined ? Number(val('seed')) : undefined;
const workers = Number(val('workers') ?? 2);
const faults = (val('faults')?.split(',') ?? FAULTS) as FaultKind[];
const bad = faults.filter((f) => !FAULTS.includes(f));
if (!Number.isInteger(rounds) || rounds < 1 || (seed !== undefined && !Number.isInteger(seed)) || ![1, 2].includes(workers) || bad.length) {
  console.error('usage: npm run chaos -- --rounds N [--seed S] [--workers 1|2] [--faults kill,pause,quorum,isolate,split,oneway,flaky] [--json]');
  process.exit(2);
}

const onSignal = () => {
  killAllStarted();
  process.exit(130);
};
process.once('SIGINT', onSignal);
process.once('SIGTERM', onSignal);

const log = (m: string) => process.stderr.write(`${m}\n`);
const report = await runChaos({ rounds, seed, workers, faults, log });

const w = report.writes;
const total = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);
const lines = [
  `chaos: seed ${report.seed}, ${report.rounds.length}/${rounds} rounds in ${(report.durationMs / 1000).toFixed(0)} s`,
  ...report.rounds.map((r) => `  round ${r.round}: ${r.detail} → healthy after ${r.recoverMs} ms (${r.acked} writes acknowledged, ${r.failed} failed)`),
  `writes acknowledged: ${total(w.acked)} (create ${w.acked.create}, scale ${w.acked.scale}, remove ${w.acked.remove}); failed: ${total(w.failed)} (create ${w.failed.create}, scale ${w.failed.scale}, remove ${w.failed.remove})`,
  ...w.errors.slice(0, 8).map(([m, n]) => `  ${n} × ${m}`),
  `final: ${report.final.services} services, ${report.final.tasks} running tasks, ${report.final.nodes} nodes; copies identical after ${report.final.identicalAfterMs ?? '—'} ms, tasks converged after ${report.final.convergedAfterMs ?? '—'} ms`,
  report.ok ? 'OK: no violation' : `VIOLATIONS (${report.violations.length}):\n${report.violations.map((v) => `  - ${v}`).join('\n')}`,
];
if (json) {
  for (const l of lines) log(l);
  console.log(JSON.stringify(report));
} else console.log(lines.join('\n'));
process.exit(report.ok ? 0 : 1);
