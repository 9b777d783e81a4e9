import { evidentlyFloor, linspace } from '../_internal/binning.js';
import { kstwoSf } from '../_internal/kolmogorov.js';
import type { DriftHistogram, DriftTestName } from '../detect/schema.js';
import { sortedHistogram, sortedValues } from '../detect/sorted.js';
import type { StatOutcome } from '../detect/stat-tests.js';
import type { TypedColumn } from '../profile/input.js';
import type { ColumnProfile } from '../profile/schema.js';
import { equalEdges } from '../profile/summary.js';
import { KllSketch, type SketchView, viewCountBelow, viewInterpolatedCdf, viewRankCount } from './kll.js';

/**
 * What a profile column adds to its prepared reference when its quantile sketch stands for more data than its
 * reservoir sample holds: the sketch's sorted view (the drift tests below walk it instead of the sample) and the
 * exact population standard deviation (Wasserstein's normaliser), or every value when the sketch still holds them
 * all. A sample that holds every value is exact and is used as before; version-1 profiles have no sketch.
 */
export function referenceSketch(c: ColumnProfile): Pick<TypedColumn, 'sketch' | 'std' | 'numbers' | 'sorted'> {
  const present = c.count - c.missing;
  if (!c.sketch || !c.numeric || c.sample.length >= present || c.sketch.n !== present) return {};
  const view = KllSketch.fromJSON(c.sketch).sortedView();
  // A sketch that never compacted holds every value: the exact tests run on them.
  if (view.exact) return { numbers: view.values, sorted: view.values };
  const std = present > 1 ? c.numeric.std * Math.sqrt((present - 1) / present) : 0;
  return { sketch: view, std };
}

/** The tests that use a sketched reference (the others use the reservoir sample). */
export const SKETCH_TESTS: ReadonlySet<DriftTestName> = new Set(['ks', 'wasserstein', 'psi']);

/**
 * KS, Wasserstein (normalised) and PSI (Evidently's Sturges bins) of a sketched reference against the exact current
 * values; null for the other tests, which use the reservoir sample. The reference CDF is the sketch's, off by at most
 * the rank error ε = kllRankError(k) anywhere, so the KS statistic is within ε of the exact one on the full data.
 */
export function runSketchTest(test: DriftTestName, ref: TypedColumn, cur: TypedColumn): StatOutcome | null {
  const view = ref.sketch;
  if (!view || !cur.numbers || cur.numbers.length === 0) return null;
  switch (test) {
    case 'ks': {
      const d = sketchKs(view, sortedValues(cur, test));
      const m = cur.numbers.length;
      // scipy's asymptotic two-sided p-value: kstwo.sf(D, round(n·m / (n + m)))
      const en = Math.round((view.n * m) / (view.n + m));
      return { statistic: d, pValue: en >= 1 ? Math.min(Math.max(kstwoSf(en, d), 0), 1) : null };
    }
    case 'wasserstein': {
      const w = sketchWasserstein(view, sortedValues(cur, test));
      return { statistic: w / Math.max(ref.std ?? 0, 0.001), pValue: null };
    }
    case 'psi':
      return { statistic: sketchPsi(view, sortedValues(cur, test)), pValue: null };
    default:
      return null;
  }
}

/** sup |F_ref − F_cur| over every value of either side. */
export function sketchKs(view: SketchView, cur: Float64Array): number {
  const rv = view.values;
  const n = view.n;
  const m = cur.length;
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < rv.length || j < m) {
    const a = i < rv.length ? (rv[i] as number) : Number.POSITIVE_INFINITY;
    const b = j < m ? (cur[j] as number) : Number.POSITIVE_INFINITY;
    const v = Math.min(a, b);
    while (i < rv.length && (rv[i] as number) <= v) i++;
    while (j < m && (cur[j] as number) <= v) j++;
    const fr = i === 0 ? 0 : (view.cumulative[i - 1] as number) / n;
    const diff = Math.abs(fr - j / m);
    if (diff > d) d = diff;
  }
  return d;
}

