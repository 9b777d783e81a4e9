import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { xorshift } from '../../test/prng.js';
import { equalEdges } from '../profile/summary.js';
import { cdfDistance } from './cdf-distance.js';
import {
  unsortedHistogram,
  wassersteinColumnScan,
  wassersteinOfSorted,
  wassersteinUnsorted,
} from './wasserstein-buckets.js';

const sorted = (x: Float64Array) => x.slice().sort();

function sample(n: number, seed: number, shift: number, kind: string): Float64Array {
  const u = xorshift(seed);
  return Float64Array.from({ length: n }, () => {
    let s = 0;
    for (let j = 0; j < 12; j++) s += u();
    const z = s - 6 + shift;
    switch (kind) {
      case 'ints':
        return Math.round(z * 3);
      case 'heavy':
        return z > 1.5 ? Math.exp(6 * z) : z;
      case 'offset':
        return 1e6 + z * 1e-3;
      case 'mixed':
        return u() < 0.3 ? 0 : z;
      default:
        return z;
    }
  });
}

function relDiff(x: number, y: number): number {
  return x === y ? 0 : Math.abs(x - y) / Math.max(Math.abs(x), Math.abs(y));
}

describe('wassersteinUnsorted', () => {
  it('agrees with the sorted walk and scipy’s compensated CDF walk to ~1e-13 on every kind of sample', () => {
    const cases: [number, number, number, string][] = [
      [5000, 5000, 0, 'normal'], // no drift: F − G crosses zero often
      [20_000, 7000, 0.05, 'normal'],
      [3000, 40_000, 0.3, 'normal'],
      [30_000, 30_000, 0.02, 'ints'],
      [10_000, 12_000, 0.1, 'heavy'],
      [8000, 9000, 0.1, 'offset'], // values far from zero compared with their spread
      [8000, 8000, 0.1, 'mixed'],
      [2000, 1000, 0.2, 'normal'], // below the bucket threshold: the walk itself
    ];
    for (const [n, m, shift, kind] of cases) {
      const a = sample(n, n + 1, 0, kind);
      const b = sample(m, m + 7, shift, kind);
      const [a0, b0] = [a.slice(), b.slice()];
      const got = wassersteinUnsorted(a, b);
      const walk = wassersteinOfSorted(sorted(a), sorted(b));
      expect(relDiff(got, walk)).toBeLessThan(1e-12);
      expect(relDiff(got, cdfDistance(1, sorted(a), sorted(b)))).toBeLessThan(1e-12);
      expect(a).toEqual(a0);
      expect(b).toEqual(b0);
    }
  });

  it('is exact where the walk is: identical samples give 0, a translate gives the shift', () => {
    const a = sample(10_000, 5, 0, 'normal');
    expect(wassersteinUnsorted(a, a.slice().reverse())).toBe(0);
    const shifted = a.map((x) => x + 0.5);
    expect(relDiff(wassersteinUnsorted(a, shifted), 0.5)).toBeLessThan(1e-12);
  });

  it('agrees with the walk on random samples with ties across both samples', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 50 }),
        fc.integer({ min: 2000, max: 6000 }),
        fc.integer({ min: 2000, max: 6000 }),
        fc.integer({ min: 1, max: 1e6 }),
        (distinct, n, m, seed) => {
          const u = xorshift(seed);
          const a = Float64Array.from({ length: n }, () => Math.floor(u() * distinct) / 7);
          const b = Float64Array.from({ length: m }, () => Math.floor(u() * u() * distinct) / 7);
          const walk = wassersteinOfSorted(sorted(a), sorted(b));
          expect(relDiff(wassersteinUnsorted(a, b), walk)).toBeLessThan(1e-12);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('scans a column pair for detectDrift: the distance, the reference std and exact histograms', () => {
    for (const [n, m, kind, bins] of [
      [1000, 800, 'normal', 20],
      [600, 500, 'ints', 20], // values on the edges
      [20_000, 15_000, 'heavy', 7],
      [30_000, 30_000, 'offset', 20],
      [300, 200, 'normal', 20], // below the bucket threshold
    ] as const) {
      const a = sample(n, n + 3, 0, kind);
      const b = sample(m, m + 5, 0.2, kind);
      const scan = wassersteinColumnScan(a, b, (min, max) => equalEdges(min, max, bins));
      expect(relDiff(scan.distance, wassersteinOfSorted(sorted(a), sorted(b)))).toBeLessThan(1e-12);
      let mean = 0;
      for (const x of a) mean += x;
      mean /= n;
      let ss = 0;
      for (const x of a) ss += (x - mean) ** 2;
      expect(scan.referenceStd).toBe(Math.sqrt(ss / n));
      let min = Number.POSITIVE_INFINITY;
      let max = Number.NEGATIVE_INFINITY;
      for (const x of [...a, ...b]) {
        min = Math.min(min, x);
        max = Math.max(max, x);
      }
      expect(scan.edges).toEqual(equalEdges(min, max, bins));
      expect(scan.reference).toEqual(unsortedHistogram(a, scan.edges));
      expect(scan.current).toEqual(unsortedHistogram(b, scan.edges));
      expect(scan.reference.reduce((s, x) => s + x, 0)).toBe(n);
    }
  });
});
