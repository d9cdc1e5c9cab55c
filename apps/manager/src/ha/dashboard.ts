/**
 * Each manager records its dashboard origin on its node object, so an open
 * page knows where to move its live stream when its manager dies. The write
 * goes through Raft like any other; it is retried until it lands (a joining
 * manager's first writes may meet an election).
 */
import { ok } from '@swarm/shared';
import type { Logger } from '../lib/log.js';
import type { Store } from '../store/store.js';

export function publishDashboard(store: Store, nodeId: string, origin: string, log: Logger, attempt = 0): void {
  void store
    .update((tx) => {
      const n = tx.get('nodes', nodeId);
      if (!n || n.dashboard === origin) return ok(n !== undefined);
      tx.update('nodes', { ...n, dashboard: origin });
      return ok(true);
    })
    .then((r) => {
      if (r.ok && r.value) return;
      if (attempt === 10) log.warn(`could not record this manager's dashboard origin yet (${r.ok ? 'node not in the store' : JSON.stringify(r.error)}); still trying`);
      setTimeout(() => publishDashboard(store, nodeId, origin, log, attempt + 1), Math.min(5_000, 200 * 2 ** Math.min(attempt, 5))).unref();
    });
}
