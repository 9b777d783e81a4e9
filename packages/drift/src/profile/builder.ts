import { z } from 'zod';
import { parseOptions } from '../_internal/options.js';
import { MOMENT_BIG, MOMENT_DOWN } from '../_internal/scale.js';
import { DriftError } from '../errors.js';
import { FrequentItems } from '../sketch/frequent.js';
import { HyperLogLog } from '../sketch/hll.js';
import { KllSketch, sortedViewQuantile } from '../sketch/kll.js';
import {
  type ColumnMapping,
  type ColumnRole,
  type ColumnType,
  type DataInput,
  resolveColumns,
  toRawColumns,
  typeColumn,
} from './input.js';
import { createReservoir } from './reservoir.js';
import { hashString, seededRandom } from './rng.js';
import { type ColumnProfile, markValidProfile, PROFILE_KIND, PROFILE_SCHEMA_VERSION, type Profile } from './schema.js';
import { byCountThenValue, finishMoments, quantileSorted } from './summary.js';
import { tokenize } from './tokenize.js';

/** Options of {@link createProfile} and {@link createProfileBuilder}. */
export interface ProfileOptions {
  /** Column type overrides and the target/prediction columns. @default types inferred from the values (of the first batch) */
  columnMapping?: ColumnMapping;
  /** Raw values kept per column in the reservoir sample. @default 10000 */
  sampleSize?: number;
  /** Seed of the reservoir sampling and the sketches, so the same data always gives the same profile. @default 42 */
  seed?: number;
  /** Most frequent categories kept per categorical/boolean column; the rest are summed as `otherCount`. @default 100 */
  topCategories?: number;
  /** Most frequent tokens kept per text column. @default 200 */
  topTokens?: number;
  /**
   * Accuracy of the numerical columns' quantile sketch (KLL): rank error ≤ `kllRankError(sketchK)` (0.36 % at the
   * default) with 99 % confidence; about 3 × sketchK values are kept per column. @default 1000
   */
  sketchK?: number;
  /** Timestamp recorded in the profile; left out by default so a profile depends on its data only. @default undefined */
  createdAt?: string;
}

/** Builds a profile from data that arrives in batches (row groups, record batches, partitions) in bounded memory. */
export interface ProfileBuilder {
  /** Adds a batch (columns or records). Column types are decided by the first batch (or the column mapping). */
  add(batch: DataInput): this;
  /** Rows added so far. */
  readonly rows: number;
  /** The profile of every batch added (the builder can keep taking batches afterwards). */
  finish(): Profile;
}

export const PROFILE_DEFAULTS = { sampleSize: 10_000, seed: 42, topCategories: 100, topTokens: 200, sketchK: 1000 };

/** Distinct values counted exactly (in a Set) per column before the count falls back to the HyperLogLog estimate. */
const EXACT_DISTINCT_LIMIT = 65_536;
/** Counts tracked per categorical column / tokens per text column, as multiples of what the profile keeps. */
const TRACKED_FACTOR = 10;
const MIN_TRACKED = 1000;

type Resolved = Required<Omit<ProfileOptions, 'createdAt' | 'columnMapping'>> & Pick<ProfileOptions, 'createdAt'>;

interface Accumulator {
  name: string;
  type: ColumnType;
  role: ColumnRole;
  add(values: ArrayLike<unknown> | undefined, rows: number): void;
  finish(): ColumnProfile;
}

/**
 * Creates a {@link ProfileBuilder}. Memory stays bounded whatever the number of rows: per column a reservoir sample
 * (`sampleSize`), a KLL quantile sketch (numerical and datetime columns), a HyperLogLog distinct count, and bounded
 * category/token counts; means and standard deviations are exact. Feeding the rows of `createProfile(data)` in any
 * number of batches gives the same counts, samples, means and standard deviations; quartiles and distinct counts
 * are exact until the sketches start to summarise (see the README).
 */
export function createProfileBuilder(options: ProfileOptions = {}): ProfileBuilder {
  return profileBuilder(options, false);
}

/** The builder behind both entry points; `exact` (createProfile's single batch) keeps v1's exact counts. */
export function profileBuilder(options: ProfileOptions, exact: boolean): ProfileBuilder {
  const opts = resolveOptions(options);
  let accumulators: Accumulator[] | null = null;
  let rows = 0;
  return {
    add(batch) {
      const raw = toRawColumns(batch);
      if (accumulators === null && raw.columns.length === 0) {
        // nothing to type yet (no rows, or records without keys): the columns come with the first batch that has
        // some, and these rows count as missing in each of them
        rows += raw.rows;
        return this;
      }
      if (accumulators === null) {
        accumulators = resolveColumns(raw.columns, options.columnMapping).map((c) =>
          createAccumulator(c.name, c.type, c.role, opts, exact),
        );
        if (rows > 0) for (const acc of accumulators) acc.add(undefined, rows);
      } else {
        const known = new Set(accumulators.map((a) => a.name));
        const excluded = new Set(options.columnMapping?.exclude ?? []);
        for (const c of raw.columns) {
          if (!known.has(c.name) && !excluded.has(c.name)) {
            throw new DriftError(
              'INVALID_INPUT',
              `column "${c.name}" is not in the first batch: a profile's columns are fixed by its first batch`,
            );
          }
        }
      }
      const byName = new Map(raw.columns.map((c) => [c.name, c.values]));
      for (const acc of accumulators) acc.add(byName.get(acc.name), raw.rows);
      rows += raw.rows;
      return this;
    },
    get rows() {
      return rows;
    },
    finish() {
      const profile: Profile = {
        kind: PROFILE_KIND,
        schemaVersion: PROFILE_SCHEMA_VERSION,
        rows,
        sampleSize: opts.sampleSize,
        seed: opts.seed,
        columns: (accumulators ?? []).map((a) => a.finish()),
      };
      if (opts.createdAt !== undefined) profile.createdAt = opts.createdAt;
      return markValidProfile(profile);
    },
  };
}

