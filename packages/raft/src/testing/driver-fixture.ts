/** Shared by the driver tests that run real nodes: a temp root removed afterwards, and polling. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll } from 'vitest';
import type { RaftNode } from '../node/node.js';

/** A temp directory and a set of running nodes, all stopped and removed after the file's tests. */
export function driverFixture(prefix: string): { root: string; running: Set<RaftNode<number>> } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const running = new Set<RaftNode<number>>();
  afterAll(async () => {
    for (const n of running) await n.stop();
    fs.rmSync(root, { recursive: true, force: true });
  });
  return { root, running };
}

export async function until<T>(f: () => T | undefined | false, what: string, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
