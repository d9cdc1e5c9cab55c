#!/usr/bin/env node
// Packs the node bundle the installer serves (after `tsc`, from dist):
//
//   dist/installer/install.sh          the installer template (src/install/install.sh)
//   dist/installer/swarm-<v>.tgz       swarmd.mjs (one file, esbuild), the .proto files
//                                    (node_modules/@swarm/shared/proto, where the code
//                                    resolves them), installer/install.sh, VERSION
//
// The archive is deterministic (sorted, fixed times and owners, gzip without a
// timestamp): the same sources give the same checksum, so re-running the
// installer after a rebuild without changes changes nothing.
// Native/optional dependencies are not bundled: ssh2 (dockerode's SSH
// transport) is replaced by a stub that fails only if used.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import * as esbuild from 'esbuild';

const app = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(fs.readFileSync(path.join(app, 'package.json'), 'utf8'));
const version = /VERSION = '([^']+)'/.exec(fs.readFileSync(path.join(app, 'src/version.ts'), 'utf8'))?.[1];
if (version !== pkg.version) throw new Error(`src/version.ts (${version}) and package.json (${pkg.version}) disagree`);
const out = path.join(app, 'dist/installer');
const protoDir = path.resolve(app, '../../packages/shared/proto');
const stage = fs.mkdtempSync(path.join(os.tmpdir(), 'swarm-bundle-'));

const noNative = {
  name: 'no-native',
  setup(b) {
    b.onResolve({ filter: /^(ssh2|cpu-features)$/ }, (a) => ({ path: a.path, namespace: 'stub' }));
    b.onLoad({ filter: /.*/, namespace: 'stub' }, () => ({
      contents: 'class Client { constructor() { throw new Error("the SSH transport to the Docker engine is not in this build"); } }\nmodule.exports = { Client };\n',
      loader: 'js',
    }));
  },
};

try {
  await esbuild.build({
    entryPoints: [path.join(app, 'dist/bin/swarmd.js')],
    outfile: path.join(stage, 'swarmd.mjs'),
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    legalComments: 'none',
    logLevel: 'warning',
    plugins: [noNative],
    // CommonJS dependencies call require(); give the ESM bundle one.
    banner: { js: "import { createRequire as __swarmCreateRequire } from 'node:module';\nconst require = __swarmCreateRequire(import.meta.url);" },
  });
  // The code resolves `@swarm/shared/proto/<file>` relative to itself: give it that package.
  const shared = path.join(stage, 'node_modules/@swarm/shared');
  fs.mkdirSync(path.join(shared, 'proto'), { recursive: true });
  fs.writeFileSync(path.join(shared, 'package.json'), `${JSON.stringify({ name: '@swarm/shared', version, type: 'module', exports: { './proto/*': './proto/*' } }, null, 2)}\n`);
  for (const f of fs.readdirSync(protoDir).filter((f) => f.endsWith('.proto')).sort()) fs.copyFileSync(path.join(protoDir, f), path.join(shared, 'proto', f));
  fs.mkdirSync(path.join(stage, 'installer'));
  fs.copyFileSync(path.join(app, 'src/install/install.sh'), path.join(stage, 'installer/install.sh'));
  fs.writeFileSync(path.join(stage, 'VERSION'), `${version}\n`);

  const tar = spawnSync('tar', ['-C', stage, '--sort=name', '--mtime=@0', '--owner=0', '--group=0', '--numeric-owner', '-cf', '-', '.'], { maxBuffer: 1 << 30 });
  if (tar.status !== 0) throw new Error(`tar failed: ${tar.stderr}`);
  fs.rmSync(out, { recursive: true, force: true });
  fs.mkdirSync(out, { recursive: true });
  fs.writeFileSync(path.join(out, `swarm-${version}.tgz`), zlib.gzipSync(tar.stdout, { level: 9 }));
  fs.copyFileSync(path.join(app, 'src/install/install.sh'), path.join(out, 'install.sh'));
  const size = fs.statSync(path.join(out, `swarm-${version}.tgz`)).size;
  console.log(`bundle: dist/installer/swarm-${version}.tgz (${(size / 1e6).toFixed(1)} MB)`);
} finally {
  fs.rmSync(stage, { recursive: true, force: true });
}
