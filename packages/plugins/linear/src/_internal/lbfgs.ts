// Limited-memory BFGS (Nocedal & Wright, "Numerical Optimization", 2nd ed.: Algorithm 7.4 for the two-loop recursion,
// Algorithms 3.5/3.6 for the strong-Wolfe line search with cubic interpolation). Unconstrained, full batch.

/** Writes the gradient at `x` into `grad` and returns the objective value. */
export type ObjectiveFn = (x: Float64Array, grad: Float64Array) => number;

/** Options of {@link minimizeLbfgs}. */
export interface LbfgsOptions {
  /** Iteration limit. */
  maxIter: number;
  /** Stop when max |gradient component| ≤ gtol (scipy's `gtol`, what sklearn passes its `tol` as). */
  gtol: number;
  /** Stop when the relative decrease of f is ≤ ftol (scipy's `factr * eps` = 1e7 × 2.2e-16); 0 disables. */
  ftol?: number;
  /** Number of correction pairs kept (scipy's `maxcor`). */
  memory?: number;
  /** Called after each accepted step; may be async (to yield to the event loop, or throw to abort). */
  onIteration?: (iter: number, f: number, gradMax: number) => void | Promise<void>;
}

/** Why {@link minimizeLbfgs} stopped. */
export type LbfgsStop = 'gtol' | 'ftol' | 'max-iter' | 'line-search';

/** The result of {@link minimizeLbfgs}. */
export interface LbfgsResult {
  x: Float64Array;
  f: number;
  nIter: number;
  nEval: number;
  stop: LbfgsStop;
  /** True for `gtol` and `ftol`. */
  converged: boolean;
}

const C1 = 1e-4;
const C2 = 0.9;
const MAX_LINE_EVALS = 25;

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

function maxAbs(a: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const v = Math.abs(a[i]!);
    if (v > m || Number.isNaN(v)) m = v;
  }
  return m;
}

// Vector kernels as top-level functions: loops inside the async solver (over variables its closures capture) are
// compiled less well by V8.

/** out = x + a·y */
function addScaled(out: Float64Array, x: Float64Array, a: number, y: Float64Array): void {
  for (let i = 0; i < out.length; i++) out[i] = x[i]! + a * y[i]!;
}

/** out = a·x */
function scaleInto(out: Float64Array, a: number, x: Float64Array): void {
  for (let i = 0; i < out.length; i++) out[i] = a * x[i]!;
}

/** out = a − b */
function diffInto(out: Float64Array, a: Float64Array, b: Float64Array): void {
  for (let i = 0; i < out.length; i++) out[i] = a[i]! - b[i]!;
}

/** Two-loop recursion (Nocedal & Wright, Algorithm 7.4): d = −H·g with H0 = (s·y / y·y)·I. */
function twoLoop(
  d: Float64Array,
  g: Float64Array,
  sHist: Float64Array[],
  yHist: Float64Array[],
  rhoHist: number[],
  alpha: Float64Array,
): void {
  d.set(g);
  const k = sHist.length;
  for (let j = k - 1; j >= 0; j--) {
    const a = rhoHist[j]! * dot(sHist[j]!, d);
    alpha[j] = a;
    addScaled(d, d, -a, yHist[j]!);
  }
  if (k > 0) scaleInto(d, dot(sHist[k - 1]!, yHist[k - 1]!) / dot(yHist[k - 1]!, yHist[k - 1]!), d);
  for (let j = 0; j < k; j++) addScaled(d, d, alpha[j]! - rhoHist[j]! * dot(yHist[j]!, d), sHist[j]!);
  scaleInto(d, -1, d);
}

/** Minimiser of the cubic through (a, fa, da) and (b, fb, db); NaN when it has none. */
function cubicMin(a: number, fa: number, da: number, b: number, fb: number, db: number): number {
  const d1 = da + db - (3 * (fa - fb)) / (a - b);
  const disc = d1 * d1 - da * db;
  if (!(disc >= 0)) return Number.NaN;
  const d2 = Math.sign(b - a) * Math.sqrt(disc);
  return b - ((b - a) * (db + d2 - d1)) / (db - da + 2 * d2);
}

/**
 * Minimises a smooth function with L-BFGS. Deterministic: the same inputs give bit-identical outputs. The stopping
 * rules mirror scipy's L-BFGS-B (projected-gradient and relative-reduction tests), which is what sklearn calls.
 */
