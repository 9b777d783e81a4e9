import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { xorshift } from '../../test/prng.js';
import { radixSort, sortedFloat64, sortFloat64InPlace } from './radix-sort.js';

/** Float64Array.prototype.sort's order, with -0 and +0 compared as equal (the one freedom the sorts take). */
function expectSortedLike(got: Float64Array, input: Float64Array): void {
  const expected = input.slice().sort();
  expect(got.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    if (got[i] !== expected[i]) expect([i, got[i]]).toEqual([i, expected[i]]);
  }
  const negZeros = (a: Float64Array) => a.reduce((s, x) => s + (Object.is(x, -0) ? 1 : 0), 0);
  expect(negZeros(got)).toBe(negZeros(expected));
}

function generated(kind: string, n: number, seed: number): Float64Array {
  const u = xorshift(seed);
  const normal = () => {
    let s = 0;
    for (let j = 0; j < 12; j++) s += u();
    return s - 6;
  };
  return Float64Array.from({ length: n }, () => {
    switch (kind) {
      case 'normal':
        return normal();
      case 'lognormal':
        return Math.exp(3 * normal());
      case 'ints':
        return Math.floor(u() * 20) - 10;
      case 'offset':
        return 1e6 + normal() * 1e-3;
      case 'constant':
        return 4.5;
      default: {
        // zeros of both signs, subnormals, infinities, huge and tiny magnitudes
        const r = u();
        if (r < 0.1) return -0;
        if (r < 0.2) return 0;
        if (r < 0.25) return -5e-324;
        if (r < 0.3) return Number.POSITIVE_INFINITY;
        if (r < 0.35) return Number.NEGATIVE_INFINITY;
        if (r < 0.5) return 2.2e-308 * (u() - 0.5);
        return (u() - 0.5) * 1e300;
      }
    }
  });
}

describe('sortedFloat64 / radixSort', () => {
  it('sort any doubles like Float64Array.prototype.sort without touching the input', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ noNaN: true }), { maxLength: 300 }), (values) => {
        const x = Float64Array.from(values);
        const before = x.slice();
        expectSortedLike(sortedFloat64(x), x);
        expectSortedLike(radixSort(x), x);
        expect(x).toEqual(before);
      }),
      { numRuns: 1000 },
    );
  });

  it('take every path (bucket sort, 8- and 16-bit radix, skipped digits, built-in) with the same order', () => {
    for (const kind of ['normal', 'lognormal', 'ints', 'offset', 'constant', 'special']) {
      for (const n of [1, 63, 64, 65, 1567, 4095, 4096, 20_000, (1 << 17) + 3]) {
        const x = generated(kind, n, n + kind.length);
        const before = x.slice();
        expectSortedLike(sortedFloat64(x), x);
        expectSortedLike(radixSort(x), x);
        expect(x).toEqual(before);
        const inPlace = x.slice();
        expect(sortFloat64InPlace(inPlace)).toBe(inPlace);
        expectSortedLike(inPlace, x);
      }
    }
  });

  it('sort adversarial orders (ascending, descending, organ pipe) and a subarray view', () => {
    const n = 50_000;
    const buffer = new Float64Array(n + 10);
    const view = buffer.subarray(5, n + 5);
    for (let i = 0; i < n; i++) view[i] = i < n / 2 ? i : n - i;
    expectSortedLike(sortedFloat64(view), view);
    expectSortedLike(radixSort(view), view);
    const asc = Float64Array.from({ length: n }, (_, i) => i * 0.5 - 100);
    expectSortedLike(sortedFloat64(asc), asc);
    expectSortedLike(sortedFloat64(asc.slice().reverse()), asc);
  });
});
