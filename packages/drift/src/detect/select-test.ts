import type { ColumnType } from '../profile/input.js';
import type { DriftTestName } from './schema.js';

/** Facts about a column that decide its default drift test. */
export interface TestSelectionInput {
  type: ColumnType;
  /** Non-missing reference values. */
  referenceSize: number;
  /** Distinct non-missing values in reference and current together. */
  uniqueValues: number;
}

/**
 * The test Evidently's `get_stattest` would pick: numeric with u > 5 → KS when n ≤ 1000, else normalised
 * Wasserstein; numeric with u ≤ 5 and categorical → chi-square when u > 2, else Z-test, when n ≤ 1000, and
 * Jensen–Shannon when n > 1000; free text → the domain classifier. Returns null for datetime columns.
 */
export function selectDriftTest({ type, referenceSize, uniqueValues }: TestSelectionInput): DriftTestName | null {
  if (type === 'datetime') return null;
  if (type === 'text') return 'domain-classifier';
  const small = referenceSize <= 1000;
  if (type === 'numerical' && uniqueValues > 5) return small ? 'ks' : 'wasserstein';
  if (!small) return 'jensen-shannon';
  return uniqueValues > 2 ? 'chi-square' : 'z-test';
}

/** Default threshold per test: p-value tests 0.05 (drift when p ≤ 0.05); distances as Evidently's defaults. */
export const DEFAULT_THRESHOLDS: Record<DriftTestName, number> = {
  ks: 0.05,
  'chi-square': 0.05,
  'z-test': 0.05,
  'anderson-darling': 0.05,
  'cramer-von-mises': 0.05,
  wasserstein: 0.1,
  'jensen-shannon': 0.1,
  psi: 0.1,
  'kl-divergence': 0.1,
  hellinger: 0.1,
  'total-variation': 0.1,
  energy: 0.1,
  'domain-classifier': 0.55,
};

/** Whether a test reports a p-value (drift when p ≤ threshold) or a distance (drift when score ≥ threshold). */
export const TEST_KIND: Record<DriftTestName, 'p-value' | 'distance'> = {
  ks: 'p-value',
  'chi-square': 'p-value',
  'z-test': 'p-value',
  'anderson-darling': 'p-value',
  'cramer-von-mises': 'p-value',
  wasserstein: 'distance',
  'jensen-shannon': 'distance',
  psi: 'distance',
  'kl-divergence': 'distance',
  hellinger: 'distance',
  'total-variation': 'distance',
  energy: 'distance',
  'domain-classifier': 'distance',
};
