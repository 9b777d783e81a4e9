import { describe, expect, it } from 'vitest';
import { xorshift } from '../../test/prng.js';
import { detectDrift } from '../detect/detect-drift.js';
import { ksTest } from '../ks.js';
import { createProfileBuilder } from '../profile/builder.js';
import { createProfile } from '../profile/create-profile.js';
import type { Profile } from '../profile/schema.js';
import { psi } from '../psi.js';
import { wassersteinDistance } from '../wasserstein.js';
import { kllRankError } from './kll.js';

// The drift tests on a sketched reference against the exact tests on the same data: a reference of 400,000 values
// profiled in batches (KLL k = 1000, so ε = kllRankError(1000) ≈ 0.36 %), current batches of 50,000 shifted by
// 0 … 0.5 standard deviations. The README's table "Error of the tests on a sketch" comes from this file's output.
const REF_N = 400_000;
const CUR_N = 50_000;
const EPS = kllRankError(1000);

function sample(seed: number, n: number, shape: 'normal' | 'lognormal', shift: number): Float64Array {
  const r = xorshift(seed);
  return Float64Array.from({ length: n }, () => {
    let s = 0;
    for (let j = 0; j < 12; j++) s += r();
    const z = s - 6 + shift;
    return shape === 'normal' ? z : Math.exp(z / 2);
  });
}

function profileOf(values: Float64Array): Profile {
  const b = createProfileBuilder();
  for (let i = 0; i < values.length; i += 100_000) b.add({ x: values.subarray(i, i + 100_000) });
  return b.finish();
}

/** The same profile without its sketch: what schema version 1 tested against (the 10,000-value reservoir). */
function withoutSketch(p: Profile): Profile {
  return { ...p, columns: p.columns.map(({ sketch: _sketch, ...c }) => c) };
}

const run = (profile: Profile, cur: Float64Array, test: 'ks' | 'wasserstein' | 'psi') =>
  detectDrift(profile, { x: cur }, { tests: { numerical: test } }).columns[0]!;

describe('drift tests on a sketched reference, against the exact tests on the full data', () => {
  for (const shape of ['normal', 'lognormal'] as const) {
    it(`${shape}: KS within ε, Wasserstein within ε·range/σ, PSI within 0.005, same verdicts`, () => {
      const ref = sample(11, REF_N, shape, 0);
      const profile = profileOf(ref);
      expect(profile.columns[0]!.sketch!.levels.length).toBeGreaterThan(1); // summarised, not exact
      const legacy = withoutSketch(profile);
      const sorted = ref.slice().sort();
      let mean = 0;
      for (const x of ref) mean += x / REF_N;
      let ss = 0;
      for (const x of ref) ss += (x - mean) ** 2;
      const sigma = Math.sqrt(ss / REF_N);
      const range = (sorted[REF_N - 1]! - sorted[0]!) / sigma;
      const rows: string[] = [];
      for (const [k, shift] of [0, 0.02, 0.05, 0.1, 0.5].entries()) {
        const cur = sample(100 + k, CUR_N, shape, shift);
        const exact = {
          ks: ksTest(ref, cur),
          wasserstein: wassersteinDistance(ref, cur, { normalize: true }),
          psi: psi(ref, cur, { binning: 'sturges' }),
        };
        const sketched = {
          ks: run(profile, cur, 'ks'),
          w: run(profile, cur, 'wasserstein'),
          psi: run(profile, cur, 'psi'),
        };
        const sampled = {
          ks: run(legacy, cur, 'ks'),
          w: run(legacy, cur, 'wasserstein'),
          psi: run(legacy, cur, 'psi'),
        };
        const err = {
          ks: Math.abs(sketched.ks.statistic! - exact.ks.statistic),
          w: Math.abs(sketched.w.statistic! - exact.wasserstein),
          psi: Math.abs(sketched.psi.statistic! - exact.psi),
        };
        expect(sketched.ks.reference.size).toBe(REF_N);
        expect(err.ks, `KS, shift ${shift}`).toBeLessThanOrEqual(EPS);
        expect(err.w, `Wasserstein, shift ${shift}`).toBeLessThanOrEqual(EPS * range);
        expect(err.psi, `PSI, shift ${shift}`).toBeLessThanOrEqual(0.005);
        // verdicts agree wherever the exact test is not borderline
        if (exact.ks.pValue < 1e-6 || exact.ks.pValue > 0.2) expect(sketched.ks.drifted).toBe(exact.ks.pValue <= 0.05);
        if (Math.abs(exact.wasserstein - 0.1) > 0.01) expect(sketched.w.drifted).toBe(exact.wasserstein >= 0.1);
        rows.push(
          `${shape} shift ${shift}: KS D ${exact.ks.statistic.toFixed(5)} sketch err ${err.ks.toExponential(2)} ` +
            `(sample err ${Math.abs(sampled.ks.statistic! - exact.ks.statistic).toExponential(2)}), p ${exact.ks.pValue.toExponential(2)} vs ${sketched.ks.pValue!.toExponential(2)}; ` +
            `W ${exact.wasserstein.toFixed(5)} err ${err.w.toExponential(2)} (sample ${Math.abs(sampled.w.statistic! - exact.wasserstein).toExponential(2)}); ` +
            `PSI ${exact.psi.toFixed(5)} err ${err.psi.toExponential(2)} (sample ${Math.abs(sampled.psi.statistic! - exact.psi).toExponential(2)})`,
        );
      }
      console.log(`[sketch vs exact] ε = ${EPS.toExponential(3)}, range/σ = ${range.toFixed(1)}\n${rows.join('\n')}`);
    });
  }

  it('uses the exact tests when the sample or the sketch holds every value', () => {
    const ref = sample(5, 5_000, 'normal', 0);
    const cur = sample(6, 2_000, 'normal', 0.1);
    const exact = ksTest(ref, cur);
    // sample of 10,000 ≥ 5,000 values: the sample is the data
    expect(run(createProfile({ x: ref }), cur, 'ks').pValue).toBe(exact.pValue);
    // sample of 100, but a sketch with k = 8000 that never compacted: its values are the data
    const p = createProfile({ x: ref }, { sampleSize: 100, sketchK: 8000 });
    expect(p.columns[0]!.sketch!.levels).toHaveLength(1);
    const r = run(p, cur, 'ks');
    expect(r.statistic).toBe(exact.statistic);
    expect(r.pValue).toBe(exact.pValue);
  });

  it('reports reference histograms of the full data, read off the sketch', () => {
    const ref = sample(21, REF_N, 'normal', 0);
    const cur = sample(22, CUR_N, 'normal', 0.3);
    const h = run(profileOf(ref), cur, 'wasserstein').histogram;
    expect(h.kind).toBe('numeric');
    if (h.kind !== 'numeric') return;
    expect(h.reference.reduce((a, b) => a + b, 0)).toBe(REF_N);
    expect(h.current.reduce((a, b) => a + b, 0)).toBe(CUR_N);
    // each bin's share within 2ε of the exact count's share
    for (let b = 0; b < h.reference.length; b++) {
      const lo = h.edges[b]!;
      const hi = h.edges[b + 1]!;
      let exact = 0;
      for (const x of ref) if (x >= lo && (x < hi || (b === h.reference.length - 1 && x <= hi))) exact++;
      expect(Math.abs(h.reference[b]! - exact) / REF_N).toBeLessThanOrEqual(2 * EPS);
    }
  });
});
