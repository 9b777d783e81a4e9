import { isMlopsError } from '@mlops/core';
import { classificationReport } from '@mlops/core/metrics';
import { describe, expect, it } from 'vitest';
import { realizedAccuracy, type SyntheticRows, syntheticRows } from '../calibration/_synthetic.fixture.js';
import { type Calibrator, fitCalibrator } from '../calibration/calibrator.js';
import { normalQuantile } from './_normal.js';
import { estimatePerformance, performanceEstimateSchema } from './estimate.js';
import { ESTIMATE_GAUGE_NAMES, ESTIMATE_GAUGES, estimateGauges } from './gauges.js';

const CLASSES = [0, 1, 2, 3];

function realized(rows: SyntheticRows) {
  const pred = rows.probabilities.map((p) => p.indexOf(Math.max(...p)));
  const rep = classificationReport(rows.labels, pred, { labels: CLASSES });
  return { accuracy: rep.accuracy, macroF1: rep.macro.f1 };
}

describe('normalQuantile', () => {
  it.each([
    [0.5, 0],
    [0.975, 1.959963984540054],
    [0.025, -1.959963984540054],
    [0.95, 1.6448536269514722],
    [0.995, 2.5758293035489004],
    [0.001, -3.090232306167813],
  ])('Φ⁻¹(%s) = %s', (p, want) => {
    expect(normalQuantile(p)).toBeCloseTo(want, 7);
  });
});

