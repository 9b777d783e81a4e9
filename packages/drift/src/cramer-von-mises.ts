import { z } from 'zod';
import { parseOptions } from './_internal/options.js';
import { sortedCopy } from './_internal/sort.js';
import { besselKScaled, lgamma } from './_internal/special.js';
import { cleanPair, type DroppedCounts, type NumericSample } from './clean-sample.js';
import { DriftError } from './errors.js';

/** Options of {@link cramerVonMises}. */
export const cramerVonMisesOptionsSchema = z.strictObject({
  /**
   * 'exact' (permutation distribution), 'asymptotic' (limiting distribution of the normalized statistic) or 'auto'
   * (exact when both samples have at most 20 values), as scipy.stats.cramervonmises_2samp.
   * @default 'auto'
   */
  method: z.enum(['auto', 'exact', 'asymptotic']).default('auto'),
});

/** Options of {@link cramerVonMises}. */
export type CramerVonMisesOptions = z.input<typeof cramerVonMisesOptionsSchema>;

/** Result of {@link cramerVonMises}. */
export interface CramerVonMisesResult {
  /** The two-sample Cramér–von Mises statistic T in [0, ∞). */
  statistic: number;
  /** p-value in [0, 1]. */
  pValue: number;
  /** Missing values dropped from each sample. */
  dropped: DroppedCounts;
}

/** Limiting CDF of the one-sample CvM statistic (scipy _cdf_cvm_inf; series cut when a term drops below 1e-7). */
function cdfCvmInf(x: number): number {
  let tot = 0;
  for (let k = 0; k < 1000; k++) {
    const u = Math.exp(lgamma(k + 0.5) - lgamma(k + 1)) / (Math.PI ** 1.5 * Math.sqrt(x));
    const y = 4 * k + 1;
    const q = (y * y) / (16 * x);
    // exp(-q)·K_{1/4}(q) = exp(-2q)·(e^q K_{1/4}(q))
    const term = u * Math.sqrt(y) * Math.exp(-2 * q) * besselKScaled(0.25, q);
    tot += term;
    if (!(Math.abs(term) >= 1e-7)) break;
  }
  return tot;
}

/** Midranks (scipy.stats.rankdata 'average') of the pooled sample; returns ranks of x then y. */
function midranks(xa: Float64Array, ya: Float64Array): Float64Array {
  const N = xa.length + ya.length;
  const idx = new Uint32Array(N);
  const z = new Float64Array(N);
  z.set(xa);
  z.set(ya, xa.length);
  for (let i = 0; i < N; i++) idx[i] = i;
  idx.sort((a, b) => z[a]! - z[b]! || a - b);
  const r = new Float64Array(N);
  let i = 0;
  while (i < N) {
    let j = i;
    while (j + 1 < N && z[idx[j + 1]!] === z[idx[i]!]) j++;
    const avg = (i + j + 2) / 2;
    for (let t = i; t <= j; t++) r[idx[t]!] = avg;
    i = j + 1;
  }
  return r;
}

function binomInt(n: number, k: number): number {
  let r = 1;
  for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i;
  return Math.round(r);
}

/** Exact p-value of the two-sample CvM statistic U (scipy _pval_cvm_2samp_exact, Xiao's frequency tables). */
function pvalExact(s: number, m: number, n: number): number {
  const g = (a: number, b: number): number => (b === 0 ? a : g(b, a % b));
  const lcm = (m / g(m, n)) * n;
  const a = lcm / m;
  const b = lcm / n;
  const mn = m * n;
  const zeta = Math.floor((lcm ** 2 * (m + n) * (6 * s - mn * (4 * mn - 1))) / (6 * mn ** 2));
  const combinations = binomInt(m + n, m);
  // gs[v]: map value -> frequency
  let gs: Map<number, number>[] = [new Map([[0, 1]])];
  for (let v = 0; v < m; v++) gs.push(new Map());
  for (let u = 0; u <= n; u++) {
    const next: Map<number, number>[] = [];
    let tmp = new Map<number, number>();
    for (let v = 0; v < gs.length; v++) {
      const merged = new Map(tmp);
      for (const [val, f] of gs[v]!) merged.set(val, (merged.get(val) ?? 0) + f);
      const add = (a * v - b * u) ** 2;
      tmp = new Map();
      for (const [val, f] of merged) tmp.set(val + add, f);
      next.push(tmp);
    }
    gs = next;
  }
  let count = 0;
  for (const [val, f] of gs[m]!) if (val >= zeta) count += f;
  return count / combinations;
}

/** Two-sample Cramér–von Mises (= scipy.stats.cramervonmises_2samp): statistic T in [0, ∞) and p-value in [0, 1]. */
export function cramerVonMises(
  reference: NumericSample,
  current: NumericSample,
  options?: CramerVonMisesOptions,
): CramerVonMisesResult {
  const opts = parseOptions(cramerVonMisesOptionsSchema, options, 'cramerVonMises');
  const { ref, cur, dropped } = cleanPair(reference, current, 'cramerVonMises');
  const nx = ref.length;
  const ny = cur.length;
  if (nx <= 1 || ny <= 1) {
    throw new DriftError('INSUFFICIENT_DATA', 'cramerVonMises: each sample needs at least two observations', {
      details: { reference: nx, current: ny },
    });
  }
  const xa = sortedCopy(ref);
  const ya = sortedCopy(cur);
  const method = opts.method === 'auto' ? (Math.max(nx, ny) > 20 ? 'asymptotic' : 'exact') : opts.method;
  const r = midranks(xa, ya);
  let sx = 0;
  for (let i = 0; i < nx; i++) sx += (r[i]! - (i + 1)) ** 2;
  let sy = 0;
  for (let i = 0; i < ny; i++) sy += (r[nx + i]! - (i + 1)) ** 2;
  const u = nx * sx + ny * sy;
  const k = nx * ny;
  const N = nx + ny;
  const t = u / (k * N) - (4 * k - 1) / (6 * N);
  let p: number;
  if (method === 'exact') {
    p = pvalExact(u, nx, ny);
  } else {
    const et = (1 + 1 / N) / 6;
    let vt = (N + 1) * (4 * k * N - 3 * (nx ** 2 + ny ** 2) - 2 * k);
    vt = vt / (45 * N ** 2 * 4 * k);
    const tn = 1 / 6 + (t - et) / Math.sqrt(45 * vt);
    p = tn < 0.003 ? 1 : Math.max(0, 1 - cdfCvmInf(tn));
  }
  return { statistic: t, pValue: p, dropped };
}
