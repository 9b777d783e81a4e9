// psi's quantile binning at scan speed: the reference's quantile edges without sorting it, and both samples' counts
// per bin, with the same numbers as sorting the reference (quantileInnerEdges) and searching every value
// (countOpenBins).

import { countOpenBins, linspace, quantileInnerEdgesUnsorted, selectInPlace } from './binning.js';
import { upperBound } from './sort.js';

/** Inner edges of the reference-quantile bins and both samples' counts per bin (bin k: inner[k−1] <= x < inner[k]). */
export interface QuantileBinCounts {
  inner: Float64Array;
  reference: Float64Array;
  current: Float64Array;
  /** Values counted in `current` (NaN excluded). */
  currentCount: number;
}

/** Below this many reference values the plain selection + binary searches are as fast. */
const BUCKETS_FROM = 2048;

/**
 * Quantile bins of `ref` (numpy linear quantiles at i/bins, repeated edges merged) and the counts of `ref` and `cur`
 * per bin, for NaN-free samples. The reference is counted into equal-width buckets over [min, max] (the bucket index
 * is monotone in the value), which tells which buckets hold the order statistics the quantiles interpolate; only
 * those buckets' values are gathered and selected in. The reference's counts per bin follow from the bucket counts;
 * the current sample is binned in one pass through a bucket → bin table (a binary search only for the few buckets an
 * edge falls in).
 */
export function quantileBinCounts(ref: Float64Array, cur: Float64Array, bins: number): QuantileBinCounts {
  const fast = ref.length >= BUCKETS_FROM && bins >= 2 ? bucketedCounts(ref, cur, bins) : null;
  if (fast !== null) return fast;
  const inner = quantileInnerEdgesUnsorted(ref, bins);
  return { inner, reference: countOpenBins(ref, inner), current: countOpenBins(cur, inner), currentCount: cur.length };
}

/**
 * {@link quantileBinCounts} of samples that have not been cleaned: NaN in `cur` are skipped (see `currentCount`);
 * null when `ref` holds a NaN, is small or degenerate, so the caller cleans both and calls quantileBinCounts.
 */
export function quantileBinCountsRaw(ref: Float64Array, cur: Float64Array, bins: number): QuantileBinCounts | null {
  return ref.length >= BUCKETS_FROM && bins >= 2 ? bucketedCounts(ref, cur, bins) : null;
}

function bucketedCounts(ref: Float64Array, cur: Float64Array, bins: number): QuantileBinCounts | null {
  const n = ref.length;
  let min = ref[0] as number;
  let max = min;
  for (let i = 0; i < n; i++) {
    const x = ref[i] as number;
    if (x < min) min = x;
    else if (x > max) max = x;
    else if (Number.isNaN(x)) return null; // NaN: clean first
  }
  const range = max - min;
  if (!(range > 0 && range < Number.POSITIVE_INFINITY)) return null;
  let buckets = 256;
  while (buckets < n / 16 && buckets < 1 << 16) buckets *= 2;
  const scale = (buckets - 1) / range;
  // prefix[k] = reference values in buckets before k (prefix[buckets] = n)
  const prefix = new Int32Array(buckets + 1);
  for (let i = 0; i < n; i++) prefix[((((ref[i] as number) - min) * scale) | 0) + 1]!++;
  for (let k = 0; k < buckets; k++) prefix[k + 1]! += prefix[k] as number;
  // The order statistics numpy's linear interpolation reads.
  const qs = linspace(0, 1, bins + 1);
  const ranks: number[] = [];
  for (let i = 1; i < bins; i++) {
    const virtual = (n - 1) * (qs[i] as number);
    if (virtual >= n - 1) ranks.push(n - 1);
    else if (virtual < 0) ranks.push(0);
    else ranks.push(Math.floor(virtual), Math.floor(virtual) + 1);
  }
  // Buckets holding those ranks; cursor[k] = 1 + write position in the gathered array (0: not gathered).
  const cursor = new Int32Array(buckets);
  const gatheredBuckets: number[] = [];
  let gathered = 0;
  for (const r of ranks) {
    const k = bucketOfRank(prefix, r, buckets);
    if (cursor[k] === 0) {
      cursor[k] = gathered + 1;
      gathered += (prefix[k + 1] as number) - (prefix[k] as number);
      gatheredBuckets.push(k);
    }
  }
  if (gathered > n / 2) return null;
  const work = new Float64Array(gathered);
  const start = new Map<number, number>();
  for (const k of gatheredBuckets) start.set(k, (cursor[k] as number) - 1);
  for (let i = 0; i < n; i++) {
    const x = ref[i] as number;
    const k = ((x - min) * scale) | 0;
    const at = cursor[k] as number;
    if (at !== 0) {
      work[at - 1] = x;
      cursor[k] = at + 1;
    }
  }
  // The r-th smallest reference value: selected inside its bucket's gathered values.
  const valueAt = new Map<number, number>();
  const orderStatistic = (r: number): number => {
    let v = valueAt.get(r);
    if (v === undefined) {
      const k = bucketOfRank(prefix, r, buckets);
      const lo = start.get(k) as number;
      const at = lo + r - (prefix[k] as number);
      selectInPlace(work, at, lo, lo + (prefix[k + 1] as number) - (prefix[k] as number) - 1);
      v = work[at] as number;
      valueAt.set(r, v);
    }
    return v;
  };
  const edges: number[] = [];
  for (let i = 1; i < bins; i++) {
    const e = interpolate(orderStatistic, n, qs[i] as number);
    if (edges.length === 0 || e !== edges[edges.length - 1]) edges.push(e);
  }
  const inner = Float64Array.from(edges);
  const m = inner.length;
  // Reference counts: #(ref < e) for every edge, from the bucket counts plus the gathered values of e's bucket.
  const below = new Float64Array(m + 1);
  for (let t = 0; t < m; t++) {
    const e = inner[t] as number;
    if (e <= min) below[t] = 0;
    else if (e > max) below[t] = n;
    else {
      const k = ((e - min) * scale) | 0;
      let c = prefix[k] as number;
      const lo = start.get(k);
      if (lo !== undefined) {
        const hi = lo + (prefix[k + 1] as number) - (prefix[k] as number);
        for (let i = lo; i < hi; i++) if ((work[i] as number) < e) c++;
      } else if (prefix[k + 1] !== prefix[k]) {
        return null; // an edge in a bucket of values that were not gathered: cannot happen for numpy's lerp
      }
      below[t] = c;
    }
  }
  below[m] = n;
  const reference = new Float64Array(m + 1);
  for (let t = 0; t <= m; t++) reference[t] = (below[t] as number) - (t > 0 ? (below[t - 1] as number) : 0);
  const current = countByTable(cur, inner, min, max, scale, buckets);
  let currentCount = 0;
  for (let t = 0; t <= m; t++) currentCount += current[t] as number;
  return { inner, reference, current, currentCount };
}

