/**
 * The engine alone, A/B: 30 containers (create + start, busybox `sleep 3600`, init, host
 * network), at most k at a time, for each k given, interleaved, AB_RUNS rounds (default 6);
 * prints the median per k. Used to check whether throttling starts helps the engine (it did not).
 *   npx tsx bench/orchestration/engine-ab.ts 30 6 3
 */
import { engineAlone } from './engine-alone.js';

async function main() {
  const ks = process.argv.slice(2).map(Number);
  const res: Record<number, number[]> = {};
  for (let r = 0; r < Number(process.env['AB_RUNS'] ?? 6); r++) for (const k of r % 2 ? [...ks].reverse() : ks) (res[k] ??= []).push(await engineAlone(`ab${r}k${k}`, k));
  for (const k of ks) {
    const xs = res[k]!.sort((a, b) => a - b);
    console.log(`k=${k} median ${Math.round(xs[xs.length >> 1]!)} all ${xs.map(Math.round).join(' ')}`);
  }
}
void main();
