/**
 * Which engine calls a converge makes, and when: one swarmd whose docker executor talks to
 * the engine through a counting proxy (a unix socket in a temp dir, piped to
 * /var/run/docker.sock), a 30-replica service until 30 RUNNING. Prints the calls per task
 * by endpoint and a timeline (ms after `service create`): first/last create sent and
 * answered, first/last start sent and answered, all RUNNING seen through the API; and the
 * CPU seconds swarmd used; then the engine alone (engine-alone.ts) in the same minute, for the floor.
 *   npx tsx bench/orchestration/engine-calls.ts [runs]
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { containersOf, startNode } from '../../apps/manager/test/harness.js';
import { until } from '../lib.js';
import { engineAlone } from './engine-alone.js';

const RUNS = Number(process.argv[2] ?? 2);
const N = 30;
const IMAGE = 'local/busybox:1';

interface Call {
  method: string;
  path: string;
  sent: number;
  answered?: number;
}

/** Collapses IDs so calls group by endpoint: /containers/<id>/start → /containers/:id/start. */
const endpoint = (method: string, p: string) =>
  `${method} ${p.split('?')[0]!.replace(/^\/v[\d.]+/, '').replace(/\/containers\/[^/]+\//, '/containers/:id/')}`;

/** A unix-socket proxy to the engine that records every HTTP request and when its response began. */
function countingProxy(sock: string, calls: Call[]): net.Server {
  const server = net.createServer((client) => {
    const upstream = net.connect('/var/run/docker.sock');
    const waiting: Call[] = [];
    client.on('data', (d: Buffer) => {
      for (const m of d.toString('latin1').matchAll(/(?:^|\r\n)(GET|POST|DELETE|PUT|HEAD) (\S+) HTTP\/1\.[01]\r\n/g)) {
        const c: Call = { method: m[1]!, path: m[2]!, sent: performance.now() };
        calls.push(c);
        waiting.push(c);
      }
    });
    upstream.on('data', (d: Buffer) => {
      const n = d.toString('latin1').match(/(?:^|\r\n)HTTP\/1\.[01] \d{3} /g)?.length ?? 0;
      for (let i = 0; i < n; i++) {
        const c = waiting.shift();
        if (c) c.answered = performance.now();
      }
    });
    client.pipe(upstream).pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end);
    upstream.on('error', end);
    client.on('close', end);
    upstream.on('close', end);
  });
  server.listen(sock);
  return server;
}

function cpuSeconds(pid: number): number {
  const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

const spec = (name: string) => ({
  annotations: { name, labels: {} },
  task: { container: { image: IMAGE, command: ['sleep'], args: ['3600'], env: [] }, restart: { condition: 'any' as const, delayMs: 0, maxAttempts: 0, windowMs: 0 } },
  mode: { kind: 'replicated' as const, replicas: N },
});

function summary(calls: Call[], t0: number, total: number): string {
  const byEndpoint = new Map<string, number>();
  for (const c of calls) byEndpoint.set(endpoint(c.method, c.path), (byEndpoint.get(endpoint(c.method, c.path)) ?? 0) + 1);
  const counts = [...byEndpoint].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ×${v}`).join(', ');
  const span = (re: RegExp) => {
    const cs = calls.filter((c) => re.test(c.path));
    const ms = (xs: number[]) => (xs.length ? `${Math.round(Math.min(...xs) - t0)}–${Math.round(Math.max(...xs) - t0)}` : '-');
    return `sent ${ms(cs.map((c) => c.sent))} answered ${ms(cs.flatMap((c) => (c.answered ? [c.answered] : [])))}`;
  };
  return [
    `  calls: ${calls.length} (${(calls.length / N).toFixed(2)} per task): ${counts}`,
    `  create ${span(/\/containers\/create/)} | start ${span(/\/start$/)} | all RUNNING ${Math.round(total)}`,
  ].join('\n');
}

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 's4-orch-calls-'));
  const sock = path.join(dir, 'docker.sock');
  const calls: Call[] = [];
  const proxy = countingProxy(sock, calls);
  const runLabel = `calls-${Date.now().toString(36)}`;
  const node = await startNode({ runLabel, hostname: 'calls', engineAddr: `unix://${sock}`, extraArgs: ['--container-network', 'host'] });
  try {
    for (let r = 0; r <= RUNS; r++) {
      await new Promise((res) => setTimeout(res, 1000));
      calls.length = 0;
      const pid = node.proc().pid!;
      const c0 = cpuSeconds(pid);
      const t0 = performance.now();
      const id = (await node.client.service.create.mutate({ spec: spec(`calls${r}`) })).id;
      await until(async () => (await node.client.service.list.query()).find((l) => l.service.id === id)?.running === N, 120_000, 'converge', 50);
      const total = performance.now() - t0;
      const callsAtRunning = calls.length;
      const cpu = cpuSeconds(pid) - c0;
      console.log(`${r === 0 ? 'warm-up' : `run ${r}`}: ${Math.round(total)} ms, swarmd cpu ${cpu.toFixed(2)} s, load ${fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
      console.log(summary(calls, t0, total));
      // The PIDs follow once the engine is quiet (one inspect per task, after the converge).
      await until(async () => (await node.client.task.list.query({ service: id })).every((t) => (t.status.container?.pid ?? 0) > 0), 20_000, 'pids', 100);
      console.log(`  PIDs known after ${Math.round(performance.now() - t0)} ms; calls since RUNNING: ${calls.length - callsAtRunning}`);
      await node.client.service.remove.mutate({ ref: id });
      await until(() => containersOf(runLabel, 'status=running').length === 0, 60_000, 'removed', 200);
      console.log(`  engine alone: ${Math.round(await engineAlone(`${runLabel}-alone${r}`))} ms`);
    }
  } finally {
    await node.stop();
    proxy.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
void main();
