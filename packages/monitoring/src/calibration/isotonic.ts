/** A fitted non-decreasing step function, linear between its knots and constant beyond them. */
export interface IsotonicFit {
  /** Knot positions, ascending. */
  x: number[];
  /** Fitted values at the knots, non-decreasing. */
  y: number[];
}

/**
 * Isotonic regression of `y` on `x` (pool-adjacent-violators, unit weights): the non-decreasing fit with the least
 * squared error, as sklearn's `IsotonicRegression(out_of_bounds='clip')`. Equal `x` values are pooled first. Each
 * block keeps its two end knots, so {@link isotonicPredict} interpolates between blocks.
 */
export function fitIsotonic(x: ArrayLike<number>, y: ArrayLike<number>): IsotonicFit {
  const n = x.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => x[a]! - x[b]!);
  // Blocks as parallel stacks: summed y, weight, and the x range they cover.
  const sum: number[] = [];
  const weight: number[] = [];
  const lo: number[] = [];
  const hi: number[] = [];
  for (const i of order) {
    const xi = x[i]!;
    const top = sum.length - 1;
    if (top >= 0 && hi[top] === xi) {
      // A tie in x joins the block that ends there (ties get one value).
      sum[top]! += y[i]!;
      weight[top]!++;
    } else {
      sum.push(y[i]!);
      weight.push(1);
      lo.push(xi);
      hi.push(xi);
    }
    // Pool while the last block's mean is below the previous one's.
    while (sum.length > 1) {
      const t = sum.length - 1;
      if (sum[t - 1]! / weight[t - 1]! <= sum[t]! / weight[t]!) break;
      sum[t - 1]! += sum[t]!;
      weight[t - 1]! += weight[t]!;
      hi[t - 1] = hi[t]!;
      sum.pop();
      weight.pop();
      lo.pop();
      hi.pop();
    }
  }
  const fit: IsotonicFit = { x: [], y: [] };
  for (let b = 0; b < sum.length; b++) {
    const v = sum[b]! / weight[b]!;
    fit.x.push(lo[b]!);
    fit.y.push(v);
    if (hi[b]! > lo[b]!) {
      fit.x.push(hi[b]!);
      fit.y.push(v);
    }
  }
  return fit;
}

/** The fitted value at `v`: linear between knots, the end values beyond them. */
export function isotonicPredict(fit: IsotonicFit, v: number): number {
  const { x, y } = fit;
  const last = x.length - 1;
  if (last < 0) return v;
  if (v <= x[0]!) return y[0]!;
  if (v >= x[last]!) return y[last]!;
  let a = 0;
  let b = last;
  while (b - a > 1) {
    const m = (a + b) >> 1;
    if (x[m]! <= v) a = m;
    else b = m;
  }
  const x0 = x[a]!;
  const x1 = x[b]!;
  return x1 === x0 ? y[b]! : y[a]! + ((y[b]! - y[a]!) * (v - x0)) / (x1 - x0);
}
