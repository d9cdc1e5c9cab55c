import Link from 'next/link';
import { EmptyState } from '../components/empty-state';

export default function NotFound() {
  return (
    <EmptyState title="Page not found">
      <Link href="/">Back to services</Link>
    </EmptyState>
  );
}
