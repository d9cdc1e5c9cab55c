'use client';
import Link from 'next/link';
import { useMemo, useRef, useState } from 'react';
import type { Service } from '@swarm/shared';
import { useReplicaCounts, useServices, useSynced } from '../live/hooks';
import { sortedServices } from '../live/selectors';
import { EmptyState, Loading } from './empty-state';
import { PageHeader } from './page-header';
import { ServiceForm } from './service-form';
import { ServicesTable } from './services-table';
import { serviceHref } from '../lib/hrefs';

export function ServicesScreen() {
  const services = useServices();
  const counts = useReplicaCounts();
  const synced = useSynced();
  const list = useMemo(() => sortedServices(services), [services]);
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<Service | null>(null);
  const openButton = useRef<HTMLButtonElement>(null);

  const close = () => {
    setCreating(false);
    // Return focus to the control that opened the form.
    requestAnimationFrame(() => openButton.current?.focus());
  };

  return (
    <>
      <PageHeader
        title="Services"
        meta={synced ? `${list.length} service${list.length === 1 ? '' : 's'}` : undefined}
        actions={
          <button
            ref={openButton}
            type="button"
            className="btn btn--primary"
            aria-expanded={creating}
            aria-controls="create-service"
            onClick={() => {
              setCreated(null);
              setCreating((c) => !c);
            }}
          >
            Create service
          </button>
        }
      />
      {creating && (
        <div id="create-service">
          <ServiceForm
            onDone={(s) => {
              setCreated(s);
              close();
            }}
            onCancel={close}
          />
        </div>
      )}
      {created && services.has(created.id) && (
        <div className="notice" role="status" data-testid="create-service-success">
          <span>
            Created <Link href={serviceHref(created.id)}>{created.spec.annotations.name}</Link>. Its tasks appear below as they are scheduled.
          </span>
          <button type="button" className="notice__close" aria-label="Dismiss" onClick={() => setCreated(null)}>
            ×
          </button>
        </div>
      )}
      {!synced ? (
        <Loading what="services" />
      ) : list.length === 0 ? (
        <EmptyState title="No services yet">Create one to schedule containers across the cluster.</EmptyState>
      ) : (
        <ServicesTable services={list} counts={counts} />
      )}
    </>
  );
}
