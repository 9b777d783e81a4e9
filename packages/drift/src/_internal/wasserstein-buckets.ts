// The first Wasserstein distance of two large UNSORTED samples without sorting them.
//
// W = ∫|F − G|, F and G the two ECDFs. Both samples are counted into equal-width buckets over the pooled range (the
// bucket index is monotone in the value), keeping per bucket the count and the sum of (x − bucket base). On the
// stretch from a non-empty bucket's base to the next non-empty bucket's base, n·m·(F − G) lies between
// P·m − (Q + B)·n and (P + A)·m − Q·n (P, Q the counts before the bucket, A, B those in it; integers, so the test is
// exact). When those bounds have one sign, |∫(F − G)| over the stretch follows from the counts and sums alone:
//   n·m·∫(F − G) = m·(P·w + Σ_a (end − a)) − n·(Q·w + Σ_b (end − b)),   w = end − start.
// Only the buckets where F − G may change sign (where it is near zero: the tails and the crossings) are gathered,
// sorted and walked exactly as wassersteinSorted walks. The sum of (x − base) keeps the arithmetic on the bucket's
// scale, so the result agrees with the full walk to ~1e-14 relative (the walk's own distance from scipy is ~1e-13).

import { populationStd } from './cdf-distance.js';
import { sortedFloat64 } from './radix-sort.js';
import { downscaleFor, scaledCopy } from './scale.js';

/** Below this many pooled values, or beyond exact integer products, the samples are sorted and walked. */
const BUCKETS_FROM = 4096;
/**
 * detectDrift's column scan takes the buckets from fewer values: it also saves sorting for the histogram, and a
 * column pair gets the same number whichever way it is called (the choice depends on the sizes only).
 */
const COLUMN_SCAN_FROM = 1024;
/** At most this many buckets: their accumulators (32 bytes each) stay within a few MiB of cache. */
const MAX_BUCKETS = 1 << 16;

/** Sum over the merged sorted samples of |i·m − j·n|·gap, from `prev` up to `end` (see wassersteinSorted). */
function walkRange(
  a: Float64Array,
  aLo: number,
  aHi: number,
  b: Float64Array,
  bLo: number,
  bHi: number,
  baseI: number,
  baseJ: number,
  n: number,
  m: number,
  prev: number,
  end: number,
): number {
  let sum = 0;
  let i = aLo;
  let j = bLo;
  const offI = baseI - aLo;
  const offJ = baseJ - bLo;
  while (i < aHi || j < bHi) {
    const takeA = j >= bHi || (i < aHi && (a[i] as number) <= (b[j] as number));
    const x = takeA ? (a[i] as number) : (b[j] as number);
    const gap = x - prev;
    // gap > 0, not !== 0: between two equal infinities the gap is NaN (a tie), as scipy's zero-width interval
    if (gap > 0) sum += Math.abs((offI + i) * m - (offJ + j) * n) * gap;
    if (takeA) i++;
    else j++;
    prev = x;
  }
  const gap = end - prev;
  if (gap > 0) sum += Math.abs((offI + i) * m - (offJ + j) * n) * gap;
  return sum;
}

/** First Wasserstein distance of two unsorted, NaN-free, non-empty samples (through the buckets described above). */
export function wassersteinUnsorted(a: Float64Array, b: Float64Array): number {
  return scan(a, b, null, BUCKETS_FROM).distance;
}

/** What {@link wassersteinColumnScan} computes in its passes over a column pair. */
export interface ColumnScan {
  /** First Wasserstein distance (= wassersteinUnsorted). */
  distance: number;
  /** Population standard deviation of `a`, two-pass with plain sums (the same arithmetic as detectDrift's). */
  referenceStd: number;
  /** The histogram edges made from the pooled min and max, and each sample's counts ([e_i, e_i+1), last closed). */
  edges: number[];
  reference: number[];
  current: number[];
}

/**
 * detectDrift's pass over a large numerical column pair: the Wasserstein distance, the reference's standard deviation
 * and both histograms over `edgesFor(pooled min, pooled max)`, in two scans of each sample (the first finds the range
 * and the mean, the second fills the buckets, the squared deviations and the histogram bins).
 */
