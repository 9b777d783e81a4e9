import { describe, expect, it } from 'vitest';
import { expectClose, loadFixtures, STAT_REL, sample } from '../test/fixtures.js';
import { normalSample } from '../test/helpers.js';
import { cdfDistance } from './_internal/cdf-distance.js';
import { wassersteinDistance, wassersteinDistanceDetailed, wassersteinSorted } from './wasserstein.js';

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

describe('wassersteinSorted', () => {
  it.each([
    { n: 50, m: 80, seed: 1, ties: false },
    { n: 1567, m: 1567, seed: 2, ties: false },
    { n: 300, m: 200, seed: 3, ties: true },
  ])('matches the compensated CDF walk (n=$n, m=$m, ties=$ties)', ({ n, m, seed, ties }) => {
    const round = (a: number[]) => (ties ? a.map((x) => Math.round(x * 2) / 2) : a);
    const u = Float64Array.from(round(normalSample(n, 0, 1, seed))).sort();
    const v = Float64Array.from(round(normalSample(m, 0.3, 1.2, seed + 100))).sort();
    const expected = cdfDistance(1, u, v);
    expect(Math.abs(wassersteinSorted(u, v) - expected) / expected).toBeLessThan(1e-12);
    expect(wassersteinDistance(u, v)).toBe(wassersteinSorted(u, v));
  });

  it('is zero for identical samples', () => {
    const a = Float64Array.from([1, 2, 2, 3]);
    expect(wassersteinSorted(a, a)).toBe(0);
  });
});
