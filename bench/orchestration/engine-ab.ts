/**
 * The engine alone, A/B: 30 containers (create + start, busybox `sleep 3600`, init, host
 * network), at most k at a time, for each k given, interleaved, AB_RUNS rounds (default 6);
 * prints the median per k. Used to check whether throttling starts helps the engine (it did not).
 *   npx tsx bench/orchestration/engine-ab.ts 30 6 3
 */
import Docker from 'dockerode';
const docker = new Docker({ socketPath: '/var/run/docker.sock' });
const IMAGE = 'local/busybox:1';
async function pool(n: number, k: number, f: (i: number) => Promise<void>) {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(k, n) }, async () => { while (next < n) { const i = next++; await f(i); } }));
}
async function run(label: string, k: number) {
  const t0 = performance.now();
  await pool(30, k, async (i) => {
    const c = await docker.createContainer({ name: `${label}-${i}`, Image: IMAGE, Entrypoint: ['sleep'], Cmd: ['3600'], Labels: { 'com.swarm.exp': label }, HostConfig: { Init: true, NetworkMode: 'host' } });
    await c.start();
  });
  const t = performance.now() - t0;
  const list = await docker.listContainers({ all: true, filters: { label: [`com.swarm.exp=${label}`] } });
  await Promise.all(list.map((c) => docker.getContainer(c.Id).remove({ force: true })));
  return t;
}
async function main() {
  const ks = process.argv.slice(2).map(Number);
  const res: Record<number, number[]> = {};
  for (let r = 0; r < Number(process.env.AB_RUNS ?? 6); r++) for (const k of r % 2 ? [...ks].reverse() : ks) (res[k] ??= []).push(await run(`ab${r}k${k}`, k));
  for (const k of ks) { const xs = res[k]!.sort((a, b) => a - b); console.log(`k=${k} median ${Math.round(xs[xs.length >> 1]!)} all ${xs.map(Math.round).join(' ')}`); }
}
void main();
