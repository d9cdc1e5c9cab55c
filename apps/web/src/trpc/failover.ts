/**
 * Where the tab's live socket connects: the manager that served the page,
 * or, once that one stops answering, the next manager's dashboard origin
 * (managers publish theirs on their node objects). The stream resumes from
 * the last version seen: every manager applies the same Raft log, so store
 * versions mean the same thing on all of them.
 *
 *   connect ─► target ── 2 failed attempts ──► next origin (page's, then the other managers')
 */
import type { Node } from '@swarm/shared';

/** Consecutive failed attempts before the socket moves to another manager. */
export const FAILOVER_AFTER = 2;

export interface Failover {
  /** The URL for the next connection attempt (each call is one attempt). */
  url(): string;
  /** The last attempt's socket opened. */
  opened(): void;
  setManagers(nodes: Iterable<Node>): void;
  current(): string;
}

export function createFailover(home: string): Failover {
  let others: string[] = [];
  let target = home;
  let failures = 0;
  let attempting = false;
  return {
    url() {
      // An attempt that never reported `opened` before the next one failed.
      if (attempting) failures++;
      attempting = true;
      if (failures >= FAILOVER_AFTER) {
        const all = [home, ...others.filter((o) => o !== home)];
        target = all[(all.indexOf(target) + 1) % all.length] ?? home;
        failures = 0;
      }
      return `${target.replace(/^http/, 'ws')}/trpc`;
    },
    opened() {
      attempting = false;
      failures = 0;
    },
    setManagers(nodes) {
      const list: string[] = [];
      for (const n of nodes) if (n.managerStatus && n.dashboard && n.managerStatus.reachability !== 'UNREACHABLE') list.push(n.dashboard);
      // Keep a dead target in the rotation order until the stream moves on.
      if (list.length > 0) others = list.sort();
    },
    current: () => target,
  };
}
