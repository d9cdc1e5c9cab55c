/**
 * The node installer end to end, with real processes on loopback: a manager
 * serves /install.sh over HTTP; `curl ... | sh -s -` installs a node into a
 * temporary root (--prefix) with the sim executor, the node joins and runs a
 * task; a re-run changes nothing; the uninstall script removes everything.
 * Bad input (a token naming another CA, no Node.js) is refused before anything
 * is written. The script and the scripts it writes pass shellcheck.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TaskState, newId } from '@swarm/shared';
import { advertisedOf, joinCommands } from '../src/install/commands.js';
import { startManager } from '../src/manager.js';
import { type Node, freePort, startNode, tempDir, waitFor } from './harness.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const SCRIPT = path.resolve(here, '../src/install/install.sh');
const hasShellcheck = spawnSync('shellcheck', ['--version']).status === 0;
if (!hasShellcheck) console.warn('installer.test: shellcheck is not installed (apt-get install shellcheck); skipping the shell lint checks');

function shellcheck(...files: string[]): string {
  const r = spawnSync('shellcheck', ['-s', 'sh', '-f', 'gcc', ...files], { encoding: 'utf8' });
  return r.status === 0 ? '' : `${r.stdout}${r.stderr}`;
}

describe('install.sh lint', () => {
  it.skipIf(!hasShellcheck)('passes shellcheck', () => {
    expect(shellcheck(SCRIPT)).toBe('');
  });
});

/** Runs a shell command line (the one-liner) to completion, without blocking the event loop. */
function runSh(line: string, opts: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number; track?: Set<ChildProcess> } = {}) {
  return new Promise<{ code: number | null; out: string }>((resolve) => {
    const child = spawn('sh', ['-c', line], { env: opts.env ?? process.env, cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    opts.track?.add(child);
    let out = '';
    child.stdout?.on('data', (d) => (out += d));
    child.stderr?.on('data', (d) => (out += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      opts.track?.delete(child);
      resolve({ code, out });
    });
  });
}

/** Every file (not directory) under dir. */
function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return (fs.readdirSync(dir, { recursive: true }) as string[]).filter((f) => !fs.statSync(path.join(dir, f)).isDirectory());
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('curl | sh installer against a real manager', () => {
  let manager: Node;
  let installLine: string;
  let workerToken: string;
  let prefix: string;
  let tmp: string;
  const pids = new Set<number>();
  let nodeArgs = '';
  const children = new Set<ChildProcess>();

  const sh = (line: string, env: NodeJS.ProcessEnv = process.env) => runSh(line, { env, track: children });
  const pidFile = () => path.join(prefix, 'var/run/swarmd.pid');
  const readPid = () => Number(fs.readFileSync(pidFile(), 'utf8').trim());

  beforeAll(async () => {
    manager = await startNode({ http: true, executor: 'sim', hostname: 'inst-mgr' });
    const j = await manager.client.cluster.joinCommands.query();
    workerToken = j.worker.token;
    installLine = j.worker.install!;
    tmp = tempDir('swarm-installer-');
    prefix = path.join(tmp, 'root');
    fs.mkdirSync(prefix);
  }, 120_000);

  afterAll(async () => {
    for (const c of children) c.kill('SIGKILL');
    if (prefix && fs.existsSync(pidFile())) pids.add(readPid());
    for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL');
    await manager?.stop();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('the API gives the one-liner for this manager', () => {
    expect(installLine).toBe(`curl -fsSL ${manager.httpUrl}/install.sh | sh -s - --join-token ${workerToken}`);
    const swarmctl = path.resolve(here, '../../cli/dist/swarmctl.js');
    const r = spawnSync(process.execPath, [swarmctl, 'cluster', 'join-command', 'worker'], { env: { ...process.env, SWARM_SOCKET: manager.socket }, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(`  ${installLine}\n`);
  });

  it('serves the installer files without sign-in, and nothing else without it', async () => {
    for (const p of ['/install.sh', '/install/ca.crt', '/install/SHA256SUMS', '/install/SHA256SUMS.sig', '/install/swarm-0.1.0.tgz']) {
      expect((await fetch(`${manager.httpUrl}${p}`, { method: 'HEAD' })).status, p).toBe(200);
    }
    // The dashboard's files (for managers) are packed from the web dir the manager serves.
    if (fs.existsSync(path.resolve(here, '../../web/out/index.html'))) {
      const sums = await (await fetch(`${manager.httpUrl}/install/SHA256SUMS`)).text();
      expect(sums).toMatch(/^[0-9a-f]{64} {2}swarm-0\.1\.0\.tgz\n[0-9a-f]{64} {2}swarm-web-0\.1\.0\.tgz\n$/);
      expect((await fetch(`${manager.httpUrl}/install/swarm-web-0.1.0.tgz`)).status).toBe(200);
    }
    expect((await fetch(`${manager.httpUrl}/install/nope`)).status).toBe(404);
    expect((await fetch(`${manager.httpUrl}/install/../trpc/cluster.inspect`)).status).not.toBe(200);
    expect((await fetch(`${manager.httpUrl}/trpc/cluster.inspect`)).status).toBe(401);
  });

  it('refuses a token whose CA digest is not the manager CA, before writing anything', async () => {
    const other = workerToken.replace(/^SWMTKN-1-(.)/, (_, c: string) => `SWMTKN-1-${c === '0' ? '1' : '0'}`);
    const target = path.join(tmp, 'wrong-ca');
    const r = await sh(`${installLine.replace(workerToken, other)} --prefix ${target} --executor sim`);
    expect(r.code, r.out).not.toBe(0);
    expect(r.out).toMatch(/the manager's CA does not match the join token/);
    expect(fs.existsSync(target)).toBe(false);
  });

  it('refuses a token the manager does not accept (wrong secret), before writing anything', async () => {
    const other = workerToken.replace(/.{5}$/, '00000');
    const target = path.join(tmp, 'wrong-secret');
    const r = await sh(`${installLine.replace(workerToken, other)} --prefix ${target} --executor sim`);
    expect(r.code, r.out).not.toBe(0);
    expect(r.out).toMatch(/does not accept this join token/);
    expect(fs.existsSync(target)).toBe(false);
  });

  it('checks the role the token grants before writing anything', async () => {
    const j = await manager.client.cluster.joinCommands.query();
    const target = path.join(tmp, 'roles');
    const asWorker = await sh(`${installLine.replace(workerToken, j.manager.token)} --prefix ${target} --executor sim`);
    expect(asWorker.code, asWorker.out).not.toBe(0);
    expect(asWorker.out).toMatch(/this is a manager token: pass --manager/);
    const wrongRole = await sh(`${installLine} --manager --prefix ${target} --executor sim`);
    expect(wrongRole.code, wrongRole.out).not.toBe(0);
    expect(wrongRole.out).toMatch(/this is a worker token; --manager needs the manager token/);
    const httpOnWorker = await sh(`${installLine} --prefix ${target} --executor sim --listen-http 127.0.0.1:1`);
    expect(httpOnWorker.code, httpOnWorker.out).not.toBe(0);
    expect(httpOnWorker.out).toMatch(/--listen-http is for managers/);
    expect(fs.existsSync(target)).toBe(false);
  });

  it('a truncated download runs nothing', async () => {
    const script = await (await fetch(`${manager.httpUrl}/install.sh`)).text();
    const target = path.join(tmp, 'truncated');
    for (const cut of [0.1, 0.5, 0.9, 0.999]) {
      const part = path.join(tmp, 'part.sh');
      fs.writeFileSync(part, script.slice(0, Math.floor(script.length * cut)));
      const r = await sh(`sh -s - --join-token ${workerToken} --prefix ${target} --executor sim < ${part}`);
      expect(r.code, r.out).not.toBe(0);
      expect(r.out).not.toContain('[swarm]');
    }
    expect(fs.existsSync(target)).toBe(false);
  });

  it('refuses a tampered bundle or checksum file (a man in the middle without the CA key)', async () => {
    // A proxy in front of the manager that tampers with one download.
    const http = await import('node:http');
    let tamper: 'bundle' | 'sums' = 'bundle';
    const proxy = http.createServer(async (req, res) => {
      const upstream = await fetch(`${manager.httpUrl}${req.url}`);
      let body = Buffer.from(await upstream.arrayBuffer());
      if (tamper === 'bundle' && req.url?.endsWith('.tgz')) body[body.length - 10] ^= 0xff;
      if (tamper === 'sums' && req.url === '/install/SHA256SUMS') body = Buffer.from(body.toString().replace(/^[0-9a-f]/, (c) => (c === '0' ? '1' : '0')));
      res.writeHead(upstream.status).end(body);
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    const port = (proxy.address() as { port: number }).port;
    const target = path.join(tmp, 'tampered');
    try {
      const line = `curl -fsSL http://127.0.0.1:${port}/install.sh | sh -s - --url http://127.0.0.1:${port} --join-token ${workerToken} --prefix ${target} --executor sim`;
      const bad = await sh(line);
      expect(bad.code, bad.out).not.toBe(0);
      expect(bad.out).toMatch(/checksum mismatch for swarm-0\.1\.0\.tgz/);
      tamper = 'sums';
      const badSums = await sh(line);
      expect(badSums.code, badSums.out).not.toBe(0);
      expect(badSums.out).toMatch(/the signature of SHA256SUMS does not verify with the cluster CA/);
      expect(fs.existsSync(target)).toBe(false);
    } finally {
      await new Promise<void>((r) => proxy.close(() => r()));
    }
  });

  /** A PATH directory with the system's tools, minus some, plus fakes (name -> sh script body). */
  const fakeBin = (name: string, without: string[], fakes: Record<string, string> = {}) => {
    const bin = path.join(tmp, name);
    fs.mkdirSync(bin);
    for (const dir of ['/usr/bin', '/bin']) {
      if (!fs.existsSync(dir)) continue;
      for (const f of fs.readdirSync(dir)) {
        if (without.includes(f) || f in fakes || fs.existsSync(path.join(bin, f))) continue;
        fs.symlinkSync(path.join(dir, f), path.join(bin, f));
      }
    }
    if (!without.includes('node') && !('node' in fakes) && !fs.existsSync(path.join(bin, 'node'))) fs.symlinkSync(process.execPath, path.join(bin, 'node'));
    // (never through a symlink: fakes replace entries that were not linked above)
    for (const [f, body] of Object.entries(fakes)) fs.writeFileSync(path.join(bin, f), `#!/bin/sh\n${body}\n`, { mode: 0o755, flag: 'wx' });
    return bin;
  };

  it('stops with a clear message when Node.js is missing, before writing anything', async () => {
    const bin = fakeBin('bin-without-node', ['node', 'nodejs']);
    const target = path.join(tmp, 'no-node');
    const r = await sh(`${installLine} --prefix ${target} --executor sim`, { PATH: bin, HOME: tmp });
    expect(r.code, r.out).not.toBe(0);
    expect(r.out).toMatch(/Node\.js 20 or newer is required, but `node` is not on PATH/);
    expect(fs.existsSync(target)).toBe(false);
  });

  it('stops on an unsupported OS or architecture, or a Node.js that is too old, before writing anything', async () => {
    const target = path.join(tmp, 'unsupported');
    const cases: Array<[string, Record<string, string>, RegExp]> = [
      ['bin-darwin', { uname: 'case "$1" in -s) echo Darwin ;; *) echo x86_64 ;; esac' }, /unsupported OS: Darwin \(Linux only\)/],
      ['bin-armv7', { uname: 'case "$1" in -s) echo Linux ;; *) echo armv7l ;; esac' }, /unsupported architecture: armv7l/],
      ['bin-node18', { node: 'case "$1" in -p) echo 18 ;; --version) echo v18.20.0 ;; esac' }, /Node\.js 20 or newer is required, found v18\.20\.0/],
    ];
    for (const [name, fakes, message] of cases) {
      const r = await sh(`${installLine} --prefix ${target} --executor sim`, { PATH: fakeBin(name, [], fakes), HOME: tmp });
      expect(r.code, r.out).not.toBe(0);
      expect(r.out).toMatch(message);
    }
    expect(fs.existsSync(target)).toBe(false);
  });

  it('--dry-run prints what it would do and writes nothing', async () => {
    const r = await sh(`${installLine} --prefix ${prefix} --executor sim --hostname inst-node --dry-run`);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain(`would write ${prefix}/etc/swarm/swarmd.env (mode 600)`);
    expect(r.out).toContain('dry run: would (re)start swarmd');
    expect(filesUnder(prefix)).toEqual([]);
  });

  it('installs, joins, shows READY with its labels and runs a task', async () => {
    nodeArgs = `--prefix ${prefix} --executor sim --hostname inst-node --labels zone=a,tier=web --listen-remote-api 127.0.0.1:${await freePort()}`;
    // Also driven by the environment, as k3s does: SWARM_URL / SWARM_TOKEN.
    const r = await sh(`curl -fsSL ${manager.httpUrl}/install.sh | sh -s - ${nodeArgs}`, {
      ...process.env,
      SWARM_URL: manager.httpUrl,
      SWARM_TOKEN: workerToken,
    });
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain('swarmd is up');
    const pid = readPid();
    pids.add(pid);
    expect(alive(pid)).toBe(true);

    const env = path.join(prefix, 'etc/swarm/swarmd.env');
    expect(fs.statSync(env).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(env, 'utf8')).toContain(`SWARMD_JOIN_TOKEN='${workerToken}'`);
    for (const f of ['opt/swarm/swarmd.mjs', 'etc/init.d/swarmd', 'usr/local/bin/swarm-uninstall']) expect(fs.existsSync(path.join(prefix, f)), f).toBe(true);
    if (hasShellcheck) expect(shellcheck(path.join(prefix, 'etc/init.d/swarmd'), path.join(prefix, 'usr/local/bin/swarm-uninstall'))).toBe('');

    const node = async () => (await manager.client.node.list.query()).find((n) => n.description?.hostname === 'inst-node');
    await waitFor(async () => (await node())?.status.state === 'READY', 60_000, () => 'inst-node READY');
    const n = (await node())!;
    expect(n.role).toBe('WORKER');
    expect(n.spec.annotations.labels).toEqual({ zone: 'a', tier: 'web' });

    const s = await manager.client.service.create.mutate({
      spec: {
        annotations: { name: 'on-installed', labels: {} },
        task: { container: { image: 'local/busybox:1', command: ['sleep'], args: ['3600'] }, placement: { constraints: ['node.hostname==inst-node'] } },
        mode: { kind: 'replicated', replicas: 2 },
      },
    });
    await waitFor(
      async () => (await manager.client.task.list.query({ service: s.id })).filter((t) => t.status.state === TaskState.RUNNING && t.nodeId === n.id).length === 2,
      60_000,
      () => 'two tasks RUNNING on inst-node',
    );
  });

  it('a re-run changes nothing and keeps the same process', async () => {
    const pid = readPid();
    const files = new Map(filesUnder(path.join(prefix, 'opt')).map((f) => [f, fs.statSync(path.join(prefix, 'opt', f)).mtimeMs]));
    const r = await sh(`${installLine} ${nodeArgs}`);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/\[swarm\] no changes/);
    expect(r.out).not.toMatch(/wrote|installed swarmd|started/);
    expect(readPid()).toBe(pid);
    expect(alive(pid)).toBe(true);
    for (const [f, mtime] of files) expect(fs.statSync(path.join(prefix, 'opt', f)).mtimeMs, f).toBe(mtime);
  });

  it('the uninstall script stops the node and removes everything it installed', async () => {
    const pid = readPid();
    const r = await sh(path.join(prefix, 'usr/local/bin/swarm-uninstall'));
    expect(r.code, r.out).toBe(0);
    await waitFor(() => !alive(pid), 15_000, () => `swarmd ${pid} to exit`);
    pids.delete(pid);
    expect(filesUnder(prefix)).toEqual([]);
    expect(fs.readdirSync(prefix)).toEqual([]);
  });

  it('under systemd: writes a unit, enables and restarts it; the uninstall stops and disables it', async () => {
    // No systemd runs in this sandbox: a stand-in `systemctl` records its calls and runs the unit's
    // ExecStart with its EnvironmentFile the way systemd would (what it cannot check: systemd itself).
    const sysd = path.join(tmp, 'systemd-state');
    fs.mkdirSync(sysd);
    const systemctl = [
      `d='${sysd}'; echo "$*" >> "$d/calls"; unit=$(cat "$d/unit-path" 2>/dev/null)`,
      'case "$1" in',
      '  restart) [ ! -f "$d/pid" ] || kill "$(cat "$d/pid")" 2>/dev/null',
      '    env=$(sed -n "s/^EnvironmentFile=//p" "$unit"); cmd=$(sed -n "s/^ExecStart=//p" "$unit")',
      '    (set -a; . "$env"; exec sh -c "exec $cmd" > "$d/out" 2>&1) & echo $! > "$d/pid" ;;',
      '  is-active) [ -f "$d/pid" ] && kill -0 "$(cat "$d/pid")" 2>/dev/null ;;',
      '  stop) [ ! -f "$d/pid" ] || kill "$(cat "$d/pid")" 2>/dev/null; rm -f "$d/pid" ;;',
      'esac',
      'exit 0',
    ].join('\n');
    const bin = fakeBin('bin-systemd', [], { systemctl });
    const root = path.join(tmp, 'systemd-root');
    fs.writeFileSync(path.join(sysd, 'unit-path'), path.join(root, 'etc/systemd/system/swarmd.service'));
    const env = { ...process.env, PATH: bin, HOME: tmp, SWARM_SERVICE_MANAGER: 'systemd' };
    const r = await sh(`${installLine} --prefix ${root} --executor sim --hostname inst-sysd --listen-remote-api 127.0.0.1:${await freePort()}`, env);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain('swarmd is active (systemctl status swarmd');
    const pid = Number(fs.readFileSync(path.join(sysd, 'pid'), 'utf8'));
    pids.add(pid);
    const unit = fs.readFileSync(path.join(root, 'etc/systemd/system/swarmd.service'), 'utf8');
    expect(unit).toMatch(/^ExecStart=\S+ \S+\/opt\/swarm\/swarmd\.mjs -d /m);
    expect(unit).toContain(`EnvironmentFile=${root}/etc/swarm/swarmd.env`);
    expect(unit).toMatch(/^Restart=always$/m);
    expect(fs.existsSync(path.join(root, 'etc/init.d/swarmd'))).toBe(false);
    const installCalls = fs.readFileSync(path.join(sysd, 'calls'), 'utf8').split('\n').filter(Boolean);
    expect(installCalls.slice(0, 3)).toEqual(['daemon-reload', 'enable swarmd', 'restart swarmd']);
    expect(new Set(installCalls.slice(3))).toEqual(new Set(['is-active --quiet swarmd'])); // waiting for it to stay up
    await waitFor(async () => (await manager.client.node.list.query()).some((n) => n.description?.hostname === 'inst-sysd' && n.status.state === 'READY'), 60_000, () => 'inst-sysd READY');

    const u = await sh(path.join(root, 'usr/local/bin/swarm-uninstall'), env);
    expect(u.code, u.out).toBe(0);
    await waitFor(() => !alive(pid), 15_000, () => `swarmd ${pid} to exit`);
    pids.delete(pid);
    const calls = fs.readFileSync(path.join(sysd, 'calls'), 'utf8');
    expect(calls).toMatch(/stop swarmd\ndisable swarmd\ndaemon-reload\n$/);
    expect(fs.readdirSync(root)).toEqual([]);
  });

  it('--manager installs a manager: it joins Raft, serves the dashboard, and leaves cleanly once demoted', async () => {
    const j = await manager.client.cluster.joinCommands.query();
    const mroot = path.join(tmp, 'manager-root');
    const httpPort = await freePort();
    const r = await sh(`${j.manager.install} --prefix ${mroot} --executor sim --hostname inst-mgr2 --listen-remote-api 127.0.0.1:${await freePort()} --listen-http 127.0.0.1:${httpPort}`);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain('the manager accepts this token for a manager');
    const pid = Number(fs.readFileSync(path.join(mroot, 'var/run/swarmd.pid'), 'utf8').trim());
    pids.add(pid);
    const managers = async () => (await manager.client.node.list.query()).filter((n) => n.managerStatus?.reachability === 'REACHABLE');
    // Reads can fail for a moment while membership changes (an election): "not yet", not a failure.
    const count = () => managers().then((m) => m.length, () => -1);
    await waitFor(async () => (await count()) === 2, 60_000, () => 'two reachable managers');
    expect((await fetch(`http://127.0.0.1:${httpPort}/healthz`)).status).toBe(200);
    // Its description (hostname) comes with its agent's first session, which can land after it is REACHABLE.
    const named = () => managers().then((m) => m.find((n) => n.description?.hostname === 'inst-mgr2'), () => undefined);
    await waitFor(async () => (await named()) !== undefined, 30_000, () => 'the new manager to report its hostname');
    // Two managers need both for quorum: demote before uninstalling, as an operator would.
    const id = (await named())!.id;
    await manager.client.node.update.mutate({ ref: id, desiredRole: 'WORKER' });
    await waitFor(async () => (await count()) === 1, 60_000, () => 'back to one manager');
    const u = await sh(path.join(mroot, 'usr/local/bin/swarm-uninstall'));
    expect(u.code, u.out).toBe(0);
    await waitFor(() => !alive(pid), 15_000, () => `swarmd ${pid} to exit`);
    pids.delete(pid);
    expect(fs.readdirSync(mroot)).toEqual([]);
    await waitFor(() => manager.client.service.list.query().then((l) => l.length > 0, () => false), 30_000, () => 'reads on the remaining manager');
  });
});

describe('over https with a certificate from the cluster CA', () => {
  it('the Join line pins the CA for the first download too, and the script verifies everything (dry run)', async () => {
    const dir = tempDir('swarm-installer-https-');
    const prev = process.env['SWARM_INSTALL_DIR'];
    process.env['SWARM_INSTALL_DIR'] = path.resolve(here, '../dist/installer');
    const m = await startManager({
      stateDir: dir,
      nodeId: newId(),
      hostname: 'https-mgr',
      remoteApi: { host: '127.0.0.1', port: 0 },
      http: { host: '127.0.0.1', port: 0 },
      httpTls: 'cluster-ca',
    });
    try {
      const c = m.store.view((tx) => tx.list('clusters')[0])!;
      const j = joinCommands({ caCert: c.rootCa!.caCert, tokens: c.rootCa!.joinTokens, remoteApi: m.remoteApiAddr, advertised: advertisedOf(m.store) });
      expect(j.url).toBe(`https://${m.httpAddr}`);
      const line = j.worker.install!;
      expect(line).toContain('--cacert swarm-ca.crt');
      const target = path.join(dir, 'root');
      const r = await runSh(`${line} --prefix ${target} --executor sim --dry-run`, { cwd: dir });
      expect(r.code, r.out).toBe(0);
      expect(r.out).toContain('manager CA verified against the join token');
      expect(r.out).toContain('the manager accepts this token for a worker');
      expect(fs.existsSync(target)).toBe(false);
      // Without the CA, curl cannot verify the manager: it fails instead of trusting it (and sh
      // gets an empty script, which does nothing).
      const bare = await runSh(`curl -fsSL https://${m.httpAddr}/install.sh | sh -s - --join-token ${c.rootCa!.joinTokens.worker} --prefix ${target} --executor sim`, { cwd: dir });
      expect(bare.out).toMatch(/certificate/i);
      expect(fs.existsSync(target)).toBe(false);
    } finally {
      await m.stop();
      if (prev === undefined) delete process.env['SWARM_INSTALL_DIR'];
      else process.env['SWARM_INSTALL_DIR'] = prev;
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
