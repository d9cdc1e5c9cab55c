'use client';
import { useWindowVirtualizer } from '@tanstack/react-virtual';
import Link from 'next/link';
import { memo, useLayoutEffect, useRef, useState } from 'react';
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

/** Above this many rows only the rows near the viewport are in the DOM. */
export const VIRTUALIZE_ABOVE = 150;
const ROW_ESTIMATE = 58;

/**
 * Tasks like `docker service ps`: history rows are dimmed under the current one.
 * Long lists (10,000 tasks) are virtualized against the window's scroll: the
 * table keeps its semantics (`aria-rowcount`, `aria-rowindex` on each row) and
 * two spacer rows stand in for the rows outside the viewport.
 */
export function TasksTable({ tasks, nodes, linkService = false, caption }: Props) {
  const now = useNow();
  const virtual = tasks.length > VIRTUALIZE_ABOVE;
  const bodyRef = useRef<HTMLTableSectionElement>(null);
  const [margin, setMargin] = useState(0);
  useLayoutEffect(() => {
    const el = bodyRef.current;
    if (!virtual || !el) return;
    const measure = () => setMargin(el.getBoundingClientRect().top + window.scrollY);
    measure();
    const ro = new ResizeObserver(measure);
    ro.observe(document.body);
    return () => ro.disconnect();
  }, [virtual]);
  const virtualizer = useWindowVirtualizer({
    count: virtual ? tasks.length : 0,
    estimateSize: () => ROW_ESTIMATE,
    overscan: 12,
    scrollMargin: margin,
    getItemKey: (i) => tasks[i]?.id ?? i,
  });
  const items = virtual ? virtualizer.getVirtualItems() : [];
  const rows: { task: Task; index: number }[] = virtual ? items.map((v) => ({ task: tasks[v.index] as Task, index: v.index })) : tasks.map((task, index) => ({ task, index }));
  const padTop = virtual && items.length > 0 ? (items[0]?.start ?? 0) - margin : 0;
  const padBottom = virtual && items.length > 0 ? virtualizer.getTotalSize() - ((items[items.length - 1]?.end ?? 0) - margin) : 0;
  return (
    <div className="table-wrap">
      <table className={`table${virtual ? ' table--virtual' : ''}`} data-testid="tasks-table" data-virtual={virtual || undefined} aria-rowcount={tasks.length + 1}>
        <caption className="sr-only">{caption}</caption>
        <thead>
          <tr aria-rowindex={1}>
            <th scope="col">Task</th>
            <th scope="col">State</th>
            <th scope="col">Desired</th>
            <th scope="col">Node</th>
            <th scope="col">Container</th>
            <th scope="col">Error</th>
            <th scope="col">Age</th>
          </tr>
        </thead>
        <tbody ref={bodyRef}>
          {padTop > 0 && (
            <tr aria-hidden="true" className="spacer">
              <td colSpan={7} style={{ height: padTop, padding: 0, border: 0 }} />
            </tr>
          )}
          {rows.map(({ task: t, index }) => (
            <TaskRow
              key={t.id}
              task={t}
              index={index}
              node={t.nodeId ? nodes.get(t.nodeId) : undefined}
              name={taskDisplayName(t, nodes)}
              now={now}
              linkService={linkService}
              measure={virtual ? virtualizer.measureElement : undefined}
            />
          ))}
          {padBottom > 0 && (
            <tr aria-hidden="true" className="spacer">
              <td colSpan={7} style={{ height: padBottom, padding: 0, border: 0 }} />
            </tr>
          )}
        </tbody>
      </table>
    </div>
  );
}

interface RowProps {
  task: Task;
  index: number;
  node: Node | undefined;
  name: string;
  now: number;
  linkService: boolean;
  measure: ((el: Element | null) => void) | undefined;
}

/** One task row; memoized so scrolling a long list renders only the rows that enter the viewport. */
const TaskRow = memo(function TaskRow({ task: t, index, node, name, now, linkService, measure }: RowProps) {
  const current = isCurrent(t);
  const containerId = t.status.container?.containerId;
  return (
    <tr
      ref={measure}
      data-index={index}
      aria-rowindex={index + 2}
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
});
