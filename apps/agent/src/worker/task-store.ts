/**
 * `<stateDir>/worker/`: the node's assigned tasks and their latest local
 * statuses, so an agent restart can re-adopt running work before the manager
 * answers.
 *
 *   tasks.json      snapshot   { version: 1, seq, tasks: [{ task, status }] }
 *   tasks.journal   one line per change since it: { seq, put: { task, status } } | { seq, del: taskId }
 *                   | { seq, st: { id, status } } (only the status changed: the task is not rewritten)
 *
 * A save appends only the tasks marked with `touch` and fsyncs, so its cost
 * follows what changed, not how many tasks the node holds (a node with
 * thousands of tasks used to rewrite all of them for every status change).
 * When the journal outgrows the snapshot, both are compacted: the snapshot is
 * rewritten atomically (tmp + fsync + rename), then the journal is emptied;
 * records at or below the snapshot's `seq` are skipped on load, which covers a
 * crash between the two steps. A torn last line is dropped; an invalid record
 * stops the replay with a warning (the next COMPLETE assignment rebuilds the
 * set). Saves are coalesced: one in flight, at most one queued; `saveSoon`
 * waits a little so that a burst of status changes costs one write.
 *
 * Only `save()` (assignments, close) waits for the disk (fdatasync). The writes
 * `saveSoon` makes for status changes are appended but not synced: they survive
 * the agent's own crash (page cache), and what a power loss takes back is only
 * recent statuses, which the restarted agent finds again (controllers are
 * idempotent and adopt containers by label; the manager re-sends the tasks). A
 * converge of 30 tasks used to cost ~30 fdatasyncs, competing with the engine's
 * own syncs on the same disk.
 */
