import { lowerBound, sortedCopy, upperBound } from './_internal/sort.js';
import { cleanPair, type DroppedCounts, type NumericSample } from './clean-sample.js';
import { DriftError } from './errors.js';

/** Result of {@link andersonDarling}. */
export interface AndersonDarlingResult {
  /** Normalized k-sample Anderson–Darling statistic (Scholz & Stephens' midrank A²akN, standardized): in ℝ. */
  statistic: number;
  /**
   * Approximate significance level, interpolated as scipy does and capped to [0.001, 0.25] like
   * scipy.stats.anderson_ksamp (so 0.25 means "≥ 0.25" and 0.001 means "≤ 0.001").
   */
  pValue: number;
  /** True when `pValue` sits on a cap (0.25 or 0.001) rather than inside the interpolation range. */
  pValueCapped: boolean;
  /** Critical values for significance levels 25 %, 10 %, 5 %, 2.5 %, 1 %, 0.5 %, 0.1 %. */
  criticalValues: number[];
  /** Missing values dropped from each sample. */
  dropped: DroppedCounts;
}

const SIG = [0.25, 0.1, 0.05, 0.025, 0.01, 0.005, 0.001];
const B0 = [0.675, 1.281, 1.645, 1.96, 2.326, 2.573, 3.085];
const B1 = [-0.245, 0.25, 0.678, 1.149, 1.822, 2.364, 3.615];
const B2 = [-0.105, -0.305, -0.362, -0.391, -0.396, -0.345, -0.154];

/** Least-squares quadratic fit y ≈ c2·x² + c1·x + c0 (numpy.polyfit degree 2), via centred normal equations. */
function polyfit2(x: number[], y: number[]): [number, number, number] {
  const n = x.length;
  const mx = x.reduce((a, b) => a + b, 0) / n;
  let s2 = 0;
  let s3 = 0;
  let s4 = 0;
  let t0 = 0;
  let t1 = 0;
  let t2 = 0;
  for (let i = 0; i < n; i++) {
    const u = x[i]! - mx;
    s2 += u * u;
    s3 += u * u * u;
    s4 += u * u * u * u;
    t0 += y[i]!;
    t1 += u * y[i]!;
    t2 += u * u * y[i]!;
  }
  // Solve [[n,0,s2],[0,s2,s3],[s2,s3,s4]] · [a0,a1,a2] = [t0,t1,t2] (s1 = 0 after centring) by Cramer's rule.
  const M = [
    [n, 0, s2],
    [0, s2, s3],
    [s2, s3, s4],
  ];
  const det = (m: number[][]) =>
    m[0]![0]! * (m[1]![1]! * m[2]![2]! - m[1]![2]! * m[2]![1]!) -
    m[0]![1]! * (m[1]![0]! * m[2]![2]! - m[1]![2]! * m[2]![0]!) +
    m[0]![2]! * (m[1]![0]! * m[2]![1]! - m[1]![1]! * m[2]![0]!);
  const D = det(M);
  const rhs = [t0, t1, t2];
  const sol = [0, 1, 2].map((col) => det(M.map((row, r) => row.map((v, c) => (c === col ? rhs[r]! : v)))) / D);
  const [a0, a1, a2] = sol as [number, number, number];
  // back from u = x − mx
  return [a2, a1 - 2 * a2 * mx, a0 - a1 * mx + a2 * mx * mx];
}

/** k-sample Anderson–Darling (= scipy.stats.anderson_ksamp, midrank, 2 samples): statistic in ℝ, p in [0.001, 0.25]. */
export function andersonDarling(reference: NumericSample, current: NumericSample): AndersonDarlingResult {
  const { ref, cur, dropped } = cleanPair(reference, current, 'andersonDarling');
  const samples = [sortedCopy(ref), sortedCopy(cur)];
  const k = 2;
  const n = [ref.length, cur.length];
  const N = n[0]! + n[1]!;
  const Z = new Float64Array(N);
  Z.set(ref);
  Z.set(cur, n[0]!);
  Z.sort();
  const Zstar: number[] = [];
  for (let i = 0; i < N; i++) if (i === 0 || Z[i] !== Z[i - 1]) Zstar.push(Z[i]!);
  if (Zstar.length < 2) {
    throw new DriftError('INSUFFICIENT_DATA', 'andersonDarling: needs more than one distinct observation', {
      details: { distinct: Zstar.length },
    });
  }
  let A2akN = 0;
  for (let s = 0; s < k; s++) {
    const smp = samples[s]!;
    let inner = 0;
    for (const z of Zstar) {
      const left = lowerBound(Z, z);
      const lj = N === Zstar.length ? 1 : upperBound(Z, z) - left;
      const Bj = left + lj / 2;
      const right = upperBound(smp, z);
      const fij = right - lowerBound(smp, z);
      const Mij = right - fij / 2;
      inner += ((lj / N) * (N * Mij - Bj * n[s]!) ** 2) / (Bj * (N - Bj) - (N * lj) / 4);
    }
    A2akN += inner / n[s]!;
  }
  A2akN *= (N - 1) / N;
  const H = 1 / n[0]! + 1 / n[1]!;
  // hs_cs = cumsum(1 / arange(N - 1, 1, -1)); h = hs_cs[-1] + 1; g = sum(hs_cs / arange(2, N))
  let cs = 0;
  let g = 0;
  for (let i = 0, v = N - 1; v > 1; i++, v--) {
    cs += 1 / v;
    g += cs / (2 + i);
  }
  const h = cs + 1;
  const a = (4 * g - 6) * (k - 1) + (10 - 6 * g) * H;
  const b = (2 * g - 4) * k ** 2 + 8 * h * k + (2 * g - 14 * h - 4) * H - 8 * h + 4 * g - 6;
  const c = (6 * h + 2 * g - 2) * k ** 2 + (4 * h - 4 * g + 6) * k + (2 * h - 6) * H + 4 * h;
  const d = (2 * h + 6) * k ** 2 - 4 * h * k;
  const sigmasq = (a * N ** 3 + b * N ** 2 + c * N + d) / ((N - 1) * (N - 2) * (N - 3));
  const m = k - 1;
  const A2 = (A2akN - m) / Math.sqrt(sigmasq);
  const critical = B0.map((b0, i) => b0 + B1[i]! / Math.sqrt(m) + B2[i]! / m);
  let p: number;
  let capped = false;
  if (A2 < Math.min(...critical)) {
    p = 0.25;
    capped = true;
  } else if (A2 > Math.max(...critical)) {
    p = 0.001;
    capped = true;
  } else {
    const [c2, c1, c0] = polyfit2(critical, SIG.map(Math.log));
    p = Math.exp((c2 * A2 + c1) * A2 + c0);
  }
  return { statistic: A2, pValue: p, pValueCapped: capped, criticalValues: critical, dropped };
}
