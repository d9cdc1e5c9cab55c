'use client';
import { memo } from 'react';
import { TaskState, taskStateName, type Node, type Task } from '@swarm/shared';
import { isCurrent, nodeName } from '../live/selectors';
import type { SlotHeader } from '../live/slot-rows';
import { age, shortId } from '../lib/format';
import { serviceHref, taskHref } from '../lib/hrefs';
import { useNow } from '../lib/use-now';
import { StateBadge } from './state-badge';

export const COLUMNS = 7;

/** A relative time that re-renders itself on the shared clock, so rows don't re-render every second. */
export const Age = memo(function Age({ ts }: { ts: number | undefined }) {
  return <>{age(ts, useNow())}</>;
});


/** Why a task is not running: the scheduler's reason for a pending task, else the error. */
export function TaskProblem({ task: t }: { task: Task }) {
  const err = t.status.err;
  if (!err) return null;
  const pending = t.status.state === TaskState.PENDING;
  return (
    <span className={pending ? 'task-reason' : undefined} data-testid={pending ? 'pending-reason' : 'task-error'} title={err}>
      {err}
    </span>
  );
}

interface RowProps {
  task: Task;
  index: number;
  node: Node | undefined;
  name: string;
  linkService: boolean;
}

/**
 * One task row; memoized, and free of the clock, so a render of the table touches only rows whose task changed.
 * Plain anchors: the table navigates client-side for them (`useDelegatedLinks`).
 */
export const TaskRow = memo(function TaskRow({ task: t, index, node, name, linkService }: RowProps) {
  const current = isCurrent(t);
  const containerId = t.status.container?.containerId;
  return (
    <tr
      aria-rowindex={index + 2}
      className={current ? 'row-task' : 'row-task row--history'}
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
        <a href={taskHref(t.id)} className="link-strong">
          {name}
        </a>
        <div className="sub mono" title={t.id}>
          {linkService && (
            <>
              <a href={serviceHref(t.serviceId)}>{t.serviceAnnotations.name}</a>
              {' · '}
            </>
          )}
          {shortId(t.id)}
        </div>
      </th>
      <td>
        <StateBadge state={t.status.state} />
        <div className="sub" title={t.status.message || undefined}>
          <Age ts={t.status.timestamp} />
        </div>
      </td>
      <td className="muted">{taskStateName(t.desiredState).toLowerCase()}</td>
      <td>{t.nodeId ? nodeName(node, t.nodeId) : <span className="muted">—</span>}</td>
      <td className="mono" title={containerId || undefined}>
        {containerId ? shortId(containerId) : <span className="muted">—</span>}
      </td>
      <td className="cell-error">
        <TaskProblem task={t} />
      </td>
      <td className="muted nowrap">
        <Age ts={t.meta.createdAt} />
      </td>
    </tr>
  );
});

/** The header row of one slot (or node, for global services) when tasks are grouped. */
export const SlotRow = memo(function SlotRow({ header, index }: { header: SlotHeader; index: number }) {
  return (
    <tr aria-rowindex={index + 2} className="row-slot" data-testid="slot-group" data-slot-key={header.key}>
      <th scope="rowgroup" colSpan={COLUMNS}>
        {header.label}
        <span className="sub">
          {' · '}
          {header.tasks} task{header.tasks === 1 ? '' : 's'}
          {header.history > 0 ? `, ${header.history} in history` : ''}
        </span>
      </th>
    </tr>
  );
}, (a, b) => a.index === b.index && a.header.key === b.header.key && a.header.label === b.header.label && a.header.tasks === b.header.tasks && a.header.history === b.header.history);
