import type { Metadata } from 'next';
import { Suspense } from 'react';
import { EventsScreen } from '@/components/events-screen';

export const metadata: Metadata = { title: 'Events' };

export default function EventsPage() {
  // useSearchParams needs a Suspense boundary in a static export.
  return (
    <Suspense>
      <EventsScreen />
    </Suspense>
  );
}
