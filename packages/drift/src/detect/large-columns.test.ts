import { describe, expect, it } from 'vitest';
import { normalSample } from '../../test/helpers.js';
import { ksTest } from '../ks.js';
import { equalEdges } from '../profile/summary.js';
import { wassersteinDistance } from '../wasserstein.js';
import { detectDrift } from './detect-drift.js';
import { sortedHistogram } from './sorted.js';
import { UNSORTED_FROM } from './stat-tests.js';

// Columns large enough (together ≥ UNSORTED_FROM values) to be scanned in buckets instead of sorted.
const n = 12_000;
const reference = { a: Float64Array.from(normalSample(n, 0, 1, 1)), b: Float64Array.from(normalSample(n, 5, 2, 2)) };
const current = { a: Float64Array.from(normalSample(n, 0.05, 1, 3)), b: Float64Array.from(normalSample(n, 5, 2, 4)) };

describe('detectDrift on large columns (scanned, not sorted)', () => {
  it('gives the statistics of the sorted path: Wasserstein to ~1e-13, KS exactly, the same histograms', () => {
    expect(2 * n).toBeGreaterThanOrEqual(UNSORTED_FROM);
    const report = detectDrift(reference, current);
    for (const c of report.columns) {
      const name = c.column as 'a' | 'b';
      expect(c.test).toBe('wasserstein');
      const expected = wassersteinDistance(reference[name], current[name], { normalize: true });
      expect(Math.abs((c.statistic as number) - expected) / expected).toBeLessThan(1e-12);
      const r = reference[name].slice().sort();
      const k = current[name].slice().sort();
      const edges = equalEdges(Math.min(r[0]!, k[0]!), Math.max(r[n - 1]!, k[n - 1]!), 20);
      expect(c.histogram).toEqual({
        kind: 'numeric',
        edges,
        reference: sortedHistogram(r, edges),
        current: sortedHistogram(k, edges),
      });
    }
    const ks = detectDrift(reference, current, { tests: { numerical: 'ks' } });
    for (const c of ks.columns) {
      const name = c.column as 'a' | 'b';
      const expected = ksTest(reference[name], current[name]);
      expect([c.statistic, c.pValue]).toEqual([expected.statistic, expected.pValue]);
    }
  });

  it('is deterministic: the same report on every call', () => {
    const first = detectDrift(reference, current, { tests: { numerical: 'ks' } });
    const again = detectDrift(reference, current, { tests: { numerical: 'ks' } });
    expect(again).toEqual(first);
  });
});
