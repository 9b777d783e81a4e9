// Binning rules shared by psi and the divergences (see packages/drift/README.md, "Statistics").

import { upperBound } from './sort.js';

/** numpy.quantile(sorted, q) with the default 'linear' method, for a sorted NaN-free array. */
export function quantileSorted(sorted: Float64Array, q: number): number {
  const n = sorted.length;
  const virtual = (n - 1) * q;
  if (virtual >= n - 1) return sorted[n - 1]!;
  if (virtual < 0) return sorted[0]!;
  const prev = Math.floor(virtual);
  const a = sorted[prev]!;
  const b = sorted[prev + 1]!;
  const t = virtual - prev;
  const diff = b - a;
  return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
}

/** numpy.linspace(start, stop, num). */
export function linspace(start: number, stop: number, num: number): Float64Array {
  const out = new Float64Array(num);
  const div = num - 1;
  const step = (stop - start) / div;
  for (let i = 0; i < num; i++) out[i] = step === 0 ? (i / div) * (stop - start) + start : i * step + start;
  if (num > 1) out[num - 1] = stop;
  return out;
}

/** Inner edges of `bins` reference-quantile bins: quantiles at i/bins for 0 < i < bins, repeated edges merged. */
export function quantileInnerEdges(sortedRef: Float64Array, bins: number): Float64Array {
  const qs = linspace(0, 1, bins + 1);
  const edges: number[] = [];
  for (let i = 1; i < bins; i++) {
    const e = quantileSorted(sortedRef, qs[i]!);
    if (edges.length === 0 || e !== edges[edges.length - 1]) edges.push(e);
  }
  return Float64Array.from(edges);
}

/**
 * {@link quantileInnerEdges} of an UNSORTED sample without sorting it: only the order statistics the interpolation
 * reads (at most 2·(bins − 1)) are selected, in O(n·log bins) instead of O(n·log n). Same numbers as sorting first.
 */
export function quantileInnerEdgesUnsorted(values: Float64Array, bins: number): Float64Array {
  const n = values.length;
  const qs = linspace(0, 1, bins + 1);
  const needed = new Set<number>();
  for (let i = 1; i < bins; i++) {
    const virtual = (n - 1) * qs[i]!;
    if (virtual >= n - 1) needed.add(n - 1);
    else if (virtual < 0) needed.add(0);
    else {
      const prev = Math.floor(virtual);
      needed.add(prev);
      needed.add(prev + 1);
    }
  }
  const ks = [...needed].sort((a, b) => a - b);
  const work = values.slice();
  const at = new Map<number, number>();
  let lo = 0;
  for (const k of ks) {
    selectInPlace(work, k, lo, n - 1);
    at.set(k, work[k]!);
    lo = k + 1;
  }
  // quantileSorted reads only the indices gathered above: a sparse view of the sorted sample is enough.
  const sortedView = { length: n, get: (i: number) => at.get(i)! };
  const edges: number[] = [];
  for (let i = 1; i < bins; i++) {
    const e = quantileAt(sortedView, qs[i]!);
    if (edges.length === 0 || e !== edges[edges.length - 1]) edges.push(e);
  }
  return Float64Array.from(edges);
}

/** numpy's linear quantile over anything that can read the i-th smallest value (see {@link quantileSorted}). */
function quantileAt(sorted: { length: number; get: (i: number) => number }, q: number): number {
  const n = sorted.length;
  const virtual = (n - 1) * q;
  if (virtual >= n - 1) return sorted.get(n - 1);
  if (virtual < 0) return sorted.get(0);
  const prev = Math.floor(virtual);
  const a = sorted.get(prev);
  const b = sorted.get(prev + 1);
  const t = virtual - prev;
  const diff = b - a;
  return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
}

/**
 * Rearranges a[lo..hi] so that a[k] holds the value it would have if that range were sorted, smaller or equal values
 * before it and greater or equal after (introselect: Hoare partitions around a median of three; a range that
 * shrinks too slowly, or is small, is sorted instead, so the worst case stays O(n log n)).
 */
export function selectInPlace(a: Float64Array, k: number, lo: number, hi: number): void {
  let budget = 2 * Math.ceil(Math.log2(hi - lo + 2)) + 8;
  while (hi > lo) {
    if (hi - lo < 32 || budget-- === 0) {
      a.subarray(lo, hi + 1).sort();
      return;
    }
    const mid = (lo + hi) >>> 1;
    if (a[mid]! < a[lo]!) swap(a, mid, lo);
    if (a[hi]! < a[lo]!) swap(a, hi, lo);
    if (a[hi]! < a[mid]!) swap(a, hi, mid);
    const pivot = a[mid]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        swap(a, i, j);
        i++;
        j--;
      }
    }
    // Now a[lo..j] <= pivot <= a[i..hi], and everything strictly between j and i equals the pivot.
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return;
  }
}

function swap(a: Float64Array, i: number, j: number): void {
  const t = a[i]!;
  a[i] = a[j]!;
  a[j] = t;
}

/** Counts per bin with open outer edges: bin k holds x with inner[k-1] <= x < inner[k]. */
export function countOpenBins(values: Float64Array, inner: Float64Array): Float64Array {
  const counts = new Float64Array(inner.length + 1);
  const m = inner.length;
  if (m === 0) {
    counts[0] = values.length;
    return counts;
  }
  for (let i = 0; i < values.length; i++) counts[upperBound(inner, values[i]!, 0, m)]!++;
  return counts;
}

