/**
 * The leader applies the entries it proposed from the commits it built them from; any other entry
 * (a follower's copy, a forwarded write, WAL replay) is decoded and validated.
 */
import { describe, expect, it } from 'vitest';
import type { RaftNode } from '@swarm/raft';
import { type Task, TaskState, jsonEqual, newId, ok } from '@swarm/shared';
import { type ApplyOutcome, replicatedProposer, storeStateMachine } from './replicated.js';
import { type Store, createStore } from './store.js';

const task = (id: string): Omit<Task, 'meta'> => ({
  id,
  spec: { container: { image: 'x', command: [], args: [], env: [], labels: {} }, resources: { limits: { nanoCpus: 0, memoryBytes: 0, generic: {} }, reservations: { nanoCpus: 0, memoryBytes: 0, generic: {} } }, placement: { constraints: [], preferences: [], platforms: [], maxReplicas: 0 }, forceUpdate: 0 },
  specVersion: 1,
  serviceId: 'svc',
  slot: 1,
  annotations: { name: '', labels: {} },
  serviceAnnotations: { name: 'web', labels: {} },
  status: { timestamp: 1, state: TaskState.NEW, message: 'created' },
  desiredState: TaskState.RUNNING,
});

/** A leader's store over a one-member "Raft" that commits every proposal at once; `follower` applies copies of the same bytes. */
function leaderAndFollower(): { leader: Store; follower: Store } {
  const leader = createStore();
  const follower = createStore();
  const leaderSm = storeStateMachine(leader);
  const followerSm = storeStateMachine(follower);
  let index = 0;
  const raft: Pick<RaftNode<ApplyOutcome>, 'propose' | 'status'> = {
    status: () => ({ role: 'leader', leader: 'm1' }) as ReturnType<RaftNode<ApplyOutcome>['status']>,
    async propose(data) {
      index++;
      followerSm.apply({ index, term: 1, data: Uint8Array.from(data) }); // what went over the wire: other bytes objects
      return ok(leaderSm.apply({ index, term: 1, data }));
    },
  };
  leader.setProposer(replicatedProposer({ raft, store: leader, forward: () => Promise.reject(new Error('no forwarding')), noLeader: () => 'none' }));
  return { leader, follower };
}

describe('entries a leader proposed itself', () => {
  it('are applied from its own commits (the very objects, no decode); a follower decodes the same content', async () => {
    const { leader, follower } = leaderAndFollower();
    let created: Task | undefined;
    const r = await leader.update((tx) => {
      const c = tx.create('tasks', task(newId()));
      if (c.ok) created = c.value;
      return c;
    });
    expect(r.ok).toBe(true);
    const stored = leader.view((tx) => tx.get('tasks', created!.id));
    expect(stored).toBe(created); // the object the transaction built: not a decoded copy
    const copy = follower.view((tx) => tx.get('tasks', created!.id));
    expect(copy).not.toBe(created);
    expect(jsonEqual(copy, created)).toBe(true);

    // A status patch the same way.
    await leader.update((tx) => {
      const t = tx.get('tasks', created!.id)!;
      return tx.update('tasks', { ...t, status: { timestamp: 2, state: TaskState.RUNNING, message: 'started' } });
    });
    expect(follower.version()).toBe(leader.version());
    expect(jsonEqual(follower.view((tx) => tx.get('tasks', created!.id)), leader.view((tx) => tx.get('tasks', created!.id)))).toBe(true);
  });

  it('an own entry that no longer follows the store version is a conflict, as a decoded one would be', async () => {
    const { leader } = leaderAndFollower();
    const sm = storeStateMachine(leader);
    const outcomes: ApplyOutcome[] = [];
    leader.setProposer(
      replicatedProposer({
        raft: {
          status: () => ({ role: 'leader', leader: 'm1' }) as ReturnType<RaftNode<ApplyOutcome>['status']>,
          async propose(data) {
            // Another write lands first: this entry was computed on an older version.
            if (outcomes.length === 0) leader.applyCommitted({ version: leader.version() + 1, changes: [] });
            const o = sm.apply({ index: outcomes.length + 1, term: 1, data });
            outcomes.push(o);
            return ok(o);
          },
        },
        store: leader,
        forward: () => Promise.reject(new Error('no forwarding')),
        noLeader: () => 'none',
      }),
    );
    const r = await leader.update((tx) => tx.create('tasks', task(newId())));
    expect(outcomes[0]).toMatchObject({ kind: 'conflict' });
    expect(r.ok).toBe(true); // re-run on the new version, then applied
    expect(outcomes.at(-1)).toMatchObject({ kind: 'applied' });
  });

  it('in tests, an own object a follower would decode differently (a missing default) is caught', async () => {
    expect(process.env['SWARM_CHECK_OWN_ENTRIES']).toBe('1'); // set by vitest.config.ts for every test run
    const { leader } = leaderAndFollower();
    // `annotations.labels` defaults to {} when decoded: a leader object without it differs from every follower's.
    const t = { ...task(newId()), annotations: { name: '' } } as unknown as Omit<Task, 'meta'>;
    const r = await leader.update((tx) => tx.create('tasks', t));
    expect(r).toMatchObject({ ok: false, error: { kind: 'propose-failed', message: expect.stringMatching(/^store bug: an entry decodes to other objects/) } });
  });
});

