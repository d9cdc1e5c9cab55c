/** Proposal batching and the pace that decides whether a commit may wait for the next append. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Raft } from '../core/raft.js';
import { ProposalBatcher, ReadTracker } from './requests.js';
import { WaitRegistry } from './wait.js';

afterEach(() => {
  vi.useRealTimers();
});

function batcher(): { b: ProposalBatcher; batches: number[]; waits: WaitRegistry<unknown> } {
  const batches: number[] = [];
  let index = 0;
  const raft = {
    proposeBatch: (datas: readonly Uint8Array[]) => {
      batches.push(datas.length);
      return { ok: true, value: datas.map(() => ({ index: ++index, term: 1 })) };
    },
  } as unknown as Raft;
  const waits = new WaitRegistry<unknown>();
  return { b: new ProposalBatcher(raft, waits, { stopped: () => false, appended: () => {} }), batches, waits };
}

describe('ProposalBatcher', () => {
  it('turns proposals of one turn of the event loop into one batch, resolved when applied', async () => {
    const { b, batches, waits } = batcher();
    const ps = [b.add(new Uint8Array([1])), b.add(new Uint8Array([2])), b.add(new Uint8Array([3]))];
    await Promise.resolve();
    expect(batches).toEqual([3]);
    [1, 2, 3].forEach((i) => waits.trigger(i, 1, `v${i}`));
    expect(await Promise.all(ps)).toEqual([1, 2, 3].map((i) => ({ ok: true, value: `v${i}` })));
  });

  it('counts as flowing only while batches come closer together than the window, and recently', async () => {
    vi.useFakeTimers({ toFake: ['performance'] });
    const { b } = batcher();
    const propose = async (): Promise<void> => {
      void b.add(new Uint8Array([0]));
      await Promise.resolve();
    };
    expect(b.flowing(2)).toBe(false);
    await propose();
    expect(b.flowing(2)).toBe(false); // one batch: no pace yet
    vi.advanceTimersByTime(1);
    await propose();
    expect(b.flowing(2)).toBe(true); // 1 ms apart, just now
    vi.advanceTimersByTime(3);
    expect(b.flowing(2)).toBe(false); // nothing for 3 ms
    await propose();
    expect(b.flowing(2)).toBe(false); // 4 ms after the previous one
  });
});

describe('ReadTracker', () => {
  it('releases a read once its confirmed index is applied; cancelAll fails the rest', async () => {
    const t = new ReadTracker('m1');
    const c1 = t.nextContext();
    const c2 = t.nextContext();
    expect(c1.equals(c2)).toBe(false);
    const r1 = t.wait(c1);
    const r2 = t.wait(c2);
    t.confirmed([{ index: 5, context: c1 }], 4);
    let done = false;
    void r1.then(() => (done = true));
    await Promise.resolve();
    expect(done).toBe(false);
    t.release(5);
    expect(await r1).toEqual({ ok: true, value: 5 });
    t.cancelAll();
    expect(await r2).toMatchObject({ ok: false, error: { kind: 'stopped' } });
  });
});
