// Where the two-sample KS statistic is reached: the extremes of F_ref − F_cur over the pooled values, found either by
// one merge walk over two sorted samples, or, for large unsorted samples, without sorting them (see ksExtremes).

import { sortedFloat64 } from './radix-sort.js';

/**
 * The largest and smallest ECDF difference #(ref ≤ v)/n1 − #(cur ≤ v)/n2 over the distinct pooled values v, and
 * where they are reached. Ties keep the position scipy's argmax would report: the smallest key, where a value
 * present in the reference has key #(ref < v) and a value only in the current sample n1 + #(cur < v).
 */
export interface KsExtremes {
  maxS: number;
  maxKey: number;
  locMax: number;
  minD: number;
  minKey: number;
  locMin: number;
}

export function emptyExtremes(): KsExtremes {
  return {
    maxS: Number.NEGATIVE_INFINITY,
    maxKey: Number.POSITIVE_INFINITY,
    locMax: 0,
    minD: Number.POSITIVE_INFINITY,
    minKey: Number.POSITIVE_INFINITY,
    locMin: 0,
  };
}

/**
 * Walks sorted a[aLo..aHi) and b[bLo..bHi) in merged order, updating `st` at every distinct value. The counts of
 * smaller values outside the ranges are `baseI` (reference) and `baseJ` (current), so a walk can cover a slice of
 * the value axis (a bucket) and still compute the global ECDF difference.
 */
export function walkExtremes(
  a: Float64Array,
  aLo: number,
  aHi: number,
  b: Float64Array,
  bLo: number,
  bHi: number,
  baseI: number,
  baseJ: number,
  n1: number,
  n2: number,
  st: KsExtremes,
): void {
  let { maxS, maxKey, locMax, minD, minKey, locMin } = st;
  const offI = baseI - aLo;
  const offJ = baseJ - bLo;
  let i = aLo;
  let j = bLo;
  while (i < aHi || j < bHi) {
    let v: number;
    if (i < aHi) {
      const ai = a[i] as number;
      v = j < bHi && (b[j] as number) < ai ? (b[j] as number) : ai;
    } else v = b[j] as number;
    const firstI = i;
    const firstJ = j;
    while (i < aHi && (a[i] as number) <= v) i++;
    while (j < bHi && (b[j] as number) <= v) j++;
    const gi = offI + i;
    const gj = offJ + j;
    const diff = gi / n1 - gj / n2;
    if (diff >= maxS || diff <= minD) {
      const key = i > firstI ? offI + firstI : n1 + offJ + firstJ;
      if (diff > maxS || (diff === maxS && key < maxKey)) {
        maxS = diff;
        maxKey = key;
        locMax = v;
      }
      if (diff < minD || (diff === minD && key < minKey)) {
        minD = diff;
        minKey = key;
        locMin = v;
      }
    }
  }
  st.maxS = maxS;
  st.maxKey = maxKey;
  st.locMax = locMax;
  st.minD = minD;
  st.minKey = minKey;
  st.locMin = locMin;
}

/** KS extremes of two sorted, NaN-free, non-empty samples. */
export function ksExtremesSorted(a: Float64Array, b: Float64Array): KsExtremes {
  const st = emptyExtremes();
  walkExtremes(a, 0, a.length, b, 0, b.length, 0, 0, a.length, b.length, st);
  return st;
}

/** Below this many pooled values the unsorted samples are simply sorted and walked. */
const BOUND_FROM = 4096;

/**
 * KS extremes of two UNSORTED, NaN-free, non-empty samples, identical to sorting both and walking them, but without
 * sorting: both samples are counted into equal-width buckets over the pooled range (a bucket index is monotone in
 * the value), which gives the exact ECDF difference at the end of every bucket and, within a bucket, the bounds
 * [P/n1 − (Q + B)/n2, (P + A)/n1 − Q/n2] (P, Q the counts before the bucket, A, B those in it). Only the buckets
 * whose bounds reach the best end-of-bucket extremes can hold an extreme (or a value tying with it); their values
 * are gathered, sorted and walked. Falls back to sorting everything when the data is too concentrated for the
 * buckets to prune (heavy tails, few distinct values) or holds infinities.
 */
