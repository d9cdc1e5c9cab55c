import 'reflect-metadata';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type JoinRole,
  createCSR,
  createRootCA,
  deriveKeyPair,
  formatToken,
  generateKeyPair,
  importKeyPair,
  joinCaCert,
  joinClientCert,
  parseToken,
  pemToDer,
  signCSR,
} from '@swarm/pki';
import * as x509 from '@peculiar/x509';
import { peerIp, peerOf, requireNode } from './authz.js';
import type { TrustState } from './trust.js';

const CLUSTER = 'cluster0000000000000000001';
const DAY = 86_400_000;

type CA = { certPem: string; keyPem: string };
let root: CA;
let otherRoot: CA;
let secrets: Record<JoinRole, string>;
let trust: TrustState;

const secretOf = (token: string) => {
  const p = parseToken(token);
  if (!p.ok) throw new Error(p.error);
  return p.value.secret;
};

function makeTrust(over: Partial<TrustState> = {}, denied: string[] = []): TrustState {
  return { ...trust, isDenied: (id) => denied.includes(id), ...over };
}

/** A fake gRPC call presenting `der` as the verified peer certificate. */
function call(der: Buffer | undefined, peer = 'ipv4:127.0.0.1:5555') {
  return {
    getAuthContext: () => (der ? { sslPeerCertificate: { raw: der } } : {}),
    getPeer: () => peer,
  };
}

async function issue(ca: CA, subject: { cn: string; ou: string; o: string }, opts: { validityMs?: number; now?: number } = {}): Promise<Buffer> {
  const key = generateKeyPair();
  const r = await signCSR({
    csrPem: await createCSR(key.privateKeyPem),
    caCertPem: ca.certPem,
    caKeyPem: ca.keyPem,
    ...subject,
    dnsNames: [subject.ou, subject.cn],
    validityMs: opts.validityMs ?? 90 * DAY,
    ...(opts.now !== undefined ? { now: opts.now } : {}),
  });
  if (!r.ok) throw new Error(r.error);
  return pemToDer(r.value.certPem);
}

/** What a join-token holder can do: derive the join CA key and sign anything with it. */
async function joinCaAsSigner(secret: string, role: JoinRole): Promise<CA> {
  return { certPem: await joinCaCert(secret, role), keyPem: deriveKeyPair(secret, role).privateKeyPem };
}

beforeAll(async () => {
  root = await createRootCA();
  otherRoot = await createRootCA();
  secrets = { worker: secretOf(formatToken(root.certPem)), manager: secretOf(formatToken(root.certPem)) };
  trust = {
    clusterId: CLUSTER,
    rootCaPem: root.certPem,
    joinCas: { worker: await joinCaCert(secrets.worker, 'worker'), manager: await joinCaCert(secrets.manager, 'manager') },
    isDenied: () => false,
  };
});

