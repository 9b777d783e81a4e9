import { z } from 'zod';
import { parseOptions } from '../_internal/options.js';
import { unitScaleFor } from '../_internal/scale.js';
import { DriftError } from '../errors.js';
import { FrequentItems } from '../sketch/frequent.js';
import { HyperLogLog } from '../sketch/hll.js';
import { KllSketch, sortedViewQuantile } from '../sketch/kll.js';
import { PROFILE_DEFAULTS, sketchSeed, topCounts } from './builder.js';
import { hashString, seededRandom } from './rng.js';
import {
  type ColumnProfile,
  ensureProfile,
  markValidProfile,
  PROFILE_KIND,
  PROFILE_SCHEMA_VERSION,
  type Profile,
} from './schema.js';
import { quantileSorted } from './summary.js';
import { tokenize } from './tokenize.js';

/** Options of {@link mergeProfiles}. */
export interface MergeProfilesOptions {
  /** Most frequent categories kept per categorical/boolean column. @default 100 */
  topCategories?: number;
  /** Most frequent tokens kept per text column. @default 200 */
  topTokens?: number;
  /** Timestamp recorded in the merged profile. @default undefined */
  createdAt?: string;
}

const mergeOptionsSchema = z.strictObject({
  topCategories: z.number().int().min(0).max(10_000_000).optional(),
  topTokens: z.number().int().min(0).max(10_000_000).optional(),
  createdAt: z.string().optional(),
});

/**
 * Combines the profiles of two disjoint parts of a dataset (partitions profiled in parallel, nightly batches) into
 * the profile of their union: counts and missing values add up, means and standard deviations are exact (Chan et
 * al.'s pairwise update), the quantile and distinct-count sketches merge with their error bounds, the reservoir
 * samples merge into a uniform sample of the union (seeded: the same inputs give the same profile), and category
 * and token counts add up with their `countError`. Both profiles need the same columns (name, type, role), and
 * schema version 2 sketches: a version-1 profile has none, profile its data again. `mergeProfiles` is associative
 * up to the sketches' randomness, so `parts.reduce((a, b) => mergeProfiles(a, b))` combines any number of parts.
 */
export function mergeProfiles(a: Profile, b: Profile, options: MergeProfilesOptions = {}): Profile {
  parseOptions(mergeOptionsSchema, options, 'mergeProfiles');
  const pa = ensureProfile(a);
  const pb = ensureProfile(b);
  const byName = new Map(pb.columns.map((c) => [c.name, c]));
  const names = (p: Profile) => p.columns.map((c) => c.name).sort();
  if (names(pa).join('\u0000') !== names(pb).join('\u0000')) {
    throw new DriftError(
      'INVALID_INPUT',
      `mergeProfiles: the profiles have different columns ([${names(pa).join(', ')}] and [${names(pb).join(', ')}])`,
    );
  }
  const sampleSize = Math.min(pa.sampleSize, pb.sampleSize);
  const opts = {
    topCategories: options.topCategories ?? PROFILE_DEFAULTS.topCategories,
    topTokens: options.topTokens ?? PROFILE_DEFAULTS.topTokens,
  };
  const merged: Profile = {
    kind: PROFILE_KIND,
    schemaVersion: PROFILE_SCHEMA_VERSION,
    rows: pa.rows + pb.rows,
    sampleSize,
    seed: pa.seed,
    columns: pa.columns.map((ca) => {
      const cb = byName.get(ca.name) as ColumnProfile;
      if (ca.type !== cb.type || ca.role !== cb.role) {
        throw new DriftError(
          'INVALID_INPUT',
          `mergeProfiles: column "${ca.name}" is ${ca.type}/${ca.role} in one profile and ${cb.type}/${cb.role} in the other`,
        );
      }
      return mergeColumn(ca, cb, sampleSize, pa.seed, opts);
    }),
  };
  if (options.createdAt !== undefined) merged.createdAt = options.createdAt;
  return markValidProfile(merged);
}

