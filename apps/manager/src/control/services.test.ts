import { describe, expect, it } from 'vitest';
import { type Service, type ServiceSpec, TaskState, ok } from '@swarm/shared';
import { createStore, type Store } from '../store/store.js';
import { makeNode, makeTask, serviceSpec, taskSpec } from '../testing/fixtures.js';
import { createService, removeService, rollbackService, scaleService, serviceCounts, updateService } from './services.js';

const S = TaskState;

const withImage = (spec: ServiceSpec, image: string): ServiceSpec => ({
  ...spec,
  task: { ...spec.task, container: { ...spec.task.container, image } },
});

async function created(store: Store, spec: ServiceSpec): Promise<Service> {
  const r = await createService(store, spec);
  if (!r.ok) throw new Error(`create failed: ${r.error.message}`);
  return r.value;
}

/** Runs `f` and checks that it wrote nothing. */
async function writesNothing<T>(store: Store, f: () => Promise<T>): Promise<T> {
  const before = store.snapshot();
  const r = await f();
  expect(store.snapshot()).toEqual(before);
  return r;
}

describe('createService', () => {
  it('creates a service whose specVersion is the commit version', async () => {
    const store = createStore();
    const svc = await created(store, serviceSpec('web'));
    expect(svc.id).toMatch(/^[0-9a-z]{25}$/);
    expect(svc.specVersion).toBe(svc.meta.version);
    expect(store.view((tx) => tx.get('services', svc.id))).toEqual(svc);
  });

  it('refuses a duplicate name, case-insensitively, with CONFLICT', async () => {
    const store = createStore();
    await created(store, serviceSpec('web'));
    const r = await writesNothing(store, () => createService(store, serviceSpec('WEB')));
    expect(r).toEqual({ ok: false, error: { code: 'CONFLICT', message: 'name conflicts with an existing object: web' } });
  });

  it('accepts any image when no node reports images (process/sim executors)', async () => {
    const store = createStore();
    await store.update((tx) => tx.create('nodes', makeNode('n1')));
    expect((await createService(store, withImage(serviceSpec('web'), 'whatever:1'))).ok).toBe(true);
  });

  it('rejects an image no node has when nodes report images; tags default to latest', async () => {
    const store = createStore();
    await store.update((tx) => {
      tx.create('nodes', makeNode('n1', { images: ['nginx:latest', 'redis:7'] }));
      tx.create('nodes', makeNode('n2')); // reports nothing: ignored
      return ok(undefined);
    });
    const r = await writesNothing(store, () => createService(store, withImage(serviceSpec('web'), 'postgres')));
    expect(r).toEqual({
      ok: false,
      error: { code: 'BAD_REQUEST', message: 'task.container.image: image "postgres" is not present on any node (available: nginx:latest, redis:7)' },
    });
    expect((await createService(store, withImage(serviceSpec('a'), 'nginx'))).ok).toBe(true);
    expect((await createService(store, withImage(serviceSpec('b'), 'redis:7'))).ok).toBe(true);
    expect((await createService(store, withImage(serviceSpec('c'), 'redis'))).ok).toBe(false);
  });
});

