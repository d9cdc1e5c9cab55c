import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { type CommitEvent, type StoreSnapshot, ok } from '@swarm/shared';
import { defaultClusterSpec } from '../bootstrap.js';
import { makeNode, makeTask, serviceSpec } from '../testing/fixtures.js';
import { decodeRecords, encodeRecord, openLocalPersistence, type PersistOptions } from './persist.js';
import { createStore, type Store } from './store.js';
import { expectedTaskIds } from './testing/crash-model.js';

const dirs: string[] = [];
const tempDir = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'swarm-persist-'));
  dirs.push(d);
  return d;
};
/** Writers this file spawned; any still alive after a test (it failed early) are killed by PID. */
const children = new Set<ChildProcess>();
afterEach(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null && c.pid !== undefined) process.kill(c.pid, 'SIGKILL');
  children.clear();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function open(dir: string, opts: PersistOptions = {}) {
  const store = createStore();
  const logs: string[] = [];
  const p = openLocalPersistence(dir, store, { log: (m) => logs.push(m), ...opts });
  store.setProposer(p.proposer);
  return { store, p, logs };
}

/** A mixed workload: creates, updates and deletes over all tables, some commits grouped. */
async function workload(store: Store, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const ops: Array<Promise<unknown>> = [
      store.update((tx) => tx.create('nodes', makeNode(`n${i}`))),
      store.update((tx) => tx.create('tasks', makeTask({ id: `t${i}`, serviceId: 's', nodeId: `n${i}` }))),
    ];
    if (i === 0) ops.push(store.update((tx) => tx.create('services', { id: 's', spec: serviceSpec('web'), specVersion: 0 })));
    await Promise.all(ops);
    await store.update((tx) => {
      const s = tx.get('services', 's');
      if (s) tx.update('services', { ...s, specVersion: i });
      if (i % 3 === 2) tx.delete('tasks', `t${i - 1}`);
      return ok(undefined);
    });
  }
}

const walOf = (dir: string) => path.join(dir, 'wal.log');

/** Byte offsets where each record of a WAL buffer starts (walking the raw length headers). */
function recordOffsets(buf: Buffer): number[] {
  const out: number[] = [];
  for (let off = 0; off + 8 <= buf.length; off += 8 + buf.readUInt32LE(off)) out.push(off);
  return out;
}

describe('WAL encoding', () => {
  it('round-trips records', () => {
    const events: CommitEvent[] = [
      { version: 1, changes: [{ table: 'nodes', action: 'create', object: makeNode('n1') }] },
      { version: 2, changes: [{ table: 'tasks', action: 'delete', object: makeTask({ id: 't1' }) }] },
    ];
    const buf = Buffer.concat(events.map(encodeRecord));
    const d = decodeRecords(buf);
    expect(d.error).toBeUndefined();
    expect(d.validBytes).toBe(buf.length);
    expect(d.events).toEqual(events);
  });

  it('rejects a record whose checksum matches but whose content violates the schema', () => {
    const good = encodeRecord({ version: 1, changes: [{ table: 'nodes', action: 'create', object: makeNode('n1') }] });
    const payload = Buffer.from(JSON.stringify({ version: 2, changes: [{ table: 'nodes', action: 'create', object: { id: 'x' } }] }));
    const header = Buffer.alloc(8);
    header.writeUInt32LE(payload.length, 0);
    header.writeUInt32LE(crc32(payload), 4);
    const d = decodeRecords(Buffer.concat([good, header, payload, good]));
    expect(d.events.map((e) => e.version)).toEqual([1]);
    expect(d.validBytes).toBe(good.length);
    expect(d.error).toMatch(new RegExp(`^invalid record at byte ${good.length}`));
  });

  it('rejects undecodable JSON with a valid checksum', () => {
    const payload = Buffer.from('{"version": 1,');
    const header = Buffer.alloc(8);
    header.writeUInt32LE(payload.length, 0);
    header.writeUInt32LE(crc32(payload), 4);
    const d = decodeRecords(Buffer.concat([header, payload]));
    expect(d.events).toEqual([]);
    expect(d.validBytes).toBe(0);
    expect(d.error).toMatch(/undecodable record at byte 0/);
  });
});

