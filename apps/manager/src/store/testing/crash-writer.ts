/**
 * Crash-test writer (run as a child process by persist.test.ts):
 *
 *   TSX_TSCONFIG_PATH=tsconfig.crash.json node --import tsx crash-writer.ts <dir> [snapshotEvery]
 *
 * Opens a store persisted in <dir> and commits as fast as it can from several
 * concurrent writers (so group commit kicks in), printing "ack <version>" for
 * every commit only after the store acknowledged it (durable). The parent
 * SIGKILLs it at an arbitrary moment and checks what survived.
 *
 * Every commit is a pure function of its version (see `crashCommit`), so the
 * expected state at any version can be computed independently.
 */
import { ok } from '@swarm/shared';
import { openLocalPersistence } from '../persist.js';
import { createStore } from '../store.js';
import { crashCommit } from './crash-model.js';

const dir = process.argv[2];
if (!dir) throw new Error('usage: crash-writer <dir> [snapshotEvery]');
const snapshotEvery = Number(process.argv[3] ?? 25);

const store = createStore();
const persistence = openLocalPersistence(dir, store, { snapshotEvery });
store.setProposer(persistence.proposer);
process.stdout.write(`ready ${store.version()}\n`);

const worker = async (): Promise<never> => {
  for (;;) {
    const r = await store.update((tx) => {
      crashCommit(tx);
      return ok(tx.version);
    });
    if (!r.ok) throw new Error(`commit failed: ${JSON.stringify(r.error)}`);
    process.stdout.write(`ack ${r.value}\n`);
  }
};
await Promise.all(Array.from({ length: 8 }, worker));