describe('estimatePerformance', () => {
  it('sums the probabilities into the expected confusion matrix (a hand-computed window)', () => {
    const est = estimatePerformance({
      probabilities: [
        [0.9, 0.1],
        [0.6, 0.4],
        [0.2, 0.8],
      ],
      classes: ['no', 'yes'],
    });
    // Predicted: no, no, yes. Right with probability 0.9, 0.6, 0.8.
    expect(est.accuracy.estimate).toBeCloseTo(2.3 / 3, 12);
    expect(est.accuracy.stdError).toBeCloseTo(Math.sqrt(0.09 + 0.24 + 0.16) / 3, 12);
    expect(est.confusionMatrix.matrix[0]![0]!).toBeCloseTo(1.5, 12); // true no, predicted no
    expect(est.confusionMatrix.matrix[1]![0]!).toBeCloseTo(0.5, 12); // true yes, predicted no
    expect(est.confusionMatrix.matrix[0]![1]!).toBeCloseTo(0.2, 12);
    expect(est.confusionMatrix.matrix[1]![1]!).toBeCloseTo(0.8, 12);
    const yes = est.perClass[1]!;
    expect(yes).toMatchObject({ label: 'yes' });
    expect(yes.expectedTp).toBeCloseTo(0.8, 12);
    expect(yes.expectedFp).toBeCloseTo(0.2, 12);
    expect(yes.expectedFn).toBeCloseTo(0.5, 12);
    expect(yes.f1).toBeCloseTo(1.6 / 2.3, 12);
    expect(est.perClass[0]!.f1).toBeCloseTo(3 / 3.7, 12);
    expect(est.macroF1.estimate).toBeCloseTo((1.6 / 2.3 + 3 / 3.7) / 2, 12);
    expect(performanceEstimateSchema.parse(est)).toEqual(est);
    expect(est).toMatchObject({ n: 3, calibration: 'none', interval: { accuracy: 'analytic', macroF1: 'simulation' } });
  });

  it('matches the realized metrics of a well-calibrated model within its interval', () => {
    const rows = syntheticRows({ n: 3000, k: 4, seed: 31 });
    const est = estimatePerformance({ probabilities: rows.probabilities, classes: CLASSES });
    const real = realized(rows);
    expect(real.accuracy).toBeGreaterThanOrEqual(est.accuracy.lower);
    expect(real.accuracy).toBeLessThanOrEqual(est.accuracy.upper);
    expect(real.macroF1).toBeGreaterThanOrEqual(est.macroF1.lower);
    expect(real.macroF1).toBeLessThanOrEqual(est.macroF1.upper);
    expect(est.accuracy.upper - est.accuracy.lower).toBeLessThan(0.04);
  });

  it('gives intervals that cover the realized metrics about 95 % of the time (200 windows of 300)', () => {
    let coveredAccuracy = 0;
    let coveredF1 = 0;
    const windows = 200;
    for (let w = 0; w < windows; w++) {
      const rows = syntheticRows({ n: 300, k: 4, seed: 1000 + w });
      const est = estimatePerformance({ probabilities: rows.probabilities, classes: CLASSES, draws: 400, seed: w });
      const real = realized(rows);
      if (real.accuracy >= est.accuracy.lower && real.accuracy <= est.accuracy.upper) coveredAccuracy++;
      if (real.macroF1 >= est.macroF1.lower && real.macroF1 <= est.macroF1.upper) coveredF1++;
    }
    // Binomial(200, 0.95) lies in [180, 198] with probability > 0.999.
    expect(coveredAccuracy).toBeGreaterThanOrEqual(180);
    expect(coveredAccuracy).toBeLessThanOrEqual(198);
    expect(coveredF1).toBeGreaterThanOrEqual(180);
    expect(coveredF1).toBeLessThanOrEqual(198);
  });

  it('is wrong for an overconfident model, and right once a calibrator fitted on other held-out rows is applied', () => {
    const heldOut = syntheticRows({ n: 10_000, k: 4, seed: 41, sharpness: 3 });
    // Ten windows of 3,000: one window's realized accuracy varies by ±0.017 (2σ) around its expectation, so the
    // claim is checked on the mean gap over the windows (σ ≈ 0.003, plus the calibrator's own error).
    const windows = Array.from({ length: 10 }, (_, w) => syntheticRows({ n: 3000, k: 4, seed: 500 + w, sharpness: 3 }));
    const reals = windows.map(realized);
    const meanGap = (calibrator?: Calibrator) => {
      let accuracy = 0;
      let macroF1 = 0;
      windows.forEach((window, w) => {
        const est = estimatePerformance({
          probabilities: window.probabilities,
          classes: CLASSES,
          calibrator,
          draws: 50,
        });
        expect(est.calibration).toBe(calibrator?.method ?? 'none');
        accuracy += (est.accuracy.estimate - reals[w]!.accuracy) / windows.length;
        macroF1 += (est.macroF1.estimate - reals[w]!.macroF1) / windows.length;
      });
      return { accuracy, macroF1 };
    };
    const raw = meanGap();
    expect(raw.accuracy).toBeGreaterThan(0.1);
    expect(raw.macroF1).toBeGreaterThan(0.1);
    for (const method of ['isotonic', 'temperature', 'auto'] as const) {
      const calibrator = fitCalibrator(heldOut.probabilities, heldOut.labels, { method, classes: CLASSES });
      expect(calibrator.report.ece.before).toBeGreaterThan(0.1);
      const gap = meanGap(calibrator);
      expect(Math.abs(gap.accuracy), method).toBeLessThan(0.012);
      expect(Math.abs(gap.macroF1), method).toBeLessThan(0.012);
    }
  });

  it("scores the model's own predictions, not the calibrated argmax", () => {
    const rows = syntheticRows({ n: 500, k: 4, seed: 51 });
    const flipped = rows.probabilities.map((p) => (p.indexOf(Math.max(...p)) + 1) % 4);
    const own = estimatePerformance({ probabilities: rows.probabilities, classes: CLASSES });
    const given = estimatePerformance({ probabilities: rows.probabilities, classes: CLASSES, predictions: flipped });
    expect(given.accuracy.estimate).toBeLessThan(own.accuracy.estimate - 0.3);
    const expected = rows.probabilities.reduce((s, p, i) => s + p[flipped[i]!]!, 0) / 500;
    expect(given.accuracy.estimate).toBeCloseTo(expected, 12);
    expect(realizedAccuracy(rows)).toBeGreaterThan(0.5);
  });

  it('is reproducible for a seed, and rejects a calibrator of other classes and bad options', () => {
    const rows = syntheticRows({ n: 1000, k: 4, seed: 61 });
    const a = estimatePerformance({ probabilities: rows.probabilities, classes: CLASSES, seed: 3 });
    expect(estimatePerformance({ probabilities: rows.probabilities, classes: CLASSES, seed: 3 })).toEqual(a);
    const calibrator = fitCalibrator(rows.probabilities, rows.labels, { classes: CLASSES, method: 'temperature' });
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (err) {
        return isMlopsError(err, 'INVALID_INPUT') ? (err.details as { path: string }[])[0]!.path : 'other';
      }
      return 'none';
    };
    const p = rows.probabilities;
    expect(code(() => estimatePerformance({ probabilities: p, classes: [3, 2, 1, 0], calibrator }))).toBe(
      'calibrator.classes',
    );
    const three = p.slice(0, 5).map((r) => [r[0]!, r[1]!, r[2]! + r[3]!]);
    expect(code(() => estimatePerformance({ probabilities: three, classes: [0, 1, 2], calibrator }))).toBe(
      'calibrator',
    );
    expect(code(() => estimatePerformance({ probabilities: p, classes: [0, 1, 2] }))).toBe('classes');
    expect(code(() => estimatePerformance({ probabilities: p, classes: CLASSES, confidenceLevel: 1 }))).toBe(
      'confidenceLevel',
    );
    expect(code(() => estimatePerformance({ probabilities: p, classes: CLASSES, predictions: [0] }))).toBe(
      'predictions',
    );
    expect(code(() => estimatePerformance({ probabilities: [], classes: CLASSES }))).toBe('probabilities');
  });
});

