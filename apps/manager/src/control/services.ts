/**
 * Service operations of the control API: create, update, scale, remove.
 * Each validates, then writes in one transaction; nothing is written when
 * anything is wrong.
 */
import {
  type Result, type Service, type ServiceSpec, type Task, TaskState, err, newId, ok,
} from '@swarm/shared';
import type { Store } from '../store/store.js';
import type { ReadTx } from '../store/tx.js';
import { type ControlError, badRequest, conflict, fromStoreError } from './errors.js';
import { resolve } from './resolve.js';

const withTag = (image: string) => (/:[^/]+$/.test(image) || image.includes('@') ? image : `${image}:latest`);

/** An image no node has cannot run (there is no registry to pull from); say so at create time. */
export function checkImage(tx: ReadTx, image: string): Result<void, ControlError> {
  const known = tx.list('nodes').flatMap((n) => (n.description?.engine.images ? [n.description.engine.images] : []));
  if (known.length === 0) return ok(undefined); // no node reports images (process/sim executors)
  const want = withTag(image);
  if (known.some((imgs) => imgs.some((i) => withTag(i) === want))) return ok(undefined);
  const sample = [...new Set(known.flat())].slice(0, 5).join(', ');
  return err(badRequest(`task.container.image: image "${image}" is not present on any node${sample ? ` (available: ${sample})` : ''}`));
}

export async function createService(store: Store, spec: ServiceSpec): Promise<Result<Service, ControlError>> {
  const r = await store.update((tx): Result<Service, ControlError> => {
    const img = checkImage(tx, spec.task.container.image);
    if (!img.ok) return img;
    const isJob = spec.mode.kind === 'replicated-job' || spec.mode.kind === 'global-job';
    const created = tx.create('services', { id: newId(), spec, specVersion: tx.version, ...(isJob ? { jobStatus: { jobIteration: 0, lastExecution: tx.now } } : {}) });
    return created.ok ? created : err(fromStoreError(created.error));
  });
  return r.ok ? r : err(fromStoreError(r.error));
}

export interface UpdateServiceInput {
  ref: string;
  version?: number | undefined;
  spec: ServiceSpec;
  force?: boolean | undefined;
}

export async function updateService(store: Store, input: UpdateServiceInput): Promise<Result<Service, ControlError>> {
  const r = await store.update((tx): Result<Service, ControlError> => {
    const found = resolve(tx, 'services', input.ref);
    if (!found.ok) return err({ code: 'NOT_FOUND', message: found.error });
    const cur = found.value;
    if (input.version !== undefined && input.version !== cur.meta.version) {
      return err(conflict(`update out of sequence: service ${cur.spec.annotations.name} is at version ${cur.meta.version}, not ${input.version}`));
    }
    if (cur.spec.mode.kind !== input.spec.mode.kind) return err(badRequest('mode: service mode change is not allowed'));
    if (cur.spec.annotations.name !== input.spec.annotations.name) return err(badRequest('annotations.name: renaming services is not supported'));
    if (input.spec.task.container.image !== cur.spec.task.container.image) {
      const img = checkImage(tx, input.spec.task.container.image);
      if (!img.ok) return img;
    }
    const spec: ServiceSpec = input.force
      ? { ...input.spec, task: { ...input.spec.task, forceUpdate: Math.max(input.spec.task.forceUpdate, cur.spec.task.forceUpdate) + 1 } }
      : input.spec;
    // A new spec supersedes an update in progress: its status is cleared and the supervisor starts over.
    const { updateStatus: _, ...rest } = cur;
    const next: Service = { ...rest, spec, previousSpec: cur.spec, previousSpecVersion: cur.specVersion, specVersion: tx.version };
    if (cur.jobStatus) next.jobStatus = { jobIteration: cur.jobStatus.jobIteration + 1, lastExecution: tx.now };
    const u = tx.update('services', next);
    return u.ok ? u : err(fromStoreError(u.error));
  });
  return r.ok ? r : err(fromStoreError(r.error));
}

/** Manual rollback (`swarmctl service rollback`): swap spec and previous spec, ROLLBACK_STARTED. */
export async function rollbackService(store: Store, ref: string): Promise<Result<Service, ControlError>> {
  const r = await store.update((tx): Result<Service, ControlError> => {
    const found = resolve(tx, 'services', ref);
    if (!found.ok) return err({ code: 'NOT_FOUND', message: found.error });
    const cur = found.value;
    if (!cur.previousSpec) return err(badRequest(`service ${cur.spec.annotations.name} does not have a previous spec`));
    const next: Service = {
      ...cur,
      spec: cur.previousSpec,
      specVersion: cur.previousSpecVersion ?? cur.specVersion,
      previousSpec: cur.spec,
      previousSpecVersion: cur.specVersion,
      updateStatus: { state: 'rollback_started', startedAt: tx.now, message: 'manually requested rollback' },
      ...(cur.jobStatus ? { jobStatus: { jobIteration: cur.jobStatus.jobIteration + 1, lastExecution: tx.now } } : {}),
    };
    const u = tx.update('services', next);
    return u.ok ? u : err(fromStoreError(u.error));
  });
  return r.ok ? r : err(fromStoreError(r.error));
}

export async function scaleService(store: Store, ref: string, replicas: number): Promise<Result<Service, ControlError>> {
  const cur = store.view((tx) => resolve(tx, 'services', ref));
  if (!cur.ok) return err({ code: 'NOT_FOUND', message: cur.error });
  const s = cur.value;
  if (s.spec.mode.kind !== 'replicated') return err(badRequest(`replicas: scale can only be used with replicated mode (service ${s.spec.annotations.name} is ${s.spec.mode.kind})`));
  return updateService(store, { ref: s.id, version: s.meta.version, spec: { ...s.spec, mode: { kind: 'replicated', replicas } } });
}

export async function removeService(store: Store, ref: string): Promise<Result<{ id: string }, ControlError>> {
  const r = await store.update((tx): Result<{ id: string }, ControlError> => {
    const found = resolve(tx, 'services', ref);
    if (!found.ok) return err({ code: 'NOT_FOUND', message: found.error });
    const d = tx.delete('services', found.value.id);
    return d.ok ? ok({ id: found.value.id }) : err(fromStoreError(d.error));
  });
  return r.ok ? r : err(fromStoreError(r.error));
}

/** Running/desired as `swarmctl service ls` prints it: RUNNING tasks on nodes that are not DOWN. */
export function serviceCounts(tx: ReadTx, service: Service): { running: number; desired: number } {
  // One pass, each node looked up once: `service ls` counts every task of every service (100,000 at scale).
  const downNodes = new Map<string, boolean>();
  const isDown = (nodeId: string) => {
    let down = downNodes.get(nodeId);
    if (down === undefined) downNodes.set(nodeId, (down = tx.get('nodes', nodeId)?.status.state === 'DOWN'));
    return down;
  };
  let running = 0;
  let wanted = 0;
  for (const t of tx.tasksByService(service.id)) {
    if (t.desiredState > TaskState.RUNNING) continue;
    wanted++;
    if (t.status.state === TaskState.RUNNING && !(t.nodeId && isDown(t.nodeId))) running++;
  }
  const mode = service.spec.mode;
  const desired = mode.kind === 'replicated' ? mode.replicas : mode.kind === 'replicated-job' ? mode.maxConcurrent : wanted;
  return { running, desired };
}
