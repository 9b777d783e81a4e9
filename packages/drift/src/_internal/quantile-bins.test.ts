import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { xorshift } from '../../test/prng.js';
import { psi, psiBins } from '../psi.js';
import { countOpenBins, quantileInnerEdges } from './binning.js';
import { quantileBinCounts, quantileBinCountsRaw } from './quantile-bins.js';

/** What psi computed before: sort the reference, take numpy's quantiles, binary-search every value. */
function expected(ref: Float64Array, cur: Float64Array, bins: number) {
  const inner = quantileInnerEdges(ref.slice().sort(), bins);
  return { inner, reference: countOpenBins(ref, inner), current: countOpenBins(cur, inner) };
}

function check(ref: Float64Array, cur: Float64Array, bins: number): void {
  const [r0, c0] = [ref.slice(), cur.slice()];
  const got = quantileBinCounts(ref, cur, bins);
  const want = expected(ref, cur, bins);
  // -0 and +0 are the same edge (either may be the order statistic when both occur)
  expect(Array.from(got.inner, (e) => e + 0)).toEqual(Array.from(want.inner, (e) => e + 0));
  expect(Array.from(got.reference)).toEqual(Array.from(want.reference));
  expect(Array.from(got.current)).toEqual(Array.from(want.current));
  expect(ref).toEqual(r0); // inputs are not reordered
  expect(cur).toEqual(c0);
}

function normals(n: number, seed: number, loc = 0, scale = 1): Float64Array {
  const u = xorshift(seed);
  return Float64Array.from({ length: n }, () => {
    let s = 0;
    for (let j = 0; j < 12; j++) s += u();
    return (s - 6) * scale + loc;
  });
}

describe('quantileBinCounts', () => {
  it('gives the edges and counts of sorting the reference and searching every value', () => {
    for (const bins of [2, 10, 20, 100]) {
      check(normals(50_000, 1), normals(40_000, 2, 0.1), bins);
      check(normals(3000, 3, 5, 1e-9), normals(5000, 4, 5, 1e-9), bins); // a tiny spread around an offset
      check(normals(20_000, 5).map(Math.exp), normals(20_000, 6, 0.3).map(Math.exp), bins); // skewed
      check(normals(20_000, 7).map(Math.round), normals(20_000, 8, 0.2).map(Math.round), bins); // heavy ties
      check(normals(10_000, 9), normals(10_000, 10, 30), bins); // current entirely outside the reference
    }
  });

  it('agrees on random samples of a few distinct values, including edges equal to the minimum or maximum', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 2048, max: 6000 }),
        fc.integer({ min: 1, max: 3000 }),
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 1, max: 1e6 }),
        (distinct, n, m, bins, seed) => {
          const u = xorshift(seed);
          const skew = (x: number) => x * x * x;
          const ref = Float64Array.from({ length: n }, () => Math.floor(skew(u()) * distinct) - 3);
          const cur = Float64Array.from({ length: m }, () => Math.floor(u() * (distinct + 4)) - 5);
          check(ref, cur, bins);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('bins uncleaned typed arrays: NaN in the current sample skipped, a NaN in the reference sends it to cleaning', () => {
    const ref = normals(30_000, 11);
    const cur = normals(20_000, 12, 0.2);
    for (let i = 0; i < cur.length; i += 97) cur[i] = Number.NaN;
    const kept = cur.filter((x) => !Number.isNaN(x));
    const raw = quantileBinCountsRaw(ref, cur, 10);
    expect(raw).not.toBeNull();
    expect(raw?.currentCount).toBe(kept.length);
    expect(Array.from(raw?.current ?? [])).toEqual(Array.from(quantileBinCounts(ref, kept, 10).current));
    expect(psiBins(ref, cur)).toEqual(psiBins(ref, kept));
    const refWithNaN = ref.slice();
    refWithNaN[123] = Number.NaN;
    expect(quantileBinCountsRaw(refWithNaN, cur, 10)).toBeNull();
    expect(psi(refWithNaN, cur)).toBe(
      psi(
        ref.filter((_, i) => i !== 123),
        kept,
      ),
    );
    expect(() => psi(ref, new Float64Array(10).fill(Number.NaN))).toThrow(/current sample is empty/);
  });
});
