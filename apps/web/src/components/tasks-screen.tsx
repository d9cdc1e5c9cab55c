'use client';
import { usePathname, useRouter, useSearchParams } from 'next/navigation';
import { useMemo } from 'react';
import { taskStateName, taskStateValues } from '@swarm/shared';
import { EmptyState, Loading } from './empty-state';
import { FilterField } from './filter-field';
import { PageHeader } from './page-header';
import { TasksTable } from './tasks-table';
import { useNodes, useServices, useSynced, useTasks } from '../live/hooks';
import { filterTasks, isRunning, nodeName, sortedNodes, sortedServices, sortTasks } from '../live/selectors';

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
  const params = useSearchParams();
  const router = useRouter();
  const pathname = usePathname();
  const f = {
    service: params.get('service') ?? '',
    node: params.get('node') ?? '',
    state: params.get('state') ?? '',
    desired: params.get('desired') ?? '',
    q: params.get('q') ?? '',
    history: params.get('history') !== '0',
  };
  const set = (key: string, value: string) => {
    const next = new URLSearchParams(params.toString());
    if (value) next.set(key, value);
    else next.delete(key);
    const qs = next.toString();
    router.replace(qs ? `${pathname}?${qs}` : pathname, { scroll: false });
  };
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
      <form className="filters" role="search" aria-label="Filter tasks by field" onSubmit={(e) => e.preventDefault()}>
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
