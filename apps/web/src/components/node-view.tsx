'use client';
import { useSearchParams } from 'next/navigation';
import { EmptyState } from './empty-state';
import { NodeDetail } from './node-detail';

export function NodeView() {
  const id = useSearchParams().get('id');
  if (!id) return <EmptyState title="No node selected" />;
  return <NodeDetail id={id} />;
}
