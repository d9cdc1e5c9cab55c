/**
 * Security with real processes on loopback: nodes join with tokens over
 * mutual TLS, run tasks in real containers, and everything that should be
 * refused is refused.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TaskState, type Task } from '@swarm/shared';
import { createRootCA, formatToken, newSecret } from '@swarm/pki';
import { loadService } from '../src/lib/proto.js';
import { channelCredentials, createProvider } from '../src/security/providers.js';
import { type Node, containersOf, runSwarmdOnce, startNode, tempDir, waitFor } from './harness.js';

const runLabel = `sec-${process.pid}-${Date.now().toString(36)}`;
const certs = (n: Node) => ({
  root: path.join(n.dir, 'certificates/swarm-root-ca.crt'),
  cert: path.join(n.dir, 'certificates/swarm-node.crt'),
  key: path.join(n.dir, 'certificates/swarm-node.key'),
});

/** Calls the manager-only Health service with a node's own certificate. */
function healthCheck(target: string, n: Node): Promise<{ code: number; details: string } | 'SERVING'> {
  const c = certs(n);
  const creds = channelCredentials(
    createProvider({ ca: [fs.readFileSync(c.root, 'utf8')] }),
    createProvider({ identity: { certPem: fs.readFileSync(c.cert, 'utf8'), keyPem: fs.readFileSync(c.key, 'utf8') } }),
  );
  const Health = loadService('health.proto', ['swarm', 'health', 'v1', 'Health']);
  const client = new Health(target, creds, { 'grpc.ssl_target_name_override': 'swarm-manager' }) as unknown as grpc.Client & {
    Check(req: object, cb: (e: grpc.ServiceError | null, r: { status: string }) => void): void;
  };
  return new Promise((resolve) =>
    client.Check({ service: '' }, (e, r) => {
      client.close();
      resolve(e ? { code: e.code, details: e.details } : (r.status as 'SERVING'));
    }),
  );
}

