import type { Metadata } from 'next';
import { Suspense } from 'react';
import { Loading } from '@/components/empty-state';
import { TasksScreen } from '@/components/tasks-screen';

export const metadata: Metadata = { title: 'Tasks' };

/** `/tasks?service=&node=&state=&desired=&q=&history=0`: filters in the query string. */
export default function TasksPage() {
  return (
    <Suspense fallback={<Loading what="tasks" />}>
      <TasksScreen />
    </Suspense>
  );
}
