/** --force-new-cluster: a lone survivor of three keeps every committed entry and serves writes alone. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { expect, it } from 'vitest';
import { createListMachine } from '../testing/machines.js';
import { driverFixture, until } from '../testing/driver-fixture.js';
import { freePorts } from '../testing/ports.js';
import { startRaftNode, type RaftNode } from './node.js';

const enc = new TextEncoder();
const { root, running } = driverFixture('raft-force-');

it('restores a one-member cluster from a survivor, with every committed entry, and keeps a backup', async () => {
  const ids = ['m1', 'm2', 'm3'];
  const ports = await freePorts(3);
  const peers = Object.fromEntries(ids.map((id, i) => [id, `127.0.0.1:${ports[i]}`]));
  const start = async (id: string, force = false) => {
    const sm = createListMachine();
    const n = await startRaftNode({ id, dir: path.join(root, id), listen: peers[id]!, peers, stateMachine: sm, tickMs: 20, snapshotInterval: 30, keepEntries: 5, forceNewCluster: force });
    running.add(n);
    return { n, sm };
  };
  const nodes = await Promise.all(ids.map((id) => start(id)));
  const leader = await until(() => nodes.find((x) => x.n.status().role === 'leader'), 'a leader');
  for (let i = 0; i < 50; i++) expect((await leader.n.propose(enc.encode(`v${i}`))).ok).toBe(true);
  const survivor = nodes.find((x) => x !== leader)!;
  await until(() => survivor.sm.values.length === 50, 'replication to the survivor');
  for (const x of nodes) {
    await x.n.stop();
    running.delete(x.n);
  }

  const { n, sm } = await start(survivor.n.id, true);
  await until(() => n.status().role === 'leader', 'the survivor elects itself');
  expect(n.status().conf.voters).toEqual([survivor.n.id]);
  expect(sm.values).toEqual(Array.from({ length: 50 }, (_, i) => `v${i}`));
  expect((await n.propose(enc.encode('after'))).ok).toBe(true);
  expect(sm.values.at(-1)).toBe('after');
  expect(fs.readdirSync(root).some((d) => d.startsWith(`${survivor.n.id}.old-`))).toBe(true);
});
