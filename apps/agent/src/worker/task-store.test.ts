import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createTaskStore } from './task-store.js';

const dirs: string[] = [];
const tempDir = async () => {
  const d = await mkdtemp(join(tmpdir(), 'task-store-'));
  dirs.push(d);
  return d;
};
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

describe('task store', () => {
  it('coalesces a burst of saveSoon calls into one write', async () => {
    const dir = await tempDir();
    let writes = 0;
    const store = createTaskStore(dir, () => (writes++, []), undefined, 20);
    for (let i = 0; i < 50; i++) store.saveSoon();
    expect(writes).toBe(0);
    const file = await vi.waitFor(() => readFile(join(dir, 'worker', 'tasks.json'), 'utf8'), { timeout: 5000, interval: 20 });
    expect(JSON.parse(file)).toEqual({ version: 1, tasks: [] });
    await new Promise((r) => setTimeout(r, 50));
    expect(writes).toBe(1);
  });

  it('save() writes at once and takes over a pending saveSoon', async () => {
    const dir = await tempDir();
    let writes = 0;
    const store = createTaskStore(dir, () => (writes++, []), undefined, 10_000);
    store.saveSoon();
    await store.save();
    expect(writes).toBe(1);
    await new Promise((r) => setTimeout(r, 50));
    expect(writes).toBe(1);
  });
});
