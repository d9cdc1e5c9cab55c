/**
 * Starts a real swarm node (manager + agent in one process, Docker executor)
 * for the dashboard tests, and tears it down: by PID, then its containers by
 * the run label, then its state directory.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { removeRunContainers } from './docker.js';
import { freePorts } from './ports.js';

export const repoRoot = path.resolve(import.meta.dirname, '..', '..');
/** The swarmd to run: this tree's build, or another build's (`SWARM_E2E_SWARMD`, e.g. a baseline checkout); it always serves this tree's dashboard. */
export const swarmdBin = process.env['SWARM_E2E_SWARMD'] ?? path.join(repoRoot, 'apps/manager/dist/bin/swarmd.js');
/** The dashboard swarmd serves: this tree's export, or another (`SWARM_E2E_WEB_DIR`, for A/B benchmarks). */
export const webOut = process.env['SWARM_E2E_WEB_DIR'] ?? path.join(repoRoot, 'apps/web/out');

export interface SwarmNode {
  /** Dashboard and API origin, e.g. http://127.0.0.1:15123 */
  url: string;
  /** PID of the current process (changes on restart). */
  readonly pid: number;
  stateDir: string;
  /** Value of com.swarm.test-run on every container this node starts. */
  runLabel: string;
  hostname: string;
  /**
   * The signed-in test admin when the node requires sign-in (created through
   * the one-time setup link it prints); undefined on a node without auth.
   */
  readonly session: Session | undefined;
  /** The one-time setup link the node printed, if it printed one. */
  readonly setupLink: string | undefined;
  /** Everything the process printed so far (for failure messages). */
  output(): string;
  /** Stops the process (SIGTERM) and starts it again on the same state, ports and label. */
  restart(): Promise<void>;
  /** host:port of the gRPC remote API (for nodes that join this one). */
  remoteApi: string;
  /** kill -9 the process (by its PID) and wait for it to exit. */
  kill9(): Promise<void>;
  /** Stops the process, removes this run's containers and the state directory. */
  stop(): Promise<void>;
}

export interface StartOptions {
  hostname?: string;
  executor?: 'docker' | 'process' | 'sim';
  /** How long to wait for `dashboard: http://…` and a 200 from /healthz. */
  timeoutMs?: number;
  /**
   * Create and sign in the test admin through the setup link (default). With
   * false the node is left unclaimed for a test of the setup page; the start
   * then does not wait for the node to be READY (that needs a session).
   */
  signIn?: boolean;
  /** Join an existing cluster (e.g. as a manager, with the manager token). */
  join?: { addr: string; token: string };
}

function waitForExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(t);
      resolve(true);
    });
  });
}

async function healthy(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1000) });
    return res.ok;
  } catch {
    return false;
  }
}

/** One swarmd process: spawned, waited for, stopped by its PID. */
interface Proc {
  child: ChildProcess;
  pid: number;
  log: () => string;
  /** SIGTERM, then SIGKILL after 10 s; resolves when it has exited. */
  kill(): Promise<void>;
}

