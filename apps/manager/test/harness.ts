/**
 * Test harness: runs the real `swarmd` (built dist) as a child process on
 * loopback with a per-run container label, talks to it with a tRPC client over
 * its control socket, and cleans up every process, container and temp dir.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTRPCClient, httpLink } from '@trpc/client';
import { Agent, fetch as undiciFetch } from 'undici';
import type { AppRouter } from '../src/api/root.js';

const here = path.dirname(fileURLToPath(import.meta.url));
export const SWARMD = path.resolve(here, '../dist/bin/swarmd.js');

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (typeof a === 'object' && a ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

export function apiClient(socketPath: string) {
  const dispatcher = new Agent({ connect: { socketPath } });
  return createTRPCClient<AppRouter>({
    links: [httpLink({ url: 'http://localhost/trpc', fetch: ((url: string, init: RequestInit) => undiciFetch(url, { ...(init as object), dispatcher })) as never })],
  });
}

export interface Node {
  dir: string;
  socket: string;
  /** host:port of the gRPC remote API. */
  remoteApi: string;
  /** http://127.0.0.1:<port> when started with `http: true`. */
  httpUrl?: string | undefined;
  /** Node ID, from the startup line. */
  id(): string;
  runLabel: string;
  client: ReturnType<typeof apiClient>;
  proc(): ChildProcess;
  output(): string;
  /** kill -9 the process (by PID) and wait for it to exit. */
  kill9(): Promise<void>;
  /** Start it again on the same state dir and ports (with `extraArgs` added this once). */
  restart(extraArgs?: string[]): Promise<void>;
  stop(): Promise<void>;
}

export interface StartOptions {
  executor?: string;
  engineAddr?: string;
  extraArgs?: string[];
  runLabel?: string;
  hostname?: string;
  /** Join an existing cluster as a worker (no control socket). */
  join?: { addr: string; token: string };
  /** Serve HTTP (dashboard, tRPC, installer) on a free loopback port instead of --no-listen-http. */
  http?: boolean;
  /** Wait for this line instead of the startup banner (e.g. a failing join). */
  expectExit?: boolean;
}

export async function startNode(opts: StartOptions = {}): Promise<Node> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'swarmd-test-'));
  const socket = path.join(dir, 'swarm.sock');
  const runLabel = opts.runLabel ?? `t${process.pid}-${Date.now().toString(36)}`;
  const grpcPort = await freePort();
  const httpPort = opts.http ? await freePort() : undefined;
  const args = [
    SWARMD, '-d', dir, '--hostname', opts.hostname ?? 'test-node', '--listen-control-api', socket,
    '--listen-remote-api', `127.0.0.1:${grpcPort}`, ...(httpPort ? ['--listen-http', `127.0.0.1:${httpPort}`] : ['--no-listen-http']), '--executor', opts.executor ?? 'docker',
    ...(opts.engineAddr ? ['--engine-addr', opts.engineAddr] : []),
    ...(opts.join ? ['--join-addr', opts.join.addr, '--join-token', opts.join.token] : []),
    ...(opts.extraArgs ?? []),
  ];
  let child: ChildProcess;
  let out = '';
  const launch = async (more: string[] = []) => {
    out = '';
    // SWARMD_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the node under test.
    const nodeArgs = process.env['SWARMD_NODE_ARGS']?.split(' ').filter(Boolean) ?? [];
    child = spawn(process.execPath, [...nodeArgs, ...args, ...more], { env: { ...process.env, SWARM_TEST_RUN_LABEL: runLabel }, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (d) => (out += d));
    child.stderr?.on('data', (d) => (out += d));
    await waitFor(() => out.includes(' is up as '), 30_000, () => `swarmd did not start:\n${out}`);
  };
  await launch();
  const exited = (c: ChildProcess) => new Promise<void>((r) => (c.exitCode !== null || c.signalCode !== null ? r() : c.once('exit', () => r())));
  const node: Node = {
    dir,
    socket,
    remoteApi: `127.0.0.1:${grpcPort}`,
    httpUrl: httpPort ? `http://127.0.0.1:${httpPort}` : undefined,
    id: () => /swarmd (\w+) \(/.exec(out)?.[1] ?? '',
    runLabel,
    client: apiClient(socket),
    proc: () => child,
    output: () => out,
    async kill9() {
      child.kill('SIGKILL');
      await exited(child);
    },
    restart: (more) => launch(more),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await exited(child);
      }
      removeContainers(runLabel);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  return node;
}

export function docker(...args: string[]): string {
  return execFileSync('docker', args, { encoding: 'utf8' }).trim();
}

export function containersOf(runLabel: string, extraFilter?: string): string[] {
  const filters = ['--filter', `label=com.swarm.test-run=${runLabel}`, ...(extraFilter ? ['--filter', extraFilter] : [])];
  const out = docker('ps', '-q', '--no-trunc', ...filters);
  return out ? out.split('\n') : [];
}

export function removeContainers(runLabel: string): void {
  const ids = docker('ps', '-aq', '--filter', `label=com.swarm.test-run=${runLabel}`);
  if (ids) execFileSync('docker', ['rm', '-f', ...ids.split('\n')], { stdio: 'ignore' });
}

/** Polls until `cond` holds; fails with `describe()` after the timeout. */
export async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs = 30_000, describe: () => string = () => 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${describe()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Runs swarmd to completion (for commands expected to fail fast, like a bad join). */
export function runSwarmdOnce(args: string[], timeoutMs = 30_000, until?: RegExp): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [SWARMD, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    // With `until`, stop the process (by its PID) as soon as its output shows what we wait for.
    const seen = () => until && until.test(output) && child.kill('SIGKILL');
    child.stdout?.on('data', (d) => ((output += d), seen()));
    child.stderr?.on('data', (d) => ((output += d), seen()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

export function tempDir(prefix = 'swarmd-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}
