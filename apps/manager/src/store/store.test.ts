import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type CommitEvent, type Task, TaskState, err, ok } from '@swarm/shared';
import { makeNode, makeTask, manualClock, recordingProposer, serviceSpec } from '../testing/fixtures.js';
import { createStore } from './store.js';

const svc = (id: string, name: string) => ({ id, spec: serviceSpec(name), specVersion: 0 });

describe('store transactions', () => {
  it('create, update and delete are visible after commit, with meta from the injected clock', async () => {
    const clock = manualClock(5000);
    const store = createStore({ clock });
    const c = await store.update((tx) => tx.create('services', svc('s1', 'web')));
    expect(c).toMatchObject({ ok: true, value: { id: 's1', meta: { version: 1, createdAt: 5000, updatedAt: 5000 } } });
    expect(store.version()).toBe(1);
    clock.advance(10);
    const u = await store.update((tx) => {
      const s = tx.get('services', 's1');
      if (!s) throw new Error('gone');
      return tx.update('services', { ...s, specVersion: 1 });
    });
    expect(u).toMatchObject({ ok: true, value: { meta: { version: 2, createdAt: 5000, updatedAt: 5010 } } });
    expect(store.view((tx) => tx.get('services', 's1')?.specVersion)).toBe(1);
    const d = await store.update((tx) => tx.delete('services', 's1'));
    expect(d.ok).toBe(true);
    expect(store.view((tx) => tx.get('services', 's1'))).toBeUndefined();
    expect(store.version()).toBe(3);
  });

  it('optimistic concurrency: updating from a stale read fails with "update out of sequence"', async () => {
    const store = createStore();
    await store.update((tx) => tx.create('services', svc('s1', 'web')));
    const stale = store.view((tx) => tx.get('services', 's1'));
    if (!stale) throw new Error('missing');
    expect((await store.update((tx) => tx.update('services', { ...stale, specVersion: 5 }))).ok).toBe(true);
    const r = await store.update((tx) => tx.update('services', { ...stale, specVersion: 6 }));
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toMatchObject({ kind: 'conflict', message: expect.stringMatching(/update out of sequence/) });
    expect(store.view((tx) => tx.get('services', 's1')?.specVersion)).toBe(5);
    expect(store.version()).toBe(2);
  });

  it('service names are unique case-insensitively across transactions', async () => {
    const store = createStore();
    expect((await store.update((tx) => tx.create('services', svc('s1', 'Web')))).ok).toBe(true);
    const r = await store.update((tx) => tx.create('services', svc('s2', 'wEB')));
    expect(r).toMatchObject({ ok: false, error: { kind: 'exists' } });
    expect(store.view((tx) => tx.list('services').map((s) => s.id))).toEqual(['s1']);
    expect(store.version()).toBe(1);
  });

  it('two creates of the same name in one group commit: exactly one wins', async () => {
    const p = recordingProposer();
    const store = createStore({ proposer: p });
    p.hold();
    const first = store.update((tx) => tx.create('nodes', makeNode('n0')));
    const a = store.update((tx) => tx.create('services', svc('s1', 'api')));
    const b = store.update((tx) => tx.create('services', svc('s2', 'API')));
    p.release();
    await first;
    expect((await a).ok).toBe(true);
    expect(await b).toMatchObject({ ok: false, error: { kind: 'exists' } });
    expect(p.calls).toHaveLength(2);
    expect(p.calls[1]?.map((c) => c.changes.map((x) => x.object.id))).toEqual([['s1']]);
    expect(store.view((tx) => tx.list('services').map((x) => x.id))).toEqual(['s1']);
  });

  it('an { ok: false } result aborts the whole transaction: earlier writes in it are discarded', async () => {
    const store = createStore();
    const events: CommitEvent[] = [];
    store.subscribe((e) => events.push(e));
    const r = await store.update((tx) => {
      tx.create('nodes', makeNode('n1'));
      tx.create('services', svc('s1', 'web'));
      return err('changed my mind');
    });
    expect(r).toEqual({ ok: false, error: 'changed my mind' });
    expect(store.version()).toBe(0);
    expect(store.snapshot()).toMatchObject({ nodes: [], services: [] });
    expect(events).toEqual([]);
  });

  it('a throwing callback rejects the update and writes nothing; later updates still work', async () => {
    const store = createStore();
    await expect(
      store.update(() => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    const p1 = store.update((tx) => {
      tx.create('nodes', makeNode('n1'));
      throw new Error('boom2');
    });
    const p2 = store.update((tx) => tx.create('nodes', makeNode('n2')));
    await expect(p1).rejects.toThrow('boom2');
    expect((await p2).ok).toBe(true);
    expect(store.view((tx) => tx.list('nodes').map((n) => n.id))).toEqual(['n2']);
    expect(store.version()).toBe(1);
  });

  it('a transaction that writes nothing does not create a version or event', async () => {
    const p = recordingProposer();
    const store = createStore({ proposer: p });
    const events: CommitEvent[] = [];
    store.subscribe((e) => events.push(e));
    expect(await store.update(() => ok(42))).toEqual({ ok: true, value: 42 });
    expect(store.version()).toBe(0);
    expect(p.calls).toEqual([]);
    expect(events).toEqual([]);
  });

  it('reads never see uncommitted writes (the proposer is still working)', async () => {
    const p = recordingProposer();
    const store = createStore({ proposer: p });
    p.hold();
    const pending = store.update((tx) => tx.create('nodes', makeNode('n1')));
    // Let the batch reach the proposer.
    for (let i = 0; i < 5 && p.calls.length === 0; i++) await Promise.resolve();
    expect(p.calls).toHaveLength(1);
    expect(store.view((tx) => tx.get('nodes', 'n1'))).toBeUndefined();
    expect(store.version()).toBe(0);
    expect(store.eventsSince(0)).toEqual([]);
    p.release();
    expect((await pending).ok).toBe(true);
    expect(store.view((tx) => tx.get('nodes', 'n1'))?.id).toBe('n1');
  });

  it('transactions of one batch see each other (stacked), and conflict on the same object', async () => {
    const p = recordingProposer();
    const store = createStore({ proposer: p });
    await store.update((tx) => tx.create('services', svc('s1', 'web')));
    p.hold();
    const blocker = store.update((tx) => tx.create('nodes', makeNode('n0')));
    const stale = store.view((tx) => tx.get('services', 's1'));
    if (!stale) throw new Error('missing');
    const a = store.update((tx) => tx.update('services', { ...stale, specVersion: 10 }));
    const b = store.update((tx) => tx.update('services', { ...stale, specVersion: 11 }));
    const c = store.update((tx) => {
      const s = tx.get('services', 's1');
      return s ? ok(s.specVersion) : err('none');
    });
    p.release();
    await blocker;
    expect((await a).ok).toBe(true);
    expect(await b).toMatchObject({ ok: false, error: { kind: 'conflict' } });
    // A read-only transaction in the batch sees the earlier transaction's write.
    expect(await c).toEqual({ ok: true, value: 10 });
    expect(store.view((tx) => tx.get('services', 's1')?.specVersion)).toBe(10);
  });
});

describe('group commit', () => {
  it('many concurrent updates get consecutive versions and share proposals', async () => {
    const p = recordingProposer();
    const store = createStore({ proposer: p });
    const n = 200;
    const results = await Promise.all(
      Array.from({ length: n }, (_, i) => store.update((tx) => tx.create('nodes', makeNode(`n${i}`)))),
    );
    const versions = results.map((r) => (r.ok ? r.value.meta.version : -1));
    expect(versions).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    // Far fewer proposals than transactions (the first one goes alone, the rest queue behind it).
    expect(p.calls.length).toBeLessThanOrEqual(2);
    const proposed = p.calls.flat().map((c) => c.version);
    expect(proposed).toEqual(versions);
    // Every proposal carries consecutive versions.
    for (const call of p.calls) {
      const first = call[0]?.version ?? 0;
      expect(call.map((c) => c.version)).toEqual(call.map((_, i) => first + i));
    }
    expect(store.version()).toBe(n);
  });

  it('while a proposal is in flight, all queued updates go in the next single proposal', async () => {
    const p = recordingProposer();
    const store = createStore({ proposer: p });
    p.hold();
    const first = store.update((tx) => tx.create('nodes', makeNode('a')));
    const rest = Array.from({ length: 50 }, (_, i) => store.update((tx) => tx.create('nodes', makeNode(`b${i}`))));
    expect(p.calls).toHaveLength(1);
    p.release();
    await first;
    await Promise.all(rest);
    expect(p.calls).toHaveLength(2);
    expect(p.calls[1]?.map((c) => c.version)).toEqual(Array.from({ length: 50 }, (_, i) => i + 2));
  });

  it('a proposer that rejects ⇒ every transaction of the batch gets propose-failed and nothing is applied', async () => {
    const p = recordingProposer();
    const store = createStore({ proposer: p });
    await store.update((tx) => tx.create('nodes', makeNode('n0')));
    const before = store.snapshot();
    const events: CommitEvent[] = [];
    store.subscribe((e) => events.push(e));
    p.failWith('disk on fire');
    const rs = await Promise.all([
      store.update((tx) => tx.create('nodes', makeNode('n1'))),
      store.update((tx) => tx.create('nodes', makeNode('n2'))),
      store.update(() => err('own error')),
    ]);
    expect(rs[0]).toEqual({ ok: false, error: { kind: 'propose-failed', message: 'disk on fire' } });
    expect(rs[1]).toEqual({ ok: false, error: { kind: 'propose-failed', message: 'disk on fire' } });
    expect(rs[2]).toEqual({ ok: false, error: 'own error' });
    expect(store.snapshot()).toEqual(before);
    expect(events).toEqual([]);
    // Versions are not burnt: the next successful commit is version 2.
    p.failWith(undefined);
    const r = await store.update((tx) => tx.create('nodes', makeNode('n3')));
    expect(r.ok && r.value.meta.version).toBe(2);
  });
});

describe('commit events', () => {
  it('carry the version and the changes in the order they were made', async () => {
    const store = createStore();
    const events: CommitEvent[] = [];
    store.subscribe((e) => events.push(e));
    await store.update((tx) => tx.create('services', svc('s1', 'web')));
    await store.update((tx) => {
      tx.create('tasks', makeTask({ id: 't1', serviceId: 's1' }));
      tx.create('nodes', makeNode('n1'));
      tx.create('tasks', makeTask({ id: 't2', serviceId: 's1' }));
      return tx.delete('services', 's1');
    });
    expect(events.map((e) => e.version)).toEqual([1, 2]);
    expect(events[1]?.changes.map((c) => `${c.action} ${c.table}/${c.object.id}`)).toEqual([
      'create tasks/t1',
      'create nodes/n1',
      'create tasks/t2',
      'delete services/s1',
    ]);
    expect(events[1]?.changes[0]?.object.meta.version).toBe(2);
  });

  it('listeners run synchronously at commit, in order, and can unsubscribe', async () => {
    const store = createStore();
    const seen: string[] = [];
    const off = store.subscribe((e) => seen.push(`a${e.version}:${store.version()}`));
    store.subscribe((e) => seen.push(`b${e.version}`));
    await store.update((tx) => tx.create('nodes', makeNode('n1')));
    off();
    await store.update((tx) => tx.create('nodes', makeNode('n2')));
    expect(seen).toEqual(['a1:1', 'b1', 'b2']);
  });

  it('eventsSince returns the retained suffix, [] when up to date, null once compacted or ahead', async () => {
    const store = createStore({ retainEvents: 3 });
    for (let i = 1; i <= 10; i++) await store.update((tx) => tx.create('nodes', makeNode(`n${i}`)));
    expect(store.eventsSince(10)).toEqual([]);
    expect(store.eventsSince(99)).toBeNull(); // a cursor from the future (another manager's history): start over
    expect(store.eventsSince(9)?.map((e) => e.version)).toEqual([10]);
    expect(store.eventsSince(7)?.map((e) => e.version)).toEqual([8, 9, 10]);
    expect(store.eventsSince(0)).toBeNull();
    const oldest = (() => {
      for (let v = 0; v <= 10; v++) if (store.eventsSince(v) !== null) return v;
      return -1;
    })();
    // Whatever is retained is contiguous up to the head.
    expect(store.eventsSince(oldest)?.map((e) => e.version)).toEqual(Array.from({ length: 10 - oldest }, (_, i) => oldest + 1 + i));
    expect(oldest).toBeLessThanOrEqual(7);
  });

  it('eventsSince also stops at the retained changes budget: big commits are not kept beyond it', async () => {
    const store = createStore({ retainEvents: 100, retainChanges: 4 });
    // Commits of 1, 3, 1, 1, 1 and 2 changes.
    const sizes = [1, 3, 1, 1, 1, 2];
    let n = 0;
    for (const size of sizes) {
      await store.update((tx) => {
        for (let i = 0; i < size; i++) tx.create('nodes', makeNode(`n${++n}`));
        return ok(undefined);
      });
    }
    const retained = (() => {
      for (let v = 0; v <= 6; v++) if (store.eventsSince(v) !== null) return store.eventsSince(v)!;
      return [];
    })();
    // Never more than twice the budget, always a contiguous suffix ending at the head.
    expect(retained.reduce((a, e) => a + e.changes.length, 0)).toBeLessThanOrEqual(8);
    expect(retained.map((e) => e.version)).toEqual(Array.from({ length: retained.length }, (_, i) => 7 - retained.length + i));
    expect(store.eventsSince(0)).toBeNull(); // the 3-change commit (version 2) is gone
    expect(store.eventsSince(1)).toBeNull();
    expect(store.eventsSince(5)?.map((e) => e.version)).toEqual([6]);
  });

  it('eventsSince after restore() is null for older versions and works for new commits', async () => {
    const a = createStore();
    for (let i = 1; i <= 3; i++) await a.update((tx) => tx.create('nodes', makeNode(`n${i}`)));
    const b = createStore();
    b.restore(a.snapshot());
    expect(b.version()).toBe(3);
    expect(b.eventsSince(1)).toBeNull();
    await b.update((tx) => tx.create('nodes', makeNode('n4')));
    expect(b.eventsSince(3)?.map((e) => e.version)).toEqual([4]);
    expect(b.snapshot().nodes.map((n) => n.id).sort()).toEqual(['n1', 'n2', 'n3', 'n4']);
  });

  it('applyCommitted is idempotent for already-applied versions', async () => {
    const a = createStore();
    const events: CommitEvent[] = [];
    a.subscribe((e) => events.push(e));
    await a.update((tx) => tx.create('nodes', makeNode('n1')));
    await a.update((tx) => tx.delete('nodes', 'n1'));
    const b = createStore();
    for (const e of events) b.applyCommitted(e);
    b.applyCommitted(events[0] as CommitEvent); // replayed again: ignored
    expect(b.version()).toBe(2);
    expect(b.snapshot()).toEqual(a.snapshot());
  });
});

describe('task indexes (property)', () => {
  type Op =
    | { k: 'create'; id: number; svc: number; node: number | null }
    | { k: 'move'; id: number; svc: number; node: number | null }
    | { k: 'delete'; id: number };
  const nodeArb = fc.option(fc.integer({ min: 0, max: 3 }), { nil: null });
  const opArb: fc.Arbitrary<Op> = fc.oneof(
    fc.record({ k: fc.constant('create' as const), id: fc.integer({ min: 0, max: 9 }), svc: fc.integer({ min: 0, max: 2 }), node: nodeArb }),
    fc.record({ k: fc.constant('move' as const), id: fc.integer({ min: 0, max: 9 }), svc: fc.integer({ min: 0, max: 2 }), node: nodeArb }),
    fc.record({ k: fc.constant('delete' as const), id: fc.integer({ min: 0, max: 9 }) }),
  );

  const apply = (tx: Parameters<Parameters<ReturnType<typeof createStore>['update']>[0]>[0], op: Op) => {
    const id = `t${op.id}`;
    const cur = tx.get('tasks', id);
    if (op.k === 'delete') {
      if (cur) tx.delete('tasks', id);
      return;
    }
    const fields = { serviceId: `s${op.svc}`, ...(op.node === null ? {} : { nodeId: `n${op.node}` }) };
    if (op.k === 'create' && !cur) {
      tx.create('tasks', makeTask({ id, ...fields, state: TaskState.PENDING }));
    } else if (cur) {
      const { nodeId: _, ...rest } = cur;
      tx.update('tasks', { ...rest, ...fields } as Task);
    }
  };

  const check = (store: ReturnType<typeof createStore>, extraTx = false) => {
    const sorted = (ts: Task[]) => ts.map((t) => t.id).sort();
    store.view((tx) => {
      const all = tx.list('tasks');
      for (let s = 0; s < 3; s++) expect(sorted(tx.tasksByService(`s${s}`))).toEqual(sorted(all.filter((t) => t.serviceId === `s${s}`)));
      for (let n = 0; n < 4; n++) expect(sorted(tx.tasksByNode(`n${n}`))).toEqual(sorted(all.filter((t) => t.nodeId === `n${n}`)));
      return extraTx;
    });
  };

  it('tasksByService / tasksByNode equal a naive filter after any sequence of commits (also inside a tx)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(opArb, { minLength: 1, maxLength: 4 }), { maxLength: 25 }), async (batches) => {
        const store = createStore();
        // Submit all batches concurrently so several share one group commit.
        await Promise.all(
          batches.map((ops) =>
            store.update((tx) => {
              for (const op of ops) apply(tx, op);
              // Inside the transaction, the overlay-aware indexes must match too.
              const all = tx.list('tasks');
              for (let s = 0; s < 3; s++) {
                expect(tx.tasksByService(`s${s}`).map((t) => t.id).sort()).toEqual(all.filter((t) => t.serviceId === `s${s}`).map((t) => t.id).sort());
              }
              for (let n = 0; n < 4; n++) {
                expect(tx.tasksByNode(`n${n}`).map((t) => t.id).sort()).toEqual(all.filter((t) => t.nodeId === `n${n}`).map((t) => t.id).sort());
              }
              return ok(undefined);
            }),
          ),
        );
        check(store);
        // A store rebuilt from the snapshot has the same indexes.
        const copy = createStore();
        copy.restore(store.snapshot());
        check(copy);
      }),
      { numRuns: 150 },
    );
  });
});

