import { MOMENT_BIG, MOMENT_DOWN, MOMENT_UP } from '../_internal/scale.js';

/** Quantile of sorted values with numpy's default linear interpolation. */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const pos = (n - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, n - 1);
  const a = sorted[lo] as number;
  const b = sorted[hi] as number;
  return a + (b - a) * (pos - lo);
}

/** Summary statistics of a numerical column (`std` is the sample standard deviation, as pandas' `describe`). */
export interface NumericSummary {
  mean: number;
  std: number;
  min: number;
  q25: number;
  q50: number;
  q75: number;
  max: number;
}

/** Summarises numbers, or returns null when there are none. */
export function summarize(values: Float64Array): NumericSummary | null {
  const n = values.length;
  if (n === 0) return null;
  const sorted = Float64Array.from(values).sort();
  let mean = 0;
  let m2 = 0;
  let scaled = false;
  for (let i = 0; i < n; i++) {
    let x = values[i] as number;
    if (scaled || x > MOMENT_BIG || x < -MOMENT_BIG) {
      // as the profile builder: past 2^480 the moments continue on values scaled by 2^-600
      if (!scaled) {
        scaled = true;
        mean *= MOMENT_DOWN;
        m2 = m2 * MOMENT_DOWN * MOMENT_DOWN;
      }
      x *= MOMENT_DOWN;
    }
    const d = x - mean;
    mean += d / (i + 1);
    m2 += d * (x - mean);
  }
  return {
    ...finishMoments(n, mean, m2, scaled),
    min: sorted[0] as number,
    q25: quantileSorted(sorted, 0.25),
    q50: quantileSorted(sorted, 0.5),
    q75: quantileSorted(sorted, 0.75),
    max: sorted[n - 1] as number,
  };
}

/**
 * Mean and sample standard deviation from Welford's running mean and sum of squared deviations (kept on values
 * scaled by 2^-600 when `scaled`). A standard deviation beyond the double range (values of both signs near ±1.8e308)
 * is reported as the largest finite number, so the profile stays valid JSON.
 */
export function finishMoments(n: number, mean: number, m2: number, scaled: boolean): { mean: number; std: number } {
  const std = n > 1 ? Math.sqrt(m2 / (n - 1)) : 0;
  if (!scaled) return { mean, std };
  return { mean: mean * MOMENT_UP, std: Math.min(std * MOMENT_UP, Number.MAX_VALUE) };
}

/** Counts each value, most frequent first (ties by value, so the order is stable). */
export function countValues(values: readonly string[]): { value: string; count: number }[] {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts].map(([value, count]) => ({ value, count })).sort(byCountThenValue);
}

/** Sort order for value counts: descending count, then ascending value. */
export function byCountThenValue(a: { value: string; count: number }, b: { value: string; count: number }): number {
  return b.count - a.count || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0);
}

/** Equal-width histogram of `values` over [min, max] with `bins` bins (the last bin closed, as numpy). */
export function histogram(values: ArrayLike<number>, min: number, max: number, bins: number): number[] {
  const counts = new Array<number>(bins).fill(0);
  const width = (max - min) / bins;
  for (let i = 0; i < values.length; i++) {
    const x = values[i] as number;
    if (x < min || x > max) continue;
    let b = width > 0 ? Math.floor((x - min) / width) : 0;
    if (b >= bins) b = bins - 1;
    counts[b] = (counts[b] as number) + 1;
  }
  return counts;
}

/** `bins + 1` equally spaced edges from min to max (a zero-width range is widened by 0.5 each side). */
export function equalEdges(min: number, max: number, bins: number): number[] {
  const lo = min === max ? min - 0.5 : min;
  const hi = min === max ? max + 0.5 : max;
  // (hi − lo)·i overflows for finite bounds of opposite signs near the top of the double range: each edge is then
  // lo·(1 − t) + hi·t, whose two terms are finite and of opposite signs
  if (!Number.isFinite((hi - lo) * bins)) {
    return Array.from({ length: bins + 1 }, (_, i) => (i === bins ? hi : lo * (1 - i / bins) + hi * (i / bins)));
  }
  return Array.from({ length: bins + 1 }, (_, i) => (i === bins ? hi : lo + ((hi - lo) * i) / bins));
}