/** The bucket holding the r-th smallest value (prefix[k] <= r < prefix[k + 1]). */
function bucketOfRank(prefix: Int32Array, r: number, buckets: number): number {
  let lo = 0;
  let hi = buckets - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if ((prefix[mid] as number) <= r) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** numpy.quantile's 'linear' method over a reader of the sorted sample (as quantileSorted). */
function interpolate(at: (r: number) => number, n: number, q: number): number {
  const virtual = (n - 1) * q;
  if (virtual >= n - 1) return at(n - 1);
  if (virtual < 0) return at(0);
  const prev = Math.floor(virtual);
  const a = at(prev);
  const b = at(prev + 1);
  const t = virtual - prev;
  const diff = b - a;
  return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
}

/**
 * countOpenBins(values, inner) in one pass: a value's bucket (same grid as the reference's) gives its bin directly
 * unless an edge falls in that bucket (bucket index monotone: edges in earlier buckets are smaller, in later ones
 * larger); those buckets, and values outside [min, max], take a binary search.
 */
function countByTable(
  values: Float64Array,
  inner: Float64Array,
  min: number,
  max: number,
  scale: number,
  buckets: number,
): Float64Array {
  const m = inner.length;
  // Where each edge falls: −1 before every bucket (below min), `buckets` after every bucket (above max).
  const table = new Int32Array(buckets);
  let t = 0;
  for (let k = 0; k < buckets; k++) {
    while (t < m && position(inner[t] as number, min, max, scale, buckets) < k) t++;
    table[k] = t; // edges in earlier buckets: all <= any value of bucket k
  }
  for (let e = 0; e < m; e++) {
    const k = position(inner[e] as number, min, max, scale, buckets);
    if (k >= 0 && k < buckets) table[k] = -1; // an edge inside: search
  }
  const counts = new Float64Array(m + 1);
  for (let i = 0; i < values.length; i++) {
    const x = values[i] as number;
    let bin: number;
    if (x >= min && x <= max) {
      bin = table[((x - min) * scale) | 0] as number;
      if (bin < 0) bin = upperBound(inner, x, 0, m);
    } else if (Number.isNaN(x)) {
      continue; // NaN: not counted
    } else bin = upperBound(inner, x, 0, m);
    counts[bin]!++;
  }
  return counts;
}

function position(e: number, min: number, max: number, scale: number, buckets: number): number {
  if (e < min) return -1;
  if (e > max) return buckets;
  return ((e - min) * scale) | 0;
}
