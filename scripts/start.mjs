#!/usr/bin/env node
// `npm start`: install what is missing, build, and run a one-node cluster
// (manager + agent in one swarmd process) in the foreground with state under
// ./.state/node-1. Ctrl-C stops it; starting again keeps every service.
// Extra arguments go to swarmd, e.g. `npm start -- --executor process`.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const env = { ...process.env, TURBO_TELEMETRY_DISABLED: '1', NEXT_TELEMETRY_DISABLED: '1' };
const sh = (cmd, args) => {
  const r = spawnSync(cmd, args, { cwd: root, env, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
};

if (!fs.existsSync(path.join(root, 'node_modules/.package-lock.json'))) sh('npm', ['ci']);
sh('npx', ['turbo', 'run', 'build', '--output-logs=errors-only']);

const stateDir = process.env.SWARM_STATE_DIR ?? path.join(root, '.state/node-1');
fs.mkdirSync(stateDir, { recursive: true, mode: 0o700 });
const args = [
  path.join(root, 'apps/manager/dist/bin/swarmd.js'),
  '--state-dir', stateDir,
  '--listen-control-api', path.join(stateDir, 'swarm.sock'),
  '--listen-remote-api', process.env.SWARM_REMOTE_API ?? '127.0.0.1:4242',
  '--listen-http', process.env.SWARM_HTTP ?? '127.0.0.1:4280',
  ...process.argv.slice(2),
];
const child = spawn(process.execPath, args, { cwd: root, env, stdio: 'inherit' });
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