export function wassersteinColumnScan(
  a: Float64Array,
  b: Float64Array,
  edgesFor: (min: number, max: number) => number[],
): ColumnScan {
  return scan(a, b, edgesFor, COLUMN_SCAN_FROM) as ColumnScan;
}

function scan(
  a: Float64Array,
  b: Float64Array,
  edgesFor: ((min: number, max: number) => number[]) | null,
  bucketsFrom: number,
): { distance: number } | ColumnScan {
  const n = a.length;
  const m = b.length;
  let min = a[0] as number;
  let max = min;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const x = a[i] as number;
    total += x;
    if (x < min) min = x;
    else if (x > max) max = x;
  }
  for (let i = 0; i < m; i++) {
    const x = b[i] as number;
    if (x < min) min = x;
    else if (x > max) max = x;
  }
  // Finite values so large that n·m-weighted sums of their spans overflow: the same scan on copies scaled by a
  // power of two, the distance and the std scaled back; edges and histograms from the values as given.
  const f = downscaleFor(Math.max(-min, max), weightedLimit(n, m));
  if (f !== 1) {
    const inner = scan(scaledCopy(a, f), scaledCopy(b, f), null, bucketsFrom);
    if (edgesFor === null) return { distance: inner.distance / f };
    const edges = edgesFor(min, max);
    return {
      distance: inner.distance / f,
      referenceStd: populationStd(a),
      edges,
      reference: unsortedHistogram(a, edges),
      current: unsortedHistogram(b, edges),
    };
  }
  const mean = total / n;
  const range = max - min;
  const edges = edgesFor ? edgesFor(min, max) : null;
  if (n + m < bucketsFrom || n * m > Number.MAX_SAFE_INTEGER || !(range > 0 && range < Number.POSITIVE_INFINITY)) {
    const distance = sortedWalk(a, b);
    if (edges === null) return { distance };
    let ss = 0;
    for (let i = 0; i < n; i++) {
      const d = (a[i] as number) - mean;
      ss += d * d;
    }
    return {
      distance,
      referenceStd: finiteStd(ss, n, a),
      edges,
      reference: unsortedHistogram(a, edges),
      current: unsortedHistogram(b, edges),
    };
  }
  let buckets = 1024;
  while (buckets < (n + m) / 8 && buckets < MAX_BUCKETS) buckets *= 2;
  const scale = (buckets - 1) / range;
  const step = range / (buckets - 1);
  // Per bucket, interleaved (one cache line per update): count of a, Σ(a − base), count of b, Σ(b − base).
  const acc = scratch.acc(4 * buckets);
  let ss = 0;
  let histA: Int32Array | null = null;
  let histB: Int32Array | null = null;
  if (edges === null) {
    for (let i = 0; i < n; i++) {
      const x = a[i] as number;
      const k = ((x - min) * scale) | 0;
      acc[4 * k]!++;
      acc[4 * k + 1]! += x - (min + k * step);
    }
    for (let i = 0; i < m; i++) {
      const x = b[i] as number;
      const k = ((x - min) * scale) | 0;
      acc[4 * k + 2]!++;
      acc[4 * k + 3]! += x - (min + k * step);
    }
  } else {
    // Histogram bin of each bucket, or −1 for the buckets an edge falls in: only their values are placed one by one
    // (by comparing with the edges); every other bucket adds its count to its bin afterwards.
    const bins = edges.length - 1;
    const binOf = bucketBins(edges, min, max, scale, buckets, scratch.bins(buckets));
    const ha = new Int32Array(bins);
    const hb = new Int32Array(bins);
    for (let i = 0; i < n; i++) {
      const x = a[i] as number;
      const k = ((x - min) * scale) | 0;
      acc[4 * k]!++;
      acc[4 * k + 1]! += x - (min + k * step);
      const d = x - mean;
      ss += d * d;
      if ((binOf[k] as number) < 0) ha[histogramBin(x, edges)]!++;
    }
    for (let i = 0; i < m; i++) {
      const x = b[i] as number;
      const k = ((x - min) * scale) | 0;
      acc[4 * k + 2]!++;
      acc[4 * k + 3]! += x - (min + k * step);
      if ((binOf[k] as number) < 0) hb[histogramBin(x, edges)]!++;
    }
    // Buckets of one bin are consecutive: sum them in locals, write once per bin.
    let bin = -1;
    let sumA = 0;
    let sumB = 0;
    for (let k = 0; k < buckets; k++) {
      const h = binOf[k] as number;
      if (h < 0) continue;
      if (h !== bin) {
        if (bin >= 0) {
          ha[bin]! += sumA;
          hb[bin]! += sumB;
        }
        bin = h;
        sumA = 0;
        sumB = 0;
      }
      sumA += acc[4 * k] as number;
      sumB += acc[4 * k + 2] as number;
    }
    if (bin >= 0) {
      ha[bin]! += sumA;
      hb[bin]! += sumB;
    }
    histA = ha;
    histB = hb;
  }
  // Stretches run from a non-empty bucket's base (min + k·step) to the next non-empty bucket's base (max for the
  // last). A value rounded into the neighbouring bucket sits within an ulp of the boundary, so it moves the integral
  // by an ulp-sized amount at most.
  // Unsafe buckets, 7 numbers each (bucket, P, Q, gather offsets, start, end), in a reused scratch array.
  const unsafe = scratch.unsafe(7 * buckets);
  let unsafeLength = 0;
  // Neumaier-compensated total (no closure over hot locals: V8 would box them)
  const sum = new Float64Array(2);
  let gatherA = 0;
  let gatherB = 0;
  let p = 0;
  let q = 0;
  let k = 0;
  while (k < buckets && (acc[4 * k] as number) + (acc[4 * k + 2] as number) === 0) k++;
  while (k < buckets) {
    let next = k + 1;
    while (next < buckets && (acc[4 * next] as number) + (acc[4 * next + 2] as number) === 0) next++;
    const start = min + k * step;
    const end = next < buckets ? min + next * step : max;
    const ak = acc[4 * k] as number;
    const bk = acc[4 * k + 2] as number;
    if (p * m - (q + bk) * n >= 0 || (p + ak) * m - q * n <= 0) {
      // F − G keeps one sign on the stretch: |∫(F − G)| from the counts and sums.
      const w = end - start;
      const fromBase = end - (min + k * step);
      const intA = p * w + (ak * fromBase - (acc[4 * k + 1] as number));
      const intB = q * w + (bk * fromBase - (acc[4 * k + 3] as number));
      addTo(sum, Math.abs(m * intA - n * intB));
    } else {
      unsafe[unsafeLength] = k;
      unsafe[unsafeLength + 1] = p;
      unsafe[unsafeLength + 2] = q;
      unsafe[unsafeLength + 3] = gatherA;
      unsafe[unsafeLength + 4] = gatherB;
      unsafe[unsafeLength + 5] = start;
      unsafe[unsafeLength + 6] = end;
      unsafeLength += 7;
      gatherA += ak;
      gatherB += bk;
    }
    p += ak;
    q += bk;
    k = next;
  }
  if (unsafeLength > 0) {
    if (gatherA + gatherB > (n + m) / 2) return result(sortedWalk(a, b), edges, ss, a, histA, histB);
    // cursors: 1 + write position in the gathered arrays (0: not gathered)
    const ca = scratch.cursorsA(buckets);
    const cb = scratch.cursorsB(buckets);
    for (let u = 0; u < unsafeLength; u += 7) {
      ca[unsafe[u] as number] = (unsafe[u + 3] as number) + 1;
      cb[unsafe[u] as number] = (unsafe[u + 4] as number) + 1;
    }
    const ga = scratch.gatheredA(gatherA);
    const gb = scratch.gatheredB(gatherB);
    gather(a, ga, ca, min, scale);
    gather(b, gb, cb, min, scale);
    for (let u = 0; u < unsafeLength; u += 7) {
      const bucket = unsafe[u] as number;
      const aLo = unsafe[u + 3] as number;
      const bLo = unsafe[u + 4] as number;
      const aHi = (ca[bucket] as number) - 1;
      const bHi = (cb[bucket] as number) - 1;
      sortRange(ga, aLo, aHi);
      sortRange(gb, bLo, bHi);
      const start = unsafe[u + 5] as number;
      const end = unsafe[u + 6] as number;
      addTo(
        sum,
        walkRange(ga, aLo, aHi, gb, bLo, bHi, unsafe[u + 1] as number, unsafe[u + 2] as number, n, m, start, end),
      );
    }
  }
  return result(((sum[0] as number) + (sum[1] as number)) / (n * m), edges, ss, a, histA, histB);
}

