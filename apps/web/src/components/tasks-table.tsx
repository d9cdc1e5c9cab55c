'use client';
import { useWindowVirtualizer } from '@tanstack/react-virtual';
import { useLayoutEffect, useMemo, useRef, useState } from 'react';
import type { Node, Task } from '@swarm/shared';
import { taskDisplayName } from '../live/selectors';
import { tableItems, type TableItem } from '../live/slot-rows';
import { useDelegatedLinks } from '../lib/use-delegated-links';
import { COLUMNS, SlotRow, TaskRow } from './task-row';

interface Props {
  tasks: Task[];
  nodes: ReadonlyMap<string, Node>;
  /** Show each task's service under its name (the Tasks page). */
  linkService?: boolean;
  /** A header row per slot (per node for global services) that has history: a service's page. */
  groupBySlot?: boolean;
  caption: string;
}

/** Above this many rows only the rows near the viewport are in the DOM. */
export const VIRTUALIZE_ABOVE = 150;
/** Fixed row heights of the virtualized table (CSS pins them: `.table--virtual`), so nothing is measured while scrolling. */
const TASK_ROW = 58;
const SLOT_ROW = 34;

function Spacer({ height }: { height: number }) {
  if (height <= 0) return null;
  return (
    <tr aria-hidden="true" className="spacer">
      <td colSpan={COLUMNS} style={{ height, padding: 0, border: 0 }} />
    </tr>
  );
}

/**
 * Tasks like `docker service ps`: history rows are dimmed under the current one.
 * Long lists (10,000 tasks) are virtualized against the window's scroll: the
 * table keeps its semantics (`aria-rowcount`, `aria-rowindex` on each row) and
 * two spacer rows stand in for the rows outside the viewport. Rows have fixed
 * heights and a fixed table layout, so scrolling costs one cheap render of the
 * rows entering the viewport and no measuring.
 */
export function TasksTable({ tasks, nodes, linkService = false, groupBySlot = false, caption }: Props) {
  const items = useMemo(() => tableItems(tasks, nodes, groupBySlot), [tasks, nodes, groupBySlot]);
  const onClick = useDelegatedLinks();
  const virtual = items.length > VIRTUALIZE_ABOVE;
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
    count: virtual ? items.length : 0,
    estimateSize: (i) => (items[i]?.kind === 'slot' ? SLOT_ROW : TASK_ROW),
    overscan: 10,
    // Let React batch the renders a fast scroll asks for (several scroll events per frame) instead of
    // rendering synchronously inside each event; the overscan covers the rows in between.
    useFlushSync: false,
    scrollMargin: margin,
    getItemKey: (i) => itemKey(items[i], i),
  });
  const range = virtual ? virtualizer.getVirtualItems() : [];
  const shown: { item: TableItem; index: number }[] = virtual
    ? range.map((v) => ({ item: items[v.index] as TableItem, index: v.index }))
    : items.map((item, index) => ({ item, index }));
  const first = range[0];
  const last = range[range.length - 1];
  const padTop = first ? first.start - margin : 0;
  const padBottom = last ? virtualizer.getTotalSize() - (last.end - margin) : 0;
  return (
    <div className="table-wrap">
      <table
        className={`table table--tasks${virtual ? ' table--virtual' : ''}`}
        data-testid="tasks-table"
        data-virtual={virtual || undefined}
        aria-rowcount={items.length + 1}
        onClick={onClick}
      >
        <caption className="sr-only">{caption}</caption>
        <colgroup>
          <col className="col-task" />
          <col className="col-state" />
          <col className="col-desired" />
          <col className="col-node" />
          <col className="col-container" />
          <col className="col-error" />
          <col className="col-age" />
        </colgroup>
        <thead>
          <tr aria-rowindex={1}>
            <th scope="col">Task</th>
            <th scope="col">State</th>
            <th scope="col">Desired</th>
            <th scope="col">Node</th>
            <th scope="col">Container</th>
            <th scope="col">Error / reason</th>
            <th scope="col">Age</th>
          </tr>
        </thead>
        <tbody ref={bodyRef}>
          <Spacer height={padTop} />
          {shown.map(({ item, index }) =>
            item.kind === 'slot' ? (
              <SlotRow key={item.key} header={item} index={index} />
            ) : (
              <TaskRow
                key={item.task.id}
                task={item.task}
                index={index}
                node={item.task.nodeId ? nodes.get(item.task.nodeId) : undefined}
                name={taskDisplayName(item.task, nodes)}
                linkService={linkService}
              />
            ),
          )}
          <Spacer height={padBottom} />
        </tbody>
      </table>
    </div>
  );
}

const itemKey = (item: TableItem | undefined, i: number): string | number => (item ? (item.kind === 'slot' ? item.key : item.task.id) : i);
