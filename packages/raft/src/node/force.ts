/**
 * --force-new-cluster: turn a surviving member's state into a one-member
 * cluster. Every committed entry is kept (applied into one snapshot); entries
 * that were never committed are dropped, as etcd does. The old directory is
 * renamed `<dir>.old-<ms>` rather than deleted.
 *
 *   old dir: snapshot + WAL ──► restore + apply committed ──► snapshot(commit, voters=[self])
 *                                                                  │
 *   new dir: ◄─────────────────────────────────────────────────────┘ (the node then elects itself)
 */
import * as fs from 'node:fs';
import type { NodeId } from '../core/types.js';
import type { RaftNodeOptions } from './api.js';
import { DiskStore } from './disk.js';
import { unwrapSnapshot, wrapSnapshot } from './members.js';

export async function forceNewCluster<R>(o: RaftNodeOptions<R>, log: (msg: string) => void): Promise<void> {
  if (!fs.existsSync(o.dir)) return;
  const old = new DiskStore(o.dir, { warn: log });
  if (old.fresh) {
    await old.close();
    return;
  }
  const st = old.storage;
  const { hardState } = st.initialState();
  const snap = st.snapshot();
  if (snap.meta.index > 0) o.stateMachine.restore(unwrapSnapshot(snap.data).app);
  const commit = Math.max(hardState.commit, snap.meta.index);
  const committed = commit > snap.meta.index ? st.entries(snap.meta.index + 1, commit + 1, Number.MAX_SAFE_INTEGER) : [];
  for (const e of committed) {
    if (e.type !== 'conf' && e.data.length > 0) o.stateMachine.apply({ index: e.index, term: e.term, data: e.data });
  }
  const term = Math.max(hardState.term, commit > 0 ? st.term(commit) : 0);
  const lastTerm = commit > 0 ? st.term(commit) : 0;
  const dropped = st.lastIndex() - commit;
  const members = new Map<NodeId, string>([[o.id, o.listen]]);
  const data = wrapSnapshot(members, o.stateMachine.snapshot());
  await old.close();

  const backup = `${o.dir}.old-${Date.now()}`;
  fs.renameSync(o.dir, backup);
  const fresh = new DiskStore(o.dir, { warn: log });
  await fresh.persist({
    snapshot: { meta: { index: commit, term: lastTerm, conf: { voters: [o.id], learners: [] } }, data },
    hardState: { term, vote: '', commit },
    entries: [],
    committed: [],
    messages: [],
    readStates: [],
    mustSync: true,
  });
  await fresh.close();
  log(`raft: forced a new one-member cluster at index ${commit} (term ${term}); dropped ${dropped} uncommitted entries; old state kept in ${backup}`);
}
