'use client';
import { useSearchParams } from 'next/navigation';
import { EmptyState } from './empty-state';
import { ServiceDetail } from './service-detail';

export function ServiceView() {
  const id = useSearchParams().get('id');
  if (!id) return <EmptyState title="No service selected" />;
  return <ServiceDetail id={id} />;
}
