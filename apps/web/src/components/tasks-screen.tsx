'use client';
import { useMemo } from 'react';
import { taskStateName, taskStateValues } from '@swarm/shared';
import { EmptyState, Loading } from './empty-state';
import { useQueryFilters } from '../lib/use-query-filters';
import { FilterField } from './filter-field';
import { PageHeader } from './page-header';
import { TasksTable } from './tasks-table';
import { useNodes, useServices, useSynced, useTasks } from '../live/hooks';
import { filterTasks, isRunning, nodeName, sortedNodes, sortedServices, sortTasks } from '../live/selectors';

const FILTER_KEYS = ['service', 'node', 'state', 'desired', 'q', 'history'] as const;

/**
 * All tasks, filterable by service, node, state, desired state and text. The
 * filters live in the query string (`?service=&node=&state=&desired=&q=&history=0`),
 * so a filtered view survives reload and can be shared.
 */
export function TasksScreen() {
  const tasks = useTasks();
  const nodes = useNodes();
  const services = useServices();
  const synced = useSynced();
  const [qf, set] = useQueryFilters(FILTER_KEYS);
  const f = { ...qf, history: qf.history !== '0' };
  const all = useMemo(() => sortTasks(tasks.values()), [tasks]);
  const { service, node, state, desired, q, history } = f;
  const shown = useMemo(() => filterTasks(all, nodes, { service, node, state, desired, text: q, history }), [all, nodes, service, node, state, desired, q, history]);
  const running = useMemo(() => all.filter(isRunning).length, [all]);
  const serviceList = useMemo(() => sortedServices(services), [services]);
  const nodeList = useMemo(() => sortedNodes(nodes), [nodes]);
  const filtered = !!(service || node || state || desired || q);
  return (
    <>
      <PageHeader
        title="Tasks"
        meta={synced ? `${running} running · ${all.length} total${filtered || !history ? ` · ${shown.length} shown` : ''}` : undefined}
      />
      <form className="filters" role="search" aria-label="Task filters" onSubmit={(e) => e.preventDefault()}>
        <FilterField label="Service">
          <select className="input" value={service} onChange={(e) => set('service', e.target.value)}>
            <option value="">All services</option>
            {serviceList.map((s) => (
              <option key={s.id} value={s.id}>
                {s.spec.annotations.name}
              </option>
            ))}
          </select>
        </FilterField>
        <FilterField label="Node">
          <select className="input" value={node} onChange={(e) => set('node', e.target.value)}>
            <option value="">All nodes</option>
            {nodeList.map((n) => (
              <option key={n.id} value={n.id}>
                {nodeName(n)}
              </option>
            ))}
          </select>
        </FilterField>
        <FilterField label="State">
          <select className="input" value={state} onChange={(e) => set('state', e.target.value)}>
            <option value="">Any state</option>
            {taskStateValues.map((s) => (
              <option key={s} value={taskStateName(s)}>
                {taskStateName(s).toLowerCase()}
              </option>
            ))}
          </select>
        </FilterField>
        <FilterField label="Desired state">
          <select className="input" value={desired} onChange={(e) => set('desired', e.target.value)}>
            <option value="">Any desired state</option>
            {taskStateValues.map((s) => (
              <option key={s} value={taskStateName(s)}>
                {taskStateName(s).toLowerCase()}
              </option>
            ))}
          </select>
        </FilterField>
        <FilterField label="Text" grow>
          <input
            type="search"
            className="input input--search"
            placeholder="Filter by task, node or state"
            aria-label="Filter tasks"
            value={q}
            onChange={(e) => set('q', e.target.value)}
          />
        </FilterField>
        <label className="check">
          <input type="checkbox" checked={history} onChange={(e) => set('history', e.target.checked ? '' : '0')} />
          Show history
        </label>
      </form>
      {!synced ? (
        <Loading what="tasks" />
      ) : shown.length === 0 ? (
        <EmptyState title={filtered ? 'No matching tasks' : 'No tasks'} />
      ) : (
        <TasksTable tasks={shown} nodes={nodes} linkService caption="All tasks" />
      )}
    </>
  );
}