/** ∫ |F_ref(x) − F_cur(x)| dx (scipy.stats.wasserstein_distance, with the sketch's CDF for the reference). */
export function sketchWasserstein(view: SketchView, cur: Float64Array): number {
  const rv = view.values;
  const n = view.n;
  const m = cur.length;
  let i = 0;
  let j = 0;
  let area = 0;
  let prev = Number.NaN;
  let gap = 0;
  while (i < rv.length || j < m) {
    const a = i < rv.length ? (rv[i] as number) : Number.POSITIVE_INFINITY;
    const b = j < m ? (cur[j] as number) : Number.POSITIVE_INFINITY;
    const v = Math.min(a, b);
    if (!Number.isNaN(prev)) area += gap * (v - prev);
    while (i < rv.length && (rv[i] as number) <= v) i++;
    while (j < m && (cur[j] as number) <= v) j++;
    const fr = i === 0 ? 0 : (view.cumulative[i - 1] as number) / n;
    gap = Math.abs(fr - j / m);
    prev = v;
  }
  return area;
}

/**
 * Reference weight per bin [eᵢ, eᵢ₊₁) (the last closed) on the sketch's interpolated CDF; rounded to whole counts
 * (summing to n) for reports.
 */
function viewHistogram(view: SketchView, edges: ArrayLike<number>, round: boolean): number[] {
  const bins = edges.length - 1;
  const counts = new Array<number>(bins);
  const at = (x: number) => (round ? Math.round(viewInterpolatedCdf(view, x)) : viewInterpolatedCdf(view, x));
  let start = at(edges[0] as number);
  if ((edges[0] as number) <= view.min) start = 0;
  for (let b = 0; b < bins; b++) {
    const end = b === bins - 1 && (edges[bins] as number) >= view.max ? view.n : at(edges[b + 1] as number);
    counts[b] = end - start;
    start = end;
  }
  return counts;
}

/** Evidently's PSI with numpy's Sturges bins over both samples (one bin per value for ≤ 20 distinct values). */
export function sketchPsi(view: SketchView, cur: Float64Array): number {
  const m = cur.length;
  let refShares: Float64Array;
  let curShares: Float64Array;
  const distinct = distinctUpTo(view.values, 20);
  if (distinct !== null) {
    // one bin per value seen on either side
    const keys = [...new Set([...distinct, ...distinctUpTo(cur, Number.POSITIVE_INFINITY)!])].sort((x, y) => x - y);
    refShares = Float64Array.from(keys, (k) => (viewRankCount(view, k) - viewCountBelow(view, k)) / view.n);
    curShares = Float64Array.from(keys, (k) => (countAtMost(cur, k) - countBelow(cur, k)) / m);
  } else {
    const min = Math.min(view.min, cur[0] as number);
    const max = Math.max(view.max, cur[m - 1] as number);
    const width = (max - min) / (Math.log2(view.n + m) + 1);
    let first = min;
    let last = max;
    if (first === last) {
      first -= 0.5;
      last += 0.5;
    }
    const nBins = width ? Math.ceil((last - first) / width) : 1;
    const edges = Array.from(linspace(first, last, nBins + 1));
    refShares = Float64Array.from(viewHistogram(view, edges, false), (c) => c / view.n);
    curShares = Float64Array.from(sortedHistogram(cur, edges), (c) => c / m);
  }
  const r = evidentlyFloor(refShares);
  const c = evidentlyFloor(curShares);
  let s = 0;
  for (let i = 0; i < r.length; i++)
    s += ((c[i] as number) - (r[i] as number)) * Math.log((c[i] as number) / (r[i] as number));
  return s;
}

function distinctUpTo(values: ArrayLike<number>, limit: number): number[] | null {
  const seen = new Set<number>();
  for (let i = 0; i < values.length; i++) {
    seen.add((values[i] as number) === 0 ? 0 : (values[i] as number));
    if (seen.size > limit) return null;
  }
  return [...seen];
}

function countBelow(a: Float64Array, x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((a[mid] as number) < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function countAtMost(a: Float64Array, x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((a[mid] as number) <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The report's histogram of a sketched reference: equal-width bins over both sides, reference counts from the sketch. */
export function sketchHistogram(ref: TypedColumn, cur: TypedColumn, bins: number): DriftHistogram | null {
  const view = ref.sketch;
  if (!view || !cur.numbers || cur.numbers.length === 0 || distinctUpTo(view.values, 10) !== null) return null;
  const cs = sortedValues(cur, 'histogram');
  const edges = equalEdges(Math.min(view.min, cs[0] as number), Math.max(view.max, cs[cs.length - 1] as number), bins);
  return { kind: 'numeric', edges, reference: viewHistogram(view, edges, true), current: sortedHistogram(cs, edges) };
}
