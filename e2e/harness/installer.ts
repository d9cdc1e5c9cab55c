/**
 * Runs the installer one-liner copied from the dashboard, for real, into a
 * throwaway root: `sh -c '<line> --prefix <tmp> --executor sim --hostname <h>
 * --listen-remote-api 127.0.0.1:<free port>'` (flags after `sh -s -` go to
 * install.sh). The installed swarmd runs in the background (init script,
 * PID file under the prefix). `uninstall()` runs the script the installer
 * wrote; `cleanup()` kills that one PID if it is still alive and removes the
 * temp root. Nothing else is touched.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePorts } from './ports.js';

export interface Installed {
  prefix: string;
  /** The full command line run through `sh -c`. */
  line: string;
  /** The installer's exit code and output. */
  code: number | null;
  output: string;
  /** PID of the installed swarmd (from <prefix>/var/run/swarmd.pid), once it started. */
  pid(): number | undefined;
  /** The generated `<prefix>/usr/local/bin/swarm-uninstall`. */
  uninstallScript: string;
  uninstall(): Promise<{ code: number | null; output: string }>;
  /** Every file (not directory) left under the prefix. */
  files(): string[];
  /** SIGKILL the installed swarmd if still alive (by its PID), remove the temp root. Idempotent. */
  cleanup(): Promise<void>;
}

export function sh(line: string, timeoutMs = 120_000): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn('sh', ['-c', line], { env: { ...process.env, FORCE_COLOR: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

export const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

export async function runInstallLine(installLine: string, opts: { hostname: string }): Promise<Installed> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'swarm-e2e-install-'));
  const prefix = path.join(tmp, 'root');
  fs.mkdirSync(prefix);
  const [remotePort] = await freePorts(1);
  const line = `${installLine} --prefix ${prefix} --executor sim --hostname ${opts.hostname} --listen-remote-api 127.0.0.1:${remotePort}`;
  const pidFile = path.join(prefix, 'var/run/swarmd.pid');
  let knownPid: number | undefined;
  const pid = () => {
    if (fs.existsSync(pidFile)) knownPid = Number(fs.readFileSync(pidFile, 'utf8').trim()) || knownPid;
    return knownPid;
  };
  // If the test process dies before cleanup, don't leave the installed node behind.
  const onExit = () => {
    const p = pid();
    if (p && alive(p)) process.kill(p, 'SIGKILL');
  };
  process.once('exit', onExit);
  const r = await sh(line);
  pid();
  const uninstallScript = path.join(prefix, 'usr/local/bin/swarm-uninstall');
  let cleaned = false;
  return {
    prefix,
    line,
    code: r.code,
    output: r.output,
    pid,
    uninstallScript,
    uninstall: () => sh(uninstallScript, 30_000),
    files: () => (fs.existsSync(prefix) ? (fs.readdirSync(prefix, { recursive: true }) as string[]).filter((f) => !fs.statSync(path.join(prefix, f)).isDirectory()) : []),
    async cleanup() {
      if (cleaned) return;
      cleaned = true;
      process.off('exit', onExit);
      const p = pid();
      if (p && alive(p)) {
        process.kill(p, 'SIGKILL');
        for (let i = 0; i < 50 && alive(p); i++) await new Promise((r) => setTimeout(r, 100));
      }
      fs.rmSync(tmp, { recursive: true, force: true });
    },
  };
}