describe('peerOf: node certificates from the cluster root', () => {
  it('a worker certificate is a WORKER node with its id, cluster and ip', async () => {
    const der = await issue(root, { cn: 'node1', ou: 'swarm-worker', o: CLUSTER });
    expect(peerOf(call(der), trust)).toEqual({ kind: 'node', nodeId: 'node1', role: 'WORKER', clusterId: CLUSTER, ip: '127.0.0.1' });
  });

  it('a manager certificate is a MANAGER node', async () => {
    const der = await issue(root, { cn: 'mgr1', ou: 'swarm-manager', o: CLUSTER });
    expect(peerOf(call(der), trust)).toMatchObject({ kind: 'node', nodeId: 'mgr1', role: 'MANAGER', clusterId: CLUSTER });
  });

  it('wrong O (another cluster id) ⇒ none, "not part of organization"', async () => {
    const der = await issue(root, { cn: 'node1', ou: 'swarm-worker', o: 'someothercluster' });
    expect(peerOf(call(der), trust)).toEqual({
      kind: 'none',
      reason: `Permission denied: remote certificate not part of organization: ${CLUSTER}`,
      ip: '127.0.0.1',
    });
  });

  it('unknown OU ⇒ none, "not part of OUs"', async () => {
    for (const ou of ['swarm-admin', 'swarm-join-manager', 'Swarm-Manager', '']) {
      const der = await issue(root, { cn: 'node1', ou, o: CLUSTER });
      const p = peerOf(call(der), trust);
      expect(p.kind, ou).toBe('none');
      expect(p.kind === 'none' && p.reason).toBe('Permission denied: remote certificate not part of OUs: [swarm-manager swarm-worker]');
    }
  });

  it('a denied (removed) node ⇒ none, "was removed from swarm"; others unaffected', async () => {
    const der = await issue(root, { cn: 'gone1', ou: 'swarm-manager', o: CLUSTER });
    const t = makeTrust({}, ['gone1']);
    expect(peerOf(call(der), t)).toEqual({ kind: 'none', reason: 'Permission denied: node gone1 was removed from swarm', ip: '127.0.0.1' });
    const other = await issue(root, { cn: 'stay1', ou: 'swarm-worker', o: CLUSTER });
    expect(peerOf(call(other), t)).toMatchObject({ kind: 'node', nodeId: 'stay1' });
  });

  it('an expired root-issued certificate is not a node', async () => {
    const now = Date.now();
    const der = await issue(root, { cn: 'node1', ou: 'swarm-worker', o: CLUSTER }, { validityMs: 3_600_000, now });
    expect(peerOf(call(der), trust, now).kind).toBe('node');
    expect(peerOf(call(der), trust, now + 2 * 3_600_000)).toMatchObject({ kind: 'none' });
  });

  it('a certificate from another root (same OU/O) ⇒ none', async () => {
    const der = await issue(otherRoot, { cn: 'node1', ou: 'swarm-manager', o: CLUSTER });
    expect(peerOf(call(der), trust)).toEqual({ kind: 'none', reason: 'certificate not issued by this cluster or a current join token', ip: '127.0.0.1' });
  });
});

describe('peerOf: join certificates', () => {
  it.each(['worker', 'manager'] as const)('a %s join certificate ⇒ kind join with that role', async (role) => {
    const node = generateKeyPair();
    const der = pemToDer(await joinClientCert(secrets[role], role, node.privateKeyPem));
    expect(peerOf(call(der), trust)).toEqual({ kind: 'join', role, ip: '127.0.0.1' });
  });

  it('an expired join certificate (10 min lifetime) ⇒ none', async () => {
    const now = Date.now();
    const der = pemToDer(await joinClientCert(secrets.worker, 'worker', generateKeyPair().privateKeyPem, now));
    expect(peerOf(call(der), trust, now + 9 * 60_000).kind).toBe('join');
    expect(peerOf(call(der), trust, now + 11 * 60_000).kind).toBe('none');
  });

  it('a join certificate for a rotated-away token ⇒ none', async () => {
    const old = newTokenSecret();
    const node = generateKeyPair();
    const der = pemToDer(await joinClientCert(old, 'manager', node.privateKeyPem));
    expect(peerOf(call(der), trust).kind).toBe('none');
  });

  it('the worker secret used with the manager derivation (role mix-up) ⇒ none', async () => {
    // Keys are derived per role, so this is a CA nobody trusts.
    const node = generateKeyPair();
    const der = pemToDer(await joinClientCert(secrets.worker, 'manager', node.privateKeyPem));
    expect(peerOf(call(der), trust).kind).toBe('none');
  });

  it('SECURITY: a join-CA-signed certificate claiming OU=swarm-manager, O=<cluster> is a join peer, NEVER a node', async () => {
    for (const role of ['worker', 'manager'] as const) {
      const forger = await joinCaAsSigner(secrets[role], role);
      for (const ou of ['swarm-manager', 'swarm-worker']) {
        const der = await issue(forger, { cn: 'mgr1', ou, o: CLUSTER });
        // Sanity: the forged certificate really carries the node subject.
        expect(new x509.X509Certificate(new Uint8Array(der)).subject).toBe(`CN=mgr1, OU=${ou}, O=${CLUSTER}`);
        const p = peerOf(call(der), trust);
        expect(p.kind).not.toBe('node');
        expect(p).toEqual({ kind: 'join', role, ip: '127.0.0.1' });
        expect(() => requireNode(call(der), trust, ['MANAGER', 'WORKER'])).toThrow(expect.objectContaining({ code: 7 }));
      }
    }
  });

  it('SECURITY: a join-key-signed certificate naming the root (CN=swarm-ca) as issuer is not a node', async () => {
    const key = await importKeyPair(deriveKeyPair(secrets.manager, 'manager').privateKeyPem);
    const leaf = generateKeyPair();
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: '0a',
      subject: `CN=mgr1, OU=swarm-manager, O=${CLUSTER}`,
      issuer: new x509.X509Certificate(root.certPem).subject,
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(Date.now() + DAY),
      signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
      publicKey: (await importKeyPair(leaf.privateKeyPem)).publicKey,
      signingKey: key.privateKey,
    });
    const p = peerOf(call(Buffer.from(cert.rawData)), trust);
    expect(p.kind).toBe('none');
  });
});

