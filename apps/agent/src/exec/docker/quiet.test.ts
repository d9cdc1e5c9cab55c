import { describe, expect, it } from 'vitest';
import { manualClock } from '../../testing/tasks.js';
import { createEngineQuiet } from './quiet.js';

describe('engine quiet', () => {
  it('is quiet once no call is in flight and none ended for quietMs', async () => {
    const clock = manualClock();
    const q = createEngineQuiet(1000, clock);
    let finish!: () => void;
    const call = q.busy(new Promise<void>((r) => (finish = r)));
    let quiet: boolean | undefined;
    void q.wait(new AbortController().signal).then((v) => (quiet = v));
    const settle = () => new Promise((r) => setImmediate(r));
    clock.advance(5000); // the call is still in flight: checked again 1000 ms later
    await settle();
    expect(quiet).toBeUndefined();
    clock.advance(500);
    finish(); // ends at +5500
    await call;
    clock.advance(500); // the re-check at +6000 finds it ended 500 ms ago
    await settle();
    expect(quiet).toBeUndefined();
    clock.advance(500);
    await settle();
    expect(quiet).toBe(true);
  });

  it('answers false when aborted first', async () => {
    const q = createEngineQuiet(1000, manualClock());
    const abort = new AbortController();
    void q.busy(new Promise(() => {}));
    const waiting = q.wait(abort.signal);
    abort.abort();
    expect(await waiting).toBe(false);
  });
});
