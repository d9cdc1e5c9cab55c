/**
 * Three managers' stores over real Raft nodes (gRPC on loopback, fsync'd
 * logs): writes on the leader reach every store in the same order, a
 * follower's writes go through the leader (here handed over in-process; the
 * Peers gRPC service is tested with real managers), concurrent writes from
 * several managers all land through conflict retries, and after the leader
 * stops a new one takes writes and a restarted manager catches up.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type RaftNode, startRaftNode } from '@swarm/raft';
import { canonicalJson, newId, ok } from '@swarm/shared';
import { freePort, waitFor } from '../../test/harness.js';
import { type ApplyOutcome, replicatedProposer, storeStateMachine } from './replicated.js';
import { type Store, createStore } from './store.js';

const spec = (name: string) => ({
  annotations: { name, labels: {} },
  task: { container: { image: 'x', command: [], args: [], env: [], labels: {} }, resources: { limits: { nanoCpus: 0, memoryBytes: 0, generic: {} }, reservations: { nanoCpus: 0, memoryBytes: 0, generic: {} } }, placement: { constraints: [], preferences: [], platforms: [], maxReplicas: 0 }, forceUpdate: 0 },
  mode: { kind: 'replicated' as const, replicas: 1 },
});

describe('the store replicated through Raft', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'store-raft-'));
  const members: Record<string, { store: Store; node: RaftNode<ApplyOutcome> }> = {};
  let peers: Record<string, string> = {};

  const start = async (id: string) => {
    const store = createStore();
    const node = await startRaftNode<ApplyOutcome>({ id, dir: path.join(root, id), listen: peers[id]!, peers, stateMachine: storeStateMachine(store), tickMs: 20 });
    const forward = async (leaderId: string, data: Uint8Array): Promise<ApplyOutcome> => {
      const r = await members[leaderId]!.node.propose(data);
      if (!r.ok) throw new Error(r.error.message);
      return r.value;
    };
    store.setProposer(replicatedProposer({ raft: node, store, forward, noLeader: () => 'no leader' }));
    members[id] = { store, node };
  };
  const leader = () => Object.values(members).find((m) => m.node.status().role === 'leader');
  const names = (s: Store) => s.view((tx) => tx.list('services').map((x) => x.spec.annotations.name).sort());

  afterAll(async () => {
    for (const m of Object.values(members)) await m.node.stop().catch(() => {});
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('replicates writes from the leader to every store, identically', async () => {
    peers = { m1: `127.0.0.1:${await freePort()}`, m2: `127.0.0.1:${await freePort()}`, m3: `127.0.0.1:${await freePort()}` };
    for (const id of Object.keys(peers)) await start(id);
    await waitFor(() => !!leader(), 20_000, () => 'a leader');
    for (const name of ['a', 'b', 'c']) {
      const r = await leader()!.store.update((tx) => tx.create('services', { id: newId(), spec: spec(name), specVersion: tx.version }));
      expect(r.ok).toBe(true);
    }
    await waitFor(() => Object.values(members).every((m) => m.store.version() === leader()!.store.version()), 20_000, () => 'followers caught up');
    const snaps = Object.values(members).map((m) => canonicalJson(m.store.snapshot()));
    expect(new Set(snaps).size).toBe(1);
    expect(names(members['m1']!.store)).toEqual(['a', 'b', 'c']);
  });

  it("takes a follower's write through the leader; the follower reads it as soon as it is acknowledged", async () => {
    const l = leader()!;
    const follower = Object.values(members).find((m) => m !== l)!;
    const r = await follower.store.update((tx) => tx.create('services', { id: newId(), spec: spec('d'), specVersion: tx.version }));
    expect(r.ok).toBe(true);
    expect(names(follower.store)).toContain('d');
    await waitFor(() => names(l.store).includes('d'), 20_000, () => 'on the leader');
  });

  it('lands concurrent writes from every manager: conflicting entries are skipped alike and re-run', async () => {
    const before = leader()!.store.version();
    const writes = Object.values(members).flatMap((m, i) =>
      Array.from({ length: 20 }, (_, j) => m.store.update((tx) => tx.create('services', { id: newId(), spec: spec(`c${i}-${j}`), specVersion: tx.version }))),
    );
    const results = await Promise.all(writes);
    expect(results.filter((r) => !r.ok)).toEqual([]);
    await waitFor(() => Object.values(members).every((m) => m.store.version() === before + 60), 20_000, () => 'all 60 writes everywhere');
    expect(new Set(Object.values(members).map((m) => canonicalJson(m.store.snapshot()))).size).toBe(1);
    for (const m of Object.values(members)) for (const name of ['c0-0', 'c1-19', 'c2-7']) expect(names(m.store)).toContain(name);
  });

  it('takes writes on a new leader after the old one stops, and a restarted manager catches up', async () => {
    const old = Object.entries(members).find(([, m]) => m === leader())![0];
    await members[old]!.node.stop();
    delete members[old];
    await waitFor(() => !!leader(), 20_000, () => 'a new leader');
    const r = await leader()!.store.update((tx) => {
      tx.create('services', { id: newId(), spec: spec('after-failover'), specVersion: tx.version });
      return ok(undefined);
    });
    expect(r.ok).toBe(true);
    await start(old);
    await waitFor(() => names(members[old]!.store).includes('after-failover'), 20_000, () => 'restarted manager caught up');
    await waitFor(() => Object.values(members).every((m) => m.store.version() === leader()!.store.version()), 20_000, () => 'all equal');
    expect(new Set(Object.values(members).map((m) => canonicalJson(m.store.snapshot()))).size).toBe(1);
    expect(names(members[old]!.store)).toEqual(expect.arrayContaining(['a', 'after-failover', 'b', 'c', 'd']));
  });
});
