'use client';
import Link from 'next/link';
import type { Node, Task } from '@swarm/shared';
import { taskStateName } from '@swarm/shared';
import { isCurrent, nodeName, taskDisplayName } from '../live/selectors';
import { age, shortId } from '../lib/format';
import { useNow } from '../lib/use-now';
import { StateBadge } from './state-badge';

interface Props {
  tasks: Task[];
  nodes: ReadonlyMap<string, Node>;
  /** Link each task's service (off on a service's own page). */
  linkService?: boolean;
  caption: string;
}

/** Tasks like `docker service ps`: history rows are dimmed under the current one. */
export function TasksTable({ tasks, nodes, linkService = false, caption }: Props) {
  const now = useNow();
  return (
    <div className="table-wrap">
      <table className="table" data-testid="tasks-table">
        <caption className="sr-only">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Task</th>
            <th scope="col">State</th>
            <th scope="col">Desired</th>
            <th scope="col">Node</th>
            <th scope="col">Container</th>
            <th scope="col">Error</th>
            <th scope="col">Age</th>
          </tr>
        </thead>
        <tbody>
          {tasks.map((t) => {
            const current = isCurrent(t);
            const name = taskDisplayName(t, nodes);
            const node = t.nodeId ? nodes.get(t.nodeId) : undefined;
            const containerId = t.status.container?.containerId;
            return (
              <tr
                key={t.id}
                className={current ? undefined : 'row--history'}
                data-testid="task-row"
                data-task-id={t.id}
                data-task-name={name}
                data-slot={t.slot}
                data-state={taskStateName(t.status.state)}
                data-desired-state={taskStateName(t.desiredState)}
                data-container-id={containerId || undefined}
              >
                <th scope="row">
                  {current ? '' : <span className="history-mark" aria-hidden="true">\_ </span>}
                  {linkService ? (
                    <Link href={`/services/view?id=${encodeURIComponent(t.serviceId)}`} className="link-strong">
                      {name}
                    </Link>
                  ) : (
                    <span className="link-strong">{name}</span>
                  )}
                  <div className="sub mono" title={t.id}>
                    {shortId(t.id)}
                  </div>
                </th>
                <td>
                  <StateBadge state={t.status.state} />
                  <div className="sub" title={t.status.message || undefined}>
                    {age(t.status.timestamp, now)}
                  </div>
                </td>
                <td className="muted">{taskStateName(t.desiredState).toLowerCase()}</td>
                <td>{t.nodeId ? nodeName(node, t.nodeId) : <span className="muted">—</span>}</td>
                <td className="mono" title={containerId || undefined}>
                  {containerId ? shortId(containerId) : <span className="muted">—</span>}
                </td>
                <td className="cell-error">{t.status.err ?? ''}</td>
                <td className="muted nowrap">{age(t.meta.createdAt, now)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
