'use client';
import { useMemo } from 'react';
import { useClusters, useNodes, useReplicaCounts, useSynced } from '../live/hooks';
import { nodeName } from '../live/selectors';

/** Cluster name and health at a glance: nodes ready, leader known, replicas converged. */
export function ClusterSummary() {
  const clusters = useClusters();
  const nodes = useNodes();
  const counts = useReplicaCounts();
  const synced = useSynced();

  const summary = useMemo(() => {
    const all = [...nodes.values()];
    const ready = all.filter((n) => n.status.state === 'READY').length;
    const managers = all.filter((n) => n.role === 'MANAGER');
    const leader = managers.find((n) => n.managerStatus?.leader);
    let running = 0;
    let desired = 0;
    for (const c of counts.values()) {
      running += Math.min(c.running, c.desired);
      desired += c.desired;
    }
    // Raft status is optional (a single manager without Raft reports none):
    // only a known-but-missing leader counts against health.
    const raftKnown = managers.some((n) => n.managerStatus);
    const health: 'healthy' | 'degraded' | 'down' =
      ready === 0 || (raftKnown && !leader) ? 'down' : ready < all.length || running < desired ? 'degraded' : 'healthy';
    return { total: all.length, ready, managers: managers.length, leader, running, desired, health };
  }, [nodes, counts]);

  const name = [...clusters.values()][0]?.spec.annotations.name ?? 'cluster';
  if (!synced) {
    return (
      <div className="cluster" data-testid="cluster-summary">
        <span className="cluster__name">…</span>
      </div>
    );
  }
  return (
    <div className="cluster" data-testid="cluster-summary">
      <span className="cluster__name" data-testid="cluster-name">
        {name}
      </span>
      <span
        className={`pill pill--${summary.health === 'healthy' ? 'ok' : summary.health === 'degraded' ? 'warn' : 'error'}`}
        data-testid="cluster-health"
        data-health={summary.health}
        title={`${summary.ready} of ${summary.total} nodes ready; ${summary.running} of ${summary.desired} tasks running${summary.leader ? `; leader ${nodeName(summary.leader)}` : ''}`}
      >
        <span className="sr-only">Cluster health: </span>
        {summary.health}
      </span>
      <dl className="cluster__facts">
        <div>
          <dt>Nodes ready</dt>
          <dd>
            {summary.ready}/{summary.total}
          </dd>
        </div>
        <div>
          <dt>Managers</dt>
          <dd>{summary.managers}</dd>
        </div>
        <div>
          <dt>Tasks running</dt>
          <dd>
            {summary.running}/{summary.desired}
          </dd>
        </div>
      </dl>
    </div>
  );
}
