/**
 * The leader's manager-status duty: it writes each manager's status when it
 * differs from what Raft says, and otherwise writes nothing at all (no commit,
 * so the store version stays put).
 */
import { ok } from '@swarm/shared';
import type { RaftNode } from '@swarm/raft';
import { afterEach, describe, expect, it } from 'vitest';
import { createStore } from '../store/store.js';
import { makeNode } from '../testing/fixtures.js';
import type { Duty } from './duties.js';
import { startManagerStatus } from './manager-status.js';

const duties: Duty[] = [];
afterEach(async () => {
  for (const d of duties.splice(0)) await d.stop();
});

function fakeRaft() {
  const up = new Set(['m1', 'm2']);
  const raft = {
    members: () => new Map([['m1', '10.0.0.1:4242'], ['m2', '10.0.0.2:4242']]),
    status: () => ({ leader: 'm1', conf: { voters: ['m1', 'm2'], learners: [] } }),
    reachable: (id: string) => up.has(id),
  } as unknown as Pick<RaftNode<unknown>, 'members' | 'reachable' | 'status'>;
  return { raft, up };
}

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('manager status', () => {
  it('writes what changed, and nothing while nothing changes', async () => {
    const store = createStore();
    await store.update((tx) => {
      for (const id of ['m1', 'm2', 'w1']) tx.create('nodes', makeNode(id));
      return ok(undefined);
    });
    const { raft, up } = fakeRaft();
    const d = startManagerStatus(store, raft, 10);
    duties.push(d);
    await d.idle?.();
    const status = (id: string) => store.view((tx) => tx.get('nodes', id)?.managerStatus);
    expect(status('m1')).toEqual({ raftId: 'm1', addr: '10.0.0.1:4242', leader: true, reachability: 'REACHABLE' });
    expect(status('m2')?.reachability).toBe('REACHABLE');
    expect(status('w1')).toBeUndefined();

    const v = store.version();
    await tick(60); // several periods
    await d.idle?.();
    expect(store.version()).toBe(v);

    up.delete('m2');
    await tick(40);
    await d.idle?.();
    expect(status('m2')?.reachability).toBe('UNREACHABLE');
    expect(store.version()).toBe(v + 1);
  });
});