/**
 * The options of {@link createProfile} / {@link createProfileBuilder} as zod checks them: out-of-range values are
 * `DriftError('INVALID_INPUT')` with the field, never a profile that `parseProfile` would refuse (a NaN or
 * fractional seed was written as is). The column mapping is checked where the columns are resolved.
 */
const profileOptionsSchema = z.strictObject({
  columnMapping: z.unknown().optional(),
  sampleSize: z
    .number()
    .int()
    .min(1)
    .max(2 ** 32 - 1)
    .optional(),
  seed: z.number().int().optional(),
  topCategories: z.number().int().min(0).max(10_000_000).optional(),
  topTokens: z.number().int().min(0).max(10_000_000).optional(),
  sketchK: z.number().int().min(8).max(65_535).optional(),
  createdAt: z.string().optional(),
});

export function resolveOptions(options: ProfileOptions): Resolved {
  parseOptions(profileOptionsSchema, options, 'profile');
  // undefined fields take the defaults (as omitted ones)
  const given = Object.fromEntries(Object.entries(options ?? {}).filter(([, v]) => v !== undefined));
  return { ...PROFILE_DEFAULTS, ...given } as Resolved;
}

/** Seed of a column's sketch: derived from the profile seed and the column name, like the reservoir's. */
export function sketchSeed(seed: number, name: string): number {
  return hashString(`kll:${name}`, seed >>> 0);
}

function createAccumulator(
  name: string,
  type: ColumnType,
  role: ColumnRole,
  opts: Resolved,
  exact: boolean,
): Accumulator {
  return type === 'numerical' || type === 'datetime'
    ? numericAccumulator(name, type, role, opts, exact)
    : stringAccumulator(name, type, role, opts, exact);
}

function numericAccumulator(
  name: string,
  type: ColumnType,
  role: ColumnRole,
  opts: Resolved,
  exact: boolean,
): Accumulator {
  let count = 0;
  let missing = 0;
  let n = 0;
  let mean = 0;
  let m2 = 0;
  let scaled = false;
  // The reservoir of createReservoir (algorithm R, same seeded generator, so the same sample), inlined: this loop
  // runs once per value of a tall reference.
  const capacity = opts.sampleSize;
  const random = seededRandom(hashString(name, opts.seed >>> 0));
  let slotValues = new Float64Array(Math.min(capacity, 1 << 16));
  let filled = 0;
  const sketch = new KllSketch(opts.sketchK, sketchSeed(opts.seed, name));
  const hll = new HyperLogLog();
  let distinct: Set<number> | null = new Set<number>();
  // createProfile's single in-memory batch keeps its values for exact quartiles, as schema version 1 did.
  const kept: Float64Array[] = [];
  return {
    name,
    type,
    role,
    add(values, rows) {
      count += rows;
      if (values === undefined) {
        missing += rows;
        return;
      }
      const numbers = typeColumn(name, type, role, values).numbers as Float64Array;
      missing += rows - numbers.length;
      for (let i = 0; i < numbers.length; i++) {
        const x = numbers[i] as number;
        n++;
        if (scaled || x > MOMENT_BIG || x < -MOMENT_BIG) {
          // squares of deviations this large overflow: the moments continue on values scaled by 2^-600
          if (!scaled) {
            scaled = true;
            mean *= MOMENT_DOWN;
            m2 = m2 * MOMENT_DOWN * MOMENT_DOWN;
          }
          const xs = x * MOMENT_DOWN;
          const d = xs - mean;
          mean += d / n;
          m2 += d * (xs - mean);
        } else {
          const d = x - mean;
          mean += d / n;
          m2 += d * (x - mean);
        }
        if (filled < capacity) {
          if (filled === slotValues.length) {
            const grown = new Float64Array(Math.min(capacity, 2 * slotValues.length));
            grown.set(slotValues);
            slotValues = grown;
          }
          slotValues[filled++] = x;
        } else {
          const j = Math.floor(random() * n);
          if (j < capacity) slotValues[j] = x;
        }
        hll.addNumber(x);
      }
      if (distinct !== null) {
        for (let i = 0; i < numbers.length; i++) distinct.add(numbers[i] as number);
        if (!exact && distinct.size > EXACT_DISTINCT_LIMIT) distinct = null;
      }
      sketch.updateMany(numbers);
      if (exact) kept.push(numbers);
    },
    finish() {
      const out: ColumnProfile = {
        name,
        type,
        role,
        count,
        missing,
        distinct: distinct !== null ? distinct.size : hll.estimate(),
        sample: Array.from(slotValues.subarray(0, filled).sort()),
        numeric: null,
      };
      // A sample that holds every value is the data itself: the sketches would repeat it (mergeProfiles rebuilds
      // them from the sample), so small profiles stay as small as in schema version 1.
      const complete = filled === n;
      if (!complete) out.distinctSketch = hll.toBase64();
      if (n > 0) {
        let q: (p: number) => number;
        if (exact && !sketch.exact) {
          const all = new Float64Array(n);
          let o = 0;
          for (const part of kept) {
            all.set(part, o);
            o += part.length;
          }
          all.sort();
          q = (p) => quantileSorted(all, p);
        } else {
          const view = sketch.sortedView();
          q = (p) => sortedViewQuantile(view, p);
        }
        out.numeric = {
          ...finishMoments(n, mean, m2, scaled),
          min: sketch.min,
          q25: q(0.25),
          q50: q(0.5),
          q75: q(0.75),
          max: sketch.max,
        };
        if (!complete) out.sketch = sketch.toJSON();
      }
      return out;
    },
  };
}

