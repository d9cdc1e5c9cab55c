/** The API server's shutdown: responses in flight finish, idle connections close at once. */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureCluster } from '../bootstrap.js';
import { createStore } from '../store/store.js';
import type { Caller } from '../api/trpc.js';
import { startApiServer } from './http.js';

describe('API server close', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'http-close-test-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('lets a static response in flight finish (a node restarting under an open page cut its prefetches)', async () => {
    const store = createStore();
    const c = await ensureCluster(store);
    if (!c.ok) throw new Error(c.error);
    const big = Buffer.alloc(64 * 2 ** 20, 'x'); // long enough to be mid-transfer when close is called
    fs.writeFileSync(path.join(dir, 'big.js'), big);
    const context = (caller: Caller) => ({ caller, store, self: { nodeId: 'n1', version: 'test' }, config: { minCertExpiryMs: 3_600_000 } });
    const server = await startApiServer({ listen: { kind: 'tcp', host: '127.0.0.1', port: 0 }, context, webDir: dir });
    const [host, port] = server.address.split(':');
    let closed: Promise<void> | undefined;
    const received = await new Promise<number>((resolve, reject) => {
      http
        .get({ host, port: Number(port), path: '/big.js' }, (res) => {
          let n = 0;
          res.on('data', (chunk: Buffer) => {
            n += chunk.length;
            closed ??= server.close(); // the node stops while the body is still coming
          });
          res.on('end', () => resolve(n));
          res.on('error', reject);
        })
        .on('error', reject);
    });
    expect(received).toBe(big.length);
    await closed;
  });
});
