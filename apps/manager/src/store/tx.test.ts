import { describe, expect, it } from 'vitest';
import { TaskState } from '@swarm/shared';
import { makeNode, makeTask, serviceSpec } from '../testing/fixtures.js';
import { applyToTables, emptyTables, type BaseTables } from './tables.js';
import { createReadTx, createWriteTx, type Overlay } from './tx.js';

function baseWith(): BaseTables {
  const b = emptyTables();
  applyToTables(b, 'services', 's1', { id: 's1', meta: { version: 1, createdAt: 5, updatedAt: 5 }, spec: serviceSpec('Web'), specVersion: 1 });
  applyToTables(b, 'nodes', 'n1', makeNode('n1'));
  applyToTables(b, 'tasks', 't1', makeTask({ id: 't1', serviceId: 's1', nodeId: 'n1' }));
  return b;
}

describe('write transaction', () => {
  it('stamps meta on create: version = commit version, createdAt = updatedAt = now', () => {
    const { tx } = createWriteTx(emptyTables(), [], 7, 1234);
    const r = tx.create('nodes', { ...makeNode('n9'), meta: undefined } as never);
    expect(r.ok).toBe(true);
    expect(r.ok && r.value.meta).toEqual({ version: 7, createdAt: 1234, updatedAt: 1234 });
  });

  it('keeps createdAt and bumps version/updatedAt on update', () => {
    const base = baseWith();
    const { tx } = createWriteTx(base, [], 2, 99);
    const cur = tx.get('services', 's1');
    if (!cur) throw new Error('missing');
    const r = tx.update('services', { ...cur, specVersion: 2 });
    expect(r.ok && r.value.meta).toEqual({ version: 2, createdAt: 5, updatedAt: 99 });
  });

  it('refuses an update with a stale meta.version ("update out of sequence") and changes nothing', () => {
    const base = baseWith();
    const { tx, changes } = createWriteTx(base, [], 2, 0);
    const cur = tx.get('services', 's1');
    if (!cur) throw new Error('missing');
    const r = tx.update('services', { ...cur, meta: { ...cur.meta, version: 0 }, specVersion: 9 });
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error.kind).toBe('conflict');
    expect(!r.ok && r.error.message).toMatch(/update out of sequence/);
    expect(changes()).toEqual([]);
    expect(tx.get('services', 's1')?.specVersion).toBe(1);
  });

  it('a second update in the same transaction needs the version the first returned', () => {
    const { tx } = createWriteTx(baseWith(), [], 2, 0);
    const cur = tx.get('services', 's1');
    if (!cur) throw new Error('missing');
    const first = tx.update('services', { ...cur, specVersion: 2 });
    expect(first.ok).toBe(true);
    // The original object is now stale (its version 1 ≠ 2).
    expect(tx.update('services', { ...cur, specVersion: 3 }).ok).toBe(false);
    if (!first.ok) throw new Error('unreachable');
    expect(tx.update('services', { ...first.value, specVersion: 3 }).ok).toBe(true);
  });

  it('update and delete of a missing object are not-found; create of an existing ID is exists', () => {
    const { tx } = createWriteTx(baseWith(), [], 2, 0);
    const u = tx.update('tasks', makeTask({ id: 'nope' }));
    expect(!u.ok && u.error.kind).toBe('not-found');
    const d = tx.delete('nodes', 'nope');
    expect(!d.ok && d.error.kind).toBe('not-found');
    const c = tx.create('nodes', makeNode('n1'));
    expect(!c.ok && c.error.kind).toBe('exists');
  });

  it('service names are unique case-insensitively', () => {
    const { tx } = createWriteTx(baseWith(), [], 2, 0);
    const r = tx.create('services', { id: 's2', spec: serviceSpec('WEB'), specVersion: 2 });
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toMatchObject({ kind: 'exists' });
    expect(!r.ok && r.error.message).toMatch(/web/);
    expect(tx.create('services', { id: 's3', spec: serviceSpec('web2'), specVersion: 2 }).ok).toBe(true);
    expect(tx.findByName('services', 'wEb')?.id).toBe('s1');
  });

  it('a name freed by a delete in the same transaction can be reused', () => {
    const { tx, changes } = createWriteTx(baseWith(), [], 2, 0);
    expect(tx.delete('services', 's1').ok).toBe(true);
    expect(tx.create('services', { id: 's2', spec: serviceSpec('web'), specVersion: 2 }).ok).toBe(true);
    expect(changes().map((c) => [c.action, c.object.id])).toEqual([
      ['delete', 's1'],
      ['create', 's2'],
    ]);
  });

  it('collapses actions: create+update = create, create+delete = nothing, update+delete = delete (old object)', () => {
    const base = baseWith();
    const { tx, changes } = createWriteTx(base, [], 2, 0);
    const created = tx.create('nodes', makeNode('n2'));
    if (!created.ok) throw new Error('create failed');
    expect(tx.update('nodes', { ...created.value, role: 'MANAGER' }).ok).toBe(true);
    const tmp = tx.create('nodes', makeNode('n3'));
    expect(tmp.ok).toBe(true);
    expect(tx.delete('nodes', 'n3').ok).toBe(true);
    const n1 = tx.get('nodes', 'n1');
    if (!n1) throw new Error('missing');
    expect(tx.update('nodes', { ...n1, role: 'MANAGER' }).ok).toBe(true);
    expect(tx.delete('nodes', 'n1').ok).toBe(true);
    const ch = changes();
    expect(ch.map((c) => [c.action, c.object.id])).toEqual([
      ['create', 'n2'],
      ['delete', 'n1'],
    ]);
    expect(ch[0]?.object).toMatchObject({ id: 'n2', role: 'MANAGER' });
    // A delete event carries the object as it was committed before.
    expect(ch[1]?.object).toBe(base.nodes.get('n1'));
  });

  it('reads inside the transaction see its own writes; the base is untouched', () => {
    const base = baseWith();
    const { tx } = createWriteTx(base, [], 2, 0);
    tx.create('tasks', makeTask({ id: 't2', serviceId: 's1', nodeId: 'n2' }));
    const t1 = tx.get('tasks', 't1');
    if (!t1) throw new Error('missing');
    tx.update('tasks', { ...t1, nodeId: 'n2' });
    expect(tx.tasksByService('s1').map((t) => t.id).sort()).toEqual(['t1', 't2']);
    expect(tx.tasksByNode('n2').map((t) => t.id).sort()).toEqual(['t1', 't2']);
    expect(tx.tasksByNode('n1')).toEqual([]);
    expect(tx.list('tasks')).toHaveLength(2);
    expect(base.tasks.size).toBe(1);
    expect(base.tasks.get('t1')?.nodeId).toBe('n1');
    expect(createReadTx(base, []).tasksByNode('n2')).toEqual([]);
  });

  it('stacked overlays: a later transaction sees earlier ones, deletes hide base objects', () => {
    const base = baseWith();
    const a = createWriteTx(base, [], 2, 0);
    a.tx.delete('tasks', 't1');
    a.tx.create('tasks', makeTask({ id: 't2', serviceId: 's1', state: TaskState.NEW }));
    const below: Overlay[] = [a.overlay];
    const b = createWriteTx(base, below, 3, 0);
    expect(b.tx.get('tasks', 't1')).toBeUndefined();
    expect(b.tx.get('tasks', 't2')?.status.state).toBe(TaskState.NEW);
    expect(b.tx.tasksByService('s1').map((t) => t.id)).toEqual(['t2']);
    // Deleting t2 (created by a) in b is a delete whose object is a's version.
    expect(b.tx.delete('tasks', 't2').ok).toBe(true);
    expect(b.changes()).toEqual([{ table: 'tasks', action: 'delete', object: a.tx.get('tasks', 't2') }]);
  });
});
