'use client';
import Link from 'next/link';
import { lazy, Suspense, useEffect, useMemo, useRef, useState } from 'react';
import { useNodes, useReplicaCounts, useServices, useSynced, useTasks } from '../live/hooks';
import { findService, isCurrent, tasksOfService } from '../live/selectors';
import { EmptyState, Loading } from './empty-state';
import { PageHeader } from './page-header';
import { PendingNotice } from './pending-notice';
import { RemoveServiceButton } from './remove-service-button';
import { RollbackButton, RollingUpdate } from './rolling-update';
import { ServiceFacts } from './service-facts';
import { TasksTable } from './tasks-table';

const NO_COUNTS = { running: 0, desired: 0 };
// The form (and the validation it brings) loads when "Edit service" is first clicked, not with the page.
const ServiceForm = lazy(() => import('./service-form').then((m) => ({ default: m.ServiceForm })));

export function ServiceDetail({ id }: { id: string }) {
  const services = useServices();
  const tasks = useTasks();
  const nodes = useNodes();
  const counts = useReplicaCounts();
  const synced = useSynced();
  const [showHistory, setShowHistory] = useState(true);
  const [editing, setEditing] = useState(false);
  const editButton = useRef<HTMLButtonElement>(null);

  const service = findService(services, id);
  const title = service?.spec.annotations.name;
  useEffect(() => {
    if (title) document.title = `${title} · Swarm`;
  }, [title]);
  const serviceId = service?.id;
  // Keyed on the service's ID, not the object: a status change of the service does not re-sort its tasks.
  const serviceTasks = useMemo(() => (serviceId ? tasksOfService(tasks, serviceId) : []), [tasks, serviceId]);
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
  const name = spec.annotations.name;
  const closeForm = () => {
    setEditing(false);
    requestAnimationFrame(() => editButton.current?.focus());
  };
  return (
    <div data-testid="service-detail" data-service-id={service.id} data-service-name={name}>
      <nav aria-label="Breadcrumb" className="crumbs">
        <Link href="/services">Services</Link> <span aria-hidden="true">/</span> <span aria-current="page">{name}</span>
      </nav>
      <PageHeader
        title={name}
        meta={<span className="mono">{service.id}</span>}
        actions={
          <>
            <button ref={editButton} type="button" className="btn" aria-expanded={editing} onClick={() => setEditing((e) => !e)}>
              Edit service
            </button>
            {!service.updateStatus && <RollbackButton service={service} />}
            <RemoveServiceButton service={service} />
          </>
        }
      />
      {editing && (
        <Suspense fallback={<Loading what="form" />}>
          <ServiceForm service={service} onDone={closeForm} onCancel={closeForm} />
        </Suspense>
      )}
      {service.updateStatus && <RollingUpdate service={service} status={service.updateStatus} tasks={serviceTasks} nodes={nodes} />}
      <ServiceFacts service={service} counts={counts.get(service.id) ?? NO_COUNTS} />
      <section aria-labelledby="svc-tasks">
        <div className="section-header">
          <h2 id="svc-tasks" className="section-header__title">
            Tasks by slot
          </h2>
          <label className="check">
            <input type="checkbox" checked={showHistory} onChange={(e) => setShowHistory(e.target.checked)} />
            Show history
          </label>
        </div>
        <PendingNotice tasks={serviceTasks} />
        {shown.length === 0 ? (
          <EmptyState title="No tasks">{spec.mode.kind === 'replicated' && spec.mode.replicas === 0 ? 'Scaled to zero.' : 'Waiting for the orchestrator…'}</EmptyState>
        ) : (
          <TasksTable tasks={shown} nodes={nodes} groupBySlot caption={`Tasks of ${name}, grouped by slot`} />
        )}
      </section>
    </div>
  );
}
