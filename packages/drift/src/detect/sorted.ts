import { sortedFloat64, sortFloat64InPlace } from '../_internal/radix-sort.js';
import { DriftError } from '../errors.js';
import type { TypedColumn } from '../profile/input.js';

/** The column's numbers sorted ascending, cached on the column (a monitor's reference is sorted once). */
export function sortedValues(col: TypedColumn, test: string): Float64Array {
  if (!col.sorted) {
    if (!col.numbers) {
      throw new DriftError('INVALID_INPUT', `${test} needs a numerical column, "${col.name}" is ${col.type}`);
    }
    const a = col.numbers;
    let ordered = true;
    for (let i = 1; i < a.length && ordered; i++) ordered = (a[i - 1] as number) <= (a[i] as number);
    // Profiles store numerical samples sorted, so a profile reference needs no sort at all.
    col.sorted = ordered ? a : sortedFloat64(a);
  }
  return col.sorted;
}

/** Sorts finite numbers in place, ascending (bucket sort for smooth samples, else a radix sort: radix-sort.ts). */
export function sortFloat64(a: Float64Array): Float64Array {
  return sortFloat64InPlace(a);
}

/** Number of values of sorted `a` below `x`. */
export function countBelow(a: Float64Array, x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((a[mid] as number) < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Number of values of sorted `a` at or below `x`. */
export function countAtMost(a: Float64Array, x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((a[mid] as number) <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** numpy-style histogram counts of sorted values over edges: [e_i, e_i+1), the last bin closed. */
export function sortedHistogram(a: Float64Array, edges: readonly number[]): number[] {
  const bins = edges.length - 1;
  const counts = new Array<number>(bins);
  let start = countBelow(a, edges[0] as number);
  for (let i = 0; i < bins; i++) {
    const end = i === bins - 1 ? countAtMost(a, edges[bins] as number) : countBelow(a, edges[i + 1] as number);
    counts[i] = end - start;
    start = end;
  }
  return counts;
}

/** {@link sortedHistogram} of values in any order, in one pass (the same counts). */
export { unsortedHistogram } from '../_internal/wasserstein-buckets.js';
