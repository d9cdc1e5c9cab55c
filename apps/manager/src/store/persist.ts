/**
 * Local durability for a single manager (before Raft): a snapshot file plus a
 * write-ahead log of commits. Each WAL record is
 *
 *   [u32 length][u32 crc32(payload)][payload = JSON CommitEvent]
 *
 * appended and fdatasync'ed before the commit is applied (group commit: one
 * fsync per store batch). On open, the snapshot is loaded and the WAL
 * replayed; a torn or corrupt tail is detected by length/CRC/schema, logged
 * and truncated, never applied.
 */
import fs from 'node:fs';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import { z } from 'zod';
import { type CommitEvent, ClusterSchema, NodeSchema, ServiceSchema, TaskSchema, formatZodError } from '@swarm/shared';
import type { Proposer, Store } from './store.js';

const ChangeSchema = z.discriminatedUnion('table', [
  z.object({ table: z.literal('nodes'), action: z.enum(['create', 'update', 'delete']), object: NodeSchema }),
  z.object({ table: z.literal('services'), action: z.enum(['create', 'update', 'delete']), object: ServiceSchema }),
  z.object({ table: z.literal('tasks'), action: z.enum(['create', 'update', 'delete']), object: TaskSchema }),
  z.object({ table: z.literal('clusters'), action: z.enum(['create', 'update', 'delete']), object: ClusterSchema }),
]);
export const CommitEventSchema = z.object({ version: z.number().int().positive(), changes: z.array(ChangeSchema) });
export const StoreSnapshotSchema = z.object({
  version: z.number().int().nonnegative(),
  nodes: z.array(NodeSchema),
  services: z.array(ServiceSchema),
  tasks: z.array(TaskSchema),
  clusters: z.array(ClusterSchema),
});

export interface PersistOptions {
  /** Take a snapshot and start a fresh WAL after this many commits. */
  snapshotEvery?: number;
  log?: (msg: string) => void;
}

export interface LocalPersistence {
  proposer: Proposer;
  /** How the state was recovered (for logs and tests). */
  recovered: { snapshotVersion: number; replayed: number; truncatedBytes: number };
  close(): void;
}

const HEADER = 8;

export function encodeRecord(event: CommitEvent): Buffer {
  const payload = Buffer.from(JSON.stringify(event));
  const header = Buffer.alloc(HEADER);
  header.writeUInt32LE(payload.length, 0);
  header.writeUInt32LE(crc32(payload), 4);
  return Buffer.concat([header, payload]);
}

/** Reads valid records from a WAL buffer; `validBytes` is where the good prefix ends. */
export function decodeRecords(buf: Buffer): { events: CommitEvent[]; validBytes: number; error?: string } {
  const events: CommitEvent[] = [];
  let off = 0;
  while (off < buf.length) {
    if (buf.length - off < HEADER) return { events, validBytes: off, error: `torn record header at byte ${off}` };
    const len = buf.readUInt32LE(off);
    const sum = buf.readUInt32LE(off + 4);
    if (len > buf.length - off - HEADER) return { events, validBytes: off, error: `torn record at byte ${off} (length ${len})` };
    const payload = buf.subarray(off + HEADER, off + HEADER + len);
    if (crc32(payload) !== sum) return { events, validBytes: off, error: `checksum mismatch at byte ${off}` };
    let json: unknown;
    try {
      json = JSON.parse(payload.toString('utf8'));
    } catch {
      return { events, validBytes: off, error: `undecodable record at byte ${off}` };
    }
    const parsed = CommitEventSchema.safeParse(json);
    if (!parsed.success) return { events, validBytes: off, error: `invalid record at byte ${off}: ${formatZodError(parsed.error)}` };
    events.push(parsed.data as CommitEvent);
    off += HEADER + len;
  }
  return { events, validBytes: off };
}

function fsyncDir(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

function writeFileDurable(file: string, data: string | Buffer): void {
  const tmp = `${file}.tmp`;
  const fd = fs.openSync(tmp, 'w', 0o600);
  try {
    fs.writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
  fsyncDir(path.dirname(file));
}

function loadSnapshot(file: string, store: Store): number {
  if (!fs.existsSync(file)) return 0;
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`store snapshot ${file} is not valid JSON (${(e as Error).message}); refusing to start with unknown state`);
  }
  const parsed = StoreSnapshotSchema.safeParse(json);
  if (!parsed.success) throw new Error(`store snapshot ${file} is invalid: ${formatZodError(parsed.error)}`);
  store.restore(parsed.data as never);
  return parsed.data.version;
}

/** Opens (or creates) the state in `dir`, loads it into `store`, and returns the proposer that persists new commits. */
export function openLocalPersistence(dir: string, store: Store, opts: PersistOptions = {}): LocalPersistence {
  const log = opts.log ?? (() => {});
  const snapshotEvery = opts.snapshotEvery ?? 10_000;
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const snapFile = path.join(dir, 'snapshot.json');
  const walFile = path.join(dir, 'wal.log');

  const snapshotVersion = loadSnapshot(snapFile, store);
  const buf = fs.existsSync(walFile) ? fs.readFileSync(walFile) : Buffer.alloc(0);
  const { events, validBytes, error } = decodeRecords(buf);
  let replayed = 0;
  for (const e of events) {
    if (e.version <= store.version()) continue;
    if (e.version !== store.version() + 1) throw new Error(`WAL gap: expected version ${store.version() + 1}, found ${e.version}`);
    store.applyCommitted(e);
    replayed++;
  }
  const truncatedBytes = buf.length - validBytes;
  if (error) log(`WAL ${walFile}: ${error}; truncating ${truncatedBytes} bytes (never applied)`);

  let fd = fs.openSync(walFile, 'a+', 0o600);
  if (truncatedBytes > 0) {
    fs.ftruncateSync(fd, validBytes);
    fs.fsyncSync(fd);
  }
  let sinceSnapshot = events.length;
  /** Bytes of acknowledged records in the WAL: a failed append is cut back to here. */
  let walBytes = validBytes;
  /** Set when a failed append could not be undone: the WAL's tail is unknown, so refuse further writes. */
  let broken: string | undefined;

  const snapshot = (): void => {
    writeFileDurable(snapFile, JSON.stringify(store.snapshot()));
    fs.closeSync(fd);
    writeFileDurable(walFile, Buffer.alloc(0));
    fd = fs.openSync(walFile, 'a+', 0o600);
    sinceSnapshot = 0;
    walBytes = 0;
  };

  const proposer: Proposer = {
    async propose(commits) {
      if (broken) throw new Error(`WAL ${walFile} is unusable after a failed write (${broken}); restart to recover`);
      if (sinceSnapshot >= snapshotEvery) snapshot();
      const data = Buffer.concat(commits.map(encodeRecord));
      try {
        fs.writeSync(fd, data);
        fs.fdatasyncSync(fd);
      } catch (e) {
        // The store rejects these commits and reuses their versions, so they must not survive
        // in the WAL (replay would resurrect them and skip the acknowledged commits that follow).
        try {
          fs.ftruncateSync(fd, walBytes);
          fs.fsyncSync(fd);
        } catch (e2) {
          broken = (e2 as Error).message;
        }
        throw e;
      }
      walBytes += data.length;
      sinceSnapshot += commits.length;
    },
  };
  return {
    proposer,
    recovered: { snapshotVersion, replayed, truncatedBytes },
    close: () => fs.closeSync(fd),
  };
}
