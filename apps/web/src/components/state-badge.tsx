import { taskStateName } from '@swarm/shared';
import { taskTone } from '../lib/format';

export function StateBadge({ state }: { state: number }) {
  const name = taskStateName(state);
  return (
    <span className={`badge badge--${taskTone(state)}`} data-testid="task-state" data-state={name}>
      {name.toLowerCase()}
    </span>
  );
}
