import { describe, expect, it } from 'vitest';
import { normalSample } from '../../test/helpers.js';
import { energyDistance } from '../energy.js';
import { createProfile, mergeProfiles, parseProfile } from '../profile/index.js';
import { wassersteinDistance } from '../wasserstein.js';
import { detectDrift } from './detect-drift.js';
import { driftReportSchema } from './schema.js';

// Finite numbers near the top of the double range (1e150 … 1e308) must give the same verdicts as the same data at
// scale 1: the Wasserstein distance is linear in the scale and its normalised form, the dataset verdict and the
// histogram shapes do not depend on it. Squares and n·m-weighted sums of such values overflow unless scaled.

const scaled = (a: number[], s: number) => a.map((x) => x * s);

describe('huge magnitudes', () => {
  it('wassersteinDistance of finite values near 1e308 is finite and matches scipy', () => {
    // scipy.stats.wasserstein_distance([1e308, -1e308, 1e308, 0], [1.7e308, -1.7e308, 5]) = 7.166666666666666e+307
    const w = wassersteinDistance([1e308, -1e308, 1e308, 0], [1.7e308, -1.7e308, 5]);
    expect(Math.abs(w - 7.166666666666666e307) / 7.166666666666666e307).toBeLessThan(1e-12);
  });

  it.each([200, 3000])('wassersteinDistance scales linearly up to 1e307 (n = %i per side)', (n) => {
    const a = normalSample(n, 0, 1, 1);
    const b = normalSample(n, 0.3, 1, 2);
    const w1 = wassersteinDistance(a, b);
    for (const s of [1e150, 1e300, 1e307]) {
      const w = wassersteinDistance(scaled(a, s), scaled(b, s));
      expect(Math.abs(w / s - w1) / w1).toBeLessThan(1e-9);
      const wn = wassersteinDistance(scaled(a, s), scaled(b, s), { normalize: true });
      expect(Math.abs(wn - wassersteinDistance(a, b, { normalize: true })) / wn).toBeLessThan(1e-9);
    }
  });

  it('infinite values give scipy’s infinite distances, not NaN', () => {
    // scipy: wasserstein_distance([1, 2, inf, -inf, 3], [1, 2, 3, 4]) = inf; energy_distance(same) = inf
    expect(wassersteinDistance([1, 2, Infinity, -Infinity, 3], [1, 2, 3, 4])).toBe(Infinity);
    expect(energyDistance([1, 2, Infinity, -Infinity, 3], [1, 2, 3, 4])).toBe(Infinity);
  });

  it.each([200, 3000])('detectDrift gives the same verdicts and scores at scale 1e160 and 1e307 (n = %i)', (n) => {
    const ref = { x: normalSample(n, 0, 1, 3), y: normalSample(n, 0, 1, 4) };
    const cur = { x: normalSample(n, 0.5, 1, 5), y: normalSample(n, 0, 1, 6) };
    const base = detectDrift(ref, cur, { workers: 0 });
    expect(base.dataset.status).toBe('drifted');
    for (const s of [1e160, 1e307]) {
      const big = detectDrift(
        { x: scaled(ref.x, s), y: scaled(ref.y, s) },
        { x: scaled(cur.x, s), y: scaled(cur.y, s) },
        { workers: 0 },
      );
      expect(big.dataset.status).toBe('drifted');
      expect(big.skipped).toEqual([]);
      expect(big.columns.map((c) => [c.column, c.test, c.drifted])).toEqual(
        base.columns.map((c) => [c.column, c.test, c.drifted]),
      );
      for (let i = 0; i < base.columns.length; i++) {
        const b = base.columns[i]!;
        const g = big.columns[i]!;
        expect(Math.abs(g.score - b.score) / b.score).toBeLessThan(1e-6);
        const hb = b.histogram;
        const hg = g.histogram;
        if (hb.kind === 'numeric' && hg.kind === 'numeric') {
          expect(hg.edges.every(Number.isFinite)).toBe(true);
          expect(hg.reference).toEqual(hb.reference);
          expect(hg.current).toEqual(hb.current);
        }
      }
      expect(() => driftReportSchema.parse(JSON.parse(JSON.stringify(big)))).not.toThrow();
    }
  });

  it('a profile of values near 1e160 or 1e307 round-trips and tests like the raw data', () => {
    const ref = normalSample(300, 0, 1, 7);
    const cur = normalSample(300, 0.5, 1, 8);
    for (const s of [1e160, 1e307]) {
      const profile = createProfile({ x: scaled(ref, s) });
      expect(profile.columns[0]!.numeric!.std / s).toBeCloseTo(createProfile({ x: ref }).columns[0]!.numeric!.std, 9);
      const stored = parseProfile(JSON.stringify(profile));
      const report = detectDrift(stored, { x: scaled(cur, s) }, { columns: { x: { test: 'wasserstein' } } });
      expect(report.dataset.status).toBe('drifted');
      // two halves merged: Chan's combination of the summaries must not overflow either
      const merged = mergeProfiles(
        createProfile({ x: scaled(ref.slice(0, 150), s) }),
        createProfile({ x: scaled(ref.slice(150), s) }),
      );
      expect(merged.columns[0]!.numeric!.std / s).toBeCloseTo(profile.columns[0]!.numeric!.std / s, 9);
      expect(() => parseProfile(JSON.stringify(merged))).not.toThrow();
    }
  });
});
