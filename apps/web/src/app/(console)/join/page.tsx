import type { Metadata } from 'next';
import { JoinScreen } from '@/components/join-screen';

export const metadata: Metadata = { title: 'Join a node' };

export default function JoinPage() {
  return <JoinScreen />;
}