describe('updateService', () => {
  it('keeps the previous spec, bumps specVersion and clears the update status', async () => {
    const store = createStore();
    const svc = await created(store, serviceSpec('web'));
    await store.update((tx) => {
      const s = tx.get('services', svc.id);
      return s ? tx.update('services', { ...s, updateStatus: { state: 'completed', message: '' } }) : ok(undefined);
    });
    const cur = store.view((tx) => tx.get('services', svc.id)) as Service;
    const next = withImage(cur.spec, 'nginx:2');
    const r = await updateService(store, { ref: 'web', version: cur.meta.version, spec: next });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.spec).toEqual(next);
    expect(r.value.previousSpec).toEqual(cur.spec);
    expect(r.value.previousSpecVersion).toBe(cur.specVersion);
    expect(r.value.specVersion).toBe(r.value.meta.version);
    expect(r.value.updateStatus).toBeUndefined();
  });

  it('force bumps forceUpdate even with an identical spec', async () => {
    const store = createStore();
    const svc = await created(store, serviceSpec('web'));
    const r1 = await updateService(store, { ref: svc.id, spec: svc.spec, force: true });
    const r2 = await updateService(store, { ref: svc.id, spec: svc.spec, force: true });
    expect(r1.ok && r1.value.spec.task.forceUpdate).toBe(1);
    expect(r2.ok && r2.value.spec.task.forceUpdate).toBe(2);
  });

  it('unknown service: NOT_FOUND "service … not found"', async () => {
    const store = createStore();
    const r = await updateService(store, { ref: 'nope', spec: serviceSpec('nope') });
    expect(r).toEqual({ ok: false, error: { code: 'NOT_FOUND', message: 'service nope not found' } });
  });

  it('resolves by ID, by name and by unique ID prefix; an ambiguous prefix is refused', async () => {
    const store = createStore();
    await store.update((tx) => {
      tx.create('services', { id: 'abc100000000000000000000a', spec: serviceSpec('one'), specVersion: 1 });
      tx.create('services', { id: 'abc200000000000000000000b', spec: serviceSpec('two'), specVersion: 1 });
      return ok(undefined);
    });
    const spec = (name: string) => withImage(serviceSpec(name), 'nginx:9');
    const amb = await writesNothing(store, () => updateService(store, { ref: 'abc', spec: spec('one') }));
    expect(amb).toEqual({ ok: false, error: { code: 'NOT_FOUND', message: 'service abc is ambiguous (2 matches found)' } });
    expect((await updateService(store, { ref: 'abc1', spec: spec('one') })).ok).toBe(true);
    expect((await updateService(store, { ref: 'TWO', spec: spec('two') })).ok).toBe(true);
    expect((await updateService(store, { ref: 'abc200000000000000000000b', spec: spec('two') })).ok).toBe(true);
    expect((await removeService(store, 'ab')).ok).toBe(false);
  });

  it('refuses a mode change', async () => {
    const store = createStore();
    const svc = await created(store, serviceSpec('web'));
    const r = await writesNothing(store, () => updateService(store, { ref: svc.id, spec: { ...svc.spec, mode: { kind: 'global' } } }));
    expect(r).toEqual({ ok: false, error: { code: 'BAD_REQUEST', message: 'mode: service mode change is not allowed' } });
  });

  it('refuses a rename', async () => {
    const store = createStore();
    const svc = await created(store, serviceSpec('web'));
    const r = await writesNothing(store, () => updateService(store, { ref: svc.id, spec: serviceSpec('web2') }));
    expect(r).toEqual({ ok: false, error: { code: 'BAD_REQUEST', message: 'annotations.name: renaming services is not supported' } });
  });

  it('a stale version is a CONFLICT "update out of sequence"', async () => {
    const store = createStore();
    const svc = await created(store, serviceSpec('web'));
    expect((await updateService(store, { ref: svc.id, version: svc.meta.version, spec: withImage(svc.spec, 'nginx:2') })).ok).toBe(true);
    const r = await writesNothing(store, () => updateService(store, { ref: svc.id, version: svc.meta.version, spec: withImage(svc.spec, 'nginx:3') }));
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error.code).toBe('CONFLICT');
    expect(!r.ok && r.error.message).toMatch(/^update out of sequence: service web is at version \d+, not \d+$/);
  });

  it('checks a changed image against the nodes, but not an unchanged one', async () => {
    const store = createStore();
    const svc = await created(store, withImage(serviceSpec('web'), 'old:1'));
    await store.update((tx) => tx.create('nodes', makeNode('n1', { images: ['nginx:latest'] })));
    // Unchanged image that no node has any more: still accepted (e.g. a replica count change).
    expect((await updateService(store, { ref: svc.id, spec: { ...svc.spec, mode: { kind: 'replicated', replicas: 3 } } })).ok).toBe(true);
    const bad = await updateService(store, { ref: svc.id, spec: withImage(svc.spec, 'missing:1') });
    expect(!bad.ok && bad.error).toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining('image "missing:1" is not present on any node') });
    expect((await updateService(store, { ref: svc.id, spec: withImage(svc.spec, 'nginx') })).ok).toBe(true);
  });
});

