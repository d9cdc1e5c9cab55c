/** Token buckets per key (e.g. client IP): `burst` attempts, refilled at `perMinute`. */
import { type Clock, systemClock } from '@swarm/shared';

export interface RateLimiter {
  /** True if an attempt is allowed now (and consumes it). */
  take(key: string): boolean;
}

export function createRateLimiter(opts: { burst: number; perMinute: number; clock?: Clock; maxKeys?: number }): RateLimiter {
  const clock = opts.clock ?? systemClock;
  const buckets = new Map<string, { tokens: number; at: number }>();
  const maxKeys = opts.maxKeys ?? 10_000;
  return {
    take(key) {
      const now = clock.now();
      const b = buckets.get(key) ?? { tokens: opts.burst, at: now };
      b.tokens = Math.min(opts.burst, b.tokens + ((now - b.at) / 60_000) * opts.perMinute);
      b.at = now;
      buckets.delete(key);
      if (buckets.size >= maxKeys) buckets.delete(buckets.keys().next().value as string);
      buckets.set(key, b);
      if (b.tokens < 1) return false;
      b.tokens -= 1;
      return true;
    },
  };
}
