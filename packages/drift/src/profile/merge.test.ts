import { describe, expect, it } from 'vitest';
import { xorshift } from '../../test/prng.js';
import { DriftError } from '../errors.js';
import { KllSketch, kllRankError } from '../sketch/kll.js';
import { createProfileBuilder } from './builder.js';
import { createProfile } from './create-profile.js';
import { mergeProfiles } from './merge.js';
import { type ColumnProfile, type Profile, parseProfile, profileSchema } from './schema.js';

const N = 60_000;
const r = xorshift(2024);
const normal = () => {
  let s = 0;
  for (let j = 0; j < 12; j++) s += r();
  return s - 6;
};
const CITIES = Array.from({ length: 20 }, (_, i) => `city-${i}`);
const data = {
  x: Float64Array.from({ length: N }, normal),
  y: Array.from({ length: N }, (_, i) => (i % 17 === 0 ? null : Math.exp(normal()))),
  city: Array.from({ length: N }, () => CITIES[Math.floor(r() * r() * CITIES.length)]),
  vip: Array.from({ length: N }, () => r() < 0.2),
  note: Array.from(
    { length: N },
    () => `ticket about ${CITIES[Math.floor(r() * 5)]} and printer ${Math.floor(r() * 9)}`,
  ),
};
const mapping = { text: ['note'] };
const slice = (from: number, to: number) =>
  Object.fromEntries(Object.entries(data).map(([k, v]) => [k, v.slice(from, to)])) as typeof data;
const column = (p: Profile, name: string) => p.columns.find((c) => c.name === name) as ColumnProfile;

/** |rank of `value` in the data − q|: how far a quantile estimate is from the true q-quantile, in rank. */
function rankGap(values: number[], value: number, q: number): number {
  const sorted = values.filter((v) => v !== null).sort((a, b) => a - b);
  let below = 0;
  while (below < sorted.length && (sorted[below] as number) <= value) below++;
  return Math.abs(below / sorted.length - q);
}

function maxRankError(sketchJson: ColumnProfile['sketch'], values: number[]): number {
  const s = KllSketch.fromJSON(sketchJson!);
  const sorted = values.filter((v) => v !== null).sort((a, b) => a - b);
  let worst = 0;
  for (let i = 0; i < sorted.length; i++) {
    if (i + 1 < sorted.length && sorted[i + 1] === sorted[i]) continue;
    worst = Math.max(worst, Math.abs(s.rank(sorted[i] as number) - (i + 1) / sorted.length));
  }
  return worst;
}

