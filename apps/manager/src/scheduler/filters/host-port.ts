/** Host-mode published ports: two tasks cannot publish the same (protocol, port) on one node. */
import type { Task } from '@swarm/shared';
import { hostPortsOf } from '../node-info.js';
import { type Filter, onNodes } from './filter.js';

export function hostPortFilter(): Filter {
  let want: string[] = [];
  return {
    name: 'host-port',
    setTask: (t: Task) => (want = hostPortsOf(t)).length > 0,
    check: (n) => want.every((p) => !n.hostPorts.has(p)),
    explain: (n) => onNodes('host-mode port already in use', n),
  };
}
