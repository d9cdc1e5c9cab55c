/**
 * swarmctl end to end: a real manager in this process (store, orchestrator,
 * scheduler, API on a unix control socket; no agent, so tasks stay pending)
 * and the built CLI run as a child process against its socket.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '@swarm/shared';
import { type Manager, startManager } from '../../manager/src/manager.js';
import { createApiToken } from '../../manager/src/auth/service.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../../..');
const CLI = path.resolve(here, '../dist/swarmctl.js');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(file: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd: root, env: { ...process.env, SWARM_SOCKET: '', ...env }, timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

let dir: string;
let sock: string;
let nodeId: string;
let manager: Manager;

const swarmctl = (...args: string[]) => run(process.execPath, [CLI, '-s', sock, ...args]);

/** Runs swarmctl and expects success. */
async function ok(...args: string[]): Promise<string> {
  const r = await swarmctl(...args);
  expect(r.stderr, `swarmctl ${args.join(' ')}`).toBe('');
  expect(r.code, `swarmctl ${args.join(' ')}`).toBe(0);
  return r.stdout;
}

/** Runs swarmctl and expects "Error: …" on stderr, nothing on stdout and a non-zero status. */
async function fails(...args: string[]): Promise<string> {
  const r = await swarmctl(...args);
  expect(r.code, `swarmctl ${args.join(' ')} should fail`).not.toBe(0);
  expect(r.stdout).toBe('');
  expect(r.stderr).toMatch(/^Error: /);
  return r.stderr;
}

beforeAll(async () => {
  // Build the CLI. Type errors elsewhere (a sibling package mid-edit) must not hide our own output, so judge by the emitted file.
  const build = await run(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', 'apps/cli/tsconfig.json']);
  if (build.code !== 0) console.warn(`tsc -p apps/cli reported:\n${build.stdout}${build.stderr}`);
  expect(fs.existsSync(CLI)).toBe(true);

  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'swarmctl-test-'));
  sock = path.join(dir, 'swarm.sock');
  nodeId = newId();
  manager = await startManager({ stateDir: dir, nodeId, hostname: 'cli-test', remoteApi: { host: '127.0.0.1', port: 0 }, controlSocket: sock, http: { host: '127.0.0.1', port: 0 } });
});

