import { DriftError } from './errors.js';

/** A numeric sample: plain array (may hold null/undefined/NaN, which are dropped) or a typed array. */
export type NumericSample = ArrayLike<number | null | undefined>;

/** A categorical sample: strings (or numbers/booleans treated as category labels); null/undefined/NaN are dropped. */
export type CategoricalSample = ArrayLike<string | number | boolean | null | undefined>;

/** Counts of missing values (NaN, null, undefined) dropped from each sample before a test ran. */
export interface DroppedCounts {
  /** Missing values dropped from the reference sample. */
  reference: number;
  /** Missing values dropped from the current sample. */
  current: number;
}

/** A numeric sample with its missing values removed, and how many there were. */
export interface CleanSample {
  /** The finite-or-infinite, non-NaN values, in input order. */
  values: Float64Array;
  /** How many NaN/null/undefined entries were dropped. */
  dropped: number;
}

/** An array, typed array or array-like whose length is a count an array can have (0 … 2³² − 1). */
function isArrayLike(sample: unknown): sample is ArrayLike<unknown> {
  if (sample == null || typeof sample !== 'object') return false;
  const length = (sample as { length?: unknown }).length;
  return typeof length === 'number' && Number.isInteger(length) && length >= 0 && length <= 2 ** 32 - 1;
}

/** Drops NaN/null/undefined from a numeric sample (never turning them into 0) and counts them. */
export function cleanSample(sample: NumericSample): CleanSample {
  if (!isArrayLike(sample)) throw new DriftError('INVALID_INPUT', 'expected an array or Float64Array of numbers');
  const n = sample.length;
  if (sample instanceof Float64Array || sample instanceof Float32Array) {
    let nan = 0;
    for (let i = 0; i < n; i++) if (Number.isNaN(sample[i])) nan++;
    if (nan === 0) return { values: sample instanceof Float64Array ? sample : Float64Array.from(sample), dropped: 0 };
    const out = new Float64Array(n - nan);
    let j = 0;
    for (let i = 0; i < n; i++) {
      const v = sample[i]!;
      if (!Number.isNaN(v)) out[j++] = v;
    }
    return { values: out, dropped: nan };
  }
  const out = new Float64Array(n);
  let j = 0;
  for (let i = 0; i < n; i++) {
    const v = sample[i];
    if (v === null || v === undefined) continue;
    if (typeof v !== 'number') {
      throw new DriftError('INVALID_INPUT', `expected numbers, got ${typeof v} at index ${i}`, {
        details: { index: i },
      });
    }
    if (Number.isNaN(v)) continue;
    out[j++] = v;
  }
  return { values: j === n ? out : out.slice(0, j), dropped: n - j };
}

/** Labels of a categorical sample with missing values removed, and how many were dropped. */
export interface CleanCategories {
  /** Category labels as strings (numbers and booleans are converted with `String()`). */
  values: string[];
  /** How many NaN/null/undefined entries were dropped. */
  dropped: number;
}

/** Drops NaN/null/undefined from a categorical sample and converts labels to strings. */
export function cleanCategories(sample: CategoricalSample): CleanCategories {
  if (!isArrayLike(sample)) throw new DriftError('INVALID_INPUT', 'expected an array of category labels');
  const out: string[] = [];
  for (let i = 0; i < sample.length; i++) {
    const v = sample[i];
    if (v === null || v === undefined) continue;
    if (typeof v === 'number') {
      if (Number.isNaN(v)) continue;
      out.push(String(v));
    } else if (typeof v === 'string' || typeof v === 'boolean') {
      out.push(String(v));
    } else {
      throw new DriftError('INVALID_INPUT', `expected category labels, got ${typeof v} at index ${i}`, {
        details: { index: i },
      });
    }
  }
  return { values: out, dropped: sample.length - out.length };
}

/** Cleans both numeric samples and throws EMPTY_INPUT when either is empty afterwards. */
export function cleanPair(
  reference: NumericSample,
  current: NumericSample,
  test: string,
): { ref: Float64Array; cur: Float64Array; dropped: DroppedCounts } {
  const r = cleanSample(reference);
  const c = cleanSample(current);
  requireNonEmpty(r.values.length, c.values.length, test);
  return { ref: r.values, cur: c.values, dropped: { reference: r.dropped, current: c.dropped } };
}

/** Cleans both categorical samples and throws EMPTY_INPUT when either is empty afterwards. */
export function cleanCategoricalPair(
  reference: CategoricalSample,
  current: CategoricalSample,
  test: string,
): { ref: string[]; cur: string[]; dropped: DroppedCounts } {
  const r = cleanCategories(reference);
  const c = cleanCategories(current);
  requireNonEmpty(r.values.length, c.values.length, test);
  return { ref: r.values, cur: c.values, dropped: { reference: r.dropped, current: c.dropped } };
}

function requireNonEmpty(nRef: number, nCur: number, test: string): void {
  if (nRef === 0 || nCur === 0) {
    const which =
      nRef === 0 && nCur === 0
        ? 'reference and current samples are'
        : nRef === 0
          ? 'reference sample is'
          : 'current sample is';
    throw new DriftError('EMPTY_INPUT', `${test}: ${which} empty after dropping missing values`, {
      details: { reference: nRef, current: nCur },
    });
  }
}