/** numpy.histogram_bin_edges(values, bins) for bins = 'sturges' or an integer count; `all` holds both samples. */
export function histogramEdges(ref: Float64Array, cur: Float64Array, bins: 'sturges' | number): Float64Array {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const arr of [ref, cur]) {
    for (let i = 0; i < arr.length; i++) {
      const v = arr[i]!;
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  let first = min;
  let last = max;
  if (first === last) {
    first -= 0.5;
    last += 0.5;
  }
  let nBins: number;
  if (bins === 'sturges') {
    const width = (max - min) / (Math.log2(ref.length + cur.length) + 1);
    nBins = width ? Math.ceil((last - first) / width) : 1;
  } else {
    nBins = bins;
  }
  return linspace(first, last, nBins + 1);
}

/** numpy.histogram(values, edges)[0]: bins [e_i, e_{i+1}), the last one closed; values outside are ignored. */
export function histogramCounts(values: Float64Array, edges: Float64Array): Float64Array {
  const nb = edges.length - 1;
  const counts = new Float64Array(nb);
  const lo = edges[0]!;
  const hi = edges[nb]!;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v < lo || v > hi) continue;
    if (v === hi) {
      counts[nb - 1]!++;
      continue;
    }
    counts[upperBound(edges, v, 0, nb + 1) - 1]!++;
  }
  return counts;
}

/** Counts per distinct value seen in either sample (keys in ascending order). */
export function countPerValue(ref: Float64Array, cur: Float64Array): { ref: Float64Array; cur: Float64Array } {
  const keys = new Map<number, number>();
  for (const arr of [ref, cur]) for (let i = 0; i < arr.length; i++) keys.set(arr[i]! === 0 ? 0 : arr[i]!, 0);
  const sortedKeys = Float64Array.from(keys.keys()).sort();
  sortedKeys.forEach((k, i) => {
    keys.set(k, i);
  });
  const r = new Float64Array(sortedKeys.length);
  const c = new Float64Array(sortedKeys.length);
  for (let i = 0; i < ref.length; i++) r[keys.get(ref[i]! === 0 ? 0 : ref[i]!)!]!++;
  for (let i = 0; i < cur.length; i++) c[keys.get(cur[i]! === 0 ? 0 : cur[i]!)!]!++;
  return { ref: r, cur: c };
}

/** Counts per category seen in either sample (order of first appearance). */
export function countPerCategory(
  ref: string[],
  cur: string[],
): { ref: Float64Array; cur: Float64Array; keys: string[] } {
  const index = new Map<string, number>();
  for (const arr of [ref, cur]) for (const v of arr) if (!index.has(v)) index.set(v, index.size);
  const r = new Float64Array(index.size);
  const c = new Float64Array(index.size);
  for (const v of ref) r[index.get(v)!]!++;
  for (const v of cur) c[index.get(v)!]!++;
  return { ref: r, cur: c, keys: [...index.keys()] };
}

/** Number of distinct values (NaN-free input). */
export function distinctCount(values: Float64Array, stopAbove = Number.POSITIVE_INFINITY): number {
  const seen = new Set<number>();
  for (let i = 0; i < values.length; i++) {
    seen.add(values[i]! === 0 ? 0 : values[i]!);
    if (seen.size > stopAbove) break;
  }
  return seen.size;
}

/** Counts divided by n. */
export function toShares(counts: Float64Array, n: number): Float64Array {
  const out = new Float64Array(counts.length);
  for (let i = 0; i < counts.length; i++) out[i] = counts[i]! / n;
  return out;
}

/** Evidently 0.7's rule: empty shares become 1e-4, or (smallest non-zero share)/1e6 when that share is <= 1e-4. */
export function evidentlyFloor(shares: Float64Array): Float64Array {
  let minNz = Number.POSITIVE_INFINITY;
  for (let i = 0; i < shares.length; i++) if (shares[i] !== 0 && shares[i]! < minNz) minNz = shares[i]!;
  const fill = minNz <= 0.0001 ? minNz / 10 ** 6 : 0.0001;
  const out = shares.slice();
  for (let i = 0; i < out.length; i++) if (out[i] === 0) out[i] = fill;
  return out;
}

/** Empty shares become `floor`. */
export function constantFloor(shares: Float64Array, floor: number): Float64Array {
  const out = shares.slice();
  for (let i = 0; i < out.length; i++) if (out[i] === 0) out[i] = floor;
  return out;
}

/** Evidently 0.7 get_binned_data for numeric samples, or equal-width bins when `bins` is a number (unfloored). */
export function binnedShares(
  ref: Float64Array,
  cur: Float64Array,
  bins: 'sturges' | number,
): { ref: Float64Array; cur: Float64Array } {
  if (bins === 'sturges' && distinctCount(ref, 20) <= 20) {
    const c = countPerValue(ref, cur);
    return { ref: toShares(c.ref, ref.length), cur: toShares(c.cur, cur.length) };
  }
  const edges = histogramEdges(ref, cur, bins);
  return {
    ref: toShares(histogramCounts(ref, edges), ref.length),
    cur: toShares(histogramCounts(cur, edges), cur.length),
  };
}