describe('estimate gauges', () => {
  it('exports one sample per figure and bound for each model version, with the values of its estimate', () => {
    const rows = syntheticRows({ n: 400, k: 4, seed: 71 });
    const est = estimatePerformance({ probabilities: rows.probabilities, classes: CLASSES });
    const other = estimatePerformance({ probabilities: rows.probabilities.slice(0, 100), classes: CLASSES });
    const families = estimateGauges([
      { model: 'topic', version: '3', estimate: est },
      { model: 'topic', version: '4', estimate: other },
    ]);
    expect(families.map((f) => f.name)).toEqual(ESTIMATE_GAUGES.map((g) => g.name));
    const value = (name: string, version: string) =>
      families.find((f) => f.name === name)!.samples.find((s) => s.labels.version === version)!.value;
    expect({
      accuracy: value(ESTIMATE_GAUGE_NAMES.accuracy, '3'),
      accuracyLower: value(ESTIMATE_GAUGE_NAMES.accuracyLower, '3'),
      accuracyUpper: value(ESTIMATE_GAUGE_NAMES.accuracyUpper, '3'),
      macroF1: value(ESTIMATE_GAUGE_NAMES.macroF1, '3'),
      macroF1Lower: value(ESTIMATE_GAUGE_NAMES.macroF1Lower, '3'),
      macroF1Upper: value(ESTIMATE_GAUGE_NAMES.macroF1Upper, '3'),
    }).toEqual({
      accuracy: est.accuracy.estimate,
      accuracyLower: est.accuracy.lower,
      accuracyUpper: est.accuracy.upper,
      macroF1: est.macroF1.estimate,
      macroF1Lower: est.macroF1.lower,
      macroF1Upper: est.macroF1.upper,
    });
    expect(value(ESTIMATE_GAUGE_NAMES.accuracy, '4')).toBe(other.accuracy.estimate);
    expect(ESTIMATE_GAUGE_NAMES).toMatchObject({
      accuracy: 'mlops_estimated_accuracy',
      macroF1: 'mlops_estimated_macro_f1',
    });
    for (const g of ESTIMATE_GAUGES) {
      expect(g.name).toMatch(/^mlops_estimated_[a-z0-9_]+$/);
      expect(g.labelNames).toEqual(['model', 'version']);
    }
  });
});
