/**
 * Node writes from the dispatcher (a session registering its node READY, a
 * heartbeat expiry marking it DOWN), coalesced: every write that arrives
 * while the previous batch is being committed, or in the same turn of the
 * event loop, goes into one store transaction. A reconnect storm of 1,000
 * agents then costs a handful of transactions and commit events instead of
 * 1,000. Each write still succeeds or fails on its own: a missing node, an
 * edit that throws or a refused update fails only its own request; only a
 * failed commit fails the whole batch (nothing of it was written).
 *
 *   write(nodeId, edit) ─► queue ─► [setImmediate | previous batch done] ─► store.update(all edits) ─► per-write results
 */
import { type Node, type Result, err, ok } from '@swarm/shared';
import type { Store } from '../store/store.js';

/** Returns the node to store, or undefined to leave it as it is. */
export type NodeEdit = (current: Node) => Node | undefined;

export interface NodeWriter {
  /** Resolves with the node as committed (or as it was, if `edit` left it), or why not. */
  write(nodeId: string, edit: NodeEdit): Promise<Result<Node, string>>;
  /** Resolves when every queued write is settled. */
  flush(): Promise<void>;
}

interface Pending { nodeId: string; edit: NodeEdit; resolve: (r: Result<Node, string>) => void }

export function createNodeWriter(opts: { store: Store; maxBatch?: number }): NodeWriter {
  // A node with its description is ~1 KB of JSON: 256 of them keep a Raft entry well under its 1.5 MB limit.
  const maxBatch = opts.maxBatch ?? 256;
  let queue: Pending[] = [];
  let running: Promise<void> | undefined;
  let scheduled = false;

  const commit = async (batch: Pending[]): Promise<void> => {
    const results: Array<Result<Node, string>> = [];
    const w = await opts.store.update((tx) => {
      results.length = 0;
      for (const p of batch) {
        const cur = tx.get('nodes', p.nodeId);
        if (!cur) {
          results.push(err('node not found'));
          continue;
        }
        let next: Node | undefined;
        try {
          next = p.edit(cur);
        } catch (e) {
          results.push(err(`node ${p.nodeId}: ${(e as Error).message}`));
          continue;
        }
        if (!next) {
          results.push(ok(cur));
          continue;
        }
        const u = tx.update('nodes', next);
        results.push(u.ok ? ok(u.value) : err(u.error.message));
      }
      return ok(undefined);
    });
    if (!w.ok) {
      const message = `node write failed: ${w.error.message}`;
      for (const p of batch) p.resolve(err(message));
      return;
    }
    batch.forEach((p, i) => p.resolve(results[i] ?? err('node write lost')));
  };

  const run = (): void => {
    scheduled = false;
    if (running || queue.length === 0) return;
    const batch = queue.slice(0, maxBatch);
    queue = queue.slice(batch.length);
    running = commit(batch)
      .catch((e: unknown) => {
        for (const p of batch) p.resolve(err(`node write failed: ${String(e)}`));
      })
      .finally(() => {
        running = undefined;
        run(); // whatever queued meanwhile goes next, as one batch
      });
  };

  return {
    write(nodeId, edit) {
      return new Promise((resolve) => {
        queue.push({ nodeId, edit, resolve });
        if (!running && !scheduled) {
          scheduled = true;
          setImmediate(run); // gather the writes of this turn of the event loop
        }
      });
    },
    async flush() {
      while (running || queue.length > 0) {
        if (!running) run();
        await running;
      }
    },
  };
}
