'use client';
import { useMemo, useState } from 'react';
import { EmptyState, Loading } from './empty-state';
import { PageHeader } from './page-header';
import { TasksTable } from './tasks-table';
import { useNodes, useSynced, useTasks } from '../live/hooks';
import { isCurrent, isRunning, sortTasks, taskSearchText } from '../live/selectors';

export function TasksScreen() {
  const tasks = useTasks();
  const nodes = useNodes();
  const synced = useSynced();
  const [showHistory, setShowHistory] = useState(true);
  const [query, setQuery] = useState('');
  const all = useMemo(() => sortTasks(tasks.values()), [tasks]);
  const shown = useMemo(() => {
    const q = query.trim().toLowerCase();
    return all.filter((t) => (showHistory || isCurrent(t)) && (!q || taskSearchText(t, nodes).includes(q)));
  }, [all, nodes, showHistory, query]);
  const running = useMemo(() => all.filter(isRunning).length, [all]);
  return (
    <>
      <PageHeader
        title="Tasks"
        meta={synced ? `${running} running · ${all.length} total` : undefined}
        actions={
          <>
            <input
              type="search"
              className="input input--search"
              placeholder="Filter by task, node or state"
              aria-label="Filter tasks"
              value={query}
              onChange={(e) => setQuery(e.target.value)}
            />
            <label className="check">
              <input type="checkbox" checked={showHistory} onChange={(e) => setShowHistory(e.target.checked)} />
              Show history
            </label>
          </>
        }
      />
      {!synced ? (
        <Loading what="tasks" />
      ) : shown.length === 0 ? (
        <EmptyState title={query ? 'No matching tasks' : 'No tasks'} />
      ) : (
        <TasksTable tasks={shown} nodes={nodes} linkService caption="All tasks" />
      )}
    </>
  );
}
