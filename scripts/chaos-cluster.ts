/**
 * A local cluster of real `swarmd` processes (built dist, `--executor sim`) on
 * 127.0.0.1 for the chaos script (`scripts/chaos.ts`) and the HA benchmark
 * (`bench/ha/main.ts`): N managers (the first founds the cluster, the others
 * join with the manager token) and M workers, each in its own state dir under
 * one temp root. Every process is started by us and addressed by its PID only
 * (kill -9, SIGSTOP/SIGCONT, SIGTERM); `stop()` ends them all and removes the
 * temp root.
 *
 * With `faultProxies`, every manager dials every other manager through its own
 * fault-injecting TCP proxy (one per directed pair A→B, in this process:
 * apps/manager/src/testing/fault-proxy.ts), set up with swarmd's test-only
 * SWARM_TEST_PEER_ROUTES; `cluster.links` switches them (partitions, one-way
 * cuts, delays). Workers still dial managers directly.
 *
 * Clients talk tRPC over each node's control socket (as the test harness
 * does), with a per-call timeout so a paused (SIGSTOPped) manager cannot hang
 * a caller; `stale` clients send `x-swarm-stale-read: 1`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTRPCClient, httpLink } from '@trpc/client';
import { Agent, fetch as undiciFetch } from 'undici';
import type { AppRouter } from '../apps/manager/src/api/root.js';
import type { FaultMode, FaultProxy } from '../apps/manager/src/testing/fault-proxy.js';
import { type LinkSet, startLinks } from './chaos-links.js';

const here = path.dirname(fileURLToPath(import.meta.url));
/** $SWARMD_BIN runs another build (e.g. a copy of dist/ for before/after benchmarks). */
export const SWARMD = process.env['SWARMD_BIN'] ? path.resolve(process.env['SWARMD_BIN']) : path.resolve(here, '../apps/manager/dist/bin/swarmd.js');

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (typeof a === 'object' && a ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

export type Client = ReturnType<typeof createTRPCClient<AppRouter>>;

/** A tRPC client over a unix socket; every call is aborted after `timeoutMs`. */
export function socketClient(socketPath: string, o: { stale?: boolean; timeoutMs?: number } = {}): { client: Client; close(): Promise<void> } {
  const dispatcher = new Agent({ connect: { socketPath }, keepAliveTimeout: 2_000 });
  const timeoutMs = o.timeoutMs ?? 10_000;
  const client = createTRPCClient<AppRouter>({
    links: [
      httpLink({
        url: 'http://localhost/trpc',
        headers: o.stale ? { 'x-swarm-stale-read': '1' } : {},
        fetch: ((url: string, init: RequestInit) => {
          const t = AbortSignal.timeout(timeoutMs);
          const signal = init?.signal ? AbortSignal.any([init.signal, t]) : t;
          return undiciFetch(url, { ...(init as object), signal, dispatcher });
        }) as never,
      }),
    ],
  });
  return { client, close: () => dispatcher.close().catch(() => undefined) };
}

export type NodeState = 'running' | 'paused' | 'dead';

export interface ProcNode {
  name: string;
  role: 'manager' | 'worker';
  dir: string;
  socket: string;
  remoteApi: string;
  /** Node ID (from the startup line; stable across restarts). */
  id: string;
  /** Consistent reads (ReadIndex) and writes. */
  client: Client;
  /** Local (possibly stale) reads. */
  stale: Client;
  state(): NodeState;
  pid(): number | undefined;
  /** The last ~64 KB of output (all incarnations). */
  output(): string;
  kill9(): Promise<void>;
  /** SIGTERM, SIGKILL after `graceMs`: how long it took to exit, and whether SIGKILL was needed. */
  terminate(graceMs?: number): Promise<{ ms: number; forced: boolean }>;
  pause(): void;
  resume(): void;
  /** Start again on the same state dir and ports; resolves when it printed its startup line. */
  restart(): Promise<void>;
}

/** The fault proxies between managers (with `faultProxies`). */
export interface Links {
  /** The proxy that carries `from`'s connections to `to`. */
  get(from: ProcNode, to: ProcNode): FaultProxy;
  /** Sets `from → to` (default: both directions between every pair across the two groups). */
  set(from: ProcNode, to: ProcNode, mode: FaultMode): void;
  /** Cuts every link between the groups, both ways (blackhole: timeouts; reset: refused connections). */
  partition(a: ProcNode[], b: ProcNode[], mode?: FaultMode): void;
  /** Every link back to pass. */
  heal(): void;
  /** Links not passing, e.g. "m1→m2 blackhole, m2→m1 delay 80 ms". */
  describe(): string;
}

export interface Cluster {
  root: string;
  /** Present with `faultProxies`. */
  links?: Links | undefined;
  managers: ProcNode[];
  workers: ProcNode[];
  all(): ProcNode[];
  tokens: { manager: string; worker: string };
  /** The leader according to the store (managerStatus.leader), read through any running manager. */
  leader(timeoutMs?: number): Promise<ProcNode | undefined>;
  /** One leader, every manager running and REACHABLE, every node READY, seen by every manager alike. */
  waitHealthy(timeoutMs?: number): Promise<ProcNode>;
  stop(): Promise<void>;
}

export interface ClusterOptions {
  managers?: number;
  workers?: number;
  /** Per-call timeout of the clients (ms). */
  callTimeoutMs?: number;
  log?: (m: string) => void;
  /** Extra swarmd flags for every node. */
  extraArgs?: string[];
  /** Route manager-to-manager traffic through fault proxies (see `Links`). */
  faultProxies?: boolean;
}

const MAX_OUT = 64 * 1024;
/** Every PID we started and have not yet seen exit (so an interrupted run can end them). */
const live = new Set<ChildProcess>();
const roots = new Set<string>();

/** Ends every process started by this module (by PID) and removes the temp roots; for signal handlers. */
export function killAllStarted(): void {
  for (const c of live) {
    try {
      if (c.pid) {
        process.kill(c.pid, 'SIGCONT');
        process.kill(c.pid, 'SIGKILL');
      }
    } catch {
      /* already gone */
    }
  }
  for (const r of roots) fs.rmSync(r, { recursive: true, force: true });
}

async function launchNode(o: {
  name: string;
  role: 'manager' | 'worker';
  dir: string;
  join?: { addr: string; token: string };
  callTimeoutMs: number;
  extraArgs: string[];
  port?: number | undefined;
  env?: Record<string, string> | undefined;
}): Promise<ProcNode> {
  fs.mkdirSync(o.dir, { recursive: true });
  const socket = path.join(o.dir, 'swarm.sock');
  const port = o.port ?? (await freePort());
  const remoteApi = `127.0.0.1:${port}`;
  const args = [
    SWARMD, '-d', o.dir, '--hostname', o.name, '--listen-control-api', socket, '--listen-remote-api', remoteApi, '--no-listen-http', '--executor', 'sim', '--log-level', 'info',
    ...(o.join ? ['--join-addr', o.join.addr, '--join-token', o.join.token] : []),
    ...o.extraArgs,
  ];
  let child: ChildProcess | undefined;
  let out = '';
  let paused = false;
  let id = '';
  const append = (d: Buffer | string) => {
    out += d;
    if (out.length > MAX_OUT * 2) out = out.slice(-MAX_OUT);
  };
  const exited = (c: ChildProcess) => new Promise<void>((r) => (c.exitCode !== null || c.signalCode !== null ? r() : c.once('exit', () => r())));
  const launch = async () => {
    const mark = out.length;
    // SWARMD_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the nodes (as in apps/manager/test/harness.ts).
    const nodeArgs = process.env['SWARMD_NODE_ARGS']?.split(' ').filter(Boolean) ?? [];
    const c = spawn(process.execPath, [...nodeArgs, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...o.env } });
    child = c;
    paused = false;
    live.add(c);
    c.on('exit', () => live.delete(c));
    c.stdout?.on('data', append);
    c.stderr?.on('data', append);
    const deadline = Date.now() + 60_000;
    for (;;) {
      const m = /swarmd (\w+) \([^)]*\) is up as /.exec(out.slice(mark));
      if (m) {
        id = m[1]!;
        return;
      }
      if (c.exitCode !== null || c.signalCode !== null) throw new Error(`${o.name} exited (${c.exitCode ?? c.signalCode}) before it was up:\n${out.slice(-4000)}`);
      if (Date.now() > deadline) throw new Error(`${o.name} did not start within 60 s:\n${out.slice(-4000)}`);
      await sleep(25);
    }
  };
  await launch();
  const consistent = socketClient(socket, { timeoutMs: o.callTimeoutMs });
  const stale = socketClient(socket, { stale: true, timeoutMs: o.callTimeoutMs });
  const state = (): NodeState => (!child || child.exitCode !== null || child.signalCode !== null ? 'dead' : paused ? 'paused' : 'running');
  const node: ProcNode & { closeClients(): Promise<void> } = {
    name: o.name,
    role: o.role,
    dir: o.dir,
    socket,
    remoteApi,
    get id() {
      return id;
    },
    client: consistent.client,
    stale: stale.client,
    state,
    pid: () => child?.pid,
    output: () => out,
    async kill9() {
      const c = child;
      if (!c || state() === 'dead') return;
      c.kill('SIGKILL');
      await exited(c);
      paused = false;
    },
    async terminate(graceMs = 10_000) {
      const c = child;
      if (!c || state() === 'dead') return { ms: 0, forced: false };
      if (paused) c.kill('SIGCONT');
      paused = false;
      const t0 = Date.now();
      let forced = false;
      c.kill('SIGTERM');
      const t = setTimeout(() => {
        forced = true;
        c.kill('SIGKILL');
      }, graceMs);
      await exited(c);
      clearTimeout(t);
      return { ms: Date.now() - t0, forced };
    },
    pause() {
      if (state() !== 'running') return;
      child!.kill('SIGSTOP');
      paused = true;
    },
    resume() {
      if (state() !== 'paused') return;
      child!.kill('SIGCONT');
      paused = false;
    },
    async restart() {
      if (state() !== 'dead') throw new Error(`${o.name} is still ${state()}`);
      await launch();
    },
    async closeClients() {
      await consistent.close();
      await stale.close();
    },
  };
  return node;
}

