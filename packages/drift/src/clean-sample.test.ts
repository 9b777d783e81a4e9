import { describe, expect, it } from 'vitest';
import { chiSquareTest } from './chi-square.js';
import { cleanCategories, cleanSample } from './clean-sample.js';
import { jensenShannonDistance, klDivergence } from './divergence.js';
import { ksTest } from './ks.js';

describe('array-likes with a length that is not a count', () => {
  it.each([-1, Number.NaN, 2.5, 1e12, Number.POSITIVE_INFINITY])(
    'length %s is INVALID_INPUT, not a RangeError or an empty sample',
    (length) => {
      const bogus = { length, 0: 1, 1: 2 } as unknown as number[];
      for (const f of [
        () => cleanSample(bogus),
        () => cleanCategories(bogus),
        () => ksTest(bogus, [1, 2]),
        () => chiSquareTest(['a'], bogus),
      ]) {
        expect(f).toThrow(expect.objectContaining({ name: 'DriftError', code: 'INVALID_INPUT' }));
      }
    },
  );

  it('an array-like with a valid length still works', () => {
    expect(cleanSample({ length: 2, 0: 1, 1: null } as ArrayLike<number | null>).values).toEqual(
      Float64Array.from([1]),
    );
  });
});

describe('logarithm base of the divergences', () => {
  it.each([1])('base %s (log base 0) is INVALID_INPUT, not NaN', (base) => {
    expect(() => jensenShannonDistance([1, 2, 3], [1, 2], { base })).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT' }),
    );
    expect(() => klDivergence([1, 2, 3], [1, 2], { base })).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
  });
});
