/** `placement.maxReplicas` (`--replicas-max-per-node`) caps this service's active tasks per node. */
import type { Task } from '@swarm/shared';
import type { Filter } from './filter.js';

export function maxReplicasFilter(): Filter {
  let max = 0;
  let service = '';
  return {
    name: 'max-replicas',
    setTask(t: Task) {
      max = t.spec.placement.maxReplicas;
      service = t.serviceId;
      return max > 0;
    },
    check: (n) => (n.perService.get(service) ?? 0) < max,
    explain: () => 'max replicas per node limit exceed',
  };
}
