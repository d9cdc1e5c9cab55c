'use client';
import Link from 'next/link';
import { useEffect, useMemo, useState } from 'react';
import { formatDuration } from '@swarm/shared';
import { useNodes, useReplicaCounts, useServices, useSynced, useTasks } from '../live/hooks';
import { findService, isCurrent, modeLabel, tasksOfService } from '../live/selectors';
import { EmptyState, Loading } from './empty-state';
import { PageHeader } from './page-header';
import { RemoveServiceButton } from './remove-service-button';
import { ReplicaMeter } from './replica-meter';
import { ScaleControl } from './scale-control';
import { TasksTable } from './tasks-table';

export function ServiceDetail({ id }: { id: string }) {
  const services = useServices();
  const tasks = useTasks();
  const nodes = useNodes();
  const counts = useReplicaCounts();
  const synced = useSynced();
  const [showHistory, setShowHistory] = useState(true);

  const service = findService(services, id);
  const title = service?.spec.annotations.name;
  useEffect(() => {
    if (title) document.title = `${title} · Swarm`;
  }, [title]);
  const serviceTasks = useMemo(() => (service ? tasksOfService(tasks, service.id) : []), [tasks, service]);
  const shown = useMemo(() => (showHistory ? serviceTasks : serviceTasks.filter(isCurrent)), [serviceTasks, showHistory]);

  if (!synced) return <Loading what="service" />;
  if (!service) {
    return (
      <EmptyState title="Service not found">
        It may have been removed. <Link href="/services">Back to services</Link>
      </EmptyState>
    );
  }

  const spec = service.spec;
  const c = spec.task.container;
  const name = spec.annotations.name;
  const restart = spec.task.restart;
  return (
    <div data-testid="service-detail" data-service-id={service.id} data-service-name={name}>
      <nav aria-label="Breadcrumb" className="crumbs">
        <Link href="/services">Services</Link> <span aria-hidden="true">/</span> <span aria-current="page">{name}</span>
      </nav>
      <PageHeader title={name} meta={<span className="mono">{service.id}</span>} actions={<RemoveServiceButton service={service} />} />
      <section className="card" aria-labelledby="svc-overview">
        <h2 id="svc-overview" className="card__title">
          Overview
        </h2>
        <dl className="facts">
          <div>
            <dt>Image</dt>
            <dd className="mono">{c.image}</dd>
          </div>
          <div>
            <dt>Command</dt>
            <dd className="mono">{[...c.command, ...c.args].join(' ') || <span className="muted">image default</span>}</dd>
          </div>
          <div>
            <dt>Mode</dt>
            <dd>{modeLabel(service)}</dd>
          </div>
          <div>
            <dt>Replicas</dt>
            <dd>
              <ReplicaMeter counts={counts.get(service.id) ?? { running: 0, desired: 0 }} label={name} />
            </dd>
          </div>
          <div>
            <dt>Scale</dt>
            <dd>
              <ScaleControl service={service} />
            </dd>
          </div>
          <div>
            <dt>Restart</dt>
            <dd>
              {restart ? `${restart.condition}, after ${formatDuration(restart.delayMs)}` : 'any, after 5s'}
            </dd>
          </div>
          {service.updateStatus && (
            <div>
              <dt>Update</dt>
              <dd>
                {service.updateStatus.state}
                {service.updateStatus.message ? ` — ${service.updateStatus.message}` : ''}
              </dd>
            </div>
          )}
        </dl>
      </section>
      <section aria-labelledby="svc-tasks">
        <div className="section-header">
          <h2 id="svc-tasks" className="section-header__title">
            Tasks
          </h2>
          <label className="check">
            <input type="checkbox" checked={showHistory} onChange={(e) => setShowHistory(e.target.checked)} />
            Show history
          </label>
        </div>
        {shown.length === 0 ? (
          <EmptyState title="No tasks">{spec.mode.kind === 'replicated' && spec.mode.replicas === 0 ? 'Scaled to zero.' : 'Waiting for the orchestrator…'}</EmptyState>
        ) : (
          <TasksTable tasks={shown} nodes={nodes} caption={`Tasks of ${name}`} />
        )}
      </section>
    </div>
  );
}
