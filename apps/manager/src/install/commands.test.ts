import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createRootCA, formatToken } from '@swarm/pki';
import { parseSwarmdArgs } from '../bin/options.js';
import { validateNodeLabels } from '../security/node-ca.js';
import { caFileCommand, joinAddrFor, joinCommands } from './commands.js';

describe('join commands', async () => {
  const ca = await createRootCA();
  const tokens = { worker: formatToken(ca.certPem), manager: formatToken(ca.certPem) };

  it('http: curl | sh with the token; manager line adds --manager', () => {
    const j = joinCommands({ caCert: ca.certPem, tokens, remoteApi: '10.0.0.5:4242', advertised: { url: 'http://127.0.0.1:4280/', clusterCaTls: false } });
    expect(j.url).toBe('http://127.0.0.1:4280');
    expect(j.worker.install).toBe(`curl -fsSL http://127.0.0.1:4280/install.sh | sh -s - --join-token ${tokens.worker}`);
    expect(j.manager.install).toBe(`curl -fsSL http://127.0.0.1:4280/install.sh | sh -s - --join-token ${tokens.manager} --manager`);
    expect(j.worker.swarmd).toBe(`swarmd --join-addr 10.0.0.5:4242 --join-token ${tokens.worker}`);
    expect(j.caFingerprint).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('https with a cluster-CA certificate: writes the CA, then curl --cacert and --ca-file (never -k)', () => {
    const j = joinCommands({ caCert: ca.certPem, tokens, remoteApi: 'm1:4242', advertised: { url: 'https://m1:4280', clusterCaTls: true } });
    expect(j.worker.install).toMatch(/^printf '%s\\n' '-----BEGIN CERTIFICATE-----' .* > swarm-ca\.crt && curl -fsSL --cacert swarm-ca\.crt https:\/\/m1:4280\/install\.sh \| sh -s - --ca-file swarm-ca\.crt --join-token /);
    expect(j.worker.install).not.toMatch(/ -k\b|--insecure/);
    const plain = joinCommands({ caCert: ca.certPem, tokens, remoteApi: 'm1:4242', advertised: { url: 'https://m1:4280', clusterCaTls: false } });
    expect(plain.worker.install).toBe(`curl -fsSL https://m1:4280/install.sh | sh -s - --join-token ${tokens.worker}`);
  });

  it('the CA line reproduces the PEM exactly in sh', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'swarm-ca-line-'));
    try {
      const r = spawnSync('sh', ['-c', caFileCommand(ca.certPem)], { cwd: dir });
      expect(r.status).toBe(0);
      expect(fs.readFileSync(path.join(dir, 'swarm-ca.crt'), 'utf8')).toBe(ca.certPem.trim() + '\n');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('no HTTP listener: no install line', () => {
    const j = joinCommands({ caCert: ca.certPem, tokens, remoteApi: 'm1:4242' });
    expect(j.url).toBeUndefined();
    expect(j.worker.install).toBeUndefined();
  });

  it('a wildcard remote API address takes the host the client reached', () => {
    expect(joinAddrFor('0.0.0.0:4242', 'manager.example:4280')).toBe('manager.example:4242');
    expect(joinAddrFor('[::]:4242', '[fd00::1]:4280')).toBe('[fd00::1]:4242');
    expect(joinAddrFor('10.1.2.3:4242', 'other:4280')).toBe('10.1.2.3:4242');
  });
});

describe('node labels at join', () => {
  it('--node-labels parses k=v pairs', () => {
    const o = parseSwarmdArgs(['--node-labels', 'zone=a,tier=web,empty=']);
    expect(o.nodeLabels).toEqual({ zone: 'a', tier: 'web', empty: '' });
    expect(parseSwarmdArgs([]).nodeLabels).toBeUndefined();
  });

  it('refuses keys SwarmKit would not take', () => {
    expect(() => parseSwarmdArgs(['--node-labels', '=x'])).toThrow(/label key ""/);
    expect(() => parseSwarmdArgs(['--node-labels', 'a b=1'])).toThrow(/label key "a b"/);
    expect(validateNodeLabels({ 'com.example/rack-1': 'r1' })).toBeUndefined();
    expect(validateNodeLabels({ ok: 'line\nbreak' })).toMatch(/control characters/);
    expect(validateNodeLabels(Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, ''])))).toMatch(/at most 64/);
  });
});