function spawnSwarmd(args: string[], runLabel: string): Proc {
  const child = spawn(process.execPath, [swarmdBin, ...args], {
    cwd: repoRoot,
    // SWARM_CHECK_OWN_ENTRIES: the leader also decodes its own Raft entries and checks they give its objects.
    env: { ...process.env, SWARM_TEST_RUN_LABEL: runLabel, FORCE_COLOR: '0', SWARM_CHECK_OWN_ENTRIES: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error('swarmd did not start');
  const pid = child.pid;
  let log = '';
  child.stdout?.on('data', (b: Buffer) => (log += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (log += b.toString()));
  // If the worker dies without running teardown, don't leave the node behind.
  const onExit = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  process.once('exit', onExit);
  return {
    child,
    pid,
    log: () => log,
    async kill() {
      process.off('exit', onExit);
      if (child.exitCode !== null || child.signalCode !== null) return;
      process.kill(pid, 'SIGTERM');
      if (!(await waitForExit(child, 10_000))) {
        process.kill(pid, 'SIGKILL');
        await waitForExit(child, 5_000);
      }
    },
  };
}

export interface Session {
  username: string;
  password: string;
  /** The session cookie, for `context.addCookies` and harness-side requests. */
  cookie: { name: string; value: string };
}

const setupLinkIn = (output: string): string | undefined => /first sign-in \(one-time link, creates the admin\): (\S+)/.exec(output)?.[1];

const ADMIN = { username: 'e2e-admin', password: 'e2e-password-not-secret' };

function sessionCookie(res: Response): Session['cookie'] {
  const raw = res.headers.getSetCookie().find((c) => /^[^=]+=[^;]+/.test(c));
  const m = raw ? /^([^=]+)=([^;]*)/.exec(raw) : null;
  if (!m?.[1] || !m[2]) throw new Error('sign-in answered without a session cookie');
  return { name: m[1], value: decodeURIComponent(m[2]) };
}

/**
 * Signs the test admin in. On first start the node prints a one-time setup
 * link (creates the admin); after a restart the admin exists, so log in.
 * Returns undefined when the node has no sign-in at all (/auth/status 404).
 */
async function ensureSession(url: string, output: string): Promise<Session | undefined> {
  const status = await fetch(`${url}/auth/status`);
  if (status.status === 404) return undefined;
  const { setupRequired } = (await status.json()) as { setupRequired?: boolean };
  const link = setupLinkIn(output);
  const token = link ? new URL(link).searchParams.get('token') : null;
  const [path, body] = setupRequired && token ? ['/auth/setup', { ...ADMIN, token }] : ['/auth/login', ADMIN];
  const res = await fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status} ${await res.text()}`);
  return { ...ADMIN, cookie: sessionCookie(res) };
}

const cookieHeader = (session: Session | undefined): Record<string, string> =>
  session ? { cookie: `${session.cookie.name}=${encodeURIComponent(session.cookie.value)}` } : {};

/** Node states from the API (a plain HTTP query: harness-side, not the page's). */
async function nodeStates(url: string, session: Session | undefined): Promise<string[]> {
  try {
    const res = await fetch(`${url}/trpc/node.list`, { headers: cookieHeader(session), signal: AbortSignal.timeout(2000) });
    const body = (await res.json()) as { result?: { data?: { status: { state: string } }[] } };
    return body.result?.data?.map((n) => n.status.state) ?? [];
  } catch {
    return [];
  }
}

/** Waits for `dashboard: <url>` on stdout and a 200 from /healthz; signs in; waits for a READY node. */
async function waitReady(proc: Proc, timeoutMs: number, prior: Session | undefined, signIn: boolean): Promise<{ url: string; session: Session | undefined }> {
  const deadline = Date.now() + timeoutMs;
  const tick = () => new Promise((r) => setTimeout(r, 100));
  let url: string | undefined;
  for (;;) {
    if (proc.child.exitCode !== null) throw new Error(`swarmd exited with ${proc.child.exitCode}`);
    url = /dashboard: (https?:\/\/\S+?)\/?(?:\s|$)/.exec(proc.log())?.[1];
    if (url && (await healthy(url))) break;
    if (Date.now() > deadline) throw new Error('timed out waiting for swarmd to serve /healthz');
    await tick();
  }
  if (!signIn) return { url, session: undefined };
  const session = prior ?? (await ensureSession(url, proc.log()));
  for (;;) {
    if ((await nodeStates(url, session)).includes('READY')) return { url, session };
    if (Date.now() > deadline) {
      const states = await nodeStates(url, session);
      throw new Error(`timed out waiting for a READY node (node states: ${states.join(', ') || 'none'})`);
    }
    await tick();
  }
}

export async function startSwarmd(opts: StartOptions = {}): Promise<SwarmNode> {
  if (!fs.existsSync(swarmdBin)) throw new Error(`${swarmdBin} is missing: run \`npx turbo run build\` first`);
  if (!fs.existsSync(path.join(webOut, 'index.html'))) throw new Error(`${webOut} is missing: build @swarm/web first`);
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'swarm-e2e-'));
  const runLabel = `e2e-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  const hostname = opts.hostname ?? 'e2e-node';
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const [httpPort, remotePort] = await freePorts(2);
  const args = [
    '-d', stateDir,
    '--hostname', hostname,
    '--listen-http', `127.0.0.1:${httpPort}`,
    '--listen-remote-api', `127.0.0.1:${remotePort}`,
    '--listen-control-api', path.join(stateDir, 'swarm.sock'),
    '--executor', opts.executor ?? 'docker',
    '--web-dir', webOut,
    ...(opts.join ? ['--join-addr', opts.join.addr, '--join-token', opts.join.token] : []),
  ];

  let proc = spawnSwarmd(args, runLabel);
  let earlier = '';
  let stopped = false;
  const output = () => earlier + proc.log();
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await proc.kill();
    await removeRunContainers(runLabel).catch(() => 0);
    fs.rmSync(stateDir, { recursive: true, force: true });
  };

  let session: Session | undefined;
  const ready = async () => {
    try {
      const r = await waitReady(proc, timeoutMs, session, opts.signIn ?? true);
      session = r.session;
      return r.url;
    } catch (err) {
      const log = output();
      await stop();
      throw new Error(`${(err as Error).message}\n--- swarmd output ---\n${log}`);
    }
  };

  const url = await ready();
  return {
    url,
    get pid() {
      return proc.pid;
    },
    stateDir,
    runLabel,
    hostname,
    get session() {
      return session;
    },
    get setupLink() {
      return setupLinkIn(output());
    },
    output,
    stop,
    remoteApi: `127.0.0.1:${remotePort}`,
    async kill9() {
      process.kill(proc.pid, 'SIGKILL');
      await waitForExit(proc.child, 5_000);
    },
    async restart() {
      await proc.kill();
      earlier += proc.log();
      proc = spawnSwarmd(args, runLabel);
      await ready();
    },
  };
}
