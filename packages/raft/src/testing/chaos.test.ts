/** Randomized chaos, seeds 1..N/2 (the other half runs in chaos-2.test.ts, in parallel). */
import { describe } from 'vitest';
import { chaosSuite, SEEDS } from './chaos-suite.js';

describe(`randomized chaos, seeds 1-${Math.floor(SEEDS / 2)} of ${SEEDS}`, () => {
  chaosSuite(1, Math.floor(SEEDS / 2));
});