function present(c: ColumnProfile): number {
  return c.count - c.missing;
}

function needs(what: string, c: ColumnProfile): DriftError {
  return new DriftError(
    'INVALID_INPUT',
    `mergeProfiles: column "${c.name}" has no ${what} (a schemaVersion 1 profile, or one built before sketches): profile its data again with this release to merge it`,
  );
}

function mergeColumn(
  a: ColumnProfile,
  b: ColumnProfile,
  sampleSize: number,
  seed: number,
  opts: { topCategories: number; topTokens: number },
): ColumnProfile {
  const random = seededRandom(hashString(`merge:${a.name}:${present(a)}:${present(b)}`, seed >>> 0));
  const numeric = a.type === 'numerical' || a.type === 'datetime';
  const out: ColumnProfile = {
    name: a.name,
    type: a.type,
    role: a.role,
    count: a.count + b.count,
    missing: a.missing + b.missing,
    distinct: 0,
    sample: mergeSamples(a, b, sampleSize, random, numeric),
  };
  if (present(a) === 0 || present(b) === 0) {
    // one side has no values: the other side's summaries are the union's
    const { name: _n, type: _t, role: _r, count: _c, missing: _m, sample: _s, ...rest } = present(a) === 0 ? b : a;
    return { ...out, ...rest };
  }
  // The union's sample holds every value when both parts fit in it: no sketch is stored then (as createProfile).
  const outComplete = out.sample.length === present(out);
  const exact = exactUnion(a, b);
  if (exact !== null) out.distinct = exact;
  if (exact === null || !outComplete) {
    const ha = hllOf(a);
    const hb = hllOf(b);
    if (!ha || !hb) throw needs('distinct-count sketch', ha ? b : a);
    const hll = ha.merge(hb);
    if (exact === null) out.distinct = hll.estimate();
    if (!outComplete) out.distinctSketch = hll.toBase64();
  }
  if (numeric) {
    mergeNumeric(a, b, out, seed, outComplete);
  } else if (a.type === 'text') {
    mergeText(a, b, out, opts.topTokens, outComplete);
  } else {
    const ca = a.categories ?? { top: [], otherCount: 0 };
    const cb = b.categories ?? { top: [], otherCount: 0 };
    const { items, truncated } = mergeCounts(
      ca.top,
      ca.countError ?? 0,
      ca.otherCount > 0,
      cb.top,
      cb.countError ?? 0,
      cb.otherCount > 0,
    );
    const top = topCounts(items, opts.topCategories);
    const kept = top.reduce((s, x) => s + x.count, 0);
    out.categories = { top, otherCount: present(out) - kept };
    if (items.error > 0) out.categories.countError = items.error;
    // Both lists complete: the union of their values is exact.
    if (!truncated) out.distinct = items.counts.size;
  }
  return out;
}

/** True when a column's reservoir sample holds every one of its values. */
function complete(c: ColumnProfile): boolean {
  return c.sample.length >= present(c);
}

/** Every distinct value of a part, when it is known exactly: a complete sample, or a sketch that never compacted. */
function exactValues(c: ColumnProfile): Set<number | string> | null {
  if (complete(c)) return new Set<number | string>(c.sample);
  if (c.sketch && c.sketch.levels.length === 1) return new Set<number | string>(c.sketch.levels[0]);
  return null;
}

/** The exact distinct count of the union when both parts' values are known, else null. */
function exactUnion(a: ColumnProfile, b: ColumnProfile): number | null {
  const ea = exactValues(a);
  const eb = exactValues(b);
  if (!ea || !eb) return null;
  for (const v of eb) ea.add(v);
  return ea.size;
}

/** A part's distinct-count sketch: stored, or built from a complete sample; null for a version-1 profile. */
function hllOf(c: ColumnProfile): HyperLogLog | null {
  if (c.distinctSketch) return HyperLogLog.fromBase64(c.distinctSketch);
  if (!complete(c)) return null;
  const h = new HyperLogLog();
  for (const v of c.sample) {
    if (typeof v === 'number') h.addNumber(v);
    else h.addString(v);
  }
  return h;
}

