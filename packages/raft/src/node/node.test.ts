/** The driver end to end in one process: three nodes over gRPC on loopback, real disks. */
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createListMachine } from '../testing/machines.js';
import { driverFixture, until } from '../testing/driver-fixture.js';
import { freePorts } from '../testing/ports.js';
import { startRaftNode, type RaftNode } from './node.js';

const enc = new TextEncoder();
const { root, running } = driverFixture('raft-node-');

describe('RaftNode (driver) with gRPC transport and WAL', () => {
  it('elects, replicates, survives a leader restart, refuses writes on followers, serves reads, changes membership', async () => {
    const ids = ['m1', 'm2', 'm3'];
    const ports = await freePorts(4);
    const peers = Object.fromEntries(ids.map((id, i) => [id, `127.0.0.1:${ports[i]}`]));
    const machines = new Map(ids.map((id) => [id, createListMachine()]));
    const nodes = new Map<string, RaftNode<number>>();
    const start = async (id: string, opts: { join?: boolean; peersOverride?: Record<string, string> } = {}): Promise<RaftNode<number>> => {
      const sm = createListMachine();
      machines.set(id, sm);
      const n = await startRaftNode({
        id,
        dir: path.join(root, id),
        listen: opts.peersOverride?.[id] ?? peers[id]!,
        peers: opts.peersOverride ?? peers,
        join: opts.join ?? false,
        stateMachine: sm,
        tickMs: 20,
        snapshotInterval: 50,
        keepEntries: 5,
      });
      nodes.set(id, n);
      running.add(n);
      return n;
    };
    const stop = async (id: string): Promise<void> => {
      const n = nodes.get(id)!;
      await n.stop();
      running.delete(n);
      nodes.delete(id);
    };
    const leader = (): RaftNode<number> | undefined => [...nodes.values()].find((n) => n.status().role === 'leader');
    for (const id of ids) await start(id);

    const l1 = await until(leader, 'a leader');
    for (let i = 0; i < 120; i++) {
      const r = await l1.propose(enc.encode(`a${i}`));
      expect(r.ok).toBe(true);
    }
    await until(() => ids.every((id) => machines.get(id)!.values.length === 120), 'replication');

    const follower = [...nodes.values()].find((n) => n !== l1)!;
    const refused = await follower.propose(enc.encode('nope'));
    expect(refused).toMatchObject({ ok: false, error: { kind: 'not-leader', leader: l1.id } });

    const read = await follower.readIndex();
    expect(read.ok && read.value).toBeGreaterThanOrEqual(120);

    const huge = await l1.propose(new Uint8Array(2 * 1024 * 1024));
    expect(huge).toMatchObject({ ok: false, error: { kind: 'too-large' } });

    // leadership transfer to a caught-up follower
    expect(l1.transferLeadership(follower.id).ok).toBe(true);
    await until(() => follower.status().role === 'leader', 'transfer');
    const l1b = follower;
    expect((await l1b.propose(enc.encode('after-transfer'))).ok).toBe(true);

    // restart the leader: a new one is elected, the old one catches up from its WAL + snapshot
    const old = l1b.id;
    await stop(old);
    const l2 = await until(() => leader(), 'a new leader');
    expect(l2.id).not.toBe(old);
    expect((await l2.propose(enc.encode('b0'))).ok).toBe(true);
    await start(old);
    await until(() => machines.get(old)!.values.includes('b0'), 'restarted node catches up');
    expect(machines.get(old)!.values).toEqual(machines.get(l2.id)!.values);

    // add a fourth member (learner, then voter), then remove it again
    const m4 = `127.0.0.1:${ports[3]}`;
    const all = { ...peers, m4 };
    await start('m4', { join: true, peersOverride: all });
    const cur = await until(() => leader(), 'leader');
    expect((await cur.addMember('m4', m4, true)).ok).toBe(true);
    expect((await cur.addMember('m4', m4)).ok).toBe(true);
    expect((await cur.propose(enc.encode('c0'))).ok).toBe(true);
    await until(() => machines.get('m4')!.values.includes('c0'), 'new member applies');
    expect(machines.get('m4')!.values).toEqual(machines.get(cur.id)!.values);
    const removed = await cur.removeMember('m4');
    expect(removed.ok && removed.value.voters).not.toContain('m4');
  });
});
