import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { quantileInnerEdges, quantileInnerEdgesUnsorted } from './binning.js';
import { sortedCopy } from './sort.js';

describe('quantileInnerEdgesUnsorted', () => {
  it('gives exactly the edges of sorting first, for any sample (ties, constants, tiny and large) and bin count', () => {
    const sample = fc.oneof(
      fc.array(fc.double({ noNaN: true, noDefaultInfinity: true }), { minLength: 1, maxLength: 400 }),
      // many ties: a few distinct values repeated
      fc.array(fc.integer({ min: -3, max: 3 }), { minLength: 1, maxLength: 2000 }),
    );
    fc.assert(
      fc.property(sample, fc.integer({ min: 1, max: 60 }), (values, bins) => {
        const x = Float64Array.from(values);
        const expected = quantileInnerEdges(sortedCopy(x), bins);
        const got = quantileInnerEdgesUnsorted(x, bins);
        expect(Array.from(got)).toEqual(Array.from(expected));
        expect(Array.from(x)).toEqual(values); // the input is not reordered
      }),
      { numRuns: 2000 },
    );
  });

  it('matches on 200,000 values, including adversarial orders (sorted, reversed, organ pipe)', () => {
    const n = 200_000;
    const random = Float64Array.from(
      { length: n },
      (_, i) => Math.sin(i * 12.9898) * 43758.5453 - Math.floor(Math.sin(i * 12.9898) * 43758.5453),
    );
    const ascending = Float64Array.from({ length: n }, (_, i) => i);
    const descending = Float64Array.from({ length: n }, (_, i) => n - i);
    const organ = Float64Array.from({ length: n }, (_, i) => (i < n / 2 ? i : n - i));
    for (const x of [random, ascending, descending, organ]) {
      for (const bins of [10, 20, 100]) {
        expect(Array.from(quantileInnerEdgesUnsorted(x, bins))).toEqual(
          Array.from(quantileInnerEdges(sortedCopy(x), bins)),
        );
      }
    }
  });
});