function stringAccumulator(
  name: string,
  type: ColumnType,
  role: ColumnRole,
  opts: Resolved,
  exact: boolean,
): Accumulator {
  let count = 0;
  let missing = 0;
  const reservoir = createReservoir<string>(opts.sampleSize, opts.seed, name);
  const hll = new HyperLogLog();
  const text = type === 'text';
  const unbounded = Number.POSITIVE_INFINITY;
  const values = text
    ? null
    : new FrequentItems(exact ? unbounded : Math.max(opts.topCategories * TRACKED_FACTOR, MIN_TRACKED));
  let distinctTexts: Set<string> | null = text ? new Set<string>() : null;
  const tokens = text
    ? new FrequentItems(exact ? unbounded : Math.max(opts.topTokens * TRACKED_FACTOR, MIN_TRACKED))
    : null;
  const vocabulary = new HyperLogLog();
  let tokenTotal = 0;
  let chars = 0;
  let minLength = Number.POSITIVE_INFINITY;
  let maxLength = 0;
  return {
    name,
    type,
    role,
    add(raw, rows) {
      count += rows;
      if (raw === undefined) {
        missing += rows;
        return;
      }
      const strings = typeColumn(name, type, role, raw).strings as string[];
      missing += rows - strings.length;
      for (const s of strings) {
        reservoir.add(s);
        hll.addString(s);
        if (values) values.add(s);
        else {
          if (distinctTexts !== null) {
            distinctTexts.add(s);
            if (!exact && distinctTexts.size > EXACT_DISTINCT_LIMIT) distinctTexts = null;
          }
          const words = tokenize(s);
          tokenTotal += words.length;
          chars += s.length;
          if (s.length < minLength) minLength = s.length;
          if (s.length > maxLength) maxLength = s.length;
          for (const w of words) {
            tokens!.add(w);
            vocabulary.addString(w);
          }
        }
      }
    },
    finish() {
      const present = count - missing;
      const out: ColumnProfile = {
        name,
        type,
        role,
        count,
        missing,
        distinct: 0,
        sample: reservoir.values(),
      };
      const complete = reservoir.seen === out.sample.length; // the sample is the data: no sketch needed
      if (!complete) out.distinctSketch = hll.toBase64();
      if (values) {
        out.distinct = values.error === 0 ? values.counts.size : hll.estimate();
        const top = topCounts(values, opts.topCategories);
        const kept = top.reduce((s, x) => s + x.count, 0);
        out.categories = { top, otherCount: present - kept };
        if (values.error > 0) out.categories.countError = values.error;
      } else {
        const t = tokens as FrequentItems;
        out.distinct = distinctTexts !== null ? distinctTexts.size : hll.estimate();
        out.text = {
          meanTokens: present > 0 ? tokenTotal / present : 0,
          meanLength: present > 0 ? chars / present : 0,
          minLength: present > 0 ? minLength : 0,
          maxLength,
          vocabularySize: t.error === 0 ? t.counts.size : vocabulary.estimate(),
          topTokens: topCounts(t, opts.topTokens).map(({ value, count }) => ({ token: value, count })),
        };
        if (!complete) out.text.vocabularySketch = vocabulary.toBase64();
        if (t.error > 0) out.text.tokenCountError = t.error;
      }
      return out;
    },
  };
}

/** The `limit` largest counts, most frequent first (ties by value, as schema version 1 sorted them). */
export function topCounts(items: FrequentItems, limit: number): { value: string; count: number }[] {
  return [...items.counts]
    .map(([value, count]) => ({ value, count }))
    .sort(byCountThenValue)
    .slice(0, limit);
}
