/**
 * When the engine is quiet: none of this executor's creates or starts in flight,
 * and none ended for `quietMs`. What is not worth an engine call while the engine
 * is busy starting containers (a running container's PID) waits for it.
 */
import { systemClock, type Clock } from '@swarm/shared';

export interface EngineQuiet {
  /** Counts `p` (a create or a start) as keeping the engine busy until it settles. */
  busy<T>(p: Promise<T>): Promise<T>;
  /** Resolves true once the engine has been quiet for `quietMs`, false if `signal` aborts first. */
  wait(signal: AbortSignal): Promise<boolean>;
}

export function createEngineQuiet(quietMs = 1000, clock: Clock = systemClock): EngineQuiet {
  let inflight = 0;
  let lastEnd = -Infinity;

  const sleep = (ms: number, signal: AbortSignal) =>
    new Promise<void>((resolve) => {
      const done = () => {
        signal.removeEventListener('abort', done);
        timer.cancel();
        resolve();
      };
      const timer = clock.setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
    });

  return {
    async busy(p) {
      inflight++;
      try {
        return await p;
      } finally {
        inflight--;
        lastEnd = clock.now();
      }
    },
    async wait(signal) {
      for (;;) {
        if (signal.aborted) return false;
        const left = inflight > 0 ? quietMs : lastEnd + quietMs - clock.now();
        if (left <= 0) return true;
        await sleep(left, signal);
      }
    },
  };
}
