/**
 * Agent and engine failures with real Docker:
 *  - an agent killed with kill -9 and restarted adopts its running containers
 *    (same containers, same tasks, nothing restarted);
 *  - a Docker engine restart is survived: the node stays READY, the containers
 *    that died with the engine are replaced. This runs a second, private
 *    dockerd (its own socket, data and exec roots, no bridge, no iptables) so
 *    the shared engine and everyone's containers are never disturbed.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Task, TaskState } from '@swarm/shared';
import { type Node, containersOf, docker, startNode, tempDir, waitFor } from './harness.js';

const runLabel = `resil${process.pid}-${Date.now().toString(36)}`;
const S = TaskState;
const spec = (name: string, replicas: number) => ({
  annotations: { name, labels: {} },
  task: { container: { image: 'local/busybox:1', command: ['sleep'], args: ['3600'] }, restart: { condition: 'any' as const, delayMs: 0, maxAttempts: 0, windowMs: 0 } },
  mode: { kind: 'replicated' as const, replicas },
});
const running = (ts: Task[]) => ts.filter((t) => t.desiredState <= S.RUNNING && t.status.state === S.RUNNING);

async function stopAll(nodes: Array<Node | undefined>): Promise<void> {
  for (const n of nodes) {
    for (let i = 0; i < 3; i++) {
      try {
        await n?.stop();
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }
}

describe('an agent killed with kill -9 adopts its containers when it restarts', () => {
  let manager: Node;
  let worker: Node;
  beforeAll(async () => {
    manager = await startNode({ runLabel, hostname: 'res-1' });
    const token = (await manager.client.cluster.inspect.query()).rootCa!.joinTokens.worker;
    // A longer heartbeat period (configurable) so the node is not declared DOWN while the agent restarts.
    await manager.client.cluster.update.mutate({ heartbeatPeriodMs: 5000 });
    worker = await startNode({ runLabel, hostname: 'res-2', join: { addr: manager.remoteApi, token } });
    await waitFor(async () => (await manager.client.node.list.query()).filter((n) => n.status.state === 'READY').length === 2, 30_000, () => 'two READY nodes');
  }, 60_000);
  afterAll(async () => {
    await stopAll([worker, manager]);
    expect(containersOf(runLabel)).toEqual([]);
  });

  it('keeps the same containers and tasks, nothing restarted', async () => {
    const s = await manager.client.service.create.mutate({ spec: spec('adopt', 4) });
    const tasks = async () => manager.client.task.list.query({ service: s.id, all: true });
    await waitFor(async () => running(await tasks()).length === 4, 30_000, () => 'four running');
    const onWorker = running(await tasks()).filter((t) => t.nodeId === worker.id());
    expect(onWorker.length).toBeGreaterThan(0);
    const started = new Map(onWorker.map((t) => [t.status.container!.containerId, docker('inspect', '--format', '{{.State.StartedAt}}', t.status.container!.containerId)]));
    await worker.kill9();
    await worker.restart();
    await waitFor(async () => (await manager.client.node.get.query({ ref: worker.id() })).status.state === 'READY', 30_000, () => 'worker READY again');
    await new Promise((r) => setTimeout(r, 2000));
    const after = await tasks();
    expect(after).toHaveLength(4); // no replacement task was ever created
    expect(running(after).map((t) => t.id).sort()).toEqual(running(await tasks()).map((t) => t.id).sort());
    for (const [id, at] of started) {
      expect(docker('inspect', '--format', '{{.State.Running}} {{.State.StartedAt}}', id)).toBe(`true ${at}`);
    }
    await manager.client.service.remove.mutate({ ref: s.id });
  }, 90_000);
});

/** A private dockerd under `dir`; `stop`/`start` by its PID. */
function privateDockerd(dir: string) {
  const sock = path.join(dir, 'docker.sock');
  const args = ['--host', `unix://${sock}`, '--data-root', path.join(dir, 'data'), '--exec-root', path.join(dir, 'exec'), '--pidfile', path.join(dir, 'docker.pid'), '--bridge', 'none', '--iptables=false'];
  let proc: ChildProcess | undefined;
  const cli = (...a: string[]) => execFileSync('docker', ['-H', `unix://${sock}`, ...a], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  const up = () => {
    try {
      cli('version', '--format', '{{.Server.Version}}');
      return true;
    } catch {
      return false;
    }
  };
  return {
    addr: `unix://${sock}`,
    cli,
    async start(): Promise<void> {
      const log = fs.openSync(path.join(dir, 'dockerd.log'), 'a');
      proc = spawn('dockerd', args, { stdio: ['ignore', log, log] });
      await waitFor(up, 30_000, () => `private dockerd did not start:\n${fs.readFileSync(path.join(dir, 'dockerd.log'), 'utf8').slice(-2000)}`);
    },
    async stop(): Promise<void> {
      const p = proc;
      if (!p || p.exitCode !== null || p.signalCode !== null) return;
      p.kill('SIGTERM');
      await new Promise<void>((r) => (p.exitCode !== null || p.signalCode !== null ? r() : p.once('exit', () => r())));
    },
  };
}

/** Lazily unmounts anything a stopped daemon left mounted below `dir` (deepest first). */
function unmountUnder(dir: string): void {
  const targets = fs
    .readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[1] ?? '')
    .filter((t) => t.startsWith(dir + '/'))
    .sort((a, b) => b.length - a.length);
  for (const t of targets) {
    try {
      execFileSync('umount', ['-l', t], { stdio: 'ignore' });
    } catch {
      // already gone
    }
  }
}

