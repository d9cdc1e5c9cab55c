/**
 * Forwarded writes over Peers.ProposeStream, against a real gRPC server on
 * loopback (plaintext here; managers use mutual TLS) and a stand-in Raft node:
 * outcomes reach the right caller, a follower says where the leader is, the
 * caller is identified again while the stream lives, a stuck request frees
 * the stream, and a leader without the method gets unary calls.
 */
import * as grpc from '@grpc/grpc-js';
import type { RaftNode } from '@swarm/raft';
import { type Result, err, ok } from '@swarm/shared';
import { afterEach, describe, expect, it } from 'vitest';
import type { ApplyOutcome } from '../store/replicated.js';
import { type PeerClients, createPeerClients, createPeerService, peerServiceDef } from './peer-service.js';

type Proposal = { data: Uint8Array; answer(r: Awaited<ReturnType<RaftNode<ApplyOutcome>['propose']>>): void };

/** A Raft stand-in: proposals wait until the test answers them. */
function fakeRaft() {
  const proposals: Proposal[] = [];
  const st = { role: 'leader' as 'leader' | 'follower', leader: 'm1' };
  const raft = {
    status: () => ({ role: st.role, leader: st.leader }),
    members: () => new Map([['m1', '10.0.0.1:4242']]),
    propose: (data: Uint8Array) => new Promise((answer) => proposals.push({ data, answer })),
  } as unknown as RaftNode<ApplyOutcome>;
  return { raft, proposals, st };
}

const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0)) await c();
});

async function serve(def: grpc.ServiceDefinition, raft: RaftNode<ApplyOutcome>, identify: () => Result<string, string> = () => ok('m2')) {
  const server = new grpc.Server();
  const impl = createPeerService({ raft, identifyManager: () => identify(), log: () => {} });
  const calls: Record<string, number> = {};
  const counted = Object.fromEntries(
    Object.entries(impl).map(([m, f]) => [m, (...a: unknown[]) => ((calls[m] = (calls[m] ?? 0) + 1), (f as (...x: unknown[]) => void)(...a))]),
  );
  server.addService(def, counted);
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
  cleanup.push(() => server.forceShutdown());
  const peers: PeerClients = createPeerClients(grpc.credentials.createInsecure());
  cleanup.push(() => peers.close());
  return { addr: `127.0.0.1:${port}`, peers, calls };
}

const until = async (cond: () => boolean) => {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(cond()).toBe(true);
};

describe('Peers.ProposeStream', () => {
  it('answers each write with its own outcome, in whatever order Raft applies them', async () => {
    const { raft, proposals } = fakeRaft();
    const { addr, peers, calls } = await serve(peerServiceDef, raft);
    const a = peers.propose(addr, new Uint8Array([1, 2, 3]), 5_000);
    const b = peers.propose(addr, new Uint8Array([4]), 5_000);
    await until(() => proposals.length === 2);
    expect(proposals.map((p) => [...p.data])).toEqual([[1, 2, 3], [4]]);
    expect(proposals[0]!.data.buffer.byteLength).toBe(3); // its own copy: the log keeps it, not the frame's memory
    proposals[1]!.answer({ ok: true, value: { kind: 'conflict', index: 8, version: 41 } });
    proposals[0]!.answer({ ok: true, value: { kind: 'applied', index: 7 } });
    expect(await a).toEqual({ kind: 'applied', index: 7 });
    expect(await b).toEqual({ kind: 'conflict', index: 8, version: 41 });
    expect(calls).toEqual({ ProposeStream: 1 }); // both writes on one stream, no unary call
  });

  it('a manager that is not the leader says where the leader is; Raft refusals come back as errors', async () => {
    const { raft, proposals, st } = fakeRaft();
    const { addr, peers } = await serve(peerServiceDef, raft);
    st.role = 'follower';
    await expect(peers.propose(addr, new Uint8Array([1]), 5_000)).rejects.toThrow(/not the leader; leader is 10\.0\.0\.1:4242.*may or may not have been applied/);
    st.role = 'leader';
    const p = peers.propose(addr, new Uint8Array([2]), 5_000);
    await until(() => proposals.length === 1);
    proposals[0]!.answer({ ok: false, error: { kind: 'dropped', message: 'raft: proposal dropped in a leader change' } });
    await expect(p).rejects.toThrow(/proposal dropped in a leader change/);
  });

  it('refuses a caller that is not a manager, when the stream opens and later while it lives', async () => {
    const { raft, proposals } = fakeRaft();
    let who: Result<string, string> = err('only managers may call this');
    const { addr, peers } = await serve(peerServiceDef, raft, () => who);
    await expect(peers.propose(addr, new Uint8Array([1]), 5_000)).rejects.toThrow(/only managers may call this/);
    who = ok('m2');
    const first = peers.propose(addr, new Uint8Array([2]), 5_000);
    await until(() => proposals.length === 1);
    proposals[0]!.answer({ ok: true, value: { kind: 'applied', index: 3 } });
    await first;
    who = err('Permission denied: node m2 was removed from swarm');
    await new Promise((r) => setTimeout(r, 1_050)); // identities are checked again after a second
    await expect(peers.propose(addr, new Uint8Array([3]), 5_000)).rejects.toThrow(/node m2 was removed from swarm/);
    expect(proposals).toHaveLength(1);
  });

  it('a write left unanswered fails after its timeout and the next one goes through a new stream', async () => {
    const { raft, proposals } = fakeRaft();
    const { addr, peers } = await serve(peerServiceDef, raft);
    await expect(peers.propose(addr, new Uint8Array([1]), 200)).rejects.toThrow(/no answer within 200 ms/);
    const next = peers.propose(addr, new Uint8Array([2]), 5_000);
    await until(() => proposals.length === 2);
    proposals[1]!.answer({ ok: true, value: { kind: 'applied', index: 9 } });
    expect(await next).toEqual({ kind: 'applied', index: 9 });
  });

  it('falls back to unary calls for a leader without the stream (an older manager)', async () => {
    const { raft, proposals } = fakeRaft();
    const { ProposeStream: _, ...older } = peerServiceDef as Record<string, unknown>;
    const { addr, peers, calls } = await serve(older as grpc.ServiceDefinition, raft);
    for (const n of [1, 2]) {
      const p = peers.propose(addr, new Uint8Array([n]), 5_000);
      await until(() => proposals.length === n);
      proposals[n - 1]!.answer({ ok: true, value: { kind: 'applied', index: n } });
      expect(await p).toEqual({ kind: 'applied', index: n });
    }
    expect(proposals.map((p) => [...p.data])).toEqual([[1], [2]]);
    expect(calls).toEqual({ Propose: 2 });
  });
});