export async function minimizeLbfgs(fn: ObjectiveFn, x0: Float64Array, opts: LbfgsOptions): Promise<LbfgsResult> {
  const n = x0.length;
  const m = opts.memory ?? 10;
  const ftol = opts.ftol ?? 1e7 * Number.EPSILON;
  const x = Float64Array.from(x0);
  const g = new Float64Array(n);
  const d = new Float64Array(n);
  const xt = new Float64Array(n);
  const gt = new Float64Array(n);
  const sHist: Float64Array[] = [];
  const yHist: Float64Array[] = [];
  const rhoHist: number[] = [];
  const alpha = new Float64Array(m);
  let sNext: Float64Array = new Float64Array(n);
  let yNext: Float64Array = new Float64Array(n);
  let nEval = 1;
  let f = fn(x, g);
  if (!Number.isFinite(f)) throw new RangeError('the objective is not finite at the starting point');
  if (maxAbs(g) <= opts.gtol) return { x, f, nIter: 0, nEval, stop: 'gtol', converged: true };

  // Evaluates f and its directional derivative at x + a·d, leaving the point and gradient in xt / gt.
  let lastA = Number.NaN;
  let lastF = Number.NaN;
  const phi = (a: number): { f: number; df: number } => {
    addScaled(xt, x, a, d);
    nEval++;
    lastA = a;
    lastF = fn(xt, gt);
    return { f: lastF, df: dot(gt, d) };
  };

  // Strong-Wolfe line search; returns the accepted step (xt / gt then hold its point) or 0 on failure.
  const lineSearch = (f0: number, df0: number, a1: number): number => {
    const zoom = (lo: number, flo: number, dlo: number, hi: number, fhi: number, dhi: number, evals: number) => {
      for (; evals < MAX_LINE_EVALS; evals++) {
        const width = Math.abs(hi - lo);
        let a = cubicMin(lo, flo, dlo, hi, fhi, dhi);
        const left = Math.min(lo, hi) + 0.1 * width;
        const right = Math.max(lo, hi) - 0.1 * width;
        if (!(a >= left && a <= right)) a = (lo + hi) / 2;
        if (width <= 1e-16 * Math.max(1, Math.abs(lo))) break;
        const p = phi(a);
        if (!Number.isFinite(p.f) || p.f > f0 + C1 * a * df0 || p.f >= flo) {
          hi = a;
          fhi = p.f;
          dhi = p.df;
        } else {
          if (Math.abs(p.df) <= -C2 * df0) return a;
          if (p.df * (hi - lo) >= 0) {
            hi = lo;
            fhi = flo;
            dhi = dlo;
          }
          lo = a;
          flo = p.f;
          dlo = p.df;
        }
      }
      // No strong-Wolfe point found in the budget: accept the best sufficient-decrease point, if any.
      if (lo > 0) {
        if (lastA !== lo) phi(lo);
        return lo;
      }
      return 0;
    };
    let aPrev = 0;
    let fPrev = f0;
    let dPrev = df0;
    let a = a1;
    for (let evals = 0; evals < MAX_LINE_EVALS; evals++) {
      const p = phi(a);
      if (!Number.isFinite(p.f) || p.f > f0 + C1 * a * df0 || (evals > 0 && p.f >= fPrev)) {
        return zoom(aPrev, fPrev, dPrev, a, Number.isFinite(p.f) ? p.f : Number.MAX_VALUE, p.df, evals + 1);
      }
      if (Math.abs(p.df) <= -C2 * df0) return a;
      if (p.df >= 0) return zoom(a, p.f, p.df, aPrev, fPrev, dPrev, evals + 1);
      aPrev = a;
      fPrev = p.f;
      dPrev = p.df;
      a *= 2;
    }
    return 0;
  };

  let stop: LbfgsStop = 'max-iter';
  let iter = 0;
  while (iter < opts.maxIter) {
    twoLoop(d, g, sHist, yHist, rhoHist, alpha);
    let df0 = dot(g, d);
    if (!(df0 < 0)) {
      // Not a descent direction (numerical trouble): restart from steepest descent.
      sHist.length = 0;
      yHist.length = 0;
      rhoHist.length = 0;
      scaleInto(d, -1, g);
      df0 = dot(g, d);
    }
    const a1 = sHist.length === 0 ? Math.min(1, 1 / Math.sqrt(-df0)) : 1;
    let step = lineSearch(f, df0, a1);
    if (step === 0 && sHist.length > 0) {
      sHist.length = 0;
      yHist.length = 0;
      rhoHist.length = 0;
      scaleInto(d, -1, g);
      df0 = dot(g, d);
      step = lineSearch(f, df0, Math.min(1, 1 / Math.sqrt(-df0)));
    }
    if (step === 0) {
      stop = 'line-search';
      break;
    }
    if (lastA !== step) phi(step);
    const fNew = lastF;
    diffInto(sNext, xt, x);
    diffInto(yNext, gt, g);
    const sy = dot(sNext, yNext);
    if (sy > 1e-10 * dot(yNext, yNext)) {
      // Keep the pair; reuse the oldest pair's buffers once the memory is full.
      sHist.push(sNext);
      yHist.push(yNext);
      rhoHist.push(1 / sy);
      if (sHist.length > m) {
        sNext = sHist.shift()!;
        yNext = yHist.shift()!;
        rhoHist.shift();
      } else {
        sNext = new Float64Array(n);
        yNext = new Float64Array(n);
      }
    }
    const fOld = f;
    x.set(xt);
    g.set(gt);
    f = fNew;
    iter++;
    const gmax = maxAbs(g);
    await opts.onIteration?.(iter, f, gmax);
    if (gmax <= opts.gtol) {
      stop = 'gtol';
      break;
    }
    if (ftol > 0 && (fOld - f) / Math.max(Math.abs(fOld), Math.abs(f), 1) <= ftol) {
      stop = 'ftol';
      break;
    }
  }
  return { x, f, nIter: iter, nEval, stop, converged: stop === 'gtol' || stop === 'ftol' };
}
