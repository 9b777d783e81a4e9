// Finite numbers near the top of the double range (1e150 … 1.8e308) overflow in squares (standard deviations) and in
// n·m-weighted sums (the Wasserstein walk) although every statistic of them is finite. The statistics are
// homogeneous (W(f·a, f·b) = f·W(a, b), std(f·a) = f·std(a)), so such samples are computed on copies scaled by a
// power of two f, which is exact for every value that does not fall below the normal range (those are negligible
// next to the large values that made scaling necessary), and the result is divided by f.

/** Largest |x| of a NaN-free sample (0 when empty; Infinity when it holds ±Infinity). */
export function maxAbs(a: ArrayLike<number>): number {
  let big = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number;
    if (x > big) big = x;
    else if (-x > big) big = -x;
  }
  return big;
}

/**
 * The power of two f ≤ 1 that brings `big` (a finite largest magnitude) down to at most `limit`; 1 when it is
 * already there, or when `big` is not finite (infinities are not scaled: the statistic is infinite anyway).
 */
export function downscaleFor(big: number, limit: number): number {
  if (!(big > limit) || big === Number.POSITIVE_INFINITY) return 1;
  return 2 ** -Math.ceil(Math.log2(big / limit));
}

/** The power of two f that brings a finite largest magnitude `big` into [0.5, 1] (1 for 0 or non-finite). */
export function unitScaleFor(big: number): number {
  if (!(big > 0) || big === Number.POSITIVE_INFINITY) return 1;
  return 2 ** -Math.ceil(Math.log2(big));
}

/** A copy of `a` multiplied by `f`. */
export function scaledCopy(a: Float64Array, f: number): Float64Array {
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = (a[i] as number) * f;
  return out;
}

/**
 * Magnitude above which streaming moments (Welford) switch to values scaled by {@link MOMENT_DOWN}: below it the
 * squared deviations of 1e19 values stay finite; above it, scaled values stay far from underflow.
 */
export const MOMENT_BIG = 2 ** 480;
/** Scale of the streaming moments past {@link MOMENT_BIG} (2^-600; its inverse is {@link MOMENT_UP}). */
export const MOMENT_DOWN = 2 ** -600;
/** 2^600. */
export const MOMENT_UP = 2 ** 600;

/**
 * `plain(a)`, a standard deviation, when it is finite; otherwise (squares of finite values past ~1e154 overflowed)
 * the same computed on `a` scaled into [-1, 1] and scaled back.
 */
export function rescuedStd(a: Float64Array, plain: (a: Float64Array) => number): number {
  const s = plain(a);
  if (Number.isFinite(s)) return s;
  const f = unitScaleFor(maxAbs(a));
  return f === 1 ? s : plain(scaledCopy(a, f)) / f;
}
