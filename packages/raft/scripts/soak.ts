/**
 * Long soak of the randomized chaos simulation.
 *   npx tsx packages/raft/scripts/soak.ts [--from 1] [--seeds 100000] [--phases 12]
 * Prints progress and exits non-zero with the failing seed on the first violation.
 */
import { runChaos } from '../src/testing/chaos.js';

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}

const from = arg('from', 1);
const seeds = arg('seeds', 100_000);
const phases = arg('phases', 12);
const t0 = Date.now();
let acked = 0;
for (let s = from; s < from + seeds; s++) {
  try {
    acked += runChaos(s, phases).acked;
  } catch (e) {
    console.error(e instanceof Error ? e.message : e);
    console.error(`reproduce: npx tsx packages/raft/scripts/soak.ts --from ${s} --seeds 1 --phases ${phases}`);
    process.exit(1);
  }
  if ((s - from + 1) % 1000 === 0) {
    console.log(`${s - from + 1} seeds ok, ${acked} acknowledged proposals, ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
}
console.log(`done: ${seeds} seeds from ${from}, ${acked} acknowledged proposals, ${((Date.now() - t0) / 1000).toFixed(1)} s`);
