import type { Metadata } from 'next';
import { NodesScreen } from '@/components/nodes-screen';

export const metadata: Metadata = { title: 'Nodes' };

export default function NodesPage() {
  return <NodesScreen />;
}
