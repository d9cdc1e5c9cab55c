/**
 * `<stateDir>/worker/tasks.json`: the node's assigned tasks and their latest
 * local statuses, so an agent restart can re-adopt running work before the
 * manager answers. Writes are atomic (tmp + fsync + rename) and coalesced
 * (one write in flight, at most one queued). Status changes use `saveSoon`,
 * which waits a little so that a burst of them (thirty tasks starting) costs a
 * few writes, not one each. A corrupt file is logged and ignored; the next
 * COMPLETE assignment rebuilds it.
 */
import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { z } from 'zod';
import { TaskSchema, TaskStatusSchema, type Task, type TaskStatus } from '@swarm/shared';

export interface StoredTask {
  task: Task;
  status: TaskStatus;
}

const FileSchema = z.object({
  version: z.literal(1),
  tasks: z.array(z.object({ task: TaskSchema, status: TaskStatusSchema })),
});

export interface TaskStore {
  load(): Promise<StoredTask[]>;
  /** Schedule a write of `snapshot()`; resolves when a write covering this call is durable. */
  save(): Promise<void>;
  /** A write within `lazyMs` (default 50 ms), unless one is already due. */
  saveSoon(): void;
}

export function createTaskStore(stateDir: string, snapshot: () => StoredTask[], logger?: Logger, lazyMs = 50): TaskStore {
  const dir = join(stateDir, 'worker');
  const file = join(dir, 'tasks.json');
  let writing: Promise<void> | undefined;
  let queued: Promise<void> | undefined;
  let soon: ReturnType<typeof setTimeout> | undefined;
  let dirMade = false;

  async function write(): Promise<void> {
    if (!dirMade) await mkdir(dir, { recursive: true });
    dirMade = true;
    const tmp = `${file}.${process.pid}.tmp`;
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(JSON.stringify({ version: 1, tasks: snapshot() }));
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, file);
  }

  const run = (): Promise<void> =>
    write().catch((e: unknown) => logger?.error({ err: e, file }, 'cannot persist tasks'));

  function save(): Promise<void> {
    clearTimeout(soon);
    soon = undefined;
    if (queued) return queued;
    if (!writing) {
      writing = run().finally(() => (writing = undefined));
      return writing;
    }
    queued = writing.then(() => {
      queued = undefined;
      writing = run().finally(() => (writing = undefined));
      return writing;
    });
    return queued;
  }

  return {
    async load() {
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') logger?.warn({ err: e, file }, 'cannot read tasks file');
        return [];
      }
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch (e) {
        logger?.warn({ err: e, file }, 'tasks file is not JSON; ignoring it');
        return [];
      }
      const parsed = FileSchema.safeParse(json);
      if (!parsed.success) {
        logger?.warn({ file, issues: parsed.error.issues.slice(0, 3) }, 'tasks file is invalid; ignoring it');
        return [];
      }
      return parsed.data.tasks as StoredTask[];
    },
    save,
    saveSoon() {
      if (soon || queued) return;
      soon = setTimeout(() => void save(), lazyMs);
    },
  };
}