describe('a Docker engine restart is survived', () => {
  const dir = tempDir('swarm-dockerd-');
  const engine = privateDockerd(dir);
  let available = true;
  let node: Node | undefined;
  beforeAll(async () => {
    try {
      await engine.start();
      execFileSync('sh', ['-c', `docker save local/busybox:1 | docker -H ${engine.addr} load`], { stdio: 'ignore' });
    } catch (e) {
      available = false;
      console.warn(`SKIPPED: a second dockerd cannot start on this machine: ${String(e)}`);
      return;
    }
    node = await startNode({ runLabel, hostname: 'res-engine', engineAddr: engine.addr });
  }, 120_000);
  afterAll(async () => {
    try {
      await stopAll([node]);
      if (available) await removeEngineContainers();
    } finally {
      // Always stop the private engine and delete its data root (containers included), even if the
      // best-effort removal above did not get every container.
      await engine.stop();
      unmountUnder(dir);
      fs.rmSync(dir, { recursive: true, force: true });
    }
    expect(fs.existsSync(dir)).toBe(false);
  });

  /**
   * Best effort: removes the private engine's containers while it still runs, so fewer mounts are
   * left for unmountUnder. A removal can race one in progress inside the engine, so it retries a
   * few times; whatever is left goes with the engine's data root.
   */
  async function removeEngineContainers(): Promise<void> {
    const left = () => execFileSync('docker', ['-H', engine.addr, 'ps', '-aq'], { encoding: 'utf8' }).trim();
    for (let i = 0; i < 3 && left(); i++) {
      try {
        execFileSync('sh', ['-c', `docker -H ${engine.addr} rm -f $(docker -H ${engine.addr} ps -aq)`], { stdio: 'ignore', timeout: 20_000 });
      } catch {
        await new Promise((r) => setTimeout(r, 250));
      }
    }
    const rest = left();
    if (rest) console.warn(`the private engine still lists ${rest.split('\n').length} container(s); deleting its data root`);
  }

  it('re-reports its tasks and replaces the containers that died with the engine', async (ctx) => {
    if (!available || !node) return ctx.skip();
    const n = node;
    const s = await n.client.service.create.mutate({ spec: spec('engine', 2) });
    const tasks = async () => n.client.task.list.query({ service: s.id, all: true });
    await waitFor(async () => running(await tasks()).length === 2, 30_000, () => 'two running');
    const before = running(await tasks()).map((t) => t.id);
    await engine.stop();
    await new Promise((r) => setTimeout(r, 2000));
    if (n.proc().exitCode !== null) throw new Error(`swarmd exited when the engine stopped:\n${n.output().slice(-3000)}`);
    expect((await n.client.node.list.query())[0]?.status.state).toBe('READY');
    await engine.start();
    await waitFor(async () => {
      const r = running(await tasks());
      return r.length === 2 && r.every((t) => !before.includes(t.id));
    }, 60_000, async () => `two replacements running; tasks: ${JSON.stringify((await tasks()).map((t) => [t.id, t.status.state, t.status.err]))}`);
    const old = (await tasks()).filter((t) => before.includes(t.id));
    for (const t of old) expect(t.status.state).toBeGreaterThan(S.RUNNING);
    expect(engine.cli('ps', '-q', '--filter', `label=com.swarm.service.id=${s.id}`).split('\n').filter(Boolean)).toHaveLength(2);
    expect((await n.client.node.list.query())[0]?.status.state).toBe('READY');
    await n.client.service.remove.mutate({ ref: s.id });
  }, 120_000);
});
