import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { renewalDelay } from './renewal.js';

const HOUR = 3_600_000;
// fc.double with max 1 excluded: rand in [0, 1).
const rand01 = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });
const cert = fc
  .record({ notBefore: fc.integer({ min: 0, max: 4e12 }), life: fc.integer({ min: 1000, max: 20 * 365 * 24 * HOUR }) })
  .map(({ notBefore, life }) => ({ notBefore, notAfter: notBefore + life }));

describe('renewalDelay', () => {
  it('at notBefore: between 50% and 80% of the lifetime', () => {
    const c = { notBefore: 1_000_000, notAfter: 1_000_000 + 100 * HOUR };
    expect(renewalDelay(c, c.notBefore, 0)).toBe(50 * HOUR);
    expect(renewalDelay(c, c.notBefore, 0.5)).toBe(65 * HOUR);
    expect(renewalDelay(c, c.notBefore, 0.999999)).toBeLessThan(80 * HOUR);
    expect(renewalDelay(c, c.notBefore, 0.999999)).toBeGreaterThan(79.99 * HOUR);
  });

  it('measures from notBefore, not from now (a cert backdated 1 h renews 1 h sooner)', () => {
    const now = 10_000_000_000;
    const c = { notBefore: now - HOUR, notAfter: now + 89 * HOUR }; // 90 h lifetime
    expect(renewalDelay(c, now, 0)).toBe(45 * HOUR - HOUR);
  });

  it('property: the renewal point lies in [50%, 80%) of the lifetime from notBefore', () => {
    fc.assert(
      fc.property(cert, rand01, fc.integer({ min: 0, max: 1000 }), (c, r, permille) => {
        const life = c.notAfter - c.notBefore;
        const now = c.notBefore + Math.floor((life * permille) / 2000); // somewhere in [0%, 50%]
        const d = renewalDelay(c, now, r);
        const at = now + d;
        expect(d).toBeGreaterThanOrEqual(0);
        expect(Number.isInteger(d)).toBe(true);
        // Rounded to whole ms: allow half a millisecond either side.
        expect(at).toBeGreaterThanOrEqual(c.notBefore + 0.5 * life - 0.5);
        expect(at).toBeLessThanOrEqual(c.notBefore + 0.8 * life + 0.5);
      }),
      { numRuns: 500 },
    );
  });

  it('is 0 once the chosen point has passed (including expired certificates)', () => {
    const c = { notBefore: 0, notAfter: 100 * HOUR };
    expect(renewalDelay(c, 80 * HOUR, 0.999)).toBe(0);
    expect(renewalDelay(c, 65 * HOUR, 0.5)).toBe(0);
    expect(renewalDelay(c, 65 * HOUR + 1, 0.5)).toBe(0);
    expect(renewalDelay(c, 200 * HOUR, 0)).toBe(0);
    fc.assert(
      fc.property(cert, rand01, fc.integer({ min: 0, max: 10 * HOUR }), (cc, r, extra) => {
        const life = cc.notAfter - cc.notBefore;
        expect(renewalDelay(cc, cc.notBefore + 0.8 * life + extra, r)).toBe(0);
      }),
      { numRuns: 300 },
    );
  });

  it('property: monotonic (non-decreasing) in rand', () => {
    fc.assert(
      fc.property(cert, rand01, rand01, fc.integer({ min: 0, max: 1000 }), (c, r1, r2, permille) => {
        const [lo, hi] = r1 <= r2 ? [r1, r2] : [r2, r1];
        const now = c.notBefore + Math.floor(((c.notAfter - c.notBefore) * permille) / 1000);
        expect(renewalDelay(c, now, lo)).toBeLessThanOrEqual(renewalDelay(c, now, hi));
      }),
      { numRuns: 500 },
    );
  });

  it('property: later now ⇒ never a later renewal time', () => {
    fc.assert(
      fc.property(cert, rand01, fc.integer({ min: 0, max: HOUR }), (c, r, dt) => {
        const t0 = c.notBefore;
        expect(t0 + dt + renewalDelay(c, t0 + dt, r)).toBeGreaterThanOrEqual(t0 + renewalDelay(c, t0, r));
        expect(renewalDelay(c, t0 + dt, r)).toBeLessThanOrEqual(renewalDelay(c, t0, r));
      }),
      { numRuns: 300 },
    );
  });
});
