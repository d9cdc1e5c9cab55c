/**
 * A node's certificates on disk, as SwarmKit lays them out:
 *   <state-dir>/certificates/swarm-root-ca.crt
 *   <state-dir>/certificates/swarm-node.crt
 *   <state-dir>/certificates/swarm-node.key   (mode 0600, never leaves the node)
 * plus <state-dir>/state.json with the managers it knows. Everything read
 * back is checked: the certificate must chain to the root and match the key.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { type NodeRole, type Result, err, formatZodError, ok } from '@swarm/shared';
import { type CertInfo, inspectCert, verifyIssuedBy } from '@swarm/pki';

export interface SecurityConfig {
  nodeId: string;
  role: NodeRole;
  clusterId: string;
  rootCaPem: string;
  certPem: string;
  keyPem: string;
  cert: CertInfo;
}

const dir = (stateDir: string) => path.join(stateDir, 'certificates');
const files = (stateDir: string) => ({
  root: path.join(dir(stateDir), 'swarm-root-ca.crt'),
  cert: path.join(dir(stateDir), 'swarm-node.crt'),
  key: path.join(dir(stateDir), 'swarm-node.key'),
});

export function writeDurable(file: string, data: string, mode: number): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.tmp`;
  const fd = fs.openSync(tmp, 'w', mode);
  try {
    fs.writeSync(fd, data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.chmodSync(tmp, mode);
  fs.renameSync(tmp, file);
}

/** Checks a certificate set and derives the node's identity from it. */
export function securityConfigFrom(rootCaPem: string, certPem: string, keyPem: string, now = Date.now()): Result<SecurityConfig, string> {
  let cert: CertInfo;
  try {
    cert = inspectCert(certPem);
  } catch (e) {
    return err(`node certificate is unreadable: ${(e as Error).message}`);
  }
  if (!verifyIssuedBy(certPem, rootCaPem, Math.min(now, cert.notAfter))) return err('node certificate was not issued by the stored root CA');
  try {
    const pub = crypto.createPublicKey(crypto.createPrivateKey(keyPem)).export({ type: 'spki', format: 'der' });
    const certPub = new crypto.X509Certificate(certPem).publicKey.export({ type: 'spki', format: 'der' });
    if (!pub.equals(certPub)) return err('node key does not match the node certificate');
  } catch (e) {
    return err(`node key is unreadable: ${(e as Error).message}`);
  }
  const role = cert.ou === 'swarm-manager' ? 'MANAGER' : cert.ou === 'swarm-worker' ? 'WORKER' : undefined;
  if (!role) return err(`node certificate has an unknown role OU "${cert.ou}"`);
  return ok({ nodeId: cert.cn, role, clusterId: cert.o, rootCaPem, certPem, keyPem, cert });
}

/** Loads the certificates, or `undefined` if this node never joined. */
export function loadSecurityConfig(stateDir: string): Result<SecurityConfig | undefined, string> {
  const f = files(stateDir);
  const present = [f.root, f.cert, f.key].filter((p) => fs.existsSync(p));
  if (present.length === 0) return ok(undefined);
  if (present.length !== 3) return err(`incomplete certificates in ${dir(stateDir)} (found ${present.map((p) => path.basename(p)).join(', ')})`);
  const r = securityConfigFrom(fs.readFileSync(f.root, 'utf8'), fs.readFileSync(f.cert, 'utf8'), fs.readFileSync(f.key, 'utf8'));
  return r.ok ? r : err(`${dir(stateDir)}: ${r.error}`);
}

export function saveSecurityConfig(stateDir: string, c: Pick<SecurityConfig, 'rootCaPem' | 'certPem' | 'keyPem'>): void {
  const f = files(stateDir);
  writeDurable(f.key, c.keyPem, 0o600);
  writeDurable(f.root, c.rootCaPem, 0o644);
  writeDurable(f.cert, c.certPem, 0o644);
}

const StateSchema = z.object({ managers: z.array(z.string()).default([]) });

/** Known manager addresses (state.json), used to reconnect after a restart without --join-addr. */
export function loadManagers(stateDir: string): string[] {
  const file = path.join(stateDir, 'state.json');
  if (!fs.existsSync(file)) return [];
  try {
    const parsed = StateSchema.safeParse(JSON.parse(fs.readFileSync(file, 'utf8')));
    if (!parsed.success) throw new Error(formatZodError(parsed.error));
    return parsed.data.managers;
  } catch (e) {
    throw new Error(`${file}: ${(e as Error).message}`);
  }
}

export function saveManagers(stateDir: string, managers: string[]): void {
  writeDurable(path.join(stateDir, 'state.json'), JSON.stringify({ managers }) + '\n', 0o600);
}