import { mkdir, open, readFile, rename, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { z } from 'zod';
import { TaskSchema, TaskStatusSchema, type Task, type TaskStatus } from '@swarm/shared';

export interface StoredTask {
  task: Task;
  status: TaskStatus;
}

const StoredSchema = z.object({ task: TaskSchema, status: TaskStatusSchema });
const FileSchema = z.object({ version: z.literal(1), seq: z.number().int().nonnegative().default(0), tasks: z.array(StoredSchema) });
const RecordSchema = z.union([
  z.object({ seq: z.number().int().positive(), put: StoredSchema }),
  z.object({ seq: z.number().int().positive(), del: z.string().min(1) }),
  z.object({ seq: z.number().int().positive(), st: z.object({ id: z.string().min(1), status: TaskStatusSchema }) }),
]);

export interface TaskSource {
  get(taskId: string): StoredTask | undefined;
  all(): StoredTask[];
}

export interface TaskStore {
  load(): Promise<StoredTask[]>;
  /** This task changed or left the node: the next save records it. */
  touch(taskId: string): void;
  /** Only this task's status changed: the next save records the status alone (unless the task is touched too). */
  touchStatus(taskId: string): void;
  /** Write what was touched; resolves when a write covering this call is durable. */
  save(): Promise<void>;
  /** A save within `lazyMs` (default 50 ms), unless one is already due. */
  saveSoon(): void;
  /** Save what is pending, then release the journal. */
  close(): Promise<void>;
}

export interface TaskStoreOptions {
  lazyMs?: number;
  /** The journal is compacted once it is larger than this and than the snapshot (default 256 KiB). */
  compactBytes?: number;
}

export function createTaskStore(stateDir: string, source: TaskSource, logger?: Logger, opts: TaskStoreOptions = {}): TaskStore {
  const dir = join(stateDir, 'worker');
  const file = join(dir, 'tasks.json');
  const journalFile = join(dir, 'tasks.journal');
  const lazyMs = opts.lazyMs ?? 50;
  const compactBytes = opts.compactBytes ?? 256 * 1024;
  const dirty = new Set<string>();
  const statusDirty = new Set<string>();
  let seq = 0;
  let snapshotBytes = 0;
  let journalBytes = 0;
  /** The journal on disk may hold a torn or unreadable tail: rewrite everything at the next save. */
  let compactDue = true;
  let journal: FileHandle | undefined;
  let writing: Promise<void> | undefined;
  let queued: Promise<void> | undefined;
  let soon: ReturnType<typeof setTimeout> | undefined;
  /** The journal has appends not yet synced. */
  let unsynced = false;
  /** Whether the queued write must sync (a `save()` asked for it). */
  let queuedDurable = false;

  async function sync(): Promise<void> {
    unsynced = false;
    await journal?.datasync();
  }

  async function compact(): Promise<void> {
    await mkdir(dir, { recursive: true });
    const text = JSON.stringify({ version: 1, seq, tasks: source.all() });
    const tmp = `${file}.${process.pid}.tmp`;
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(text);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, file);
    journal ??= await open(journalFile, 'a');
    await journal.truncate(0);
    await journal.datasync();
    snapshotBytes = text.length;
    journalBytes = 0;
    unsynced = false;
    compactDue = false;
  }

  async function write(durable: boolean): Promise<void> {
    const ids = [...dirty];
    const statusIds = [...statusDirty].filter((id) => !dirty.has(id));
    dirty.clear();
    statusDirty.clear();
    try {
      if (compactDue) return await compact();
      if (ids.length === 0 && statusIds.length === 0) {
        if (durable && unsynced) await sync();
        return;
      }
      const lines = ids.map((id) => {
        const t = source.get(id);
        return `${JSON.stringify(t ? { seq: ++seq, put: t } : { seq: ++seq, del: id })}\n`;
      });
      for (const id of statusIds) {
        const t = source.get(id);
        if (t) lines.push(`${JSON.stringify({ seq: ++seq, st: { id, status: t.status } })}\n`);
      }
      const text = lines.join('');
      if (journalBytes + text.length > Math.max(compactBytes, snapshotBytes)) return await compact();
      journal ??= await open(journalFile, 'a');
      await journal.write(text);
      journalBytes += text.length;
      unsynced = true;
      if (durable) await sync();
    } catch (e) {
      for (const id of ids) dirty.add(id);
      for (const id of statusIds) statusDirty.add(id);
      compactDue = true; // a partial append: start clean
      logger?.error({ err: e, dir }, 'cannot persist tasks');
    }
  }

  /** `durable`: resolves once what was touched is on disk (otherwise once it is written). */
  function save(durable = true): Promise<void> {
    clearTimeout(soon);
    soon = undefined;
    if (queued) {
      queuedDurable ||= durable;
      return queued;
    }
    if (!writing) {
      writing = write(durable).finally(() => (writing = undefined));
      return writing;
    }
    queuedDurable = durable;
    queued = writing.then(() => {
      queued = undefined;
      const d = queuedDurable;
      queuedDurable = false;
      writing = write(d).finally(() => (writing = undefined));
      return writing;
    });
    return queued;
  }

  return {
    async load() {
      const tasks = new Map<string, StoredTask>();
      const snap = await readText(file, logger);
      let snapSeq = 0;
      if (snap !== undefined) {
        const parsed = FileSchema.safeParse(parseJson(snap));
        if (parsed.success) {
          snapSeq = parsed.data.seq;
          for (const t of parsed.data.tasks as StoredTask[]) tasks.set(t.task.id, t);
        } else logger?.warn({ file, issues: parsed.error.issues.slice(0, 3) }, 'tasks file is invalid; ignoring it');
      }
      seq = snapSeq;
      const lines = (await readText(journalFile, logger))?.split('\n') ?? [];
      for (let i = 0; i < lines.length; i++) {
        const line = lines[i]!;
        if (line === '') continue;
        const rec = RecordSchema.safeParse(parseJson(line));
        if (!rec.success) {
          if (i < lines.length - 1) logger?.warn({ file: journalFile, line: i + 1 }, 'tasks journal has an invalid record; ignoring the rest');
          break; // the last line without its newline is a torn write
        }
        if (rec.data.seq <= snapSeq) continue;
        seq = Math.max(seq, rec.data.seq);
        const r = rec.data;
        if ('put' in r) tasks.set(r.put.task.id, r.put as StoredTask);
        else if ('st' in r) {
          const t = tasks.get(r.st.id);
          if (t) tasks.set(r.st.id, { task: t.task, status: r.st.status as TaskStatus });
        } else tasks.delete(r.del);
      }
      compactDue = true; // fold the journal into a fresh snapshot at the first save
      return [...tasks.values()];
    },
    touch: (id) => void dirty.add(id),
    touchStatus: (id) => void statusDirty.add(id),
    save: () => save(true),
    saveSoon() {
      if (soon || queued) return;
      soon = setTimeout(() => void save(false), lazyMs);
    },
    async close() {
      await save();
      const fh = journal;
      journal = undefined;
      await fh?.close();
    },
  };
}

async function readText(file: string, logger?: Logger): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') logger?.warn({ err: e, file }, 'cannot read tasks file');
    return undefined;
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
