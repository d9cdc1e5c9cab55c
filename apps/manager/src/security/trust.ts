/**
 * What this manager trusts, derived from the cluster object: the root CA, the
 * join CAs of the current worker and manager tokens, and the deny list. Kept
 * current by watching the store; the server's CA bundle follows it.
 */
import { type Cluster, invariant } from '@swarm/shared';
import { type JoinRole, joinCaCert, parseToken } from '@swarm/pki';
import type { Store } from '../store/store.js';
import type { MutableProvider } from './providers.js';

export interface TrustState {
  clusterId: string;
  rootCaPem: string;
  joinCas: Record<JoinRole, string>;
  isDenied(nodeId: string): boolean;
}

export interface Trust {
  current(): TrustState;
  stop(): void;
}

async function joinCas(c: Cluster): Promise<Record<JoinRole, string>> {
  invariant(c.rootCa, 'cluster has a root CA');
  const secret = (tok: string) => {
    const p = parseToken(tok);
    invariant(p.ok, `stored join token is valid: ${p.ok ? '' : p.error}`);
    return p.value.secret;
  };
  return {
    worker: await joinCaCert(secret(c.rootCa.joinTokens.worker), 'worker'),
    manager: await joinCaCert(secret(c.rootCa.joinTokens.manager), 'manager'),
  };
}

/**
 * Trust from this node's own certificates, for the moments before the store
 * holds the cluster object (a manager that just joined): the root CA and
 * cluster ID only; no join token is accepted and no one is denied yet.
 */
export function provisionalTrust(sec: { clusterId: string; rootCaPem: string }): TrustState {
  return { clusterId: sec.clusterId, rootCaPem: sec.rootCaPem, joinCas: { worker: sec.rootCaPem, manager: sec.rootCaPem }, isDenied: () => false };
}

/** Builds the trust state and keeps `caBundle` (the server's trusted CAs) in step with token rotations. */
export async function watchTrust(store: Store, caBundle: MutableProvider): Promise<Trust> {
  const cluster = () => {
    const c = store.view((tx) => tx.list('clusters')[0]);
    invariant(c?.rootCa, 'cluster with a root CA exists after bootstrap');
    return c;
  };
  let c = cluster();
  let state: TrustState;
  const build = async (cl: Cluster): Promise<TrustState> => {
    const cas = await joinCas(cl);
    const denied = cl.denyList ?? {};
    return { clusterId: cl.id, rootCaPem: cl.rootCa!.caCert, joinCas: cas, isDenied: (id) => id in denied };
  };
  state = await build(c);
  caBundle.setCa([state.rootCaPem, state.joinCas.worker, state.joinCas.manager]);
  let tokens = JSON.stringify(c.rootCa!.joinTokens);
  let chain = Promise.resolve();
  const unsubscribe = store.subscribe((e) => {
    if (!e.changes.some((ch) => ch.table === 'clusters')) return;
    c = cluster();
    const denied = c.denyList ?? {};
    state = { ...state, isDenied: (id) => id in denied };
    const t = JSON.stringify(c.rootCa!.joinTokens);
    if (t === tokens) return;
    tokens = t;
    const snapshot = c;
    // Rotation: recompute join CAs, then swap the bundle (new handshakes use it).
    chain = chain.then(async () => {
      state = await build(snapshot);
      caBundle.setCa([state.rootCaPem, state.joinCas.worker, state.joinCas.manager]);
    });
  });
  return { current: () => state, stop: unsubscribe };
}