function addTo(sum: Float64Array, v: number): void {
  const total = sum[0] as number;
  const t = total + v;
  sum[1]! += Math.abs(total) >= Math.abs(v) ? total - t + v : v - t + total;
  sum[0] = t;
}

function result(
  distance: number,
  edges: number[] | null,
  ss: number,
  a: Float64Array,
  histA: Int32Array | null,
  histB: Int32Array | null,
): { distance: number } | ColumnScan {
  if (edges === null) return { distance };
  return {
    distance,
    referenceStd: finiteStd(ss, a.length, a),
    edges,
    reference: Array.from(histA as Int32Array),
    current: Array.from(histB as Int32Array),
  };
}

function gather(values: Float64Array, out: Float64Array, cursor: Int32Array, min: number, scale: number): void {
  for (let i = 0; i < values.length; i++) {
    const x = values[i] as number;
    const k = ((x - min) * scale) | 0;
    const at = cursor[k] as number;
    if (at !== 0) {
      out[at - 1] = x;
      cursor[k] = at + 1;
    }
  }
}

/** Largest magnitude for which n·m-weighted sums of spans (≤ 2·magnitude) stay below 2^1000. */
function weightedLimit(n: number, m: number): number {
  return 2 ** 999 / Math.max(n * m, 1);
}

