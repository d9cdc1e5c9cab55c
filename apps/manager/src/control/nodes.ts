/** Node operations of the control API. */
import { type Node, type NodeAvailability, type NodeRole, type Result, err } from '@swarm/shared';
import type { Store } from '../store/store.js';
import { type ControlError, fromStoreError } from './errors.js';
import { resolve } from './resolve.js';

export interface NodeUpdate {
  ref: string;
  availability?: NodeAvailability | undefined;
  desiredRole?: NodeRole | undefined;
  labels?: Record<string, string> | undefined;
}

export async function updateNode(store: Store, input: NodeUpdate): Promise<Result<Node, ControlError>> {
  const r = await store.update((tx): Result<Node, ControlError> => {
    const found = resolve(tx, 'nodes', input.ref);
    if (!found.ok) return err({ code: 'NOT_FOUND', message: found.error });
    const n = found.value;
    const spec = {
      ...n.spec,
      ...(input.availability ? { availability: input.availability } : {}),
      ...(input.desiredRole ? { desiredRole: input.desiredRole } : {}),
      ...(input.labels ? { annotations: { ...n.spec.annotations, labels: input.labels } } : {}),
    };
    const u = tx.update('nodes', { ...n, spec });
    return u.ok ? u : err(fromStoreError(u.error));
  });
  return r.ok ? r : err(fromStoreError(r.error));
}
