'use client';
import { useMemo } from 'react';
import type { Task } from '@swarm/shared';
import { pendingReasons } from '../live/selectors';

/** Why some of a service's tasks cannot be placed: shown above its task table. */
export function PendingNotice({ tasks }: { tasks: readonly Task[] }) {
  const reasons = useMemo(() => pendingReasons(tasks), [tasks]);
  if (reasons.length === 0) return null;
  const total = reasons.reduce((n, r) => n + r.count, 0);
  return (
    <div className="notice--pending" role="status" data-testid="pending-notice">
      <strong>
        {total} task{total === 1 ? '' : 's'} pending: the scheduler cannot place {total === 1 ? 'it' : 'them'}.
      </strong>
      <ul>
        {reasons.slice(0, 5).map((r) => (
          <li key={r.reason} data-testid="pending-reason-summary">
            {r.count > 1 ? `${r.count} × ` : ''}
            {r.reason}
          </li>
        ))}
      </ul>
    </div>
  );
}
