/**
 * A follower that missed a compacted stretch of the log catches up through an
 * InstallSnapshot of several MiB (many 1 MiB chunks, larger than the largest
 * gRPC message the transport allows) over the real gRPC transport.
 */
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createListMachine } from '../testing/machines.js';
import { driverFixture, until } from '../testing/driver-fixture.js';
import { freePorts } from '../testing/ports.js';
import { startRaftNode, type RaftNode } from './node.js';

const { root, running } = driverFixture('raft-snapcatchup-');

describe('InstallSnapshot over gRPC in chunks', () => {
  it('a restarted follower catches up through a 12 MiB snapshot', async () => {
    const ids = ['m1', 'm2', 'm3'];
    const ports = await freePorts(3);
    const peers = Object.fromEntries(ids.map((id, i) => [id, `127.0.0.1:${ports[i]}`]));
    const machines = new Map<string, ReturnType<typeof createListMachine>>();
    const restored = new Map<string, number[]>();
    const nodes = new Map<string, RaftNode<number>>();
    const start = async (id: string): Promise<void> => {
      const sm = createListMachine();
      const restore = sm.restore;
      sm.restore = (data) => {
        restored.set(id, [...(restored.get(id) ?? []), data.length]);
        restore(data);
      };
      machines.set(id, sm);
      const n = await startRaftNode({
        id, dir: path.join(root, id), listen: peers[id]!, peers, stateMachine: sm, tickMs: 20, snapshotInterval: 20, keepEntries: 2, maxEntryBytes: 1024 * 1024,
      });
      nodes.set(id, n);
      running.add(n);
    };
    for (const id of ids) await start(id);
    const leader = await until(() => [...nodes.values()].find((n) => n.status().role === 'leader'), 'a leader');
    const lagging = ids.find((id) => id !== leader.id)!;
    const n = nodes.get(lagging)!;
    await n.stop();
    running.delete(n);
    nodes.delete(lagging);

    // 60 entries of 200 KiB: the state (and so the snapshot) is ~12 MiB, above the 9 MiB message limit.
    const big = 'x'.repeat(200 * 1024);
    for (let i = 0; i < 60; i++) expect((await leader.propose(new TextEncoder().encode(`${i}:${big}`))).ok).toBe(true);
    expect(leader.status().applied).toBeGreaterThan(40);

    await start(lagging);
    const want = machines.get(leader.id)!.values;
    await until(() => machines.get(lagging)!.values.length === want.length, 'the follower catches up', 60_000);
    expect(machines.get(lagging)!.values).toEqual(want);
    // It got there through a snapshot far bigger than one chunk (1 MiB) and than a gRPC message (9 MiB).
    const sizes = restored.get(lagging) ?? [];
    expect(Math.max(0, ...sizes)).toBeGreaterThan(10 * 1024 * 1024);
  }, 120_000);
});
