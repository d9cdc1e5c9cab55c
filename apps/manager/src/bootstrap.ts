/**
 * First-start and restart bookkeeping on the leader: the default cluster
 * object (with its root CA and join tokens) and this node's own entry exist;
 * nodes that were READY before the restart are UNKNOWN until their agents
 * come back.
 */
import { type Cluster, type Node, type Result, ClusterSpecSchema, err, newId, ok } from '@swarm/shared';
import { caDigest, createRootCA, formatToken } from '@swarm/pki';
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

async function newRootCa(): Promise<NonNullable<Cluster['rootCa']>> {
  const ca = await createRootCA();
  return {
    caCert: ca.certPem,
    caKey: ca.keyPem,
    caCertHash: caDigest(ca.certPem),
    joinTokens: { worker: formatToken(ca.certPem), manager: formatToken(ca.certPem) },
  };
}

/** Makes sure the cluster object exists and has a CA. Returns it. */
export async function ensureCluster(store: Store): Promise<Result<Cluster, string>> {
  const existing = store.view((tx) => tx.list('clusters')[0]);
  if (existing?.rootCa) return ok(existing);
  const rootCa = await newRootCa();
  const r = await store.update((tx): Result<Cluster, string> => {
    const c = tx.list('clusters')[0];
    const w = c ? tx.update('clusters', { ...c, rootCa: c.rootCa ?? rootCa }) : tx.create('clusters', { id: newId(), spec: defaultClusterSpec(), rootCa });
    return w.ok ? w : err(w.error.message);
  });
  return r.ok ? r : err(typeof r.error === 'string' ? r.error : r.error.message);
}

export async function bootstrapNodes(store: Store, self: { nodeId: string; certificate: Node['certificate'] }): Promise<Result<{ unknown: string[] }, unknown>> {
  return store.update((tx) => {
    const me = tx.get('nodes', self.nodeId);
    if (!me) {
      tx.create('nodes', {
        id: self.nodeId,
        spec: { annotations: { name: '', labels: {} }, desiredRole: 'MANAGER', membership: 'ACCEPTED', availability: 'ACTIVE' },
        status: { state: 'UNKNOWN', message: 'waiting for the agent', addr: '' },
        role: 'MANAGER',
        ...(self.certificate ? { certificate: self.certificate } : {}),
      });
    } else if (self.certificate && me.certificate?.serial !== self.certificate.serial) {
      tx.update('nodes', { ...me, certificate: self.certificate });
    }
    const unknown: string[] = [];
    for (const n of tx.list('nodes')) {
      if (n.status.state !== 'READY' && n.status.state !== 'DISCONNECTED') continue;
      tx.update('nodes', { ...n, status: { ...n.status, state: 'UNKNOWN', message: UNKNOWN_MESSAGE } });
      unknown.push(n.id);
    }
    return ok({ unknown });
  });
}
