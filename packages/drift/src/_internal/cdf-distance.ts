import { rescuedStd } from './scale.js';
import { createSum } from './sum.js';

/**
 * scipy.stats._stats_py._cdf_distance for unweighted samples: (∫|U − V|^p)^(1/p) over the pooled values, computed
 * with one merge walk over the two sorted samples (O(n + m) after sorting).
 */
export function cdfDistance(p: 1 | 2, u: Float64Array, v: Float64Array): number {
  const nu = u.length;
  const nv = v.length;
  const acc = createSum();
  let i = 0;
  let j = 0;
  // current distinct pooled value x, then counts of u <= x and v <= x
  let x = Math.min(u[0]!, v[0]!);
  while (i < nu || j < nv) {
    while (i < nu && u[i]! <= x) i++;
    while (j < nv && v[j]! <= x) j++;
    if (i >= nu && j >= nv) break;
    const next = i < nu && (j >= nv || u[i]! <= v[j]!) ? u[i]! : v[j]!;
    const diff = Math.abs(i / nu - j / nv);
    const gap = next - x;
    // gap > 0 skips the NaN between two equal infinities (a tie, zero width in scipy)
    if (diff !== 0 && gap > 0) acc.add(p === 1 ? diff * gap : diff * diff * gap);
    x = next;
  }
  const s = acc.value();
  return p === 1 ? s : Math.sqrt(s);
}

/** Population standard deviation (numpy.std with ddof = 0), two-pass; finite for every finite sample. */
export function populationStd(a: Float64Array): number {
  return rescuedStd(a, plainPopulationStd);
}

function plainPopulationStd(a: Float64Array): number {
  const n = a.length;
  const m = createSum();
  for (let i = 0; i < n; i++) m.add(a[i]!);
  const mean = m.value() / n;
  const s = createSum();
  for (let i = 0; i < n; i++) {
    const d = a[i]! - mean;
    s.add(d * d);
  }
  return Math.sqrt(s.value() / n);
}
