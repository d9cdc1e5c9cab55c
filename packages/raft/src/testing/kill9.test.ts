/**
 * Real processes: three nodes on loopback, clients writing, the leader killed
 * with SIGKILL again and again; then all three killed at once. After each
 * heal, every node's applied state is identical and holds every acknowledged write.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePorts } from './ports.js';
import { spawnNode, type NodeProc, type NodeProcConfig } from './proc.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'raft-kill9-'));
const procs = new Map<string, NodeProc>();
afterAll(async () => {
  for (const p of procs.values()) await p.kill9();
  fs.rmSync(root, { recursive: true, force: true });
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
type State = { values: string[]; role: string; term: number; leader: string; applied: number; commit: number; lastIndex: number };

async function until<T>(f: () => Promise<T | undefined>, what: string, ms = 30_000, explain?: () => string): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${explain ? `\n${explain()}` : ''}`);
    await sleep(50);
  }
}

/** Per node: role, term, indexes, how many values, where they first differ from the first node's, acked writes missing. */
function describeStates(ids: readonly string[], states: readonly (State | undefined)[], acked: ReadonlySet<string>): string {
  const ref = states[0]?.values ?? [];
  return ids
    .map((id, i) => {
      const s = states[i];
      if (!s) return `  ${id}: no answer`;
      let diff = 0;
      while (diff < s.values.length && diff < ref.length && s.values[diff] === ref[diff]) diff++;
      const same = diff === s.values.length && diff === ref.length;
      const have = new Set(s.values);
      const missing = [...acked].filter((v) => !have.has(v));
      const dups = s.values.length - have.size;
      return (
        `  ${id}: role=${s.role} term=${s.term} leader=${s.leader} applied=${s.applied} commit=${s.commit} last=${s.lastIndex}` +
        ` values=${s.values.length} ${same ? 'same as first' : `first differs at [${diff}]: ${s.values[diff]} vs ${ref[diff]}`}` +
        ` dups=${dups} missingAcked=${missing.length}${missing.length > 0 ? ` (${missing.slice(0, 5).join(',')})` : ''}`
      );
    })
    .join('\n');
}

describe('three real processes, kill -9', () => {
  it('loses no acknowledged write across repeated leader kills and a whole-cluster crash', async () => {
    const ids = ['m1', 'm2', 'm3'];
    const ports = await freePorts(3);
    const peers = Object.fromEntries(ids.map((id, i) => [id, `127.0.0.1:${ports[i]}`]));
    const cfg = (id: string): NodeProcConfig => ({
      id, dir: path.join(root, id), peers, machine: 'list', tickMs: 20, electionTick: 10, snapshotInterval: 40, keepEntries: 10,
    });
    const start = async (id: string): Promise<void> => {
      const p = spawnNode(cfg(id));
      procs.set(id, p);
      await p.ready;
    };
    await Promise.all(ids.map(start));

    const acked = new Set<string>();
    let seq = 0;
    let writing = true;
    let guess = 'm1';
    const writer = async (): Promise<void> => {
      while (writing) {
        const p = procs.get(guess);
        const v = `w${seq++}`;
        const r = await p?.call<{ ok: boolean; error?: { kind: string; leader?: string } }>('propose', { data: v }, 5000).catch(() => undefined);
        if (r?.ok) acked.add(v);
        else {
          guess = r?.error?.leader && procs.get(r.error.leader)?.alive() ? r.error.leader : ids[(ids.indexOf(guess) + 1) % 3]!;
          await sleep(10);
        }
      }
    };
    const writers = [writer(), writer(), writer(), writer()];

    const leaderId = (): Promise<string | undefined> =>
      (async () => {
        for (const id of ids) {
          const p = procs.get(id);
          if (!p?.alive()) continue;
          const s = await p.call<{ role: string }>('status', {}, 2000).catch(() => undefined);
          if (s?.role === 'leader') return id;
        }
        return undefined;
      })();

    for (let k = 0; k < 5; k++) {
      const base = acked.size;
      await until(async () => (acked.size >= base + 30 ? true : undefined), `writes before kill ${k}`);
      const l = await until(leaderId, 'leader');
      await procs.get(l)!.kill9();
      await until(async () => (acked.size >= base + 40 ? true : undefined), `writes after kill ${k}`);
      await start(l);
    }
    writing = false;
    await Promise.all(writers);
    expect(acked.size).toBeGreaterThan(150);

    let last: (State | undefined)[] = [];
    const converged = async (): Promise<State[] | undefined> => {
      last = await Promise.all(ids.map((id) => procs.get(id)!.call<State>('state', {}, 5000).catch(() => undefined)));
      const states = last.filter((s): s is State => s !== undefined);
      if (states.length < ids.length) return undefined;
      const ref = JSON.stringify(states[0]!.values);
      return states.every((s) => JSON.stringify(s.values) === ref) && states[0]!.values.length >= acked.size ? states : undefined;
    };
    const explain = (): string => `acked=${acked.size}\n${describeStates(ids, last, acked)}`;
    const check = (states: State[]): void => {
      const have = new Set(states[0]!.values);
      for (const v of acked) expect(have.has(v), `acknowledged ${v} missing`).toBe(true);
      expect(have.size).toBe(states[0]!.values.length); // nothing applied twice
    };
    check(await until(converged, 'convergence after leader kills', 30_000, explain));

    // all three at once
    await Promise.all(ids.map((id) => procs.get(id)!.kill9()));
    await Promise.all(ids.map(start));
    const l = await until(leaderId, 'leader after full restart');
    expect((await procs.get(l)!.call<{ ok: boolean }>('propose', { data: 'after-restart' })).ok).toBe(true);
    acked.add('after-restart');
    check(await until(converged, 'convergence after full restart', 30_000, explain));
  }, 240_000); // five restarts of a tsx process each; a loaded CI machine needs the headroom
});
