import { describe, expect, it } from 'vitest';
import { SimCluster } from './sim.js';

describe('SimCluster smoke', () => {
  it('elects a leader and replicates', () => {
    const c = new SimCluster({ ids: ['a', 'b', 'c'], seed: 1 });
    const l = c.waitLeader();
    expect(l).toBeDefined();
    expect(c.proposeToLeader('x1')).toBeDefined();
    expect(c.waitApplied('x1')).toBe(true);
    expect(c.checkConverged()).toBeUndefined();
  });
});
