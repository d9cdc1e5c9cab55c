/**
 * Leader duty: moves each node's observed role to its desired role (SwarmKit's
 * role manager). Promotion sets the role; the node then renews its
 * certificate as a manager and joins Raft itself. Demotion takes the node out
 * of Raft first (after handing leadership over when it is this leader), and
 * only while the remaining managers keep a reachable quorum.
 *
 *   desiredRole ≠ role ─► MANAGER: role := MANAGER
 *                     └─► WORKER:  leader? transfer ─► raft remove ─► role := WORKER
 */
import { type Node, ok } from '@swarm/shared';
import type { RaftNode } from '@swarm/raft';
import { type Loop, startLoop } from '../lib/control-loop.js';
import type { Store } from '../store/store.js';

type RaftView = Pick<RaftNode<unknown>, 'status' | 'members' | 'reachable' | 'removeMember' | 'transferLeadership'>;

export const quorumOf = (voters: number) => Math.floor(voters / 2) + 1;

/** Why removing `id` from Raft would lose quorum, or undefined when it is safe. */
export function quorumRisk(voters: string[], reachable: (id: string) => boolean, id: string): string | undefined {
  const rest = voters.filter((v) => v !== id);
  if (rest.length === 0) return 'it is the last manager of the cluster';
  const up = rest.filter(reachable).length;
  const need = quorumOf(rest.length);
  if (up < need) return `the remaining ${rest.length} managers need ${need} reachable for quorum, and ${up} are`;
  return undefined;
}

export function startRoleManager(opts: { store: Store; raft: RaftView; self: string; log: (m: string) => void }): Loop {
  const { store, raft } = opts;
  const setRole = (id: string, role: Node['role']) =>
    store.update((tx) => {
      const n = tx.get('nodes', id);
      if (!n || n.role === role) return ok(undefined);
      const { managerStatus: _, ...rest } = n;
      return tx.update('nodes', role === 'WORKER' ? { ...rest, role } : { ...n, role });
    });

  const demote = async (n: Node): Promise<number | undefined> => {
    const st = raft.status();
    if (st.conf.voters.includes(n.id) || st.conf.learners.includes(n.id)) {
      const risk = quorumRisk([...st.conf.voters], (id) => raft.reachable(id), n.id);
      if (risk) {
        opts.log(`not demoting ${n.id} yet: ${risk}`);
        return Date.now() + 2_000;
      }
      if (n.id === opts.self) {
        const to = st.conf.voters.find((v) => v !== opts.self && raft.reachable(v));
        if (to) raft.transferLeadership(to);
        opts.log(`handing leadership to ${to ?? 'another manager'} before demoting this manager`);
        return Date.now() + 1_000; // the next leader finishes the demotion
      }
      const r = await raft.removeMember(n.id);
      if (!r.ok) {
        opts.log(`removing ${n.id} from raft failed: ${r.error.message}`);
        return Date.now() + 1_000;
      }
      opts.log(`removed ${n.id} from raft`);
    }
    return (await applyRole(n.id, 'WORKER')) ? undefined : Date.now() + 1_000;
  };

  /** Writes the role; false (after logging why) when the write failed, so the caller retries. */
  const applyRole = async (id: string, role: Node['role']): Promise<boolean> => {
    const r = await setRole(id, role);
    if (r.ok) opts.log(`node ${id} is now a ${role.toLowerCase()}`);
    else opts.log(`recording ${id} as a ${role.toLowerCase()} failed (${JSON.stringify(r.error)}); retrying`);
    return r.ok;
  };

  return startLoop<string>({
    name: 'role-manager',
    store,
    initialKeys: () => store.view((tx) => tx.list('nodes').filter((n) => n.spec.desiredRole !== n.role).map((n) => n.id)),
    dirtyKeys(event, add) {
      for (const c of event.changes) if (c.table === 'nodes' && c.action !== 'delete') add(c.object.id);
    },
    async reconcile(keys) {
      const again: Array<{ key: string; at: number }> = [];
      for (const id of keys) {
        const n = store.view((tx) => tx.get('nodes', id));
        if (!n || n.spec.desiredRole === n.role) continue;
        if (n.spec.desiredRole === 'MANAGER') {
          if (!(await applyRole(id, 'MANAGER'))) again.push({ key: id, at: Date.now() + 1_000 });
        } else {
          const at = await demote(n);
          if (at !== undefined) again.push({ key: id, at });
        }
      }
      return again;
    },
    onError: (e) => opts.log(`role manager: ${String(e)}`),
  });
}
