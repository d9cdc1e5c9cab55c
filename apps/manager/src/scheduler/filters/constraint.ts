/**
 * `placement.constraints`, all ANDed (swarmkit.md §6). Constraints that do not
 * parse disable the filter, as in SwarmKit (the API refuses them at create and
 * update, so only specs written before validation existed can carry them).
 */
import type { Task } from '@swarm/shared';
import { type NodeMatcher, compileConstraints } from '../constraint.js';
import { type Filter, onNodes } from './filter.js';

export function constraintFilter(): Filter {
  let match: NodeMatcher = () => true;
  let compiledFor: readonly string[] | undefined;
  return {
    name: 'constraints',
    setTask(t: Task) {
      const list = t.spec.placement.constraints;
      if (list.length === 0) return false;
      if (list !== compiledFor) {
        const m = compileConstraints(list);
        compiledFor = list;
        match = m.ok ? m.value : () => true;
      }
      return true;
    },
    check: (n) => match(n.node),
    explain: (n) => onNodes('scheduling constraints not satisfied', n),
  };
}