describe('service names (indexed)', () => {
  it('name conflicts follow renames, deletes and creates inside one group commit', async () => {
    const store = createStore();
    await store.update((tx) => tx.create('services', svc('s1', 'web')));
    const rename = (id: string, name: string) =>
      store.update((tx) => {
        const s = tx.get('services', id)!;
        return tx.update('services', { ...s, spec: { ...s.spec, annotations: { ...s.spec.annotations, name } } });
      });
    // Queued together: they run over stacked overlays in one batch.
    const [a, b, c, d, e] = await Promise.all([
      store.update((tx) => tx.create('services', svc('s2', 'WEB'))), // taken (case-insensitive)
      rename('s1', 'api'),
      store.update((tx) => tx.create('services', svc('s3', 'web'))), // free again after the rename
      store.update((tx) => tx.create('services', svc('s4', 'api'))), // taken by the renamed s1
      store.update((tx) => tx.delete('services', 's3')),
    ]);
    expect(a.ok).toBe(false);
    expect([b.ok, c.ok, d.ok, e.ok]).toEqual([true, true, false, true]);
    expect(store.view((tx) => tx.findByName('services', 'API')?.id)).toBe('s1');
    expect(store.view((tx) => tx.findByName('services', 'web'))).toBeUndefined();
    const f = await store.update((tx) => tx.create('services', svc('s5', 'web')));
    expect(f.ok).toBe(true);
  });
});