describe('local persistence', () => {
  it('restart recovers identical state from the WAL', async () => {
    const dir = tempDir();
    const a = open(dir);
    await workload(a.store, 12);
    const before = a.store.snapshot();
    a.p.close();
    const b = open(dir);
    expect(b.store.snapshot()).toEqual(before);
    expect(b.p.recovered).toEqual({ snapshotVersion: 0, replayed: before.version, truncatedBytes: 0 });
    // And it keeps going from there.
    const r = await b.store.update((tx) => tx.create('nodes', makeNode('late')));
    expect(r.ok && r.value.meta.version).toBe(before.version + 1);
    const after = b.store.snapshot();
    b.p.close();
    expect(open(dir).store.snapshot()).toEqual(after);
  });

  it('snapshot + WAL replay (small snapshotEvery) recovers identical state', async () => {
    const dir = tempDir();
    const a = open(dir, { snapshotEvery: 4 });
    await workload(a.store, 15);
    const before = a.store.snapshot();
    a.p.close();
    expect(fs.existsSync(path.join(dir, 'snapshot.json'))).toBe(true);
    const b = open(dir, { snapshotEvery: 4 });
    expect(b.store.snapshot()).toEqual(before);
    const { snapshotVersion, replayed } = b.p.recovered;
    expect(snapshotVersion).toBeGreaterThan(0);
    expect(snapshotVersion + replayed).toBe(before.version);
    // The WAL holds only what the snapshot lacks.
    const wal = decodeRecords(fs.readFileSync(walOf(dir)));
    expect(wal.events.length).toBe(replayed);
    expect(wal.events[0]?.version).toBe(snapshotVersion + 1);
    b.p.close();
  });

  it('a torn tail, cut at every byte of the last record, recovers the prefix and is truncated', async () => {
    const dir = tempDir();
    const a = open(dir);
    await workload(a.store, 3);
    const prefix = a.store.snapshot();
    // A small last record (a cluster object) keeps the every-byte loop short.
    await a.store.update((tx) => tx.create('clusters', { id: 'c', spec: defaultClusterSpec() }));
    a.p.close();
    const full = fs.readFileSync(walOf(dir));
    const start = recordOffsets(full).at(-1) ?? -1;
    expect(start).toBeGreaterThan(0);
    expect(full.length - start).toBeGreaterThan(100);
    const probe = tempDir();
    for (let cut = start; cut < full.length; cut++) {
      fs.rmSync(probe, { recursive: true, force: true });
      fs.mkdirSync(probe);
      fs.writeFileSync(walOf(probe), full.subarray(0, cut));
      const b = open(probe);
      expect(b.store.snapshot(), `cut at ${cut}`).toEqual(prefix);
      expect(b.p.recovered.truncatedBytes).toBe(cut - start);
      if (cut > start) expect(b.logs.join('\n')).toMatch(/torn record/);
      expect(fs.statSync(walOf(probe)).size).toBe(start);
      // New commits land right after the good prefix and survive another restart (sampled: fsyncs are slow).
      if ((cut - start) % 32 !== 0 && cut !== full.length - 1) {
        b.p.close();
        continue;
      }
      const r = await b.store.update((tx) => tx.create('nodes', makeNode('again')));
      expect(r.ok && r.value.meta.version).toBe(prefix.version + 1);
      b.p.close();
      const c = open(probe);
      expect(c.store.version()).toBe(prefix.version + 1);
      expect(c.store.view((tx) => tx.get('nodes', 'again'))?.id).toBe('again');
      c.p.close();
    }
  });

  it('a flipped byte is a checksum mismatch: that record and everything after it are never applied', async () => {
    const dir = tempDir();
    const a = open(dir);
    const versions: StoreSnapshot[] = [];
    for (let i = 0; i < 6; i++) {
      await a.store.update((tx) => tx.create('nodes', makeNode(`n${i}`)));
      versions.push(a.store.snapshot());
    }
    a.p.close();
    const full = fs.readFileSync(walOf(dir));
    const offsets = recordOffsets(full);
    expect(offsets).toHaveLength(6);
    const offsetOf = (i: number) => offsets[i] ?? -1;
    // Flip one payload byte of record #3 (version 4).
    const bad = Buffer.from(full);
    const at = offsetOf(3) + 8 + 20;
    bad[at] = (bad[at] ?? 0) ^ 0x01;
    fs.writeFileSync(walOf(dir), bad);
    const b = open(dir);
    expect(b.store.snapshot()).toEqual(versions[2]);
    expect(b.logs.join('\n')).toMatch(new RegExp(`checksum mismatch at byte ${offsetOf(3)}`));
    expect(b.p.recovered.truncatedBytes).toBe(full.length - offsetOf(3));
    expect(b.store.view((tx) => tx.get('nodes', 'n3'))).toBeUndefined();
    expect(b.store.view((tx) => tx.get('nodes', 'n5'))).toBeUndefined();
    b.p.close();
  });

  it('a schema-invalid record (good checksum) is rejected and truncated', async () => {
    const dir = tempDir();
    const a = open(dir);
    await a.store.update((tx) => tx.create('nodes', makeNode('n1')));
    const good = a.store.snapshot();
    a.p.close();
    const payload = Buffer.from(JSON.stringify({ version: 2, changes: [{ table: 'tasks', action: 'create', object: { id: 'evil', status: 'x' } }] }));
    const header = Buffer.alloc(8);
    header.writeUInt32LE(payload.length, 0);
    header.writeUInt32LE(crc32(payload), 4);
    fs.appendFileSync(walOf(dir), Buffer.concat([header, payload]));
    const b = open(dir);
    expect(b.store.snapshot()).toEqual(good);
    expect(b.logs.join('\n')).toMatch(/invalid record at byte/);
    expect(b.p.recovered.truncatedBytes).toBe(header.length + payload.length);
    b.p.close();
  });

  it('a corrupt snapshot file is a clear error naming the file (never silently ignored)', async () => {
    const dir = tempDir();
    const a = open(dir, { snapshotEvery: 1 });
    await a.store.update((tx) => tx.create('nodes', makeNode('n1')));
    await a.store.update((tx) => tx.create('nodes', makeNode('n2')));
    a.p.close();
    const snap = path.join(dir, 'snapshot.json');
    expect(fs.existsSync(snap)).toBe(true);
    const text = fs.readFileSync(snap, 'utf8');
    fs.writeFileSync(snap, text.slice(0, text.length / 2));
    expect(() => open(dir)).toThrow(snap);
    expect(() => open(dir)).toThrow(/not valid JSON/);
    fs.writeFileSync(snap, JSON.stringify({ version: 'two', nodes: [] }));
    expect(() => open(dir)).toThrow(snap);
    expect(() => open(dir)).toThrow(/is invalid/);
  });

  it('a commit whose fsync failed is never resurrected on restart (its version is reused by the next commit)', async () => {
    const dir = tempDir();
    const a = open(dir);
    await a.store.update((tx) => tx.create('nodes', makeNode('n1')));
    const real = fs.fdatasyncSync;
    let failures = 1;
    fs.fdatasyncSync = (fd: number) => {
      if (failures-- > 0) throw Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' });
      real(fd);
    };
    try {
      const ghost = await a.store.update((tx) => tx.create('nodes', makeNode('ghost')));
      expect(ghost).toMatchObject({ ok: false, error: { kind: 'propose-failed', message: expect.stringContaining('EIO') } });
      const kept = await a.store.update((tx) => tx.create('nodes', makeNode('real')));
      expect(kept.ok && kept.value.meta.version).toBe(2);
    } finally {
      fs.fdatasyncSync = real;
    }
    const state = a.store.snapshot();
    a.p.close();
    const b = open(dir);
    expect(b.store.snapshot()).toEqual(state);
    expect(b.store.view((tx) => tx.get('nodes', 'ghost'))).toBeUndefined();
    b.p.close();
  });

  it('if a failed append cannot be undone, later commits are refused instead of landing after garbage', async () => {
    const dir = tempDir();
    const a = open(dir);
    await a.store.update((tx) => tx.create('nodes', makeNode('n1')));
    const realSync = fs.fdatasyncSync;
    const realTrunc = fs.ftruncateSync;
    fs.fdatasyncSync = () => {
      throw new Error('EIO: fdatasync');
    };
    fs.ftruncateSync = () => {
      throw new Error('EIO: ftruncate');
    };
    try {
      expect(await a.store.update((tx) => tx.create('nodes', makeNode('n2')))).toMatchObject({ ok: false, error: { kind: 'propose-failed' } });
    } finally {
      fs.fdatasyncSync = realSync;
      fs.ftruncateSync = realTrunc;
    }
    const r = await a.store.update((tx) => tx.create('nodes', makeNode('n3')));
    expect(r).toMatchObject({ ok: false, error: { kind: 'propose-failed', message: expect.stringMatching(/unusable after a failed write \(EIO: ftruncate\)/) } });
    expect(a.store.version()).toBe(1);
    a.p.close();
  });

  it('a gap between snapshot and WAL is refused', async () => {
    const dir = tempDir();
    const a = open(dir);
    for (let i = 0; i < 3; i++) await a.store.update((tx) => tx.create('nodes', makeNode(`n${i}`)));
    a.p.close();
    const records = decodeRecords(fs.readFileSync(walOf(dir))).events;
    fs.writeFileSync(walOf(dir), Buffer.concat([records[0], records[2]].map((e) => encodeRecord(e as CommitEvent))));
    expect(() => open(dir)).toThrow(/WAL gap: expected version 2, found 3/);
  });
});