describe('createProfileBuilder', () => {
  it('gives the same profile whatever the batch sizes', () => {
    const one = createProfileBuilder({ columnMapping: mapping }).add(data).finish();
    const builder = createProfileBuilder({ columnMapping: mapping });
    for (let from = 0; from < N; from += 7_001) builder.add(slice(from, Math.min(N, from + 7_001)));
    expect(builder.rows).toBe(N);
    expect(builder.finish()).toEqual(one);
  });

  it('agrees with createProfile on counts, samples, means and standard deviations', () => {
    const streamed = createProfileBuilder({ columnMapping: mapping })
      .add(slice(0, 30_000))
      .add(slice(30_000, N))
      .finish();
    const whole = createProfile(data, { columnMapping: mapping });
    for (const c of whole.columns) {
      const s = column(streamed, c.name);
      expect(s).toMatchObject({ count: c.count, missing: c.missing, distinct: c.distinct, sample: c.sample });
      if (c.numeric) {
        expect(s.numeric!.mean).toBe(c.numeric.mean);
        expect(s.numeric!.std).toBe(c.numeric.std);
        expect(s.numeric!.min).toBe(c.numeric.min);
        expect(s.numeric!.max).toBe(c.numeric.max);
      }
      expect(s.categories).toEqual(c.categories);
      expect(s.text).toEqual(c.text);
    }
    // createProfile's quartiles are exact; the builder's come from the sketch, within its rank error
    const y = data.y as number[];
    for (const [q, key] of [
      [0.25, 'q25'],
      [0.5, 'q50'],
      [0.75, 'q75'],
    ] as const) {
      expect(rankGap(y, column(streamed, 'y').numeric![key], q)).toBeLessThanOrEqual(kllRankError(1000));
      expect(rankGap(y, column(whole, 'y').numeric![key], q)).toBeLessThanOrEqual(1 / N);
    }
  });

  it('counts a column absent from a later batch as missing and refuses a column the first batch lacked', () => {
    const b = createProfileBuilder().add({ a: [1, 2, 3], b: ['x', 'y', 'x'] });
    b.add({ a: [4, 5] });
    const p = b.finish();
    expect(column(p, 'b')).toMatchObject({ count: 5, missing: 2 });
    expect(() => b.add({ a: [1], c: [2] })).toThrow(DriftError);
    expect(() => b.add({ a: [1], c: [2] })).toThrow(/column "c" is not in the first batch/);
  });

  it('waits for a batch with columns to type them (earlier rows count as missing)', () => {
    const p = createProfileBuilder()
      .add({})
      .add([{}, {}])
      .add({ a: [1, 2, 3] })
      .finish();
    expect(p.rows).toBe(5);
    expect(column(p, 'a')).toMatchObject({ type: 'numerical', count: 5, missing: 2 });
  });

  it('keeps memory bounded for a high-cardinality category: summarised counts with their error', () => {
    const ids = Array.from({ length: 100_000 }, (_, i) => (i % 3 === 0 ? 'common' : `id-${i}`));
    const p = createProfileBuilder({ topCategories: 10 }).add({ id: ids }).finish();
    const c = column(p, 'id');
    expect(c.categories!.top).toHaveLength(10);
    expect(c.categories!.top[0]!.value).toBe('common');
    const truth = Math.ceil(100_000 / 3);
    const err = c.categories!.countError!;
    expect(err).toBeGreaterThan(0);
    expect(err).toBeLessThanOrEqual(100_000 / 101);
    expect(c.categories!.top[0]!.count).toBeLessThanOrEqual(truth);
    expect(truth - c.categories!.top[0]!.count).toBeLessThanOrEqual(err);
    expect(c.categories!.otherCount).toBe(100_000 - c.categories!.top.reduce((s, x) => s + x.count, 0));
    expect(Math.abs(c.distinct - (100_000 - truth + 1)) / (100_000 - truth + 1)).toBeLessThan(0.05);
  });
});

