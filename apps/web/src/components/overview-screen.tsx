'use client';
import Link from 'next/link';
import { useMemo } from 'react';
import { useEvents, useNodes, useReplicaCounts, useServices, useSynced } from '../live/hooks';
import { clusterOverview, nodeName, type ServiceHealth } from '../live/selectors';
import { Card } from './card';
import { EmptyState, Loading } from './empty-state';
import { EventList } from './event-list';
import { nodeHref } from './node-badges';
import { PageHeader } from './page-header';
import { serviceHref } from '../lib/hrefs';

const HEALTH_TONE: Record<ServiceHealth, string> = { converged: 'ok', updating: 'progress', degraded: 'error' };
const RECENT = 8;

function Stat({ label, value, tone, testId }: { label: string; value: number | string; tone?: string; testId: string }) {
  return (
    <div className={`stat${tone ? ` stat--${tone}` : ''}${typeof value === 'string' ? ' stat--text' : ''}`} data-testid={testId}>
      <dt>{label}</dt>
      <dd data-value={value}>{value}</dd>
    </div>
  );
}

/** The landing page: Raft and managers, nodes, service convergence, and what just happened. */
export function OverviewScreen() {
  const nodes = useNodes();
  const services = useServices();
  const counts = useReplicaCounts();
  const events = useEvents();
  const synced = useSynced();
  const o = useMemo(() => clusterOverview(nodes, services, counts), [nodes, services, counts]);
  const recent = events.slice(0, RECENT);

  if (!synced) {
    return (
      <>
        <PageHeader title="Overview" />
        <Loading what="cluster" />
      </>
    );
  }
  const serviceTotal = o.services.converged.length + o.services.updating.length + o.services.degraded.length;
  const attention = [...o.services.degraded, ...o.services.updating];
  return (
    <>
      <PageHeader title="Overview" meta={`${o.nodes} node${o.nodes === 1 ? '' : 's'} · ${serviceTotal} service${serviceTotal === 1 ? '' : 's'}`} />
      <div className="overview">
        <Card id="ov-managers" title="Managers and Raft" testId="overview-managers">
          <dl className="stats">
            <Stat label="Leader" value={o.leader ? nodeName(o.leader) : o.managers.some((m) => m.managerStatus) ? 'none' : 'n/a'} tone={o.leader ? 'ok' : o.managers.some((m) => m.managerStatus) ? 'error' : undefined} testId="stat-leader" />
            <Stat label="Reachable" value={o.reachable} tone="ok" testId="stat-reachable" />
            <Stat label="Unreachable" value={o.unreachable} tone={o.unreachable > 0 ? 'error' : undefined} testId="stat-unreachable" />
          </dl>
          <ul className="mini-list" aria-label="Managers">
            {o.managers.map((m) => (
              <li key={m.id} data-testid="overview-manager" data-node-name={nodeName(m)}>
                <Link href={nodeHref(m.id)} className="link-strong">
                  {nodeName(m)}
                </Link>
                <span className="mini-list__meta">
                  {m.managerStatus?.leader && <span className="badge badge--ok">leader</span>}{' '}
                  <span className={`badge badge--${m.managerStatus?.reachability === 'UNREACHABLE' ? 'error' : m.managerStatus ? 'ok' : 'muted'}`}>
                    {m.managerStatus?.reachability.toLowerCase() ?? 'no raft status'}
                  </span>{' '}
                  <span className="mono muted">{m.managerStatus?.addr ?? m.status.addr}</span>
                </span>
              </li>
            ))}
          </ul>
        </Card>

        <Card id="ov-nodes" title="Nodes" testId="overview-nodes" aside={<Link href="/nodes">All nodes</Link>}>
          <dl className="stats">
            <Stat label="Ready" value={o.byStatus.READY} tone="ok" testId="stat-ready" />
            <Stat label="Down" value={o.byStatus.DOWN} tone={o.byStatus.DOWN ? 'error' : undefined} testId="stat-down" />
            <Stat label="Disconnected" value={o.byStatus.DISCONNECTED + o.byStatus.UNKNOWN} tone={o.byStatus.DISCONNECTED ? 'warn' : undefined} testId="stat-disconnected" />
          </dl>
          <dl className="stats">
            <Stat label="Active" value={o.byAvailability.ACTIVE} testId="stat-active" />
            <Stat label="Paused" value={o.byAvailability.PAUSE} tone={o.byAvailability.PAUSE ? 'warn' : undefined} testId="stat-pause" />
            <Stat label="Drained" value={o.byAvailability.DRAIN} tone={o.byAvailability.DRAIN ? 'warn' : undefined} testId="stat-drain" />
          </dl>
        </Card>

        <Card id="ov-services" title="Services" testId="overview-services" aside={<Link href="/services">All services</Link>}>
          <dl className="stats">
            <Stat label="Converged" value={o.services.converged.length} tone="ok" testId="stat-converged" />
            <Stat label="Updating" value={o.services.updating.length} tone={o.services.updating.length ? 'progress' : undefined} testId="stat-updating" />
            <Stat label="Degraded" value={o.services.degraded.length} tone={o.services.degraded.length ? 'error' : undefined} testId="stat-degraded" />
          </dl>
          {attention.length > 0 ? (
            <ul className="mini-list" aria-label="Services needing attention">
              {attention.slice(0, 6).map((s) => {
                const c = counts.get(s.id) ?? { running: 0, desired: 0 };
                const h = o.services.degraded.includes(s) ? 'degraded' : 'updating';
                return (
                  <li key={s.id} data-testid="overview-service" data-service-name={s.spec.annotations.name} data-health={h}>
                    <Link href={serviceHref(s.id)} className="link-strong">
                      {s.spec.annotations.name}
                    </Link>
                    <span className="mini-list__meta">
                      <span className={`badge badge--${HEALTH_TONE[h]}`}>{s.updateStatus?.state === 'paused' ? 'update paused' : h}</span>{' '}
                      <span className="mono">
                        {c.running}/{c.desired}
                      </span>
                    </span>
                  </li>
                );
              })}
            </ul>
          ) : (
            serviceTotal > 0 && <p className="muted ov-note">All services run their desired replicas.</p>
          )}
        </Card>

        <Card id="ov-events" title="Recent events" testId="overview-events" className="overview__events" aside={<Link href="/events">All events</Link>}>
          {recent.length === 0 ? (
            <EmptyState title="Nothing has changed since this tab opened" />
          ) : (
            <EventList events={recent} label="Recent events" compact />
          )}
        </Card>
      </div>
    </>
  );
}
