import { rescuedStd } from '../_internal/scale.js';
import { wassersteinUnsorted } from '../_internal/wasserstein-buckets.js';
import { andersonDarling } from '../anderson-darling.js';
import { chiSquareTest } from '../chi-square.js';
import { cramerVonMises } from '../cramer-von-mises.js';
import {
  divergenceShares,
  hellingerDistance,
  jensenShannonDistance,
  klDivergence,
  totalVariationDistance,
} from '../divergence.js';
import { energyDistance } from '../energy.js';
import { DriftError } from '../errors.js';
import { ksTestSorted, ksTestUnsorted } from '../ks.js';
import type { TypedColumn } from '../profile/input.js';
import { psi } from '../psi.js';
import { wassersteinSorted } from '../wasserstein.js';
import { zTestProportions } from '../z-test.js';
import type { DriftTestName } from './schema.js';
import { sortedValues } from './sorted.js';

/** Statistic and, for p-value tests, the p-value of one column's drift test. */
export interface StatOutcome {
  statistic: number;
  pValue: number | null;
}

function numbers(col: TypedColumn, test: DriftTestName): Float64Array {
  if (!col.numbers) {
    throw new DriftError('INVALID_INPUT', `${test} needs a numerical column, "${col.name}" is ${col.type}`);
  }
  return col.numbers;
}

function sorted(col: TypedColumn, test: DriftTestName): Float64Array {
  return sortedValues(col, test);
}

/**
 * From this many values in both columns together, KS, Wasserstein and the histogram scan the columns in buckets
 * instead of sorting them (see _internal/ks-walk.ts and wasserstein-buckets.ts). Smaller columns are sorted once and
 * the sorted copy is kept (a prepared reference reuses it for every window).
 */
export const UNSORTED_FROM = 20_000;

/** Whether a numerical column pair is large enough to be scanned unsorted. */
export function scanUnsorted(ref: TypedColumn, cur: TypedColumn): boolean {
  return (ref.numbers?.length ?? 0) + (cur.numbers?.length ?? 0) >= UNSORTED_FROM;
}

/** Population standard deviation, two-pass (plain sums: relative error ~1e-13 at these sizes, much faster). */
function populationStd(a: Float64Array): number {
  return rescuedStd(a, plainPopulationStd);
}

function plainPopulationStd(a: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i] as number;
  const mean = sum / a.length;
  let ss = 0;
  for (let i = 0; i < a.length; i++) {
    const d = (a[i] as number) - mean;
    ss += d * d;
  }
  return Math.sqrt(ss / a.length);
}

function labels(col: TypedColumn): string[] {
  return col.strings ?? Array.from(col.numbers ?? [], String);
}

/** Numbers for numerical columns (binned by the divergences), labels otherwise (one bin per category). */
function binnable(col: TypedColumn): Float64Array | string[] {
  return col.numbers ?? col.strings ?? [];
}

function nullIfNaN(x: number): number | null {
  return Number.isNaN(x) ? null : x;
}

/** PSI over categories with Evidently's empty-bin rule (the numeric `psi` bins numbers). */
function categoricalPsi(ref: string[], cur: string[]): number {
  const s = divergenceShares(ref, cur, { kind: 'categorical' }, 'psi');
  const floor = (p: Float64Array) => {
    let smallest = Number.POSITIVE_INFINITY;
    for (const x of p) if (x > 0 && x < smallest) smallest = x;
    const f = smallest <= 1e-4 ? smallest / 1e6 : 1e-4;
    return Float64Array.from(p, (x) => (x === 0 ? f : x));
  };
  const r = floor(s.ref);
  const c = floor(s.cur);
  let total = 0;
  for (let i = 0; i < r.length; i++)
    total += ((c[i] as number) - (r[i] as number)) * Math.log((c[i] as number) / (r[i] as number));
  return total;
}

/**
 * Runs one named test on a reference and a current column. Chi-square and the Z-test always compare category
 * labels (numbers become labels, as Evidently does for low-cardinality numeric columns); the divergences bin
 * numbers and count categories.
 */
export function runStatTest(test: DriftTestName, ref: TypedColumn, cur: TypedColumn): StatOutcome {
  switch (test) {
    case 'ks': {
      // = ksTest: large columns in buckets (the same statistic as the walk), others on the cached sorted samples
      const r =
        scanUnsorted(ref, cur) && !(ref.sorted && cur.sorted)
          ? ksTestUnsorted(numbers(ref, test), numbers(cur, test))
          : ksTestSorted(sorted(ref, test), sorted(cur, test));
      return { statistic: r.statistic, pValue: nullIfNaN(r.pValue) };
    }
    case 'wasserstein': {
      // = wassersteinDistance(ref, cur, { normalize: true }): large columns in buckets, others on the cached sorted
      // samples (the choice depends on the sizes only, so a column always gets the same number)
      ref.std ??= populationStd(numbers(ref, test));
      const w = scanUnsorted(ref, cur)
        ? wassersteinUnsorted(numbers(ref, test), numbers(cur, test))
        : wassersteinSorted(sorted(ref, test), sorted(cur, test));
      return { statistic: w / Math.max(ref.std, 0.001), pValue: null };
    }
    case 'energy':
      return { statistic: energyDistance(numbers(ref, test), numbers(cur, test)), pValue: null };
    case 'psi':
      // Evidently's psi_stat_test bins numbers with Sturges' rule (one bin per value for ≤ 20 distinct values).
      return {
        statistic:
          ref.numbers && cur.numbers
            ? psi(ref.numbers, cur.numbers, { binning: 'sturges' })
            : categoricalPsi(labels(ref), labels(cur)),
        pValue: null,
      };
    case 'jensen-shannon':
      return { statistic: jensenShannonDistance(binnable(ref), binnable(cur)), pValue: null };
    case 'kl-divergence':
      return { statistic: klDivergence(binnable(ref), binnable(cur)), pValue: null };
    case 'hellinger':
      return { statistic: hellingerDistance(binnable(ref), binnable(cur)), pValue: null };
    case 'total-variation':
      return { statistic: totalVariationDistance(binnable(ref), binnable(cur)), pValue: null };
    case 'chi-square': {
      // Evidently's chi_stat_test: current counts against the reference shares (goodness of fit).
      const r = chiSquareTest(labels(ref), labels(cur), { kind: 'goodnessOfFit' });
      return { statistic: r.statistic, pValue: nullIfNaN(r.pValue) };
    }
    case 'z-test': {
      const r = zTestProportions(labels(ref), labels(cur));
      // Both samples holding the same single category: no difference (z undefined, p = 1 as Evidently).
      return { statistic: Number.isNaN(r.statistic) && r.pValue === 1 ? 0 : r.statistic, pValue: nullIfNaN(r.pValue) };
    }
    case 'anderson-darling': {
      const r = andersonDarling(numbers(ref, test), numbers(cur, test));
      return { statistic: r.statistic, pValue: nullIfNaN(r.pValue) };
    }
    case 'cramer-von-mises': {
      const r = cramerVonMises(numbers(ref, test), numbers(cur, test));
      return { statistic: r.statistic, pValue: nullIfNaN(r.pValue) };
    }
    case 'domain-classifier':
      throw new DriftError('INVALID_INPUT', 'domain-classifier runs through textDrift');
  }
}
