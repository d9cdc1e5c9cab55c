/**
 * Runs a join command copied from the dashboard, for real: `swarmd …` maps to
 * the built `apps/manager/dist/bin/swarmd.js`, the page's flags are kept, and
 * the test adds what a throwaway worker on this machine needs (its own temp
 * state dir instead of the page's `-d`, the sim executor, a free remote API
 * port, no HTTP, a private control socket). Stopped by PID; its temp dir is
 * removed on stop.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePorts } from './ports.js';
import { repoRoot, swarmdBin } from './swarmd.js';

export interface Worker {
  readonly pid: number;
  stateDir: string;
  /** The argv the page's command turned into (after `swarmd`). */
  args: string[];
  output(): string;
  /** SIGTERM (SIGKILL after 10 s), then removes the state dir. Idempotent. */
  stop(): Promise<void>;
}

/** Shell-like split (the page quotes only words that need it). */
function words(line: string): string[] {
  const out: string[] = [];
  const re = /'((?:[^']|'\\'')*)'|(\S+)/g;
  for (let m = re.exec(line); m; m = re.exec(line)) out.push(m[1] !== undefined ? m[1].replace(/'\\''/g, "'") : (m[2] as string));
  return out;
}

export async function runJoinCommand(command: string): Promise<Worker> {
  const [bin, ...pageArgs] = words(command.trim());
  if (bin !== 'swarmd') throw new Error(`the join command should start with swarmd: ${command}`);
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'swarm-e2e-worker-'));
  const [remotePort] = await freePorts(1);
  const args: string[] = [];
  let ownDir = false;
  for (let i = 0; i < pageArgs.length; i++) {
    const a = pageArgs[i] as string;
    if (a === '-d' || a === '--state-dir') {
      args.push(a, stateDir);
      ownDir = true;
      i++;
    } else args.push(a);
  }
  // A command without `-d` (e.g. the API's plain swarmd line) would use the default /var/lib/swarmd.
  if (!ownDir) args.push('-d', stateDir);
  args.push('--executor', 'sim', '--listen-remote-api', `127.0.0.1:${remotePort}`, '--no-listen-http', '--listen-control-api', path.join(stateDir, 's.sock'));

  const child = spawn(process.execPath, [swarmdBin, ...args], { cwd: repoRoot, env: { ...process.env, FORCE_COLOR: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
  if (child.pid === undefined) throw new Error('worker swarmd did not start');
  const pid = child.pid;
  let log = '';
  child.stdout?.on('data', (b: Buffer) => (log += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (log += b.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const alive = () => child.exitCode === null && child.signalCode === null;
  const onExit = () => {
    if (alive()) child.kill('SIGKILL');
  };
  process.once('exit', onExit);
  let stopped = false;
  return {
    pid,
    stateDir,
    args,
    output: () => log,
    async stop() {
      if (stopped) return;
      stopped = true;
      process.off('exit', onExit);
      if (alive()) {
        process.kill(pid, 'SIGTERM');
        const timedOut = await Promise.race([exited.then(() => false), new Promise<boolean>((r) => setTimeout(() => r(true), 10_000))]);
        if (timedOut && alive()) {
          process.kill(pid, 'SIGKILL');
          await exited;
        }
      }
      fs.rmSync(stateDir, { recursive: true, force: true });
    },
  };
}
