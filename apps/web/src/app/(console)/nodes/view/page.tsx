import type { Metadata } from 'next';
import { Suspense } from 'react';
import { Loading } from '@/components/empty-state';
import { NodeView } from '@/components/node-view';

export const metadata: Metadata = { title: 'Node' };

/** `/nodes/view?id=<id or hostname>`: a query string, because the export is static. */
export default function NodeViewPage() {
  return (
    <Suspense fallback={<Loading what="node" />}>
      <NodeView />
    </Suspense>
  );
}
