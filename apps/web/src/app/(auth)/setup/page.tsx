import type { Metadata } from 'next';
import { Suspense } from 'react';
import { Setup } from '@/components/setup';

export const metadata: Metadata = { title: 'Create the first admin' };

export default function SetupPage() {
  return (
    <Suspense>
      <Setup />
    </Suspense>
  );
}
