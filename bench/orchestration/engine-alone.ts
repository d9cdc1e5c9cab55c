/**
 * The engine with no orchestrator: 30 containers like the benchmark's tasks
 * (busybox `sleep 3600`, init, host network), created and started directly,
 * at most `k` at a time; returns the milliseconds until all have started, then
 * removes them (by a label unique to the run).
 */
import Docker from 'dockerode';

const docker = new Docker({ socketPath: '/var/run/docker.sock' });
const IMAGE = 'local/busybox:1';

export async function engineAlone(label: string, k = 30, n = 30): Promise<number> {
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(k, n) }, async () => {
      while (next < n) {
        const i = next++;
        const c = await docker.createContainer({ name: `${label}-${i}`, Image: IMAGE, Entrypoint: ['sleep'], Cmd: ['3600'], Labels: { 'com.swarm.engine-alone': label }, HostConfig: { Init: true, NetworkMode: 'host' } });
        await c.start();
      }
    }),
  );
  const t = performance.now() - t0;
  const list = await docker.listContainers({ all: true, filters: { label: [`com.swarm.engine-alone=${label}`] } });
  await Promise.all(list.map((c) => docker.getContainer(c.Id).remove({ force: true })));
  return t;
}
