/**
 * First-start and restart bookkeeping on the leader: the default cluster
 * object and this node's own entry exist; nodes that were READY before the
 * restart are UNKNOWN until their agents come back.
 */
import { type Cluster, type Node, type Result, ClusterSpecSchema, newId, ok } from '@swarm/shared';
import type { Store } from './store/store.js';

export const UNKNOWN_MESSAGE = 'Node moved to "unknown" state due to leadership change in cluster';

export function defaultClusterSpec(): Cluster['spec'] {
  return ClusterSpecSchema.parse({
    annotations: { name: 'default', labels: {} },
    orchestration: {},
    dispatcher: {},
    caConfig: {},
    raft: {},
  });
}

export async function bootstrap(store: Store, self: { nodeId: string; hostname: string }): Promise<Result<{ unknown: string[] }, unknown>> {
  return store.update((tx) => {
    if (tx.list('clusters').length === 0) {
      tx.create('clusters', { id: newId(), spec: defaultClusterSpec() });
    }
    if (!tx.get('nodes', self.nodeId)) {
      const node: Omit<Node, 'meta'> = {
        id: self.nodeId,
        spec: { annotations: { name: '', labels: {} }, desiredRole: 'MANAGER', membership: 'ACCEPTED', availability: 'ACTIVE' },
        status: { state: 'UNKNOWN', message: 'waiting for the agent', addr: '' },
        role: 'MANAGER',
      };
      tx.create('nodes', node);
    }
    const unknown: string[] = [];
    for (const n of tx.list('nodes')) {
      if (n.status.state === 'READY' || n.status.state === 'DISCONNECTED') {
        tx.update('nodes', { ...n, status: { ...n.status, state: 'UNKNOWN', message: UNKNOWN_MESSAGE } });
        unknown.push(n.id);
      }
    }
    return ok({ unknown });
  });
}
