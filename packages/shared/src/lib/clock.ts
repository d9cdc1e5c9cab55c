/** Injected time and randomness, so deterministic cores can be tested with fakes. */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): { cancel(): void };
}

/** Node timers overflow past 2^31-1 ms (~24.8 days); longer waits are chained. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const due = Date.now() + ms;
    let t: ReturnType<typeof setTimeout>;
    const arm = (wait: number) => {
      t = setTimeout(() => {
        const left = due - Date.now();
        if (left > 0) arm(left);
        else fn();
      }, Math.min(Math.max(0, wait), MAX_TIMER_MS));
    };
    arm(ms);
    return { cancel: () => clearTimeout(t) };
  },
};

export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
}

export const systemRng: Rng = { next: () => Math.random() };

/** mulberry32: small, fast, seedable PRNG for tests and simulations. */
export function seededRng(seed: number): Rng {
  let a = seed >>> 0;
  return {
    next() {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    },
  };
}
