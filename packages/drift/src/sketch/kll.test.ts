import { describe, expect, it } from 'vitest';
import { xorshift } from '../../test/prng.js';
import { quantileSorted } from '../profile/summary.js';
import { KllSketch, kllRankError } from './kll.js';

/** Largest |estimated − true| rank over every distinct value of the data, as a fraction of n. */
function maxRankError(sketch: KllSketch, data: Float64Array): number {
  const sorted = data.slice().sort();
  const view = sketch.sortedView();
  const n = sorted.length;
  let worst = 0;
  let j = 0;
  for (let i = 0; i < n; i++) {
    if (i + 1 < n && sorted[i + 1] === sorted[i]) continue;
    const x = sorted[i] as number;
    while (j < view.values.length && (view.values[j] as number) <= x) j++;
    const estimated = j === 0 ? 0 : (view.cumulative[j - 1] as number);
    worst = Math.max(worst, Math.abs(estimated - (i + 1)) / n);
  }
  return worst;
}

const DISTRIBUTIONS: Record<string, (seed: number, n: number) => Float64Array> = {
  normal: (seed, n) => {
    const r = xorshift(seed);
    return Float64Array.from({ length: n }, () => {
      let s = 0;
      for (let j = 0; j < 12; j++) s += r();
      return s - 6;
    });
  },
  lognormal: (seed, n) => DISTRIBUTIONS.normal!(seed, n).map((x) => Math.exp(2 * x)),
  'integers with ties': (seed, n) => {
    const r = xorshift(seed);
    return Float64Array.from({ length: n }, () => Math.floor(r() * 50));
  },
  'sorted ascending': (_seed, n) => Float64Array.from({ length: n }, (_, i) => i),
  'sorted descending': (_seed, n) => Float64Array.from({ length: n }, (_, i) => n - i),
};

describe('KllSketch', () => {
  it('is exact while it has not compacted (n ≤ k): numpy quantiles, exact ranks', () => {
    const data = DISTRIBUTIONS.normal!(7, 150);
    const s = new KllSketch(200);
    s.updateMany(data);
    expect(s.exact).toBe(true);
    const sorted = data.slice().sort();
    for (const q of [0, 0.1, 0.25, 0.5, 0.75, 0.9, 1]) expect(s.quantile(q)).toBe(quantileSorted(sorted, q));
    expect(s.rank(sorted[37] as number)).toBe(38 / 150);
    expect(s.min).toBe(sorted[0]);
    expect(s.max).toBe(sorted[149]);
  });

  it('keeps the documented rank error bound on every value, across distributions and seeds', () => {
    const k = 200;
    const bound = kllRankError(k);
    const observed: number[] = [];
    for (const [name, make] of Object.entries(DISTRIBUTIONS)) {
      for (let seed = 1; seed <= 4; seed++) {
        const data = make(seed * 7919, 100_000);
        const s = new KllSketch(k, seed);
        // values arrive one at a time and in batches
        for (let i = 0; i < 1000; i++) s.update(data[i] as number);
        s.updateMany(data, 1000);
        expect(s.n, name).toBe(100_000);
        expect(s.exact).toBe(false);
        const err = maxRankError(s, data);
        observed.push(err);
        expect(err, `${name}, seed ${seed}`).toBeLessThanOrEqual(bound);
      }
    }
    // the sketch summarises (so the bound is what is being tested) and its memory stays small
    expect(Math.max(...observed)).toBeGreaterThan(0);
  });

  it('keeps the bound at the default k on a million values, in about 3k retained items', () => {
    const data = DISTRIBUTIONS.lognormal!(3, 1_000_000);
    const s = new KllSketch(1000, 11);
    s.updateMany(data);
    expect(maxRankError(s, data)).toBeLessThanOrEqual(kllRankError(1000));
    expect(s.retained).toBeLessThan(3500);
    const sorted = data.slice().sort();
    for (const q of [0.01, 0.25, 0.5, 0.75, 0.99]) {
      // a quantile estimate is the value at a rank within the bound
      const estimate = s.quantile(q);
      let below = 0;
      while (below < sorted.length && (sorted[below] as number) <= estimate) below++;
      expect(Math.abs(below / sorted.length - q)).toBeLessThanOrEqual(kllRankError(1000));
    }
  });

  it('merges partitions into a sketch of the whole within the bound', () => {
    const k = 200;
    const data = DISTRIBUTIONS.normal!(99, 200_000);
    const parts: KllSketch[] = [];
    for (let p = 0; p < 10; p++) {
      const s = new KllSketch(k, p + 1);
      s.updateMany(data, p * 20_000, (p + 1) * 20_000);
      parts.push(s);
    }
    // a balanced tree of merges, as parallel workers would combine them
    let level = parts;
    while (level.length > 1) {
      const next: KllSketch[] = [];
      for (let i = 0; i < level.length; i += 2) next.push(level[i + 1] ? level[i]!.merge(level[i + 1]!) : level[i]!);
      level = next;
    }
    const merged = level[0]!;
    expect(merged.n).toBe(200_000);
    const sorted = data.slice().sort();
    expect(merged.min).toBe(sorted[0]);
    expect(merged.max).toBe(sorted[sorted.length - 1]);
    expect(maxRankError(merged, data)).toBeLessThanOrEqual(kllRankError(k));
    expect(merged.retained).toBeLessThan(3 * k + 50);
  });

  it('round-trips through JSON and keeps taking values', () => {
    const data = DISTRIBUTIONS.normal!(5, 50_000);
    const s = new KllSketch(200, 3);
    s.updateMany(data, 0, 25_000);
    const json = JSON.parse(JSON.stringify(s.toJSON()));
    const back = KllSketch.fromJSON(json);
    expect(back.sortedView()).toEqual(s.sortedView());
    back.updateMany(data, 25_000);
    expect(back.n).toBe(50_000);
    expect(maxRankError(back, data)).toBeLessThanOrEqual(kllRankError(200));
    expect(() => KllSketch.fromJSON({ ...json, n: json.n + 1 })).toThrow(/weights sum/);
  });

  it('rejects a k outside [8, 65535]', () => {
    expect(() => new KllSketch(4)).toThrow(RangeError);
    expect(() => new KllSketch(1.5)).toThrow(RangeError);
  });
});