const nodeReady = (n: { status: { state: string } }) => n.status.state === 'READY';

export async function startCluster(o: ClusterOptions = {}): Promise<Cluster> {
  if (!fs.existsSync(SWARMD)) throw new Error(`${SWARMD} is missing: run \`npx turbo build\` first`);
  const log = o.log ?? (() => undefined);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'swarm-ha-'));
  roots.add(root);
  const callTimeoutMs = o.callTimeoutMs ?? 10_000;
  const extraArgs = o.extraArgs ?? [];
  const managers: ProcNode[] = [];
  const workers: ProcNode[] = [];
  const all = () => [...managers, ...workers];
  let linkSet: LinkSet | undefined;
  const stop = async () => {
    await Promise.all(all().map((n) => n.terminate(5_000).catch(() => undefined)));
    await Promise.all(all().map((n) => (n as ProcNode & { closeClients(): Promise<void> }).closeClients()));
    await linkSet?.close();
    fs.rmSync(root, { recursive: true, force: true });
    roots.delete(root);
  };
  try {
    const nm = o.managers ?? 3;
    const t0 = Date.now();
    // With fault proxies, every manager's port is known up front so its routes can name the others.
    const ports = o.faultProxies ? await Promise.all(Array.from({ length: nm }, () => freePort())) : [];
    if (o.faultProxies) linkSet = await startLinks(ports.map((p) => `127.0.0.1:${p}`));
    const at = (i: number) => (linkSet ? { port: ports[i], env: linkSet.env(i) } : {});
    managers.push(await launchNode({ name: 'm1', role: 'manager', dir: path.join(root, 'm1'), callTimeoutMs, extraArgs, ...at(0) }));
    const inspect = await retry(() => managers[0]!.client.cluster.inspect.query(), 30_000);
    const tokens = inspect.rootCa!.joinTokens;
    for (let i = 2; i <= nm; i++) {
      managers.push(await launchNode({ name: `m${i}`, role: 'manager', dir: path.join(root, `m${i}`), join: { addr: managers[0]!.remoteApi, token: tokens.manager }, callTimeoutMs, extraArgs, ...at(i - 1) }));
    }
    for (let i = 1; i <= (o.workers ?? 0); i++) {
      const via = managers[i % managers.length]!;
      workers.push(await launchNode({ name: `w${i}`, role: 'worker', dir: path.join(root, `w${i}`), join: { addr: via.remoteApi, token: tokens.worker }, callTimeoutMs, extraArgs }));
    }
    log(`cluster: ${managers.length} managers + ${workers.length} workers started in ${Date.now() - t0} ms under ${root}`);
    const idx = (m: ProcNode) => {
      const i = managers.indexOf(m);
      if (i < 0) throw new Error(`${m.name} is not a manager`);
      return i;
    };
    const ls = linkSet;
    const links: Links | undefined = ls && {
      get: (from, to) => ls.proxy(idx(from), idx(to)),
      set: (from, to, mode) => ls.set(idx(from), idx(to), mode),
      partition: (a, b, mode) => ls.partition(a.map(idx), b.map(idx), mode),
      heal: () => ls.heal(),
      describe: () => ls.describe((i) => managers[i]!.name),
    };
    const cluster: Cluster = {
      root,
      links,
      managers,
      workers,
      all,
      tokens,
      async leader(timeoutMs = 10_000) {
        const end = Date.now() + timeoutMs;
        while (Date.now() < end) {
          for (const m of managers.filter((x) => x.state() === 'running')) {
            const nodes = await m.client.node.list.query().catch(() => undefined);
            const id = nodes?.find((n) => n.managerStatus?.leader)?.id;
            const l = managers.find((x) => x.id === id);
            if (l && l.state() === 'running') return l;
          }
          await sleep(50);
        }
        return undefined;
      },
      async waitHealthy(timeoutMs = 60_000) {
        const end = Date.now() + timeoutMs;
        let why = 'not checked';
        while (Date.now() < end) {
          why = await (async () => {
            if (managers.some((m) => m.state() !== 'running')) return `managers not all running: ${managers.map((m) => `${m.name}=${m.state()}`).join(', ')}`;
            const views = await Promise.all(managers.map((m) => m.client.node.list.query().catch((e: Error) => e)));
            const bad = views.findIndex((v) => v instanceof Error);
            if (bad >= 0) return `${managers[bad]!.name}: node.list failed: ${(views[bad] as Error).message}`;
            const leaders = new Set<string>();
            for (const [i, v] of (views as Exclude<(typeof views)[number], Error>[]).entries()) {
              const ms = v.filter((n) => n.managerStatus);
              const l = ms.filter((n) => n.managerStatus!.leader);
              if (ms.length !== managers.length) return `${managers[i]!.name} sees ${ms.length} managers`;
              if (l.length !== 1) return `${managers[i]!.name} sees ${l.length} leaders`;
              if (!ms.every((n) => n.managerStatus!.reachability === 'REACHABLE')) return `${managers[i]!.name} sees an UNREACHABLE manager`;
              if (v.length !== all().length || !v.every(nodeReady)) return `${managers[i]!.name} sees nodes not READY: ${v.filter((n) => !nodeReady(n)).map((n) => `${n.description?.hostname ?? n.id}=${n.status.state}`).join(', ')}`;
              leaders.add(l[0]!.id);
            }
            if (leaders.size !== 1) return 'managers disagree on the leader';
            return '';
          })();
          if (!why) {
            const l = await cluster.leader(5_000);
            if (l) return l;
            why = 'leader not running';
          }
          await sleep(100);
        }
        throw new Error(`cluster not healthy after ${timeoutMs} ms: ${why}`);
      },
      stop,
    };
    return cluster;
  } catch (e) {
    await stop();
    throw e;
  }
}

async function retry<T>(fn: () => Promise<T>, timeoutMs: number): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (e) {
      if (Date.now() > end) throw e;
      await sleep(100);
    }
  }
}
