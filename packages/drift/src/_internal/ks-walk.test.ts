import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { xorshift } from '../../test/prng.js';
import { ksExtremes, ksExtremesSorted } from './ks-walk.js';

const sorted = (x: Float64Array) => x.slice().sort();

function sample(n: number, seed: number, shift: number, kind: 'normal' | 'ints' | 'heavy' | 'mixed'): Float64Array {
  const u = xorshift(seed);
  return Float64Array.from({ length: n }, () => {
    let s = 0;
    for (let j = 0; j < 12; j++) s += u();
    const z = s - 6 + shift;
    if (kind === 'ints') return Math.round(z * 3);
    if (kind === 'heavy') return z > 2 ? Math.exp(8 * z) : z;
    if (kind === 'mixed') return u() < 0.3 ? 0 : z;
    return z;
  });
}

describe('ksExtremes (unsorted samples)', () => {
  it('finds exactly the extremes, locations and tie-broken keys of the sorted merge walk', () => {
    const cases: [number, number, number, 'normal' | 'ints' | 'heavy' | 'mixed'][] = [
      [5000, 5000, 0, 'normal'], // no drift: the difference is small and crosses zero often
      [20_000, 7000, 0.05, 'normal'],
      [3000, 40_000, 0.3, 'normal'],
      [30_000, 30_000, 0.02, 'ints'], // many ties: buckets hold single values
      [10_000, 12_000, 0.1, 'heavy'], // a heavy tail: most values in a few buckets (falls back to sorting)
      [8000, 8000, 0.1, 'mixed'],
      [2000, 1000, 0.2, 'normal'], // below the bucket threshold
    ];
    for (const [n1, n2, shift, kind] of cases) {
      const a = sample(n1, n1 + 1, 0, kind);
      const b = sample(n2, n2 + 7, shift, kind);
      const got = ksExtremes(a, b);
      expect(got).toEqual(ksExtremesSorted(sorted(a), sorted(b)));
      expect(ksExtremes(b, a)).toEqual(ksExtremesSorted(sorted(b), sorted(a)));
    }
  });

  it('agrees with the walk on random samples of a few distinct values (ties across both samples)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 40 }),
        fc.integer({ min: 2000, max: 6000 }),
        fc.integer({ min: 2000, max: 6000 }),
        fc.integer({ min: 1, max: 1e6 }),
        (distinct, n1, n2, seed) => {
          const u = xorshift(seed);
          const a = Float64Array.from({ length: n1 }, () => Math.floor(u() * distinct) / 7);
          const b = Float64Array.from({ length: n2 }, () => Math.floor(u() * u() * distinct) / 7);
          expect(ksExtremes(a, b)).toEqual(ksExtremesSorted(sorted(a), sorted(b)));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('does not reorder its inputs', () => {
    const a = sample(10_000, 3, 0, 'normal');
    const b = sample(9000, 4, 0.1, 'normal');
    const [a0, b0] = [a.slice(), b.slice()];
    ksExtremes(a, b);
    expect(a).toEqual(a0);
    expect(b).toEqual(b0);
  });
});
