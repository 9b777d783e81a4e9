import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { type GenSpec, generate } from './prng.js';

const dir = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');

/** A stored sample: inline values (null = missing) or a generator spec. */
export type StoredSample = (number | string | null)[] | { gen: GenSpec };

/** One parity case of a fixture file. */
export interface FixtureCase {
  name: string;
  kind?: string;
  reference: StoredSample;
  current: StoredSample;
  options?: Record<string, unknown>;
  expected: Record<string, unknown>;
}

/** Loads `test/fixtures/<name>.json` (written by scripts/gen-fixtures.py). */
export function loadFixtures(name: string): FixtureCase[] {
  const doc = JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8')) as { cases: FixtureCase[] };
  return doc.cases;
}

/** Turns a stored sample into the array the function under test receives. */
export function sample(s: StoredSample): (number | null)[] | Float64Array {
  if (!Array.isArray(s)) return generate(s.gen);
  return s as (number | null)[];
}

/** Decodes the JSON encoding of non-finite numbers ('NaN', 'Infinity'). */
export function num(v: unknown): number {
  if (v === 'NaN') return Number.NaN;
  if (v === 'Infinity') return Number.POSITIVE_INFINITY;
  if (v === '-Infinity') return Number.NEGATIVE_INFINITY;
  return v as number;
}

/**
 * Asserts |actual − expected| ≤ max(abs, rel·|expected|). Statistics use rel 1e-9, p-values rel 1e-6; both use an
 * absolute floor (1e-12 by default) so values that are 0 in one implementation and 1e-17 in the other still agree.
 */
export function expectClose(actual: number, expectedRaw: unknown, rel: number, abs = 1e-12, label = ''): void {
  const expected = num(expectedRaw);
  if (Number.isNaN(expected)) {
    expect(actual, `${label}: expected NaN`).toBeNaN();
    return;
  }
  if (!Number.isFinite(expected)) {
    expect(actual, label).toBe(expected);
    return;
  }
  const tol = Math.max(abs, rel * Math.abs(expected));
  if (!(Math.abs(actual - expected) <= tol)) {
    expect.fail(`${label}: got ${actual}, expected ${expected} (|diff| ${Math.abs(actual - expected)} > tol ${tol})`);
  }
}

/** Relative tolerance for statistics. */
export const STAT_REL = 1e-9;
/** Relative tolerance for p-values. */
export const P_REL = 1e-6;
