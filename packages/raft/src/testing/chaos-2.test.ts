/** Randomized chaos, seeds N/2+1..N (the first half runs in chaos.test.ts, in parallel). */
import { describe } from 'vitest';
import { chaosSuite, SEEDS } from './chaos-suite.js';

describe(`randomized chaos, seeds ${Math.floor(SEEDS / 2) + 1}-${SEEDS} of ${SEEDS}`, () => {
  chaosSuite(Math.floor(SEEDS / 2) + 1, SEEDS);
});