describe('mergeProfiles', () => {
  const whole = createProfile(data, { columnMapping: mapping });
  // unequal partitions, profiled separately (as workers, pods or nightly batches would), merged pairwise
  const bounds = [0, 5_000, 20_000, 21_000, N];
  const parts = bounds.slice(1).map((to, i) => createProfile(slice(bounds[i]!, to), { columnMapping: mapping }));
  const merged = parts.reduce((a, b) => mergeProfiles(a, b));

  it('adds up counts and gives exact means and standard deviations', () => {
    expect(merged.rows).toBe(N);
    for (const c of whole.columns) {
      const m = column(merged, c.name);
      expect(m.count).toBe(c.count);
      expect(m.missing).toBe(c.missing);
      if (c.numeric) {
        expect(m.numeric!.mean).toBeCloseTo(c.numeric.mean, 12);
        expect(m.numeric!.std / c.numeric.std).toBeCloseTo(1, 12);
        expect(m.numeric!.min).toBe(c.numeric.min);
        expect(m.numeric!.max).toBe(c.numeric.max);
      }
    }
  });

  it('approximates the whole profile within the sketch bound (quantiles, ranks) and the HLL error (distinct)', () => {
    for (const name of ['x', 'y']) {
      const values = Array.from(data[name as 'x' | 'y'] as ArrayLike<number | null>) as number[];
      const m = column(merged, name);
      expect(maxRankError(m.sketch, values), name).toBeLessThanOrEqual(kllRankError(1000));
      expect(rankGap(values, m.numeric!.q50, 0.5)).toBeLessThanOrEqual(kllRankError(1000));
      const d = column(whole, name).distinct;
      expect(Math.abs(m.distinct - d) / d).toBeLessThan(3 * 0.0163);
    }
  });

  it('gives exact category counts and distinct values when every part listed all its categories', () => {
    expect(column(merged, 'city').categories).toEqual(column(whole, 'city').categories);
    expect(column(merged, 'city').distinct).toBe(20);
    expect(column(merged, 'vip').categories).toEqual(column(whole, 'vip').categories);
    const note = column(merged, 'note').text!;
    const wholeNote = column(whole, 'note').text!;
    expect(note.topTokens).toEqual(wholeNote.topTokens);
    expect(note.vocabularySize).toBe(wholeNote.vocabularySize);
    expect(note.meanTokens).toBeCloseTo(wholeNote.meanTokens, 12);
    expect(note.minLength).toBe(wholeNote.minLength);
  });

  it('merges the reservoirs into a uniform sample of the union (each part in proportion to its size)', () => {
    const sample = column(merged, 'x').sample as number[];
    expect(sample).toHaveLength(10_000);
    expect(sample).toEqual([...sample].sort((a, b) => a - b));
    const firstPart = new Set(data.x.slice(0, 5_000));
    const fromFirst = sample.filter((v) => firstPart.has(v)).length;
    // 5,000 of 60,000 rows: expect 833 of 10,000, sd ≈ 26 (hypergeometric)
    expect(Math.abs(fromFirst - 10_000 / 12)).toBeLessThan(5 * 26);
    const all = new Set(data.x);
    expect(sample.every((v) => all.has(v))).toBe(true);
    // deterministic: the same inputs give the same profile
    expect(parts.reduce((a, b) => mergeProfiles(a, b))).toEqual(merged);
  });

  it('returns a valid current profile that survives JSON', () => {
    expect(profileSchema.safeParse(JSON.parse(JSON.stringify(merged))).success).toBe(true);
    expect(parseProfile(JSON.stringify(merged))).toEqual(merged);
  });

  it('sums summarised counts and their errors when a part dropped categories', () => {
    const a = createProfile({ c: ['a', 'a', 'a', 'b', 'c', 'd'] }, { topCategories: 2 });
    const b = createProfile({ c: ['b', 'b', 'e', 'a'] }, { topCategories: 2 });
    const m = column(mergeProfiles(a, b, { topCategories: 2 }), 'c').categories!;
    // a lists a:3, b:1 (c, d dropped, each ≤ 1); b lists b:2, a:1 (e dropped, ≤ 1)
    expect(m.top).toEqual([
      { value: 'a', count: 4 },
      { value: 'b', count: 3 },
    ]);
    expect(m.otherCount).toBe(3);
    expect(m.countError).toBe(2);
  });

  it('stores no sketch while the sample holds every value, and rebuilds them exactly to merge', () => {
    const a = {
      v: Array.from({ length: 80 }, (_, i) => (i * 7) % 61),
      c: Array.from({ length: 80 }, (_, i) => `k${i % 9}`),
    };
    const b = {
      v: Array.from({ length: 70 }, (_, i) => 30 + ((i * 5) % 47)),
      c: Array.from({ length: 70 }, (_, i) => `k${i % 13}`),
    };
    const pa = createProfile(a, { sampleSize: 100 });
    expect(pa.columns.every((c) => c.sketch === undefined && c.distinctSketch === undefined)).toBe(true);
    // the union (150 values) no longer fits a 100-value sample: the sketches are built from the parts' samples
    const m = mergeProfiles(pa, createProfile(b, { sampleSize: 100 }));
    const whole = createProfile({ v: [...a.v, ...b.v], c: [...a.c, ...b.c] }, { sampleSize: 1000 });
    const [mv, wv] = [column(m, 'v'), column(whole, 'v')];
    expect(mv.sketch!.n).toBe(150);
    expect(mv.distinct).toBe(wv.distinct); // exact: both parts' values were known
    expect(mv.numeric).toEqual(wv.numeric ? { ...wv.numeric, mean: mv.numeric!.mean, std: mv.numeric!.std } : null);
    expect(mv.numeric!.mean).toBeCloseTo(wv.numeric!.mean, 12);
    expect(column(m, 'c').distinct).toBe(13);
    expect(column(m, 'c').categories).toEqual(column(whole, 'c').categories);
    // a union that fits the sample stays sketch-free and exact
    const small = mergeProfiles(createProfile(a, { sampleSize: 200 }), createProfile(b, { sampleSize: 200 }));
    expect(column(small, 'v').sketch).toBeUndefined();
    expect(column(small, 'v').numeric!.q50).toBe(wv.numeric!.q50);
  });

  it('refuses profiles of different columns or column types', () => {
    expect(() => mergeProfiles(createProfile({ a: [1, 2] }), createProfile({ b: [1, 2] }))).toThrow(
      /different columns/,
    );
    expect(() => mergeProfiles(createProfile({ a: [1, 2] }), createProfile({ a: ['x', 'y'] }))).toThrow(
      /numerical\/feature in one profile and categorical\/feature/,
    );
  });
});
