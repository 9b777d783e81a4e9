import { describe, expect, it } from 'vitest';
import { expectClose, loadFixtures, STAT_REL, sample } from '../test/fixtures.js';
import { wassersteinDistance, wassersteinDistanceDetailed } from './wasserstein.js';

const cases = loadFixtures('wasserstein-energy');

describe('wassersteinDistance parity with scipy.stats.wasserstein_distance', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const ref = sample(c.reference);
    const cur = sample(c.current);
    const d = wassersteinDistanceDetailed(ref, cur);
    expectClose(d.value, c.expected.wasserstein, STAT_REL, 1e-12, 'wasserstein');
    expect(d.dropped).toEqual(c.expected.dropped);
    expectClose(wassersteinDistance(ref, cur, { normalize: true }), c.expected.wassersteinNormalized, STAT_REL, 1e-12);
  });
});

describe('wassersteinDistance behaviour', () => {
  it('equals the shift between a sample and its translate', () => {
    expect(wassersteinDistance([1, 2, 3, 4], [3, 4, 5, 6])).toBeCloseTo(2, 12);
  });

  it('floors the normalising standard deviation at 0.001 for constant references', () => {
    expect(wassersteinDistance([5, 5, 5], [5, 5, 6], { normalize: true })).toBeCloseTo(1 / 3 / 0.001, 6);
  });
});
