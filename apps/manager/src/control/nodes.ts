/** Node operations of the control API. */
import { type Node, type NodeAvailability, type NodeRole, type Result, TaskState, err, ok } from '@swarm/shared';
import type { Store } from '../store/store.js';
import { type ControlError, badRequest, conflict, fromStoreError } from './errors.js';
import { quorumRisk } from '../ha/role-manager.js';
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
    if (input.desiredRole === 'WORKER' && n.spec.desiredRole === 'MANAGER') {
      const managers = tx.list('nodes').filter((m) => m.managerStatus);
      const risk = quorumRisk(managers.map((m) => m.id), (id) => managers.find((m) => m.id === id)?.managerStatus?.reachability === 'REACHABLE', n.id);
      if (risk) return err(badRequest(`can't demote node ${n.id}: ${risk}`));
    }
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

/** Deny-list entries outlive the certificate by this much (SwarmKit's expiredCertGrace). */
const DENY_GRACE_MS = 7 * 24 * 3_600_000;

/**
 * Removes a node: refused for managers and for live nodes unless forced. Its
 * certificate is denied from now on, and tasks that were still on it are
 * ORPHANED ("Task belonged to a node that has been deleted").
 */
export async function removeNode(store: Store, input: { ref: string; force?: boolean | undefined; self: string }): Promise<Result<{ id: string }, ControlError>> {
  const r = await store.update((tx): Result<{ id: string }, ControlError> => {
    const found = resolve(tx, 'nodes', input.ref);
    if (!found.ok) return err({ code: 'NOT_FOUND', message: found.error });
    const n = found.value;
    if (n.id === input.self) return err(badRequest(`node ${n.id} is this manager and can't be removed`));
    if (n.role === 'MANAGER') return err(badRequest(`node ${n.id} is a cluster manager and is a member of the raft cluster. It must be demoted to worker before removal`));
    if (n.status.state === 'READY' && !input.force) return err(conflict(`node ${n.id} is not down and can't be removed`));
    const c = tx.list('clusters')[0];
    if (c) {
      const until = (n.certificate?.notAfter ?? tx.now) + DENY_GRACE_MS;
      tx.update('clusters', { ...c, denyList: { ...(c.denyList ?? {}), [n.id]: until } });
    }
    for (const t of tx.tasksByNode(n.id)) {
      if (t.status.state < TaskState.COMPLETE) {
        tx.update('tasks', { ...t, status: { ...t.status, state: TaskState.ORPHANED, message: 'Task belonged to a node that has been deleted', timestamp: tx.now } });
      }
    }
    const d = tx.delete('nodes', n.id);
    return d.ok ? ok({ id: n.id }) : err(fromStoreError(d.error));
  });
  return r.ok ? r : err(fromStoreError(r.error));
}
