/**
 * The node CA over real gRPC with mutual TLS: escalation and replay are
 * refused, and short-lived certificates renew with tasks still running.
 */
import fs from 'node:fs';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TaskState } from '@swarm/shared';
import { createCSR, generateKeyPair, inspectCert, joinClientCert, parseToken } from '@swarm/pki';
import { requestCertificate } from '../src/node/ca-client.js';
import { probeRootCA } from '../src/node/join.js';
import { channelCredentials, createProvider } from '../src/security/providers.js';
import { type Node, startNode, waitFor } from './harness.js';

const runLabel = `ca-${process.pid}-${Date.now().toString(36)}`;

describe('node CA', () => {
  let manager: Node;
  let token: { digest: string; secret: string };
  let root: string;

  beforeAll(async () => {
    manager = await startNode({ runLabel, executor: 'sim', extraArgs: ['--min-cert-expiry', '10s'] });
    const t = parseToken((await manager.client.cluster.inspect.query()).rootCa!.joinTokens.worker);
    if (!t.ok) throw new Error(t.error);
    token = t.value;
    root = fs.readFileSync(path.join(manager.dir, 'certificates/swarm-root-ca.crt'), 'utf8');
  }, 60_000);
  afterAll(async () => {
    await manager?.stop();
  });

  const joinCreds = async (keyPem: string) =>
    channelCredentials(createProvider({ ca: [root] }), createProvider({ identity: { certPem: await joinClientCert(token.secret, 'worker', keyPem), keyPem } }));

  it('finds the root CA by the token digest and refuses a mismatching digest', async () => {
    const key = generateKeyPair();
    const client = { certPem: await joinClientCert(token.secret, 'worker', key.privateKeyPem), keyPem: key.privateKeyPem };
    const ok = await probeRootCA(manager.remoteApi, token.digest, client);
    expect(ok).toEqual({ ok: true, value: root });
    const bad = await probeRootCA(manager.remoteApi, '0'.repeat(50), client);
    expect(bad.ok).toBe(false);
  });

  it('refuses a CSR asking for the manager role with a worker token, writing nothing', async () => {
    const before = (await manager.client.node.list.query()).length;
    const key = generateKeyPair();
    const csr = await createCSR(key.privateKeyPem, 'CN=sneaky, OU=swarm-manager');
    await expect(requestCertificate(manager.remoteApi, await joinCreds(key.privateKeyPem), csr)).rejects.toMatchObject({
      code: grpc.status.PERMISSION_DENIED,
      details: expect.stringContaining('grants swarm-worker'),
    });
    expect((await manager.client.node.list.query()).length).toBe(before);
  });

  it('ignores CSR subjects otherwise, and refuses a replayed CSR', async () => {
    const key = generateKeyPair();
    const csr = await createCSR(key.privateKeyPem, 'CN=i-choose-my-id, O=other-cluster');
    const creds = await joinCreds(key.privateKeyPem);
    const r = await requestCertificate(manager.remoteApi, creds, csr);
    const info = inspectCert(r.certificate);
    expect(info.cn).toBe(r.node_id);
    expect(info.cn).not.toBe('i-choose-my-id');
    expect(info.ou).toBe('swarm-worker');
    expect(info.o).toBe((await manager.client.cluster.inspect.query()).id);
    await expect(requestCertificate(manager.remoteApi, creds, csr)).rejects.toMatchObject({ details: expect.stringContaining('already certified') });
  });

  it('refuses a certificate expiry below the minimum', async () => {
    await expect(manager.client.cluster.update.mutate({ nodeCertExpiryMs: 5_000 })).rejects.toThrow(/minimum certificate expiry time is: 10s/);
  });

  it('renews short-lived certificates seamlessly: same session, tasks keep running', async () => {
    await manager.client.cluster.update.mutate({ nodeCertExpiryMs: 12_000 });
    const worker = await startNode({ runLabel, executor: 'sim', hostname: 'short-lived', join: { addr: manager.remoteApi, token: (await manager.client.cluster.inspect.query()).rootCa!.joinTokens.worker } });
    try {
      const id = worker.id();
      const s = await manager.client.service.create.mutate({
        spec: { annotations: { name: 'renewing', labels: {} }, task: { container: { image: 'x', command: ['sleep'] }, placement: { constraints: [], preferences: [], platforms: [], maxReplicas: 0 } }, mode: { kind: 'replicated', replicas: 4 } },
      });
      await waitFor(async () => (await manager.client.task.list.query({ service: s.id })).filter((t) => t.status.state === TaskState.RUNNING).length === 4, 30_000, () => 'running');
      const tasksBefore = (await manager.client.task.list.query({ service: s.id, all: true })).map((t) => t.id).sort();
      const serials = new Set<string>();
      const first = (await manager.client.node.get.query({ ref: id })).certificate!;
      serials.add(first.serial);
      // Two renewals (each at 50-80% of a ~13 s lifetime), and on past the first certificate's expiry:
      // the live connection must have moved to a renewed certificate by then.
      await waitFor(async () => {
        const n = await manager.client.node.get.query({ ref: id });
        serials.add(n.certificate!.serial);
        expect(n.status.state).toBe('READY');
        // The CA records a certificate before the node has it: wait for the node to move onto the second one too.
        const resumed = worker.output().match(/session resumed on a new connection/g)?.length ?? 0;
        return serials.size >= 3 && resumed >= 2 && Date.now() > first.notAfter + 3_000;
      }, 60_000, () => 'two renewals');
      const cert = inspectCert(fs.readFileSync(path.join(worker.dir, 'certificates/swarm-node.crt')));
      expect(serials.has(cert.serial)).toBe(true);
      expect(cert.cn).toBe(id);
      const tasksAfter = await manager.client.task.list.query({ service: s.id, all: true });
      expect(tasksAfter.map((t) => t.id).sort()).toEqual(tasksBefore);
      expect(tasksAfter.every((t) => t.status.state === TaskState.RUNNING)).toBe(true);
      expect(worker.output().match(/session established/g)?.length).toBe(1);
      expect(worker.output().match(/session resumed on a new connection/g)?.length).toBeGreaterThanOrEqual(2);
    } finally {
      await worker.stop();
    }
  });
});
