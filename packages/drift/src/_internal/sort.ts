import { sortedFloat64 } from './radix-sort.js';

/** Sorted copy of a NaN-free Float64Array (bucket or radix sort, see radix-sort.ts); the input is not modified. */
export function sortedCopy(values: Float64Array): Float64Array {
  return sortedFloat64(values);
}

/** Number of elements of sorted `a` that are <= x (numpy searchsorted side='right'). */
export function upperBound(a: Float64Array, x: number, lo = 0, hi = a.length): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Number of elements of sorted `a` that are < x (numpy searchsorted side='left'). */
export function lowerBound(a: Float64Array, x: number, lo = 0, hi = a.length): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