/** A part's quantile sketch: stored, or built from a complete sample. */
function kllOf(c: ColumnProfile, k: number, seed: number): KllSketch {
  if (c.sketch) return KllSketch.fromJSON(c.sketch, seed);
  if (!complete(c)) throw needs('quantile sketch', c);
  const s = new KllSketch(k, seed);
  s.updateMany(c.sample as number[]);
  return s;
}

function mergeNumeric(
  a: ColumnProfile,
  b: ColumnProfile,
  out: ColumnProfile,
  seed: number,
  outComplete: boolean,
): void {
  if (!a.numeric || !b.numeric) throw needs('numeric summary', a.numeric ? b : a);
  const na = present(a);
  const nb = present(b);
  const k = a.sketch?.k ?? b.sketch?.k ?? PROFILE_DEFAULTS.sketchK;
  const sketch = kllOf(a, k, sketchSeed(seed, a.name)).merge(kllOf(b, k, sketchSeed(seed, b.name)));
  // quartiles: exact from the union's sample when it holds everything, else from the merged sketch
  const view = sketch.sortedView();
  const quantile = outComplete
    ? (q: number) => quantileSorted(Float64Array.from(out.sample as number[]), q)
    : (q: number) => sortedViewQuantile(view, q);
  const { mean, std } = chanMoments(a.numeric, na, b.numeric, nb);
  out.numeric = {
    mean,
    std,
    min: Math.min(a.numeric.min, b.numeric.min),
    q25: quantile(0.25),
    q50: quantile(0.5),
    q75: quantile(0.75),
    max: Math.max(a.numeric.max, b.numeric.max),
  };
  if (!outComplete) out.sketch = sketch.toJSON();
}

/** A text part's vocabulary sketch: stored, or built from the tokens of a complete sample. */
function vocabularyOf(c: ColumnProfile): HyperLogLog | null {
  if (c.text?.vocabularySketch) return HyperLogLog.fromBase64(c.text.vocabularySketch);
  if (!complete(c)) return null;
  const h = new HyperLogLog();
  for (const t of c.sample as string[]) for (const w of tokenize(t)) h.addString(w);
  return h;
}

function mergeText(a: ColumnProfile, b: ColumnProfile, out: ColumnProfile, topTokens: number, outComplete: boolean) {
  const na = present(a);
  const nb = present(b);
  const ta = a.text;
  const tb = b.text;
  if (!ta || !tb) throw needs('text summary', ta ? b : a);
  const n = na + nb;
  const { items } = mergeCounts(
    ta.topTokens.map((t) => ({ value: t.token, count: t.count })),
    ta.tokenCountError ?? 0,
    ta.vocabularySize > ta.topTokens.length,
    tb.topTokens.map((t) => ({ value: t.token, count: t.count })),
    tb.tokenCountError ?? 0,
    tb.vocabularySize > tb.topTokens.length,
  );
  const listsComplete =
    (ta.tokenCountError ?? 0) === 0 &&
    (tb.tokenCountError ?? 0) === 0 &&
    ta.vocabularySize === ta.topTokens.length &&
    tb.vocabularySize === tb.topTokens.length;
  let vocabularySize = items.counts.size;
  let vocabularySketch: string | undefined;
  if (!listsComplete || !outComplete) {
    const va = vocabularyOf(a);
    const vb = vocabularyOf(b);
    if (!va || !vb) throw needs('vocabulary sketch', va ? b : a);
    const v = va.merge(vb);
    if (!listsComplete) vocabularySize = v.estimate();
    if (!outComplete) vocabularySketch = v.toBase64();
  }
  out.text = {
    meanTokens: (ta.meanTokens * na + tb.meanTokens * nb) / n,
    meanLength: (ta.meanLength * na + tb.meanLength * nb) / n,
    minLength: Math.min(ta.minLength, tb.minLength),
    maxLength: Math.max(ta.maxLength, tb.maxLength),
    vocabularySize,
    topTokens: topCounts(items, topTokens).map(({ value, count }) => ({ token: value, count })),
  };
  if (vocabularySketch) out.text.vocabularySketch = vocabularySketch;
  if (items.error > 0) out.text.tokenCountError = items.error;
}

