/** Cluster operations of the control API: token rotation and cluster settings. */
import { type Cluster, type Result, err, formatDuration } from '@swarm/shared';
import { formatToken } from '@swarm/pki';
import type { Store } from '../store/store.js';
import { type ControlError, badRequest, fromStoreError, notFound } from './errors.js';

export interface ClusterUpdate {
  rotateJoinToken?: 'worker' | 'manager' | undefined;
  nodeCertExpiryMs?: number | undefined;
  heartbeatPeriodMs?: number | undefined;
  maxHeartbeatsPerSecond?: number | undefined;
  taskHistoryRetentionLimit?: number | undefined;
}

/** Go's time.Duration.String() ("1h0m0s", "1m30s", "1.5s"), as SwarmKit prints the minimum expiry. */
const goDuration = (ms: number): string => {
  if (ms < 1000) return formatDuration(ms);
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  return `${h ? `${h}h` : ''}${h || m ? `${m}m` : ''}${(ms % 60_000) / 1000}s`;
};

export async function updateCluster(store: Store, input: ClusterUpdate, limits: { minCertExpiryMs: number }): Promise<Result<Cluster, ControlError>> {
  if (input.nodeCertExpiryMs !== undefined && input.nodeCertExpiryMs < limits.minCertExpiryMs) {
    return err(badRequest(`certexpiry: minimum certificate expiry time is: ${goDuration(limits.minCertExpiryMs)}`));
  }
  const r = await store.update((tx): Result<Cluster, ControlError> => {
    const c = tx.list('clusters')[0];
    if (!c?.rootCa) return err(notFound('cluster default not found'));
    const spec = {
      ...c.spec,
      ...(input.nodeCertExpiryMs !== undefined ? { caConfig: { ...c.spec.caConfig, nodeCertExpiryMs: input.nodeCertExpiryMs } } : {}),
      dispatcher: {
        ...c.spec.dispatcher,
        ...(input.heartbeatPeriodMs !== undefined ? { heartbeatPeriodMs: input.heartbeatPeriodMs } : {}),
        ...(input.maxHeartbeatsPerSecond !== undefined ? { maxHeartbeatsPerSecond: input.maxHeartbeatsPerSecond } : {}),
      },
      ...(input.taskHistoryRetentionLimit !== undefined ? { orchestration: { ...c.spec.orchestration, taskHistoryRetentionLimit: input.taskHistoryRetentionLimit } } : {}),
    };
    const joinTokens = { ...c.rootCa.joinTokens };
    // A new secret, same CA digest: the old token stops working for new joins at once.
    if (input.rotateJoinToken) joinTokens[input.rotateJoinToken] = formatToken(c.rootCa.caCert);
    const u = tx.update('clusters', { ...c, spec, rootCa: { ...c.rootCa, joinTokens } });
    return u.ok ? u : err(fromStoreError(u.error));
  });
  return r.ok ? r : err(fromStoreError(r.error));
}