describe('joining with tokens over mutual TLS', () => {
  let manager: Node;
  const workers: Node[] = [];
  let workerToken: string;

  beforeAll(async () => {
    manager = await startNode({ runLabel, hostname: 'node-1' });
    const c = await manager.client.cluster.inspect.query();
    workerToken = c.rootCa!.joinTokens.worker;
    for (const hostname of ['node-2', 'node-3']) {
      workers.push(await startNode({ runLabel, hostname, join: { addr: manager.remoteApi, token: workerToken } }));
    }
  }, 120_000);
  afterAll(async () => {
    for (const w of workers) await w.stop();
    await manager?.stop();
  });

  it('three nodes join and run tasks in real containers', async () => {
    await waitFor(async () => (await manager.client.node.list.query()).filter((n) => n.status.state === 'READY').length === 3, 30_000, () => 'three READY nodes');
    const nodes = await manager.client.node.list.query();
    expect(nodes.map((n) => n.description?.hostname).sort()).toEqual(['node-1', 'node-2', 'node-3']);
    expect(nodes.filter((n) => n.role === 'WORKER')).toHaveLength(2);
    const s = await manager.client.service.create.mutate({
      spec: { annotations: { name: 'spread', labels: {} }, task: { container: { image: 'local/busybox:1', command: ['sleep'], args: ['3600'] } }, mode: { kind: 'replicated', replicas: 6 } },
    });
    const running = async () => (await manager.client.task.list.query({ service: s.id })).filter((t: Task) => t.status.state === TaskState.RUNNING);
    await waitFor(async () => (await running()).length === 6, 60_000, () => 'six running tasks');
    const perNode = new Map<string, number>();
    for (const t of await running()) perNode.set(t.nodeId!, (perNode.get(t.nodeId!) ?? 0) + 1);
    expect([...perNode.values()]).toEqual([2, 2, 2]);
    expect(containersOf(runLabel, `label=com.swarm.service.id=${s.id}`)).toHaveLength(6);
  });

  it('issues certificates that openssl verifies against the root, with the node ID, role and cluster', async () => {
    const cluster = await manager.client.cluster.inspect.query();
    for (const n of [manager, ...workers]) {
      const c = certs(n);
      expect(execFileSync('openssl', ['verify', '-CAfile', c.root, c.cert], { encoding: 'utf8' })).toContain(': OK');
      const subject = execFileSync('openssl', ['x509', '-in', c.cert, '-noout', '-subject', '-nameopt', 'sep_multiline'], { encoding: 'utf8' });
      expect(subject).toContain(`CN=${n.id()}`);
      expect(subject).toContain(`O=${cluster.id}`);
      expect(subject).toContain(n === manager ? 'OU=swarm-manager' : 'OU=swarm-worker');
      expect(fs.statSync(c.key).mode & 0o777).toBe(0o600);
    }
  });

  it('refuses a TLS handshake without a client certificate (openssl s_client)', () => {
    for (const tls of ['-tls1_3', '-tls1_2']) {
      // Keep stdin open for a second: under TLS 1.3 the server's refusal arrives after the
      // client's Finished, and an s_client whose stdin closes at once may exit before reading it.
      const r = spawnSync('sh', ['-c', `sleep 1 | openssl s_client -connect ${manager.remoteApi} -alpn h2 ${tls}`], { encoding: 'utf8', timeout: 15_000 });
      const out = r.stdout + r.stderr;
      expect(r.status).not.toBe(0);
      expect(out).toMatch(/alert (certificate required|handshake failure)/);
    }
  });

  it('refuses a worker certificate on a manager-only RPC, and accepts the manager', async () => {
    expect(await healthCheck(manager.remoteApi, manager)).toBe('SERVING');
    const r = await healthCheck(manager.remoteApi, workers[0]!);
    expect(r).toMatchObject({ code: grpc.status.PERMISSION_DENIED, details: expect.stringContaining('not part of OUs: [swarm-manager]') });
  });

  it('refuses a wrong token, and a token whose CA digest does not match, before writing anything', async () => {
    const before = (await manager.client.node.list.query()).length;
    const digest = workerToken.split('-')[2];
    const wrongSecret = `SWMTKN-1-${digest}-${newSecret()}`;
    const otherCa = formatToken((await createRootCA()).certPem);
    for (const [token, message] of [
      [wrongSecret, /refused the join token/],
      [otherCa, /digest does not match the join token/],
      ['SWMTKN-1-nonsense', /invalid join token/],
    ] as const) {
      const dir = tempDir();
      const r = await runSwarmdOnce(['-d', dir, '--join-addr', manager.remoteApi, '--join-token', token, '--listen-control-api', path.join(dir, 's.sock'), '--no-listen-http', '--executor', 'sim']);
      expect(r.code).not.toBe(0);
      expect(r.output).toMatch(message);
      expect(fs.existsSync(path.join(dir, 'certificates'))).toBe(false);
      fs.rmSync(dir, { recursive: true, force: true });
    }
    expect((await manager.client.node.list.query()).length).toBe(before);
  });

  it('a rotated token stops working for new joins while joined nodes keep working', async () => {
    const rotated = await manager.client.cluster.update.mutate({ rotateJoinToken: 'worker' });
    const newToken = rotated.rootCa!.joinTokens.worker;
    expect(newToken).not.toBe(workerToken);
    expect(newToken.split('-')[2]).toBe(workerToken.split('-')[2]);
    const dir = tempDir();
    const r = await runSwarmdOnce(['-d', dir, '--join-addr', manager.remoteApi, '--join-token', workerToken, '--listen-control-api', path.join(dir, 's.sock'), '--no-listen-http', '--executor', 'sim']);
    expect(r.code).not.toBe(0);
    expect(r.output).toMatch(/refused the join token/);
    fs.rmSync(dir, { recursive: true, force: true });
    // Joined workers still get new work.
    await manager.client.service.scale.mutate({ ref: 'spread', replicas: 9 });
    await waitFor(async () => (await manager.client.task.list.query({ service: 'spread' })).filter((t: Task) => t.status.state === TaskState.RUNNING).length === 9, 60_000, () => 'nine running');
    const nodes = new Set((await manager.client.task.list.query({ service: 'spread' })).map((t: Task) => t.nodeId));
    expect(nodes.size).toBe(3);
    // And the new token works.
    const w = await startNode({ runLabel, executor: 'sim', hostname: 'node-4', join: { addr: manager.remoteApi, token: newToken } });
    workers.push(w);
    await waitFor(async () => (await manager.client.node.list.query()).some((n) => n.description?.hostname === 'node-4' && n.status.state === 'READY'), 30_000, () => 'node-4 READY');
  });

  it('a removed node cannot reconnect, and restarts of joined nodes need no token', async () => {
    const w = workers[2]!; // node-4 (sim)
    const id = w.id();
    await manager.client.node.remove.mutate({ ref: id, force: true });
    expect((await manager.client.node.list.query()).some((n) => n.id === id)).toBe(false);
    await w.kill9();
    const restarted = runSwarmdOnce(['-d', w.dir, '--listen-control-api', path.join(w.dir, 's.sock'), '--no-listen-http', '--executor', 'sim'], 45_000, /was removed from swarm/);
    const r = await restarted;
    expect(r.output, r.output).toMatch(/was removed from swarm/);
    expect((await manager.client.node.list.query()).some((n) => n.id === id)).toBe(false);
    // A joined worker restarts with its stored certificate (no token) and comes back READY.
    const w2 = workers[0]!;
    await w2.kill9();
    await w2.restart();
    await waitFor(async () => (await manager.client.node.list.query()).find((n) => n.id === w2.id())?.status.state === 'READY', 30_000, () => 'worker READY after restart');
  });
});
