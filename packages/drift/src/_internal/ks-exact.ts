// Exact two-sample Kolmogorov–Smirnov p-values, ported from scipy 1.10 (scipy/stats/_stats_py.py:
// _compute_prob_outside_square, _count_paths_outside_method, _attempt_exact_2kssamp; scipy/stats/_stats_pythran.py:
// _compute_outer_prob_inside_method).

import { lgamma } from './special.js';

/** Pr(D_{n,n} >= h/n), two-sided, equal sample sizes. */
export function probOutsideSquare(n: number, h: number): number {
  let P = 0;
  let k = Math.floor(n / h);
  while (k >= 0) {
    let p1 = 1;
    for (let j = 0; j < h; j++) p1 = ((n - k * h - j) * p1) / (n + k * h + j + 1);
    P = p1 * (1 - P);
    k -= 1;
  }
  return 2 * P;
}

/** Proportion of lattice paths leaving the band |x/m - y/n| < h/lcm (two-sided p-value, Viehmann's recursion). */
export function outerProbInside(m0: number, n0: number, g: number, h: number): number {
  let m = m0;
  let n = n0;
  if (m < n) {
    m = n0;
    n = m0;
  }
  const mg = m / g;
  const ng = n / g;
  let minj = 0;
  let maxj = Math.min(Math.ceil(h / mg), n + 1);
  let curlen = maxj - minj;
  const lenA = Math.min(2 * maxj + 2, n + 1);
  const A = new Float64Array(lenA).fill(1);
  for (let j = minj; j < maxj; j++) A[j] = 0;
  for (let i = 1; i <= m; i++) {
    const lastminj = minj;
    const lastlen = curlen;
    minj = Math.max(Math.floor((ng * i - h) / mg) + 1, 0);
    minj = Math.min(minj, n);
    maxj = Math.min(Math.ceil((ng * i + h) / mg), n + 1);
    if (maxj <= minj) return 1;
    let val = minj === 0 ? 0 : 1;
    const off = minj - lastminj;
    for (let jj = 0; jj < maxj - minj; jj++) {
      const j = jj + minj;
      val = (A[jj + off]! * i + val * j) / (i + j);
      A[jj] = val;
    }
    curlen = maxj - minj;
    if (lastlen > curlen) {
      const end = Math.min(maxj - minj + (lastlen - curlen), lenA);
      for (let q = maxj - minj; q < end; q++) A[q] = 1;
    }
  }
  return A[maxj - minj - 1]!;
}

/** Binomial coefficient as a double (exact by products for small k, log-gamma otherwise). */
export function binom(n: number, k: number): number {
  if (k < 0 || k > n) return 0;
  let kx = k;
  if (kx > n / 2) kx = n - kx;
  if (kx < 20) {
    let num = 1;
    let den = 1;
    for (let i = 1; i <= kx; i++) {
      num *= i + n - kx;
      den *= i;
      if (Math.abs(num) > 1e50) {
        num /= den;
        den = 1;
      }
    }
    return num / den;
  }
  return Math.exp(lgamma(n + 1) - lgamma(k + 1) - lgamma(n - k + 1));
}

/** Number of paths from (0,0) to (m,n) that go below the diagonal by h (one-sided, Hodges). */
export function countPathsOutside(m0: number, n0: number, g: number, h: number): number {
  let m = m0;
  let n = n0;
  if (m < n) {
    m = n0;
    n = m0;
  }
  const mg = m / g;
  const ng = n / g;
  const lxj = n + Math.floor((mg - h) / mg);
  if (lxj === 0) return binom(m + n, n);
  const xj = new Float64Array(lxj);
  for (let j = 0; j < lxj; j++) xj[j] = Math.floor((h + mg * j + ng - 1) / ng);
  const B = new Float64Array(lxj);
  B[0] = 1;
  for (let j = 1; j < lxj; j++) {
    let Bj = binom(xj[j]! + j, j);
    for (let i = 0; i < j; i++) Bj -= binom(xj[j]! - xj[i]! + j - i, j - i) * B[i]!;
    // scipy runs this under np.errstate(over='raise'): the first overflow abandons the exact computation.
    if (!Number.isFinite(Bj)) return Number.NaN;
    B[j] = Bj;
  }
  let numPaths = 0;
  for (let j = 0; j < lxj; j++) {
    numPaths += B[j]! * binom(m - xj[j]! + (n - j), n - j);
    if (!Number.isFinite(numPaths)) return Number.NaN;
  }
  return numPaths;
}

/** scipy's _attempt_exact_2kssamp: { ok, d, p }; ok false means fall back to the asymptotic distribution. */
export function attemptExact(
  n1: number,
  n2: number,
  g: number,
  d0: number,
  alternative: 'two-sided' | 'less' | 'greater',
): { ok: boolean; d: number; p: number } {
  const lcm = (n1 / g) * n2;
  const h = Math.round(d0 * lcm);
  const d = h / lcm;
  if (h === 0) return { ok: true, d, p: 1 };
  let p: number;
  if (alternative === 'two-sided') {
    p = n1 === n2 ? probOutsideSquare(n1, h) : outerProbInside(n1, n2, g, h);
  } else if (n1 === n2) {
    p = 1;
    for (let j = 0; j < h; j++) p *= (n1 - j) / (n1 + j + 1);
  } else {
    const numPaths = countPathsOutside(n1, n2, g, h);
    const bin = binom(n1 + n2, n1);
    if (!Number.isFinite(numPaths) || !Number.isFinite(bin) || numPaths > bin) return { ok: false, d, p: Number.NaN };
    p = numPaths / bin;
  }
  if (!(p >= 0 && p <= 1)) return { ok: false, d, p };
  return { ok: true, d, p };
}