/**
 * Adds two bounded count lists. A listed count is a lower bound at most `error` below the truth; a value missing
 * from a truncated list may occur up to (its smallest listed count + error) times there, so that much is added to
 * the merged error (a complete list adds only its own error).
 */
function mergeCounts(
  a: { value: string; count: number }[],
  errorA: number,
  truncatedA: boolean,
  b: { value: string; count: number }[],
  errorB: number,
  truncatedB: boolean,
): { items: FrequentItems; truncated: boolean } {
  const items = new FrequentItems(Number.POSITIVE_INFINITY);
  for (const x of a) items.add(x.value, x.count);
  for (const x of b) items.add(x.value, x.count);
  const unlisted = (list: { count: number }[], error: number, truncated: boolean) =>
    truncated ? (list.length > 0 ? Math.min(...list.map((x) => x.count)) : 0) + error : error;
  items.error = unlisted(a, errorA, truncatedA) + unlisted(b, errorB, truncatedB);
  return { items, truncated: truncatedA || truncatedB || errorA > 0 || errorB > 0 };
}

/** A uniform sample of the union of two parts from uniform samples of each (sequential hypergeometric draws). */
function mergeSamples(
  a: ColumnProfile,
  b: ColumnProfile,
  sampleSize: number,
  random: () => number,
  numeric: boolean,
): number[] | string[] {
  const sa = shuffle([...a.sample] as (number | string)[], random);
  const sb = shuffle([...b.sample] as (number | string)[], random);
  let ra = present(a);
  let rb = present(b);
  const size = Math.min(sampleSize, ra + rb, sa.length + sb.length);
  const out: (number | string)[] = [];
  let ia = 0;
  let ib = 0;
  while (out.length < size) {
    const fromA = ib >= sb.length || (ia < sa.length && random() * (ra + rb) < ra);
    if (fromA) {
      out.push(sa[ia++] as number | string);
      ra--;
    } else {
      out.push(sb[ib++] as number | string);
      rb--;
    }
  }
  return numeric ? (out as number[]).sort((x, y) => x - y) : (out as string[]);
}

function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = items[i] as T;
    items[i] = items[j] as T;
    items[j] = t;
  }
  return items;
}

type Moments = { mean: number; std: number };

/**
 * Chan et al.'s pairwise combination of two (mean, sample std) summaries. Summaries of values near the top of the
 * double range (squares past ~1e308) are combined on a power-of-two scale and scaled back, as the builder does.
 */
function chanMoments(a: Moments, na: number, b: Moments, nb: number): Moments {
  const plain = combine(a, na, b, nb, 1);
  if (Number.isFinite(plain.mean) && Number.isFinite(plain.std)) return plain;
  const f = unitScaleFor(Math.max(Math.abs(a.mean), Math.abs(b.mean), a.std, b.std));
  const scaled = combine(a, na, b, nb, f);
  return { mean: scaled.mean / f, std: Math.min(scaled.std / f, Number.MAX_VALUE) };
}

function combine(a: Moments, na: number, b: Moments, nb: number, f: number): Moments {
  const n = na + nb;
  const ma = a.mean * f;
  const delta = b.mean * f - ma;
  const m2a = (a.std * f) ** 2 * (na - 1);
  const m2b = (b.std * f) ** 2 * (nb - 1);
  const m2 = m2a + m2b + (delta * delta * na * nb) / n;
  return { mean: ma + (delta * nb) / n, std: n > 1 ? Math.sqrt(m2 / (n - 1)) : 0 };
}
