import type { Metadata } from 'next';
import { OverviewScreen } from '@/components/overview-screen';

export const metadata: Metadata = { title: 'Overview' };

export default function HomePage() {
  return <OverviewScreen />;
}
