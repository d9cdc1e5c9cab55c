/** Small state machines for tests, the kill -9 harness and the benchmark. */
import { crc32 } from 'node:zlib';
import type { AppliedEntry, StateMachine } from '../node/node.js';

const dec = new TextDecoder();
const enc = new TextEncoder();

/** Remembers every applied value (as a string) in order; state = the list. */
export function createListMachine(): StateMachine<number> & { values: string[] } {
  const m = {
    values: [] as string[],
    apply(e: AppliedEntry): number {
      m.values.push(dec.decode(e.data));
      return e.index;
    },
    snapshot: (): Uint8Array => enc.encode(JSON.stringify(m.values)),
    restore(data: Uint8Array): void {
      m.values = JSON.parse(dec.decode(data)) as string[];
    },
  };
  return m;
}

/** Count + running checksum of everything applied; tiny snapshots (for benchmarks). */
export function createDigestMachine(): StateMachine<number> & { count: number; digest: number; index: number } {
  const m = {
    count: 0,
    digest: 0,
    index: 0,
    apply(e: AppliedEntry): number {
      m.count++;
      m.digest = crc32(e.data, m.digest);
      m.index = e.index;
      return e.index;
    },
    snapshot: (): Uint8Array => enc.encode(JSON.stringify({ count: m.count, digest: m.digest, index: m.index })),
    restore(data: Uint8Array): void {
      const s = JSON.parse(dec.decode(data)) as { count: number; digest: number; index: number };
      m.count = s.count;
      m.digest = s.digest;
      m.index = s.index;
    },
  };
  return m;
}
