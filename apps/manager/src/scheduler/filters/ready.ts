/** Only READY, ACTIVE nodes take new tasks. */
import type { Filter } from './filter.js';

export function readyFilter(): Filter {
  return {
    name: 'ready',
    setTask: () => true,
    check: (n) => n.node.status.state === 'READY' && n.node.spec.availability === 'ACTIVE',
    explain: (n) => (n === 1 ? '1 node not available for new tasks' : `${n} nodes not available for new tasks`),
  };
}
