'use client';
import { useMemo } from 'react';
import { EmptyState, Loading } from './empty-state';
import { NodesTable } from './nodes-table';
import { PageHeader } from './page-header';
import { useNodes, useSynced, useTasks } from '../live/hooks';
import { runningByNode, sortedNodes } from '../live/selectors';

export function NodesScreen() {
  const nodes = useNodes();
  const synced = useSynced();
  const tasks = useTasks();
  const list = useMemo(() => sortedNodes(nodes), [nodes]);
  const running = useMemo(() => runningByNode(tasks), [tasks]);
  const ready = list.filter((n) => n.status.state === 'READY').length;
  return (
    <>
      <PageHeader title="Nodes" meta={synced ? `${ready} of ${list.length} ready` : undefined} />
      {!synced ? <Loading what="nodes" /> : list.length === 0 ? <EmptyState title="No nodes" /> : <NodesTable nodes={list} running={running} />}
    </>
  );
}
