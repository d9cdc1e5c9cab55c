import type { Metadata } from 'next';
import { Suspense } from 'react';
import { Loading } from '@/components/empty-state';
import { TaskView } from '@/components/task-view';

export const metadata: Metadata = { title: 'Task' };

/** `/tasks/view?id=<task id>`: a query string, because the export is static. */
export default function TaskViewPage() {
  return (
    <Suspense fallback={<Loading what="task" />}>
      <TaskView />
    </Suspense>
  );
}
