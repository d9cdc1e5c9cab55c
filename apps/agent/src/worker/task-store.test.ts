import { appendFile, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { TaskState } from '@swarm/shared';
import { makeTask } from '../testing/tasks.js';
import { createTaskStore, type StoredTask } from './task-store.js';

const dirs: string[] = [];
const tempDir = async () => {
  const d = await mkdtemp(join(tmpdir(), 'task-store-'));
  dirs.push(d);
  return d;
};
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

/** The worker's side: a map of tasks, counting how often the whole set is read. */
function source() {
  const tasks = new Map<string, StoredTask>();
  let fullReads = 0;
  return {
    tasks,
    fullReads: () => fullReads,
    get: (id: string) => tasks.get(id),
    all: () => (fullReads++, [...tasks.values()]),
    put(state: TaskState, id?: string): StoredTask {
      const task = id ? tasks.get(id)!.task : makeTask();
      const t = { task, status: { timestamp: Date.now(), state, message: '' } };
      tasks.set(task.id, t);
      return t;
    },
  };
}

const reload = (dir: string) => createTaskStore(dir, { get: () => undefined, all: () => [] }).load();
const states = (xs: StoredTask[]) => Object.fromEntries(xs.map((x) => [x.task.id, x.status.state]));

describe('task store', () => {
  it('appends only what changed: a status change on a node with many tasks does not rewrite them all', async () => {
    const dir = await tempDir();
    const src = source();
    const store = createTaskStore(dir, src);
    for (let i = 0; i < 200; i++) store.touch(src.put(TaskState.RUNNING).task.id);
    await store.save(); // first save: a full snapshot
    expect(src.fullReads()).toBe(1);
    const one = [...src.tasks.keys()][7]!;
    src.put(TaskState.COMPLETE, one);
    store.touch(one);
    await store.save();
    expect(src.fullReads()).toBe(1);
    const journal = await readFile(join(dir, 'worker', 'tasks.journal'), 'utf8');
    expect(journal.trim().split('\n')).toHaveLength(1);
    await store.close();
    const back = states(await reload(dir));
    expect(Object.keys(back)).toHaveLength(200);
    expect(back[one]).toBe(TaskState.COMPLETE);
  });

  it('records a status change as the status alone, and replays it onto the stored task', async () => {
    const dir = await tempDir();
    const src = source();
    const store = createTaskStore(dir, src);
    const a = src.put(TaskState.ASSIGNED).task.id;
    const b = src.put(TaskState.ASSIGNED).task.id;
    store.touch(a);
    store.touch(b);
    await store.save(); // snapshot
    src.put(TaskState.RUNNING, a);
    store.touchStatus(a);
    src.put(TaskState.STARTING, b);
    store.touchStatus(b);
    store.touch(b); // b's task changed too: written whole, once
    await store.save();
    const lines = (await readFile(join(dir, 'worker', 'tasks.journal'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(2);
    const statusOnly = lines.find((l) => 'st' in l);
    expect(statusOnly).toEqual({ seq: expect.any(Number), st: { id: a, status: expect.objectContaining({ state: TaskState.RUNNING }) } });
    expect(lines.find((l) => 'put' in l).put.task.id).toBe(b);
    await store.close();
    expect(states(await reload(dir))).toEqual({ [a]: TaskState.RUNNING, [b]: TaskState.STARTING });
  });

  it('records removals and compacts a journal that outgrew its snapshot', async () => {
    const dir = await tempDir();
    const src = source();
    const store = createTaskStore(dir, src, undefined, { compactBytes: 4096 });
    const a = src.put(TaskState.RUNNING).task.id;
    const b = src.put(TaskState.RUNNING).task.id;
    store.touch(a);
    store.touch(b);
    await store.save();
    for (let i = 0; i < 30; i++) {
      src.put(TaskState.RUNNING, a);
      store.touch(a);
      await store.save();
    }
    expect(src.fullReads()).toBeGreaterThan(1); // compacted at least once
    expect((await stat(join(dir, 'worker', 'tasks.journal'))).size).toBeLessThanOrEqual(4096);
    src.tasks.delete(b);
    store.touch(b);
    await store.close();
    expect(Object.keys(states(await reload(dir)))).toEqual([a]);
  });

  it('drops a torn last line, and skips journal records the snapshot already holds', async () => {
    const dir = await tempDir();
    const src = source();
    const store = createTaskStore(dir, src);
    const a = src.put(TaskState.RUNNING).task.id;
    store.touch(a);
    await store.save();
    src.put(TaskState.COMPLETE, a);
    store.touch(a);
    await store.close();
    const journalPath = join(dir, 'worker', 'tasks.journal');
    const good = await readFile(journalPath, 'utf8');
    // A crash after compaction rewrote the snapshot but before it emptied the journal:
    // the snapshot (seq 1, FAILED) is newer than the journal's record (seq 1, COMPLETE).
    const snap = JSON.parse(await readFile(join(dir, 'worker', 'tasks.json'), 'utf8'));
    snap.seq = 1;
    snap.tasks[0].status.state = TaskState.FAILED;
    await writeFile(join(dir, 'worker', 'tasks.json'), JSON.stringify(snap));
    await appendFile(journalPath, '{"seq":2,"put":{"task":'); // torn
    expect(good.trim().split('\n')).toHaveLength(1);
    expect(states(await reload(dir))).toEqual({ [a]: TaskState.FAILED });
  });

  it('stops at an invalid record in the middle and rewrites cleanly at the next save', async () => {
    const dir = await tempDir();
    const src = source();
    const store = createTaskStore(dir, src);
    const a = src.put(TaskState.RUNNING).task.id;
    store.touch(a);
    await store.close();
    await appendFile(join(dir, 'worker', 'tasks.journal'), '{"seq":5,"put":{"task":{"id":3}}}\n{"seq":6,"del":"x"}\n');
    const warn = vi.fn();
    const logger = { warn, error: vi.fn(), info: vi.fn(), debug: vi.fn() } as never;
    const again = createTaskStore(dir, src, logger);
    expect(states(await again.load())).toEqual({ [a]: TaskState.RUNNING });
    expect(warn).toHaveBeenCalledTimes(1);
    await again.close(); // the first save after a load compacts
    expect(await readFile(join(dir, 'worker', 'tasks.journal'), 'utf8')).toBe('');
  });

  it('coalesces a burst of saveSoon calls into one write; save() takes over a pending one', async () => {
    const dir = await tempDir();
    const src = source();
    const store = createTaskStore(dir, src, undefined, { lazyMs: 20 });
    const a = src.put(TaskState.RUNNING).task.id;
    store.touch(a);
    for (let i = 0; i < 50; i++) store.saveSoon();
    expect(src.fullReads()).toBe(0);
    await vi.waitFor(() => expect(src.fullReads()).toBe(1), { timeout: 5000, interval: 10 });
    const slow = createTaskStore(await tempDir(), src, undefined, { lazyMs: 10_000 });
    slow.touch(a);
    slow.saveSoon();
    await slow.save();
    expect(src.fullReads()).toBe(2);
    await slow.close();
    await store.close();
  });
});
