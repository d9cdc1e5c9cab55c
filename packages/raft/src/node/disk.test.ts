/** WAL and snapshot files: durability, torn tails, corruption. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Entry, Ready } from '../core/types.js';
import { DiskStore } from './disk.js';
import { SnapshotCorruptError } from './snapfile.js';
import { Wal, WalCorruptError } from './wal.js';
import { decodeBatch, encodeBatch } from './codec.js';

const dirs: string[] = [];
const tmp = (): string => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'raft-disk-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

const enc = new TextEncoder();
const e = (term: number, index: number, s = `v${index}`): Entry => ({ term, index, type: 'normal', data: enc.encode(s) });
const ready = (entries: Entry[], commit: number, term = 1): Ready => ({
  hardState: { term, vote: 'a', commit },
  entries,
  committed: [],
  messages: [],
  readStates: [],
  mustSync: true,
});
const walFile = (dir: string): string => {
  const w = path.join(dir, 'wal');
  return path.join(w, fs.readdirSync(w).sort().at(-1)!);
};

describe('DiskStore', () => {
  it('recovers hard state and entries after reopen, with conflicting suffixes overwritten', async () => {
    const dir = tmp();
    const d = new DiskStore(dir);
    expect(d.fresh).toBe(true);
    await d.persist(ready([e(1, 1), e(1, 2), e(1, 3)], 1));
    await d.persist(ready([e(2, 2, 'x'), e(2, 3, 'y')], 2, 2));
    await d.close();
    const d2 = new DiskStore(dir);
    expect(d2.fresh).toBe(false);
    expect(d2.storage.hardState).toEqual({ term: 2, vote: 'a', commit: 2 });
    expect(d2.storage.entries(1, 4, 1e9).map((x) => `${x.term}/${new TextDecoder().decode(x.data)}`)).toEqual(['1/v1', '2/x', '2/y']);
    await d2.close();
  });

  it('truncates a torn tail (partial last record) and never returns its data', async () => {
    const dir = tmp();
    const d = new DiskStore(dir);
    await d.persist(ready([e(1, 1), e(1, 2)], 2));
    await d.close();
    const f = walFile(dir);
    const good = fs.statSync(f).size;
    fs.appendFileSync(f, Buffer.from([40, 0, 0, 0, 1, 2, 3, 4, 1, 9, 9])); // header claims 40 bytes, only 3 present
    const warnings: string[] = [];
    const d2 = new DiskStore(dir, { warn: (m) => warnings.push(m) });
    expect(d2.storage.lastIndex()).toBe(2);
    expect(warnings.join()).toMatch(/torn WAL tail of 11 bytes/);
    expect(fs.statSync(f).size).toBe(good);
    await d2.persist(ready([e(1, 3)], 3));
    await d2.close();
    expect(new DiskStore(dir).storage.lastIndex()).toBe(3);
  });

  it('truncates a last record whose checksum does not match (bit flip in the tail)', async () => {
    const dir = tmp();
    const d = new DiskStore(dir);
    await d.persist(ready([e(1, 1)], 1));
    await d.persist(ready([e(1, 2, 'tail')], 1));
    await d.close();
    const f = walFile(dir);
    const buf = fs.readFileSync(f);
    buf[buf.length - 40]! ^= 0xff; // inside the last entry record (the hard state record after it is 30 bytes)
    fs.writeFileSync(f, buf);
    const d2 = new DiskStore(dir);
    expect(d2.storage.lastIndex()).toBe(1);
    await d2.close();
  });

  it('refuses to start on corruption in the middle of an older segment', async () => {
    const dir = tmp();
    const d = new DiskStore(dir, { segmentBytes: 200 });
    for (let i = 1; i <= 20; i++) await d.persist(ready([e(1, i)], i));
    await d.close();
    const segs = fs.readdirSync(path.join(dir, 'wal')).sort();
    expect(segs.length).toBeGreaterThan(2);
    const f = path.join(dir, 'wal', segs[0]!);
    const buf = fs.readFileSync(f);
    buf[buf.length - 5]! ^= 0x55;
    fs.writeFileSync(f, buf);
    expect(() => new DiskStore(dir)).toThrow(WalCorruptError);
    expect(() => new DiskStore(dir)).toThrow(/corrupt record in 0000000000000001\.wal/);
  });

  it('snapshots compact the log and release old segments; restart restores from the snapshot', async () => {
    const dir = tmp();
    const d = new DiskStore(dir, { segmentBytes: 300 });
    for (let i = 1; i <= 30; i++) await d.persist(ready([e(1, i)], i));
    const before = d.segmentCount();
    await d.snapshot(25, { voters: ['a'], learners: [] }, enc.encode('state@25'), 2);
    expect(d.segmentCount()).toBeLessThan(before);
    await d.close();
    const d2 = new DiskStore(dir);
    expect(d2.storage.snapshot().meta.index).toBe(25);
    expect(new TextDecoder().decode(d2.storage.snapshot().data)).toBe('state@25');
    expect(d2.storage.firstIndex()).toBe(26);
    expect(d2.storage.lastIndex()).toBe(30);
    await d2.close();
  });

  it('pre-creates the next segment; a torn tail before an empty pre-created segment is still just a torn tail', async () => {
    const dir = tmp();
    const d = new DiskStore(dir, { segmentBytes: 400 });
    for (let i = 1; i <= 12; i++) await d.persist(ready([e(1, i)], i));
    await d.close();
    const wal = path.join(dir, 'wal');
    const files = fs.readdirSync(wal).sort();
    const sizes = files.map((f) => fs.statSync(path.join(wal, f)).size);
    expect(sizes.at(-1)).toBe(0); // created ahead of the roll (and its name made durable)
    expect(sizes.slice(0, -1).every((n) => n > 0)).toBe(true);
    fs.appendFileSync(path.join(wal, files.at(-2)!), Buffer.from([40, 0, 0, 0, 1, 2, 3])); // a torn write
    const warnings: string[] = [];
    const d2 = new DiskStore(dir, { warn: (m) => warnings.push(m), segmentBytes: 400 });
    expect(warnings.join()).toMatch(/truncated a torn WAL tail of 7 bytes/);
    expect(d2.storage.lastIndex()).toBe(12);
    // The pre-created segment becomes the active one: its first write carries the seed records.
    await d2.persist(ready([e(1, 13)], 13));
    await d2.close();
    const d3 = new DiskStore(dir);
    expect(d3.storage.lastIndex()).toBe(13);
    expect(d3.storage.hardState.commit).toBe(13);
    await d3.close();
  });

  it("an own snapshot's marker is written once its file is durable (with the next persist or alone); only then is the log compacted", async () => {
    const dir = tmp();
    const d = new DiskStore(dir, { segmentBytes: 300 });
    for (let i = 1; i <= 30; i++) await d.persist(ready([e(1, i)], i));
    const segments = d.segmentCount();
    let done = false;
    const snap = d.snapshot(25, { voters: ['a'], learners: [] }, enc.encode('state@25'), 2).then(() => (done = true));
    expect(d.storage.snapshot().meta.index).toBe(25); // served from memory at once
    expect(d.storage.firstIndex()).toBe(1); // but nothing is compacted before the marker is durable
    while (!fs.existsSync(path.join(dir, 'snap', `${String(25).padStart(16, '0')}.snap`))) await new Promise((r) => setTimeout(r, 1));
    await new Promise((r) => setTimeout(r, 5));
    await d.persist(ready([e(1, 31)], 31));
    await snap;
    expect(done).toBe(true);
    expect(d.storage.firstIndex()).toBe(24);
    expect(d.segmentCount()).toBeLessThan(segments);
    await d.close();
    // The released segments' files are gone once close resolves (a reopen used to list one still being deleted).
    const onDisk = fs.readdirSync(path.join(dir, 'wal')).filter((f) => fs.statSync(path.join(dir, 'wal', f)).size > 0);
    expect(onDisk).toHaveLength(d.segmentCount());
    const d2 = new DiskStore(dir);
    expect(d2.storage.snapshot().meta.index).toBe(25);
    expect(d2.storage.lastIndex()).toBe(31);
    await d2.close();
  });

  it('an installed snapshot supersedes an own snapshot still being written', async () => {
    const dir = tmp();
    const d = new DiskStore(dir);
    for (let i = 1; i <= 10; i++) await d.persist(ready([e(1, i)], i));
    const own = d.snapshot(8, { voters: ['a'], learners: [] }, enc.encode('s8'), 0);
    const leaders = { meta: { index: 50, term: 4, conf: { voters: ['a', 'b'], learners: [] } }, data: enc.encode('leader@50') };
    await d.persist({ ...ready([], 50, 4), snapshot: leaders });
    await own;
    expect(d.storage.snapshot().meta.index).toBe(50);
    await d.close();
    const d2 = new DiskStore(dir);
    expect(d2.storage.snapshot().meta.index).toBe(50);
    expect(d2.storage.lastIndex()).toBe(50);
    await d2.close();
  });

  it('falls back to an older snapshot when the newest is corrupt only if the WAL still covers the gap', async () => {
    const dir = tmp();
    const d = new DiskStore(dir);
    for (let i = 1; i <= 10; i++) await d.persist(ready([e(1, i)], i));
    await d.snapshot(5, { voters: ['a'], learners: [] }, enc.encode('s5'), 0);
    await d.snapshot(8, { voters: ['a'], learners: [] }, enc.encode('s8'), 0);
    await d.close();
    const snaps = fs.readdirSync(path.join(dir, 'snap')).sort();
    fs.writeFileSync(path.join(dir, 'snap', snaps.at(-1)!), Buffer.from('garbage'));
    const warnings: string[] = [];
    // The WAL says entries up to 8 live only in snapshot 8, which is gone: refuse rather than lose data.
    expect(() => new DiskStore(dir, { warn: (m) => warnings.push(m) })).toThrow(/newest valid snapshot is 5/);
    expect(warnings.join()).toMatch(/skipped corrupt snapshot/);
  });

  it('an installed snapshot discards the previous log, also after restart', async () => {
    const dir = tmp();
    const d = new DiskStore(dir);
    await d.persist(ready([e(1, 1), e(1, 2), e(1, 3)], 1));
    const snap = { meta: { index: 10, term: 3, conf: { voters: ['a', 'b'], learners: [] } }, data: enc.encode('leader-state') };
    await d.persist({ ...ready([], 10, 3), snapshot: snap });
    await d.close();
    const d2 = new DiskStore(dir);
    expect(d2.storage.snapshot().meta.index).toBe(10);
    expect(d2.storage.lastIndex()).toBe(10);
    expect(d2.storage.hardState.commit).toBe(10);
    await d2.close();
  });

  it('a snapshot file with a bad checksum is rejected with a clear error', async () => {
    const { readSnapshotFile, saveSnapshot } = await import('./snapfile.js');
    const dir = tmp();
    const f = saveSnapshot(dir, { meta: { index: 3, term: 1, conf: { voters: [], learners: [] } }, data: enc.encode('abc') });
    const buf = fs.readFileSync(f);
    buf[buf.length - 1]! ^= 1;
    fs.writeFileSync(f, buf);
    expect(() => readSnapshotFile(f)).toThrow(SnapshotCorruptError);
  });

  it('Wal.open on an empty directory creates a first segment', async () => {
    const dir = tmp();
    const { wal, replay } = Wal.open(dir);
    expect(replay.entries).toEqual([]);
    expect(wal.segmentCount()).toBe(1);
    await wal.close();
  });
});

  it('a hard state whose only news is the commit index is not written alone: it rides with the next write, or goes soon after, or with close', async () => {
    const dir = tmp();
    const walDir = path.join(dir, 'wal');
    const hs = (commit: number, term = 1, vote = 'a') => ({ term, vote, commit });
    const { wal } = Wal.open(walDir);
    await wal.save(hs(1), [e(1, 1), e(1, 2)]);
    const size = fs.statSync(walFile(dir)).size;
    await wal.save(hs(2), []); // commit only: nothing written
    expect(fs.statSync(walFile(dir)).size).toBe(size);
    await wal.save(undefined, [e(1, 3)]); // carries commit 2
    fs.cpSync(walDir, walDir + '-copy', { recursive: true });
    const copy = Wal.open(walDir + '-copy');
    expect(copy.replay.hardState).toEqual(hs(2));
    await copy.wal.close();
    await wal.save(hs(3, 1, 'b'), []); // a new vote is written at once
    const sizeAfterVote = fs.statSync(walFile(dir)).size;
    expect(sizeAfterVote).toBeGreaterThan(size);
    await wal.save(hs(3, 1, 'b'), []); // nothing new at all
    await wal.save(hs(4, 1, 'b'), []); // commit only
    expect(fs.statSync(walFile(dir)).size).toBe(sizeAfterVote);
    await expect.poll(() => fs.statSync(walFile(dir)).size, { timeout: 5000 }).toBeGreaterThan(sizeAfterVote); // no write came: written alone
    const sizeAfterBackground = fs.statSync(walFile(dir)).size;
    await wal.save(hs(5, 1, 'b'), []);
    await wal.close(); // flushes commit 5
    expect(fs.statSync(walFile(dir)).size).toBeGreaterThan(sizeAfterBackground);
    const { wal: again, replay } = Wal.open(walDir);
    expect(replay.hardState).toEqual(hs(5, 1, 'b'));
    expect(replay.entries.map((x) => x.index)).toEqual([1, 2, 3]);
    await again.close();
    fs.rmSync(walDir + '-copy', { recursive: true, force: true });
  });

describe('codec', () => {
  it('round-trips messages and rejects malformed frames', () => {
    const msgs = [
      { type: 'app' as const, from: 'a', to: 'b', term: 3, index: 5, logTerm: 2, commit: 4, entries: [e(3, 6)] },
      { type: 'heartbeatResp' as const, from: 'b', to: 'a', term: 3, context: enc.encode('ctx') },
      { type: 'appResp' as const, from: 'b', to: 'a', term: 3, index: 2, reject: true, rejectHint: 1 },
      { type: 'app' as const, from: 'a', to: 'b', term: 3, index: 6, logTerm: 3, commit: 6, entries: [], noAck: true },
    ];
    const back = decodeBatch(encodeBatch(msgs));
    expect(back[0]!.entries![0]!.index).toBe(6);
    expect(back[1]!.context && Buffer.from(back[1]!.context).toString()).toBe('ctx');
    expect(back[2]!.reject).toBe(true);
    expect([back[0]!.noAck, back[3]!.noAck, back[3]!.entries]).toEqual([undefined, true, []]);
    const buf = encodeBatch(msgs);
    expect(() => decodeBatch(buf.subarray(0, buf.length - 3))).toThrow(/truncated/);
    expect(() => decodeBatch(Buffer.from([1, 0, 0, 0, 99]))).toThrow(/bad message type/);
  });
});