/** √(ss / n), or the std recomputed on scaled values when the squares overflowed (values past ~1e154). */
function finiteStd(ss: number, n: number, a: Float64Array): number {
  const std = Math.sqrt(ss / n);
  return Number.isFinite(std) ? std : populationStd(a);
}

/** wassersteinSorted after sorting both samples. */
function sortedWalk(a: Float64Array, b: Float64Array): number {
  return wassersteinOfSorted(sortedFloat64(a), sortedFloat64(b));
}

/**
 * First Wasserstein distance ∫|F − G| of two sorted, NaN-free, non-empty samples: one walk over the merged values,
 * adding |F − G|·(gap to the next value). |i/n − j/m| = |i·m − j·n| / (n·m): the integer products are exact and the
 * division happens once at the end.
 */
export function wassersteinOfSorted(a: Float64Array, b: Float64Array): number {
  const n = a.length;
  const m = b.length;
  const start = Math.min(a[0] as number, b[0] as number);
  const end = Math.max(a[n - 1] as number, b[m - 1] as number);
  const f = downscaleFor(Math.max(-start, end), weightedLimit(n, m));
  if (f !== 1) return wassersteinOfSorted(scaledCopy(a, f), scaledCopy(b, f)) / f;
  return walkRange(a, 0, n, b, 0, m, 0, 0, n, m, start, end) / (n * m);
}

/** For each bucket, the histogram bin holding all its values, or −1 when an edge falls in the bucket. */
function bucketBins(
  edges: number[],
  min: number,
  max: number,
  scale: number,
  buckets: number,
  out: Int32Array,
): Int32Array {
  const bins = edges.length - 1;
  // bin h holds the values of the buckets after the one edge h falls in, up to the one edge h + 1 falls in
  let from = 0;
  for (let h = 0; h < bins; h++) {
    const e = edges[h + 1] as number;
    const to = e < min ? -1 : e > max ? buckets : Math.min(((e - min) * scale) | 0, buckets);
    for (let k = from; k < to; k++) out[k] = h;
    from = Math.max(from, to);
  }
  for (let k = from; k < buckets; k++) out[k] = bins - 1;
  for (const e of edges) {
    if (e < min || e > max) continue;
    const k = ((e - min) * scale) | 0;
    if (k < buckets) out[k] = -1;
  }
  return out;
}

