/**
 * WAL micro-benchmark (one process, the node's own DiskStore): 256-byte
 * entries, fdatasync per batch, batch sizes 1 / 10 / 100 entries.
 *   npx tsx bench/raft/wal-micro.ts
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DiskStore } from '../../packages/raft/src/node/disk.js';
import type { Entry } from '../../packages/raft/src/core/types.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'raft-walbench-'));
try {
  const d = new DiskStore(dir);
  const data = new Uint8Array(256).fill(7);
  let index = 0;
  for (const batch of [1, 10, 100]) {
    const seconds = 2;
    const t0 = performance.now();
    let syncs = 0;
    const lat: number[] = [];
    while (performance.now() - t0 < seconds * 1000) {
      const entries: Entry[] = [];
      for (let i = 0; i < batch; i++) entries.push({ term: 1, index: ++index, type: 'normal', data });
      const t = performance.now();
      await d.persist({ hardState: { term: 1, vote: 'a', commit: index }, entries, committed: [], messages: [], readStates: [], mustSync: true });
      lat.push(performance.now() - t);
      syncs++;
    }
    const el = (performance.now() - t0) / 1000;
    lat.sort((a, b) => a - b);
    console.log(
      JSON.stringify({ batch, fsyncs_per_s: Math.round(syncs / el), entries_per_s: Math.round((syncs * batch) / el), p50_ms: +lat[lat.length >> 1]!.toFixed(3), p99_ms: +lat[Math.floor(lat.length * 0.99)]!.toFixed(3) }),
    );
  }
  await d.close();
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
