'use client';
import { useMemo, useState } from 'react';
import { EmptyState, Loading } from './empty-state';
import { PageHeader } from './page-header';
import { TasksTable } from './tasks-table';
import { useNodes, useSynced, useTasks } from '../live/hooks';
import { isCurrent, isRunning, sortTasks } from '../live/selectors';

export function TasksScreen() {
  const tasks = useTasks();
  const nodes = useNodes();
  const synced = useSynced();
  const [showHistory, setShowHistory] = useState(true);
  const all = useMemo(() => sortTasks(tasks.values()), [tasks]);
  const shown = useMemo(() => (showHistory ? all : all.filter(isCurrent)), [all, showHistory]);
  const running = useMemo(() => all.filter(isRunning).length, [all]);
  return (
    <>
      <PageHeader
        title="Tasks"
        meta={synced ? `${running} running · ${all.length} total` : undefined}
        actions={
          <label className="check">
            <input type="checkbox" checked={showHistory} onChange={(e) => setShowHistory(e.target.checked)} />
            Show history
          </label>
        }
      />
      {!synced ? (
        <Loading what="tasks" />
      ) : shown.length === 0 ? (
        <EmptyState title="No tasks" />
      ) : (
        <TasksTable tasks={shown} nodes={nodes} linkService caption="All tasks" />
      )}
    </>
  );
}