describe('peerOf: no certificate, peer address', () => {
  it('no certificate ⇒ none', () => {
    expect(peerOf(call(undefined), trust)).toEqual({ kind: 'none', reason: 'no verified client certificate', ip: '127.0.0.1' });
    const empty = { getAuthContext: () => ({ sslPeerCertificate: {} }), getPeer: () => 'ipv4:10.0.0.7:1234' };
    expect(peerOf(empty, trust)).toEqual({ kind: 'none', reason: 'no verified client certificate', ip: '10.0.0.7' });
  });

  it('garbage bytes ⇒ none, no throw', () => {
    expect(peerOf(call(Buffer.from('not a certificate')), trust).kind).toBe('none');
  });

  it('peerIp strips the scheme, port and IPv6 brackets', () => {
    expect(peerIp('ipv4:127.0.0.1:5555')).toBe('127.0.0.1');
    expect(peerIp('ipv6:[::1]:5555')).toBe('::1');
    expect(peerIp('ipv6:[fe80::1]:443')).toBe('fe80::1');
  });
});

describe('requireNode', () => {
  it('returns the node for an allowed role', async () => {
    const der = await issue(root, { cn: 'mgr1', ou: 'swarm-manager', o: CLUSTER });
    expect(requireNode(call(der), trust, ['MANAGER'])).toMatchObject({ kind: 'node', nodeId: 'mgr1', role: 'MANAGER' });
    const w = await issue(root, { cn: 'w1', ou: 'swarm-worker', o: CLUSTER });
    expect(requireNode(call(w), trust, ['WORKER', 'MANAGER'])).toMatchObject({ nodeId: 'w1', role: 'WORKER' });
  });

  it('a worker calling a manager-only check ⇒ code 7 "remote certificate not part of OUs"', async () => {
    const der = await issue(root, { cn: 'w1', ou: 'swarm-worker', o: CLUSTER });
    let thrown: unknown;
    try {
      requireNode(call(der), trust, ['MANAGER']);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(Error);
    expect(thrown).toMatchObject({ code: 7, details: 'Permission denied: remote certificate not part of OUs: [swarm-manager]' });
    expect((thrown as Error).message).toContain('remote certificate not part of OUs');
  });

  it('a join peer ⇒ code 7 (join certificates can only request a certificate)', async () => {
    const der = pemToDer(await joinClientCert(secrets.manager, 'manager', generateKeyPair().privateKeyPem));
    expect(() => requireNode(call(der), trust, ['MANAGER'])).toThrow(
      expect.objectContaining({ code: 7, details: expect.stringContaining('node certificate is required') }),
    );
  });

  it('no certificate / denied node ⇒ code 7 with the reason', async () => {
    expect(() => requireNode(call(undefined), trust, ['WORKER'])).toThrow(expect.objectContaining({ code: 7, details: 'no verified client certificate' }));
    const der = await issue(root, { cn: 'gone1', ou: 'swarm-worker', o: CLUSTER });
    expect(() => requireNode(call(der), makeTrust({}, ['gone1']), ['WORKER'])).toThrow(
      expect.objectContaining({ code: 7, details: 'Permission denied: node gone1 was removed from swarm' }),
    );
  });
});

function newTokenSecret(): string {
  return secretOf(formatToken(root.certPem));
}
