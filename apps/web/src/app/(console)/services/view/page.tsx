import type { Metadata } from 'next';
import { Suspense } from 'react';
import { Loading } from '@/components/empty-state';
import { ServiceView } from '@/components/service-view';

export const metadata: Metadata = { title: 'Service' };

/** `/services/view?id=<id or name>`: a query string, because the export is static. */
export default function ServiceViewPage() {
  return (
    <Suspense fallback={<Loading what="service" />}>
      <ServiceView />
    </Suspense>
  );
}
