/**
 * Print per-node state when a chaos seed fails to converge.
 *   npx tsx packages/raft/scripts/debug-seed.ts <seed> [phases]
 */
import { runChaos } from '../src/testing/chaos.js';
import { SimCluster } from '../src/testing/sim.js';

const orig = SimCluster.prototype.checkConverged;
SimCluster.prototype.checkConverged = function (this: SimCluster, n?: number) {
  const why = orig.call(this, n);
  if (why) {
    for (const id of this.up()) {
      const r = this.raft(id);
      const node = this.node(id);
      const prs = [...r.r.prs].map(([k, p]) => `${k}:${p.match}/${p.next}/${p.state}${p.probeSent ? '*' : ''}${p.pendingSnapshot ? `@${p.pendingSnapshot}` : ''}`);
      console.log(id, r.status().role, `term=${r.r.term} lead=${r.r.lead} commit=${r.r.log.committed} applied=${node.appliedIndex} snap=${node.snapshotIndex}`,
        `log=[${r.r.log.firstIndex()},${r.r.log.lastIndex()}] conf=${JSON.stringify(r.confState())} dropped=${JSON.stringify(r.dropped)} prs=${prs.join(' ')}`);
    }
  }
  return why;
};
try {
  runChaos(Number(process.argv[2]), Number(process.argv[3] ?? 8));
  console.log('ok');
} catch (e) {
  console.log((e as Error).message);
}