export function ksExtremes(a: Float64Array, b: Float64Array): KsExtremes {
  const n1 = a.length;
  const n2 = b.length;
  const total = n1 + n2;
  if (total < BOUND_FROM) return ksExtremesSorted(sortedFloat64(a), sortedFloat64(b));
  let min = a[0] as number;
  let max = min;
  for (const s of [a, b]) {
    for (let i = 0; i < s.length; i++) {
      const x = s[i] as number;
      if (x < min) min = x;
      else if (x > max) max = x;
    }
  }
  const range = max - min;
  if (!(range > 0 && range < Number.POSITIVE_INFINITY)) {
    return ksExtremesSorted(sortedFloat64(a), sortedFloat64(b));
  }
  let buckets = 1024;
  while (buckets < total / 8 && buckets < 1 << 16) buckets *= 2;
  // bucket of x: floor((x − min)·scale) ∈ [0, buckets − 1], monotone non-decreasing in x
  const scale = (buckets - 1) / range;
  const ca = new Int32Array(buckets);
  const cb = new Int32Array(buckets);
  for (let i = 0; i < n1; i++) ca[(((a[i] as number) - min) * scale) | 0]!++;
  for (let i = 0; i < n2; i++) cb[(((b[i] as number) - min) * scale) | 0]!++;
  // The exact difference after each non-empty bucket: the extremes are at least as far out as these.
  let hiEnd = Number.NEGATIVE_INFINITY;
  let loEnd = Number.POSITIVE_INFINITY;
  let p = 0;
  let q = 0;
  for (let k = 0; k < buckets; k++) {
    const ak = ca[k] as number;
    const bk = cb[k] as number;
    if (ak + bk === 0) continue;
    p += ak;
    q += bk;
    const d = p / n1 - q / n2;
    if (d > hiEnd) hiEnd = d;
    if (d < loEnd) loEnd = d;
  }
  // Candidate buckets: those whose bounds reach hiEnd or loEnd (>= / <=, so values tying with an extreme are kept).
  const cand: number[] = [];
  let gatherA = 0;
  let gatherB = 0;
  p = 0;
  q = 0;
  for (let k = 0; k < buckets; k++) {
    const ak = ca[k] as number;
    const bk = cb[k] as number;
    if (ak + bk === 0) continue;
    const upper = (p + ak) / n1 - q / n2;
    const lower = p / n1 - (q + bk) / n2;
    if (upper >= hiEnd || lower <= loEnd) {
      cand.push(k, p, q, gatherA, gatherB);
      gatherA += ak;
      gatherB += bk;
    }
    p += ak;
    q += bk;
  }
  if (gatherA + gatherB > total / 4) return ksExtremesSorted(sortedFloat64(a), sortedFloat64(b));
  // Reuse the count arrays as write cursors: a candidate bucket's cursor is its start in the gathered arrays + 1
  // (0 = not a candidate).
  ca.fill(0);
  cb.fill(0);
  for (let c = 0; c < cand.length; c += 5) {
    ca[cand[c] as number] = (cand[c + 3] as number) + 1;
    cb[cand[c] as number] = (cand[c + 4] as number) + 1;
  }
  const ga = new Float64Array(gatherA);
  const gb = new Float64Array(gatherB);
  for (let i = 0; i < n1; i++) {
    const x = a[i] as number;
    const k = ((x - min) * scale) | 0;
    const at = ca[k] as number;
    if (at !== 0) {
      ga[at - 1] = x;
      ca[k] = at + 1;
    }
  }
  for (let i = 0; i < n2; i++) {
    const x = b[i] as number;
    const k = ((x - min) * scale) | 0;
    const at = cb[k] as number;
    if (at !== 0) {
      gb[at - 1] = x;
      cb[k] = at + 1;
    }
  }
  const st = emptyExtremes();
  for (let c = 0; c < cand.length; c += 5) {
    const k = cand[c] as number;
    const aLo = cand[c + 3] as number;
    const bLo = cand[c + 4] as number;
    const aHi = (ca[k] as number) - 1;
    const bHi = (cb[k] as number) - 1;
    if (aHi - aLo > 1) ga.subarray(aLo, aHi).sort();
    if (bHi - bLo > 1) gb.subarray(bLo, bHi).sort();
    walkExtremes(ga, aLo, aHi, gb, bLo, bHi, cand[c + 1] as number, cand[c + 2] as number, n1, n2, st);
  }
  return st;
}