describe('crash safety (real SIGKILL)', () => {
  const writer = fileURLToPath(new URL('./testing/crash-writer.ts', import.meta.url));
  const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));

  /** Runs the writer until it acknowledged `stopAfter` commits, then kill -9 it. Returns the highest acked version. */
  function runAndKill(dir: string, stopAfter: number, snapshotEvery: number): Promise<{ maxAck: number; startedAt: number }> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', writer, dir, String(snapshotEvery)], {
        cwd: repoRoot,
        // Resolve @swarm/shared to its sources, as vitest does, so a missing or stale dist cannot matter.
        env: { ...process.env, TSX_TSCONFIG_PATH: fileURLToPath(new URL('./testing/tsconfig.crash.json', import.meta.url)) },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      children.add(child);
      let maxAck = 0;
      let acks = 0;
      let startedAt = -1;
      let killed = false;
      let buf = '';
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.stdout.on('data', (d: Buffer) => {
        buf += d.toString();
        const lines = buf.split('\n');
        buf = lines.pop() ?? '';
        for (const line of lines) {
          const [kind, v] = line.split(' ');
          if (kind === 'ready') startedAt = Number(v);
          if (kind !== 'ack') continue;
          maxAck = Math.max(maxAck, Number(v));
          if (++acks >= stopAfter && !killed && child.pid !== undefined) {
            killed = true;
            process.kill(child.pid, 'SIGKILL');
          }
        }
      });
      child.on('error', reject);
      child.on('exit', (code, signal) => {
        if (signal !== 'SIGKILL') reject(new Error(`writer exited with ${code}/${signal} before being killed: ${stderr}`));
        else resolve({ maxAck, startedAt });
      });
    });
  }

  it('every acknowledged commit survives kill -9, and the state is a consistent prefix', async () => {
    const dir = tempDir();
    let lastRecovered = 0;
    for (const [round, stopAfter] of [60, 7, 250].entries()) {
      const { maxAck, startedAt } = await runAndKill(dir, stopAfter, 25);
      expect(startedAt, `round ${round}: writer starts from the recovered state`).toBe(lastRecovered);
      expect(maxAck).toBeGreaterThanOrEqual(lastRecovered + stopAfter);

      const { store, p, logs } = open(dir, { snapshotEvery: 25 });
      const v = store.version();
      expect(v, `round ${round}: acked ${maxAck}, recovered ${v} (${logs.join('; ')})`).toBeGreaterThanOrEqual(maxAck);
      const snap = store.snapshot();
      expect(snap.services.map((s) => [s.id, s.specVersion])).toEqual([['counter', v]]);
      expect(snap.tasks.map((t) => t.id).sort()).toEqual(expectedTaskIds(v));
      for (const t of snap.tasks) expect(t.meta.version).toBe(Number(t.id.slice(1)));
      p.close();
      lastRecovered = v;
    }
  });
});
