/**
 * Reservations must fit in what the node has left (its description's totals
 * minus the reservations of the tasks counted on it). One filter per kind of
 * resource so the explanation says which one ran out; a node without a
 * description has nothing to offer.
 */
import type { Task } from '@swarm/shared';
import type { NodeInfo } from '../node-info.js';
import { type Filter, onNodes } from './filter.js';

/**
 * As SwarmKit's ResourceFilter, cpu and memory are both checked when the task
 * reserves either: a node already overcommitted (by history) on one takes no
 * task that reserves the other.
 */
const reserves = (t: Task) => t.spec.resources.reservations.nanoCpus > 0 || t.spec.resources.reservations.memoryBytes > 0;

export function cpuFilter(): Filter {
  let want = 0;
  return {
    name: 'cpu',
    setTask: (t: Task) => {
      want = t.spec.resources.reservations.nanoCpus;
      return reserves(t);
    },
    check: (n: NodeInfo) => {
      const total = n.node.description?.resources.nanoCpus;
      return total !== undefined && n.reserved.nanoCpus + want <= total;
    },
    explain: (n) => onNodes('insufficient cpu', n),
  };
}

export function memoryFilter(): Filter {
  let want = 0;
  return {
    name: 'memory',
    setTask: (t: Task) => {
      want = t.spec.resources.reservations.memoryBytes;
      return reserves(t);
    },
    check: (n: NodeInfo) => {
      const total = n.node.description?.resources.memoryBytes;
      return total !== undefined && n.reserved.memoryBytes + want <= total;
    },
    explain: (n) => onNodes('insufficient memory', n),
  };
}

/** Discrete generic resources (`gpu=2`): each requested kind must have enough left. */
export function genericFilter(): Filter {
  let want: Array<[string, number]> = [];
  return {
    name: 'generic',
    setTask(t: Task) {
      want = Object.entries(t.spec.resources.reservations.generic).filter(([, v]) => v > 0);
      return want.length > 0;
    },
    check(n: NodeInfo) {
      const total = n.node.description?.resources.generic;
      if (!total) return false;
      for (const [k, v] of want) if ((n.reserved.generic.get(k) ?? 0) + v > (total[k] ?? 0)) return false;
      return true;
    },
    explain: (n) => onNodes(`insufficient generic resources (${want.map(([k]) => k).join(', ')})`, n),
  };
}