describe('scaleService and removeService', () => {
  it('scale changes only the replica count', async () => {
    const store = createStore();
    const svc = await created(store, serviceSpec('web'));
    const r = await scaleService(store, 'web', 5);
    expect(r.ok && r.value.spec).toEqual({ ...svc.spec, mode: { kind: 'replicated', replicas: 5 } });
    expect(r.ok && r.value.previousSpec).toEqual(svc.spec);
  });

  it('scale refuses non-replicated services and unknown ones', async () => {
    const store = createStore();
    await created(store, serviceSpec('glob', { mode: { kind: 'global' } }));
    const g = await writesNothing(store, () => scaleService(store, 'glob', 2));
    expect(g).toEqual({ ok: false, error: { code: 'BAD_REQUEST', message: 'replicas: scale can only be used with replicated mode (service glob is global)' } });
    expect(await scaleService(store, 'nope', 2)).toEqual({ ok: false, error: { code: 'NOT_FOUND', message: 'service nope not found' } });
  });

  it('remove deletes by name; an unknown service is NOT_FOUND', async () => {
    const store = createStore();
    const svc = await created(store, serviceSpec('web'));
    expect(await removeService(store, 'Web')).toEqual({ ok: true, value: { id: svc.id } });
    expect(store.view((tx) => tx.get('services', svc.id))).toBeUndefined();
    expect(await writesNothing(store, () => removeService(store, 'web'))).toEqual({ ok: false, error: { code: 'NOT_FOUND', message: 'service web not found' } });
  });
});

describe('serviceCounts', () => {
  it('counts RUNNING, still-wanted tasks on nodes that are not DOWN', async () => {
    const store = createStore();
    const svc = await created(store, serviceSpec('web', { mode: { kind: 'replicated', replicas: 4 }, task: taskSpec() }));
    await store.update((tx) => {
      tx.create('nodes', makeNode('up'));
      tx.create('nodes', makeNode('down', { state: 'DOWN' }));
      tx.create('tasks', makeTask({ id: 'a', slot: 1, nodeId: 'up', serviceId: svc.id }));
      tx.create('tasks', makeTask({ id: 'b', slot: 2, nodeId: 'down', serviceId: svc.id }));
      tx.create('tasks', makeTask({ id: 'c', slot: 3, nodeId: 'up', serviceId: svc.id, desired: S.SHUTDOWN }));
      tx.create('tasks', makeTask({ id: 'd', slot: 4, nodeId: 'up', serviceId: svc.id, state: S.STARTING }));
      return ok(undefined);
    });
    expect(store.view((tx) => serviceCounts(tx, svc))).toEqual({ running: 1, desired: 4 });
  });
});

describe('rollbackService and job iterations (issue 6)', () => {
  it('swaps spec and previous spec (versions too) and sets rollback_started "manually requested rollback"', async () => {
    const store = createStore();
    const v1 = await created(store, serviceSpec('web'));
    const u = await updateService(store, { ref: 'web', spec: withImage(v1.spec, 'nginx:2') });
    if (!u.ok) throw new Error(u.error.message);
    const r = await rollbackService(store, 'web');
    if (!r.ok) throw new Error(r.error.message);
    expect(r.value.spec.task.container.image).toBe(v1.spec.task.container.image);
    expect(r.value.specVersion).toBe(v1.specVersion);
    expect(r.value.previousSpec?.task.container.image).toBe('nginx:2');
    expect(r.value.previousSpecVersion).toBe(u.value.specVersion);
    expect(r.value.updateStatus).toMatchObject({ state: 'rollback_started', message: 'manually requested rollback' });
  });

  it('refuses a service without a previous spec, and unknown services', async () => {
    const store = createStore();
    await created(store, serviceSpec('web'));
    const r = await writesNothing(store, () => rollbackService(store, 'web'));
    expect(r).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST', message: 'service web does not have a previous spec' } });
    expect(await rollbackService(store, 'nope')).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
  });

  it('an update during an update clears the status (supersedes it); a job update starts a new iteration', async () => {
    const store = createStore();
    const svc = await created(store, serviceSpec('web'));
    await store.update((tx) => tx.update('services', { ...(tx.get('services', svc.id) as Service), updateStatus: { state: 'updating', startedAt: 1, message: 'update in progress' } }));
    const u = await updateService(store, { ref: 'web', spec: withImage(svc.spec, 'nginx:3') });
    expect(u.ok && u.value.updateStatus).toBe(undefined);
    const job = await created(store, serviceSpec('job', { mode: { kind: 'replicated-job', maxConcurrent: 1, totalCompletions: 2 } }));
    expect(job.jobStatus?.jobIteration).toBe(0);
    const j2 = await updateService(store, { ref: 'job', spec: withImage(job.spec, 'nginx:4') });
    expect(j2.ok && j2.value.jobStatus?.jobIteration).toBe(1);
  });
});