afterAll(async () => {
  await manager?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('swarmctl against a real manager', () => {
  let webId: string;

  it('version prints the CLI and manager versions', async () => {
    const [out, json] = await Promise.all([ok('version'), ok('version', '--format', 'json')]);
    expect(out).toMatch(/^swarmctl \d+\.\d+\.\d+\nmanager \d+\.\d+\.\d+ \(node [0-9a-z]{25}\)\n$/);
    expect(out).toContain(nodeId);
    expect(JSON.parse(json)).toMatchObject({ server: { nodeId } });
  });

  it('node ls shows this manager', async () => {
    const [table, quiet, json] = await Promise.all([ok('node', 'ls'), ok('node', 'ls', '-q'), ok('node', 'ls', '--format', 'json')]);
    const lines = table.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID\s+Name\s+Membership\s+Status\s+Availability\s+Manager Status$/);
    expect(lines[1]).toMatch(/^--\s+----\s+-+/);
    expect(lines).toHaveLength(3);
    expect(lines[2]).toMatch(new RegExp(`^${nodeId}\\s+ACCEPTED\\s+UNKNOWN\\s+ACTIVE\\s+REACHABLE \\*$`));
    expect(quiet).toBe(`${nodeId}\n`);
    const nodes = JSON.parse(json) as { id: string; role: string }[];
    expect(nodes).toEqual([expect.objectContaining({ id: nodeId, role: 'MANAGER' })]);
  });

  it('service create prints the new service ID', async () => {
    const out = await ok('service', 'create', '--name', 'web', '--image', 'nginx', '--replicas', '3', '--env', 'GREETING=hello, world', '--label', 'tier=front');
    expect(out).toMatch(/^[0-9a-z]{25}\n$/);
    webId = out.trim();
    await manager.idle();
  });

  it('service ls shows name, image and running/desired', async () => {
    const out = await ok('service', 'ls');
    expect(out).toMatch(/^ID\s+Name\s+Image\s+Replicas\n--\s+----\s+-----\s+--------\n/);
    expect(out).toMatch(new RegExp(`^${webId}\\s+web\\s+nginx\\s+0/3$`, 'm'));
  });

  it('-q prints only IDs, --format json parses', async () => {
    const [quiet, json, inspect] = await Promise.all([ok('service', 'ls', '-q'), ok('service', 'ls', '--format', 'json'), ok('service', 'inspect', 'web', '--format', 'json')]);
    expect(quiet).toBe(`${webId}\n`);
    const items = JSON.parse(json) as { service: { id: string; spec: { annotations: { name: string } } }; running: number; desired: number }[];
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ service: { id: webId, spec: { annotations: { name: 'web' } } }, running: 0, desired: 3 });
    const svc = JSON.parse(inspect) as { spec: { task: { container: { env: string[] } } } };
    expect(svc.spec.task.container.env).toEqual(['GREETING=hello, world']);
  });

  it('service inspect shows the summary and the pending tasks', async () => {
    const out = await ok('service', 'inspect', 'web');
    expect(out).toMatch(new RegExp(`^ID\\s+: ${webId}\\nName\\s+: web\\nLabels\\s*\\n\\s+tier\\s+: front\\nReplicas\\s+: 0/3\\n`));
    expect(out).toMatch(/Template\s*\n Container\s*\n {2}Image\s+: nginx\n {2}Env\s+: \[GREETING=hello, world\]\n/);
    expect(out).toMatch(/Task ID\s+Service\s+Slot\s+Image\s+Desired State\s+Last State\s+Node/);
    expect(out.match(/\bweb\s+\d\s+nginx\s+RUNNING\s+PENDING /g)).toHaveLength(3);
    // By an ID prefix as well.
    expect(await ok('service', 'inspect', webId.slice(0, 6))).toContain(`: ${webId}`);
  });

  it('task ls lists the tasks as name.slot with their states', async () => {
    const [out, quiet, jsonText, unknown] = await Promise.all([
      ok('task', 'ls'),
      ok('task', 'ls', '-q', '--service', 'web'),
      ok('task', 'ls', '--format', 'json'),
      fails('task', 'ls', '--service', 'nope'),
    ]);
    expect(out).toMatch(/^ID\s+Service\s+Desired State\s+Last State\s+Node\n/);
    for (const slot of [1, 2, 3]) expect(out).toMatch(new RegExp(`^[0-9a-z]{25}\\s+web\\.${slot}\\s+RUNNING\\s+PENDING .+ ago\\s*$`, 'm'));
    const ids = quiet.trim().split('\n');
    expect(ids).toHaveLength(3);
    expect(unknown).toBe('Error: service nope not found\n');
    const json = JSON.parse(jsonText) as { id: string }[];
    expect(json.map((t) => t.id).sort()).toEqual([...ids].sort());
    const inspect = await ok('task', 'inspect', ids[0]!);
    expect(inspect).toMatch(new RegExp(`^ID\\s+: ${ids[0]}\\nSlot\\s+: \\d\\nService\\s+: web\\n`));
  });

  it('service update --replicas 5 changes the replica count', async () => {
    expect(await ok('service', 'update', 'web', '--replicas', '5')).toBe(`${webId}\n`);
    await manager.idle();
    expect(await ok('service', 'ls')).toMatch(/\bweb\s+nginx\s+0\/5$/m);
    const svc = JSON.parse(await ok('service', 'inspect', webId, '--format', 'json')) as { spec: { mode: unknown; annotations: { labels: unknown } } };
    expect(svc.spec.mode).toEqual({ kind: 'replicated', replicas: 5 });
    expect(svc.spec.annotations.labels).toEqual({ tier: 'front' }); // untouched
    expect((await ok('task', 'ls', '-q')).trim().split('\n')).toHaveLength(5);
  });

  it('service update applies only the given flags and refuses a no-op', async () => {
    expect(await fails('service', 'update', 'web', '--replicas', '5')).toBe('Error: no changes detected\n');
    await ok('service', 'update', 'web', '--command', "sh -c 'sleep 100'", '--restart-condition', 'on-failure', '--memory-reservation', '64m');
    const svc = JSON.parse(await ok('service', 'inspect', 'web', '--format', 'json')) as { spec: { mode: unknown; task: { container: { command: string[]; env: string[] }; restart: unknown; resources: { reservations: { memoryBytes: number } } } } };
    expect(svc.spec.task.container.command).toEqual(['sh', '-c', 'sleep 100']);
    expect(svc.spec.task.container.env).toEqual(['GREETING=hello, world']);
    expect(svc.spec.task.restart).toEqual({ condition: 'on-failure', delayMs: 5000, maxAttempts: 0, windowMs: 0 });
    expect(svc.spec.task.resources.reservations.memoryBytes).toBe(64 * 1024 * 1024);
    expect(svc.spec.mode).toEqual({ kind: 'replicated', replicas: 5 });
    // --force redeploys an unchanged spec.
    const before = JSON.parse(await ok('service', 'inspect', 'web', '--format', 'json')) as { spec: { task: { forceUpdate: number } } };
    await ok('service', 'update', 'web', '--force');
    const after = JSON.parse(await ok('service', 'inspect', 'web', '--format', 'json')) as { spec: { task: { forceUpdate: number } } };
    expect(after.spec.task.forceUpdate).toBe(before.spec.task.forceUpdate + 1);
  });

  it('an unknown service is "not found" with a non-zero status', async () => {
    const errors = await Promise.all([
      fails('service', 'update', 'nope', '--replicas', '1'),
      fails('service', 'inspect', 'nope'),
      fails('service', 'rm', 'nope'),
    ]);
    expect(errors).toEqual(Array(3).fill('Error: service nope not found\n'));
  });

  it('bad values are refused with a message naming the field', async () => {
    const [negative, word, delay, empty, invalid, missing, globalReplicas, format] = await Promise.all([
      fails('service', 'create', '--name', 'api', '--image', 'nginx', '--replicas', '-1'),
      fails('service', 'update', 'web', '--replicas', 'many'),
      fails('service', 'update', 'web', '--restart-delay', '5'),
      fails('service', 'create', '--name', '', '--image', 'nginx'),
      fails('service', 'create', '--name', 'bad name!', '--image', 'nginx'),
      fails('service', 'create', '--name', 'api'),
      fails('service', 'create', '--name', 'api', '--image', 'nginx', '--mode', 'global', '--replicas', '2'),
      fails('service', 'ls', '--format', 'yaml'),
    ]);
    expect(negative).toBe('Error: invalid value "-1" for --replicas: must be a non-negative integer\n');
    expect(word).toMatch(/--replicas/);
    expect(delay).toMatch(/--restart-delay/);
    expect(empty).toBe('Error: spec.annotations.name: name is required\n');
    expect(invalid).toMatch(/^Error: spec\.annotations\.name: invalid name "bad name!"/);
    expect(missing).toBe('Error: --name and --image are mandatory\n');
    expect(globalReplicas).toMatch(/--replicas can only be specified in --mode replicated/);
    expect(format).toMatch(/--format/);
    expect(await ok('service', 'ls', '-q')).toBe(`${webId}\n`); // nothing was created
  });

  it('a duplicate name is refused', async () => {
    const [same, upper] = await Promise.all([
      fails('service', 'create', '--name', 'web', '--image', 'nginx'),
      fails('service', 'create', '--name', 'WEB', '--image', 'nginx'), // names are unique case-insensitively
    ]);
    expect(same).toBe('Error: name conflicts with an existing object: web\n');
    expect(upper).toMatch(/name conflicts with an existing object/);
    expect((await ok('service', 'ls', '-q')).trim().split('\n')).toEqual([webId]);
  });

  it('a global service shows "global"', async () => {
    const id = (await ok('service', 'create', '--name', 'mon', '--image', 'busybox', '--mode', 'global')).trim();
    expect(await ok('service', 'ls')).toMatch(new RegExp(`^${id}\\s+mon\\s+busybox\\s+global$`, 'm'));
    expect(await ok('service', 'remove', 'mon')).toBe('mon\n');
  });

  it('node availability and labels, with swarmctl\'s "already" messages', async () => {
    expect(await fails('node', 'activate', nodeId)).toBe(`Error: Node ${nodeId} is already active\n`);
    expect(await ok('node', 'pause', nodeId)).toBe('');
    expect(await fails('node', 'pause', nodeId)).toBe(`Error: Node ${nodeId} was already paused\n`);
    expect(await ok('node', 'drain', nodeId.slice(0, 8))).toBe('');
    expect(await fails('node', 'drain', nodeId)).toBe(`Error: Node ${nodeId} was already drained\n`);
    expect(await ok('node', 'ls')).toMatch(/\bDRAIN\b/);
    await ok('node', 'activate', nodeId);
    await ok('node', 'update', nodeId, '--label', 'zone=a,disk=ssd');
    expect(await fails('node', 'update', nodeId, '--label', 'disk=ssd', '--label', 'zone=a')).toBe(`Error: No change for node ${nodeId}\n`);
    const inspect = await ok('node', 'inspect', nodeId);
    expect(inspect).toMatch(new RegExp(`^ID\\s+: ${nodeId}\\n`));
    expect(inspect).toMatch(/Node Labels\s+: disk=ssd zone=a\n/);
    expect(inspect).toMatch(/Availability\s+: ACTIVE\n/);
    expect(await fails('node', 'inspect', 'no-such-node')).toBe('Error: node no-such-node not found\n');
  });

  it('cluster inspect shows the cluster settings', async () => {
    const [out, json, other] = await Promise.all([ok('cluster', 'inspect', 'default'), ok('cluster', 'inspect', 'default', '--format', 'json'), fails('cluster', 'inspect', 'other')]);
    expect(out).toMatch(/^ID\s+: [0-9a-z]{25}\nName\s+: default\nOrchestration settings:\n {2}Task history entries: 5\n/);
    expect(out).toContain('  Dispatcher heartbeat period: 1s\n'); // our default (SwarmKit: 5s), see the orchestrator README
    expect(out).toMatch(/ {2}Join Tokens:\n {4}Worker: SWMTKN-1-[0-9a-z]{50}-[0-9a-z]{25}\n/);
    expect(out).toMatch(/ {2}CA Fingerprint: sha256:[0-9a-f]{64}\n/);
    expect(out).toContain('  Certificate Validity Duration: 2160h0m0s\n');
    expect(JSON.parse(json)).toMatchObject({ spec: { annotations: { name: 'default' } } });
    expect(other).toBe('Error: cluster other not found\n');
  });

  it('cluster update --max-heartbeat-rate sets the cap, shown by inspect; a bad rate is refused', async () => {
    expect(await fails('cluster', 'update', 'default', '--max-heartbeat-rate', '0')).toBe(
      'Error: invalid --max-heartbeat-rate "0": expected a number of heartbeats per second, at least 1\n',
    );
    expect(await ok('cluster', 'inspect', 'default')).not.toContain('Max heartbeats per second');
    await ok('cluster', 'update', 'default', '--max-heartbeat-rate', '250');
    expect(await ok('cluster', 'inspect', 'default')).toContain('  Dispatcher heartbeat period: 1s\n  Max heartbeats per second: 250\n');
  });

  it('socket choice, remote managers, -n, and usage errors', async () => {
    const token = await createApiToken(manager.store, 'cli-test', 'test');
    if (!token.ok) throw new Error(token.error);
    const [missing, fromEnv, remote, noResolve, unknown, anonymous] = await Promise.all([
      run(process.execPath, [CLI, '-s', path.join(dir, 'missing.sock'), 'service', 'ls']),
      run(process.execPath, [CLI, 'service', 'ls', '-q'], { SWARM_SOCKET: sock }),
      // The first manager is gone (nothing listens there): the next one in the list answers.
      run(process.execPath, [CLI, '--manager', `http://127.0.0.1:${await closedPort()},http://${manager.httpAddr}`, '--token', token.value.token, 'service', 'ls']),
      swarmctl('-n', 'task', 'ls'),
      swarmctl('service', 'frobnicate'),
      run(process.execPath, [CLI, '--manager', `http://${manager.httpAddr}`, 'service', 'ls']),
    ]);
    expect(anonymous.code).not.toBe(0);
    expect(anonymous.stderr).toMatch(/authentication required/);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/^Error: cannot connect to the manager at unix:\/\/.*missing\.sock: no such socket/);
    expect(fromEnv).toMatchObject({ code: 0, stdout: `${webId}\n` });
    expect(remote.code).toBe(0);
    expect(remote.stdout).toMatch(new RegExp(`^${webId}\\s+web\\s+nginx\\s+0/5$`, 'm'));
    expect(noResolve.stdout).toMatch(new RegExp(`\\s${webId}\\.1\\s`)); // service ID instead of its name
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toMatch(/^Error: unknown command 'frobnicate'/);
  });

  it('service rm removes the service', async () => {
    expect(await ok('service', 'rm', 'web')).toBe('web\n');
    await manager.idle();
    expect(await ok('service', 'ls', '-q')).toBe('');
    expect(await fails('service', 'inspect', 'web')).toBe('Error: service web not found\n');
  });
});

/** A loopback port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}
