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

/** Options of {@link mergeProfiles}. */
export interface MergeProfilesOptions {
  /** Most frequent categories kept per categorical/boolean column. @default 100 */
  topCategories?: number;
  /** Most frequent tokens kept per text column. @default 200 */
  topTokens?: number;
  /** Timestamp recorded in the merged profile. @default undefined */
  createdAt?: string;
}

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
  const hll = mergeHll(a, b);
  if (hll) out.distinctSketch = hll.toBase64();
  if (numeric) {
    mergeNumeric(a, b, out, seed);
  } else if (a.type === 'text') {
    mergeText(a, b, out, opts.topTokens);
    out.distinct = distinctFrom(hll, a, b);
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
    out.distinct = truncated ? distinctFrom(hll, a, b) : items.counts.size;
  }
  return out;
}

function distinctFrom(hll: HyperLogLog | null, a: ColumnProfile, b: ColumnProfile): number {
  if (present(a) === 0) return b.distinct;
  if (present(b) === 0) return a.distinct;
  if (!hll) throw needs('distinct-count sketch', a.distinctSketch ? b : a);
  return hll.estimate();
}

function mergeHll(a: ColumnProfile, b: ColumnProfile): HyperLogLog | null {
  if (!a.distinctSketch || !b.distinctSketch) return null;
  return HyperLogLog.fromBase64(a.distinctSketch).merge(HyperLogLog.fromBase64(b.distinctSketch));
}

function mergeNumeric(a: ColumnProfile, b: ColumnProfile, out: ColumnProfile, seed: number): void {
  const na = present(a);
  const nb = present(b);
  if (na === 0 || nb === 0) {
    const only = na === 0 ? b : a;
    out.numeric = only.numeric ?? null;
    if (only.sketch) out.sketch = only.sketch;
    out.distinct = only.distinct;
    return;
  }
  if (!a.sketch || !b.sketch) throw needs('quantile sketch', a.sketch ? b : a);
  if (!a.numeric || !b.numeric) throw needs('numeric summary', a.numeric ? b : a);
  const sa = KllSketch.fromJSON(a.sketch, sketchSeed(seed, a.name));
  const sb = KllSketch.fromJSON(b.sketch, sketchSeed(seed, b.name));
  const bothExact = sa.exact && sb.exact;
  const sketch = sa.merge(sb);
  const view = sketch.sortedView();
  const n = na + nb;
  const delta = b.numeric.mean - a.numeric.mean;
  const m2a = a.numeric.std ** 2 * (na - 1);
  const m2b = b.numeric.std ** 2 * (nb - 1);
  const m2 = m2a + m2b + (delta * delta * na * nb) / n;
  out.numeric = {
    mean: a.numeric.mean + (delta * nb) / n,
    std: n > 1 ? Math.sqrt(m2 / (n - 1)) : 0,
    min: Math.min(a.numeric.min, b.numeric.min),
    q25: sortedViewQuantile(view, 0.25),
    q50: sortedViewQuantile(view, 0.5),
    q75: sortedViewQuantile(view, 0.75),
    max: Math.max(a.numeric.max, b.numeric.max),
  };
  out.sketch = sketch.toJSON();
  if (bothExact) {
    // Both parts are held whole by their sketches: the distinct count of the union is exact.
    const all = new Set<number>();
    for (const part of [a.sketch, b.sketch]) for (const level of part.levels) for (const x of level) all.add(x);
    out.distinct = all.size;
  } else {
    out.distinct = distinctFrom(mergeHll(a, b), a, b);
  }
}

function mergeText(a: ColumnProfile, b: ColumnProfile, out: ColumnProfile, topTokens: number): void {
  const na = present(a);
  const nb = present(b);
  const ta = a.text;
  const tb = b.text;
  if (!ta || !tb || na === 0 || nb === 0) {
    const only = na === 0 ? tb : ta;
    if (only) out.text = only;
    return;
  }
  const n = na + nb;
  const { items } = mergeCounts(
    ta.topTokens.map((t) => ({ value: t.token, count: t.count })),
    ta.tokenCountError ?? 0,
    ta.vocabularySize > ta.topTokens.length,
    tb.topTokens.map((t) => ({ value: t.token, count: t.count })),
    tb.tokenCountError ?? 0,
    tb.vocabularySize > tb.topTokens.length,
  );
  const complete =
    (ta.tokenCountError ?? 0) === 0 &&
    (tb.tokenCountError ?? 0) === 0 &&
    ta.vocabularySize === ta.topTokens.length &&
    tb.vocabularySize === tb.topTokens.length;
  let vocabularySize: number;
  let vocabularySketch: string | undefined;
  if (ta.vocabularySketch && tb.vocabularySketch) {
    const v = HyperLogLog.fromBase64(ta.vocabularySketch).merge(HyperLogLog.fromBase64(tb.vocabularySketch));
    vocabularySketch = v.toBase64();
    vocabularySize = complete ? items.counts.size : v.estimate();
  } else if (complete) vocabularySize = items.counts.size;
  else throw needs('vocabulary sketch', ta.vocabularySketch ? b : a);
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