/** Sorts a[lo..hi) in place: insertion sort for the few values of a bucket, the built-in sort beyond. */
function sortRange(a: Float64Array, lo: number, hi: number): void {
  if (hi - lo > 24) {
    a.subarray(lo, hi).sort();
    return;
  }
  for (let i = lo + 1; i < hi; i++) {
    const v = a[i] as number;
    let j = i - 1;
    while (j >= lo && (a[j] as number) > v) {
      a[j + 1] = a[j] as number;
      j--;
    }
    a[j + 1] = v;
  }
}

/**
 * Scratch arrays reused from call to call (detectDrift scans hundreds of column pairs): at most a few MiB, kept for the
 * life of the module; larger requests get fresh arrays. Zeroed where the scan counts into them.
 */
const SCRATCH_LIMIT = 1 << 20;
const kept = {
  acc: new Float64Array(0),
  bins: new Int32Array(0),
  ca: new Int32Array(0),
  cb: new Int32Array(0),
  ga: new Float64Array(0),
  gb: new Float64Array(0),
  unsafe: new Float64Array(0),
};
type Kept = typeof kept;
type FloatSlot = { [K in keyof Kept]: Kept[K] extends Float64Array ? K : never }[keyof Kept];
type IntSlot = { [K in keyof Kept]: Kept[K] extends Int32Array ? K : never }[keyof Kept];

function floats(slot: FloatSlot, n: number, zero: boolean): Float64Array {
  const cur = kept[slot];
  if (cur.length >= n) {
    if (zero) cur.fill(0, 0, n);
    return cur;
  }
  const fresh = new Float64Array(n);
  if (n <= SCRATCH_LIMIT) kept[slot] = fresh;
  return fresh;
}

function ints(slot: IntSlot, n: number, zero: boolean): Int32Array {
  const cur = kept[slot];
  if (cur.length >= n) {
    if (zero) cur.fill(0, 0, n);
    return cur;
  }
  const fresh = new Int32Array(n);
  if (n <= SCRATCH_LIMIT) kept[slot] = fresh;
  return fresh;
}

const scratch = {
  acc: (n: number) => floats('acc', n, true),
  bins: (n: number) => ints('bins', n, false),
  cursorsA: (n: number) => ints('ca', n, true),
  cursorsB: (n: number) => ints('cb', n, true),
  gatheredA: (n: number) => floats('ga', n, false),
  gatheredB: (n: number) => floats('gb', n, false),
  unsafe: (n: number) => floats('unsafe', n, false),
};

/** The histogram bin of x: [e_i, e_i+1), the last bin closed (x within the edges). */
function histogramBin(x: number, edges: readonly number[]): number {
  const bins = edges.length - 1;
  const lo = edges[0] as number;
  let b = Math.min(Math.max(Math.floor(((x - lo) * bins) / ((edges[bins] as number) - lo)), 0), bins - 1);
  while (b > 0 && x < (edges[b] as number)) b--;
  while (b < bins - 1 && x >= (edges[b + 1] as number)) b++;
  return b;
}

/**
 * Histogram counts of values in any order over `edges`: [e_i, e_i+1), the last bin closed, values outside the edges
 * not counted (numpy.histogram's rule, the same counts as binary searches over sorted values).
 */
export function unsortedHistogram(a: Float64Array, edges: readonly number[]): number[] {
  const bins = edges.length - 1;
  const counts = new Array<number>(bins).fill(0);
  const lo = edges[0] as number;
  const hi = edges[bins] as number;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number;
    if (x >= lo && x <= hi) counts[histogramBin(x, edges)]!++;
  }
  return counts;
}
