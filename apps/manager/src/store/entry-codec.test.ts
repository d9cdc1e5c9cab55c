/**
 * The Raft entry format: commits survive encode → decode → resolve against a
 * store at the same version (patches, deletes, shared task specs), format 1
 * entries still apply, and anything that does not fit is refused with a clear
 * error before the store changes.
 */
import { describe, expect, it } from 'vitest';
import { type CommitEvent, type Service, ServiceSchema, type Task, TaskState, newId, ok } from '@swarm/shared';
import { CorruptEntryError, decodeEntry, encodeEntry, sameJson } from './entry-codec.js';
import { decodeCommits, encodeCommits, storeStateMachine } from './replicated.js';
import { type Store, createStore } from './store.js';

const serviceSpec = {
  annotations: { name: 'web', labels: { tier: 'front' } },
  task: { container: { image: 'x', command: [], args: [], env: [], labels: {} }, resources: { limits: { nanoCpus: 0, memoryBytes: 0, generic: {} }, reservations: { nanoCpus: 1e8, memoryBytes: 0, generic: {} } }, placement: { constraints: [], preferences: [], platforms: [], maxReplicas: 0 }, forceUpdate: 0 },
  mode: { kind: 'replicated' as const, replicas: 3 },
};

const newTask = (svc: Service, slot: number): Omit<Task, 'meta'> => ({
  id: newId(),
  spec: svc.spec.task,
  specVersion: svc.specVersion,
  serviceId: svc.id,
  slot,
  annotations: { name: '', labels: {} },
  serviceAnnotations: svc.spec.annotations,
  status: { timestamp: 1, state: TaskState.NEW, message: 'created' },
  desiredState: TaskState.RUNNING,
});

/** Two stores: `a` makes the writes, `b` applies only what `a` would put in Raft entries. */
function pair(): { a: Store; b: Store; entries: Uint8Array[] } {
  const entries: Uint8Array[] = [];
  const b = createStore();
  const sm = storeStateMachine(b);
  const a = createStore({
    proposer: {
      async propose(commits) {
        const data = encodeCommits(a, commits);
        entries.push(data);
        expect(sm.apply({ index: entries.length, term: 1, data })).toEqual({ kind: 'applied', index: entries.length });
      },
    },
  });
  return { a, b, entries };
}

const same = (a: Store, b: Store) => expect(b.snapshot()).toEqual(a.snapshot());

