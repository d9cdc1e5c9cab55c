import { describe, expect, it } from 'vitest';
import { seededRng } from '@swarm/shared';
import { manualClock } from '../testing/fixtures.js';
import { createHeartbeatTracker } from './heartbeat.js';

function tracker(maxPerSecond?: number) {
  const clock = manualClock();
  const expired: string[] = [];
  const t = createHeartbeatTracker({
    clock,
    rng: seededRng(7),
    periodMs: () => 100,
    ...(maxPerSecond !== undefined ? { maxPerSecond: () => maxPerSecond } : {}),
    graceMultiplier: 3,
    onExpired: (id) => expired.push(id),
  });
  return { t, clock, expired };
}

describe('heartbeat tracker', () => {
  it('hands out the configured period with ±10 % jitter when the fleet is under the rate cap', () => {
    const { t } = tracker(500);
    const periods = Array.from({ length: 20 }, (_, i) => t.beat(`n${i}`));
    for (const p of periods) expect(p).toBeGreaterThanOrEqual(90), expect(p).toBeLessThanOrEqual(110);
    expect(new Set(periods).size).toBeGreaterThan(1); // jittered, not lockstep
  });

  it('stretches the period to nodes ÷ rate once the fleet would beat faster than the cap, and expiry with it', () => {
    const { t, clock, expired } = tracker(2);
    expect(t.beat('n0')).toBeGreaterThanOrEqual(450); // 1 node at 2/s: 500 ms ± 50
    for (let i = 1; i < 9; i++) t.beat(`n${i}`);
    const tenth = t.beat('n9'); // 10 nodes at 2/s: every 5 s ± 0.5 s
    expect(tenth).toBeGreaterThanOrEqual(4500);
    expect(tenth).toBeLessThanOrEqual(5500);
    expect(t.beat('n9')).toBeGreaterThanOrEqual(4500); // a repeat beat does not count the node twice
    // Expiry follows the stretched period (× grace 3): n9 is alive after 3 of the old periods.
    clock.advance(4 * 100 * 3);
    expect(expired).not.toContain('n9');
    clock.advance(3 * 5500);
    expect(expired).toContain('n9');
    // Fewer nodes tracked (forgotten or expired): the period shrinks back.
    expect(t.beat('n0')).toBeLessThanOrEqual(550);
  });

  it('a dropped session gets a share of the configured period, not of the stretched one', () => {
    const { t, clock, expired } = tracker(2);
    for (let i = 0; i < 10; i++) t.beat(`n${i}`); // stretched to ~5 s: expiry ~15 s
    t.lost('n3'); // 100 ms × grace 3 × 0.3 = 90 ms to reconnect
    clock.advance(89);
    expect(expired).toEqual([]);
    clock.advance(2);
    expect(expired).toEqual(['n3']);
  });

  it('without a cap the period is the configured one, whatever the fleet size', () => {
    const { t } = tracker();
    for (let i = 0; i < 1000; i++) t.beat(`n${i}`);
    expect(t.beat('last')).toBeLessThanOrEqual(110);
  });
});
