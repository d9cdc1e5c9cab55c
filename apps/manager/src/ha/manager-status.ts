/**
 * Leader duty: keeps every node's `managerStatus` in step with Raft (member
 * address, leader flag, reachability as this leader's transport sees it), so
 * `node ls` shows LEADER / REACHABLE / UNREACHABLE as SwarmKit does. Writes
 * only what changed, once a second and whenever membership changes.
 */
import { type Node, ok } from '@swarm/shared';
import type { RaftNode } from '@swarm/raft';
import type { Store } from '../store/store.js';
import type { Duty } from './duties.js';

type Status = NonNullable<Node['managerStatus']>;

export function expectedManagerStatus(raft: Pick<RaftNode<unknown>, 'members' | 'reachable' | 'status'>, nodeId: string): Status | undefined {
  const addr = raft.members().get(nodeId);
  const st = raft.status();
  if (addr === undefined || !(st.conf.voters.includes(nodeId) || st.conf.learners.includes(nodeId))) return undefined;
  return { raftId: nodeId, addr, leader: nodeId === st.leader, reachability: raft.reachable(nodeId) ? 'REACHABLE' : 'UNREACHABLE' };
}

const same = (a: Status | undefined, b: Status | undefined) => JSON.stringify(a) === JSON.stringify(b);

export function startManagerStatus(store: Store, raft: Pick<RaftNode<unknown>, 'members' | 'reachable' | 'status'>, everyMs = 1000): Duty {
  let running: Promise<unknown> = Promise.resolve();
  // Checked on a read first: most seconds nothing changed, and no write transaction is queued then.
  // A worker (not a Raft member, no status) is skipped without asking Raft: at 5,000 nodes this check ran
  // every second over every node.
  const stale = () => {
    const members = raft.members();
    return store.view((tx) => tx.list('nodes').some((n) => (n.managerStatus !== undefined || members.has(n.id)) && !same(n.managerStatus, expectedManagerStatus(raft, n.id))));
  };
  const sync = () =>
    (running = running.then(() =>
      !stale() ? undefined : store.update((tx) => {
        for (const n of tx.list('nodes')) {
          const want = expectedManagerStatus(raft, n.id);
          if (same(n.managerStatus, want)) continue;
          const { managerStatus: _, ...rest } = n;
          tx.update('nodes', want ? { ...rest, managerStatus: want } : rest);
        }
        return ok(undefined);
      }),
    ));
  void sync();
  const timer = setInterval(() => void sync(), everyMs);
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
    idle: async () => void (await running),
  };
}