describe('raft entry format 2', () => {
  it('replays creates, status patches, removed fields and deletes onto another store identically', async () => {
    const { a, b, entries } = pair();
    const svc = await a.update((tx) => tx.create('services', { id: newId(), spec: serviceSpec, specVersion: 1 }));
    if (!svc.ok) throw new Error('service');
    const created = await a.update((tx) => ok([1, 2, 3].map((s) => (tx.create('tasks', newTask(svc.value, s)) as { value: Task }).value)));
    if (!created.ok) throw new Error('tasks');
    // Several commits in one batch: the second patches what the first changed.
    const [t1, t2, t3] = created.value as [Task, Task, Task];
    const w1 = a.update((tx) => tx.update('tasks', { ...tx.get('tasks', t1.id)!, nodeId: 'n1', status: { timestamp: 2, state: TaskState.ASSIGNED, message: '' } }));
    const w2 = a.update((tx) => tx.update('tasks', { ...tx.get('tasks', t1.id)!, runningAt: 5, status: { timestamp: 3, state: TaskState.RUNNING, message: 'started' } }));
    expect((await w1).ok && (await w2).ok).toBe(true);
    const { nodeId: _drop, ...withoutNode } = a.view((tx) => tx.get('tasks', t1.id))!;
    expect((await a.update((tx) => tx.update('tasks', withoutNode as Task))).ok).toBe(true);
    expect((await a.update((tx) => tx.delete('tasks', t2.id))).ok).toBe(true);
    same(a, b);
    expect(b.view((tx) => tx.get('tasks', t1.id))).toMatchObject({ runningAt: 5, status: { state: TaskState.RUNNING } });
    expect(b.view((tx) => tx.get('tasks', t1.id))!.nodeId).toBeUndefined();
    // Tasks of one entry share their decoded spec; a status patch is far smaller than the task.
    expect(b.view((tx) => tx.get('tasks', t3.id))!.spec).toBe(b.view((tx) => tx.get('tasks', t1.id))!.spec);
    const patch = entries.at(-3)!;
    expect(patch.length).toBeLessThan(JSON.stringify(a.view((tx) => tx.get('tasks', t1.id))).length);
  });

  it('still applies format 1 entries (whole objects, as written before)', () => {
    const store = createStore();
    const svc = { id: 's1', spec: serviceSpec, specVersion: 1, meta: { version: 1, createdAt: 1, updatedAt: 1 } };
    const legacy: CommitEvent[] = [{ version: 1, changes: [{ table: 'services', action: 'create', object: svc as never }] }];
    const data = new TextEncoder().encode(JSON.stringify({ commits: legacy }));
    expect(storeStateMachine(store).apply({ index: 1, term: 1, data })).toEqual({ kind: 'applied', index: 1 });
    expect(store.view((tx) => tx.get('services', 's1'))?.spec.annotations.name).toBe('web');
  });

  it('refuses an unknown format, a malformed entry, and a patch whose base is not the stored version, changing nothing', async () => {
    const enc = (o: unknown) => new TextEncoder().encode(JSON.stringify(o));
    expect(() => decodeEntry(enc({ v: 3, commits: [] }))).toThrow(/format 3 is not known/);
    expect(() => decodeEntry(enc({ v: 2, shared: [], commits: [{ version: 1, changes: [{ t: 'tasks', a: 'merge' }] }] }))).toThrow(CorruptEntryError);
    expect(() => decodeEntry(new TextEncoder().encode('{nope'))).toThrow(/not JSON/);

    const { a, b } = pair();
    const svc = await a.update((tx) => tx.create('services', { id: newId(), spec: serviceSpec, specVersion: 1 }));
    if (!svc.ok) throw new Error('service');
    const before = b.snapshot();
    const stale = encodeEntry([{ version: 2, changes: [{ table: 'services', action: 'update', object: { ...svc.value, specVersion: 2, meta: { ...svc.value.meta, version: 2 } } }] }], () => ({ ...svc.value, meta: { ...svc.value.meta, version: 7 } }));
    expect(() => decodeCommits(b, stale)).toThrow(/patches services .* at version 7, but this store has it at version 1/);
    const badPatch = enc({ v: 2, shared: [], commits: [{ version: 2, changes: [{ t: 'services', a: 'patch', id: svc.value.id, base: 1, set: { specVersion: 'two' } }] }] });
    expect(() => storeStateMachine(b).apply({ index: 9, term: 1, data: badPatch })).toThrow(/invalid raft entry: patch of services/);
    expect(b.snapshot()).toEqual(before);
  });

  it('takes a patched field equal to a stored value of the same schema as that value, and stores the same as validating it', async () => {
    const { a, b, entries } = pair();
    const svc = await a.update((tx) => tx.create('services', { id: newId(), spec: serviceSpec, specVersion: 1 }));
    if (!svc.ok) throw new Error('service');
    // An update that moves the spec to previousSpec and sets an equal (rebuilt) spec: both equal the stored spec.
    const before = b.view((tx) => tx.get('services', svc.value.id))!;
    const { mode, task, annotations } = JSON.parse(JSON.stringify(serviceSpec)) as typeof serviceSpec;
    const rebuilt = { mode, task, annotations }; // equal content, another key order
    const up = await a.update((tx) => tx.update('services', { ...tx.get('services', svc.value.id)!, spec: rebuilt, previousSpec: tx.get('services', svc.value.id)!.spec, specVersion: 2 }));
    expect(up.ok).toBe(true);
    const set = (JSON.parse(new TextDecoder().decode(entries.at(-1)!)) as { commits: [{ changes: [{ set: Record<string, unknown> }] }] }).commits[0].changes[0].set;
    expect(Object.keys(set)).toEqual(expect.arrayContaining(['spec', 'previousSpec']));
    same(a, b);
    const stored = b.view((tx) => tx.get('services', svc.value.id))!;
    expect(stored.previousSpec).toBe(stored.spec);
    // The replica holds exactly what validating every patched field would have produced (content and key order).
    const parsed = ServiceSchema.partial().parse(set) as Record<string, unknown>;
    const validated: Record<string, unknown> = { ...before };
    for (const k of Object.keys(set)) validated[k] = parsed[k];
    expect(JSON.stringify(stored)).toBe(JSON.stringify(validated));
    // A changed spec is validated as before: an invalid one is refused even next to an equal previousSpec.
    const bad = { v: 2, shared: [], commits: [{ version: 3, changes: [{ t: 'services', a: 'patch', id: svc.value.id, base: 2, set: { previousSpec: serviceSpec, spec: { ...serviceSpec, mode: { kind: 'replicated', replicas: -1 } } } }] }] };
    expect(() => storeStateMachine(b).apply({ index: 9, term: 1, data: new TextEncoder().encode(JSON.stringify(bad)) })).toThrow(/invalid raft entry: patch of services .*replicas/);
  });

  it('refuses a patch or object that is not a JSON object', () => {
    const enc = (o: unknown) => new TextEncoder().encode(JSON.stringify(o));
    for (const set of [[], null, 'x', 3]) {
      expect(() => decodeEntry(enc({ v: 2, shared: [], commits: [{ version: 1, changes: [{ t: 'services', a: 'patch', id: 's', base: 1, set }] }] }))).toThrow(CorruptEntryError);
    }
    expect(() => decodeEntry(enc({ v: 2, shared: [], commits: [{ version: 1, changes: [{ t: 'services', a: 'create', o: [1] }] }] }))).toThrow(CorruptEntryError);
  });

  it('compares JSON values deeply (sameJson)', () => {
    expect(sameJson({ a: [1, { b: 'x' }], c: {} }, { c: {}, a: [1, { b: 'x' }] })).toBe(true);
    expect(sameJson({ a: 1 }, { a: 1, b: undefined })).toBe(false);
    expect(sameJson({ a: 1, b: 2 }, { a: 1, c: 2 })).toBe(false);
    expect(sameJson([1, 2], { 0: 1, 1: 2 })).toBe(false);
    expect(sameJson([1, 2], [1, 2, 3])).toBe(false);
    expect(sameJson(0, -0)).toBe(false);
    expect(sameJson(null, {})).toBe(false);
    expect(sameJson('1', 1)).toBe(false);
  });
});
