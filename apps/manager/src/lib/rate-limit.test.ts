import { describe, expect, it } from 'vitest';
import { manualClock } from '../testing/fixtures.js';
import { createRateLimiter } from './rate-limit.js';

const takeN = (l: { take(k: string): boolean }, key: string, n: number) => Array.from({ length: n }, () => l.take(key));

describe('createRateLimiter', () => {
  it('allows a burst, then refuses', () => {
    const clock = manualClock();
    const l = createRateLimiter({ burst: 5, perMinute: 30, clock });
    expect(takeN(l, 'ip', 5)).toEqual([true, true, true, true, true]);
    expect(takeN(l, 'ip', 3)).toEqual([false, false, false]);
  });

  it('refills at perMinute over (fake) time', () => {
    const clock = manualClock();
    const l = createRateLimiter({ burst: 2, perMinute: 30, clock }); // one attempt per 2 s
    expect(takeN(l, 'ip', 3)).toEqual([true, true, false]);
    clock.advance(1999);
    expect(l.take('ip')).toBe(false);
    clock.advance(1);
    expect(l.take('ip')).toBe(true);
    expect(l.take('ip')).toBe(false);
    clock.advance(4000);
    expect(takeN(l, 'ip', 3)).toEqual([true, true, false]);
  });

  it('refused attempts do not cost anything', () => {
    const clock = manualClock();
    const l = createRateLimiter({ burst: 1, perMinute: 60, clock }); // one per second
    expect(l.take('ip')).toBe(true);
    for (let i = 0; i < 9; i++) {
      clock.advance(100);
      expect(l.take('ip')).toBe(false);
    }
    // 1 s since the success, plus 1 ms: refills are accumulated in floating point on every
    // poll, so ten 0.1-token steps sum to 0.999…9 (harmless: at most a millisecond late).
    clock.advance(101);
    expect(l.take('ip')).toBe(true);
    expect(l.take('ip')).toBe(false);
  });

  it('never holds more than the burst, however long it was idle', () => {
    const clock = manualClock();
    const l = createRateLimiter({ burst: 3, perMinute: 600, clock });
    expect(takeN(l, 'ip', 3)).toEqual([true, true, true]);
    clock.advance(24 * 3_600_000);
    expect(takeN(l, 'ip', 4)).toEqual([true, true, true, false]);
  });

  it('keeps keys independent', () => {
    const clock = manualClock();
    const l = createRateLimiter({ burst: 2, perMinute: 1, clock });
    expect(takeN(l, '10.0.0.1', 3)).toEqual([true, true, false]);
    expect(takeN(l, '10.0.0.2', 3)).toEqual([true, true, false]);
    expect(l.take('10.0.0.3')).toBe(true);
    clock.advance(60_000);
    expect(takeN(l, '10.0.0.1', 2)).toEqual([true, false]);
    expect(takeN(l, '10.0.0.3', 3)).toEqual([true, true, false]);
  });

  it('a clock that steps backwards never grants extra attempts', () => {
    const clock = manualClock(10_000_000);
    const l = createRateLimiter({ burst: 1, perMinute: 60, clock });
    expect(l.take('ip')).toBe(true);
    clock.set(5_000_000);
    expect(l.take('ip')).toBe(false);
    clock.set(5_000_500);
    expect(l.take('ip')).toBe(false);
  });

  it('bounds memory at maxKeys by evicting the least recently used key', () => {
    const clock = manualClock();
    const l = createRateLimiter({ burst: 1, perMinute: 1, clock, maxKeys: 2 });
    expect(l.take('a')).toBe(true);
    expect(l.take('b')).toBe(true);
    expect(l.take('a')).toBe(false); // 'a' is now the most recently used
    expect(l.take('c')).toBe(true); // evicts 'b'
    expect(l.take('a')).toBe(false); // 'a' kept its (empty) bucket
    expect(l.take('b')).toBe(true); // 'b' was forgotten: a fresh bucket (the cost of bounded memory)
  });
});
