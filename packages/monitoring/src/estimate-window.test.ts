// The estimated performance inside the one evaluator: monitorWindow/evaluateWindow's result carries the CBPE
// estimate of the window's logged probabilities (calibrated with the model's calibrator), and a threshold on it.
import type { LabelledPrediction, PredictionRecord } from '@mlops/core/predictions';
import { createProfile } from '@mlops/drift';
import { describe, expect, it } from 'vitest';
import { seededRandom } from './calibration/_rng.js';
import { fitCalibrator } from './calibration/calibrator.js';
import { evaluateWindow } from './evaluate.js';
import { monitoringGauges } from './gauges.js';
import { type MonitoringSettings, resolveMonitoringSettings } from './settings.js';

const classes = ['a', 'b', 'c'];
const reference = createProfile(
  { x: Array.from({ length: 300 }, (_, i) => i % 10), label: Array.from({ length: 300 }, (_, i) => classes[i % 3]!) },
  { columnMapping: { prediction: 'label' } },
);

/** n rows whose true class is drawn from `truth` (calibrated, or over-confident when `sharpen` > 1). */
function stream(n: number, seed: number, sharpen = 1) {
  const rand = seededRandom(seed);
  const probabilities: number[][] = [];
  const labels: string[] = [];
  for (let i = 0; i < n; i++) {
    const raw = classes.map(() => 0.2 + rand());
    const sum = raw.reduce((s, v) => s + v, 0);
    const truth = raw.map((v) => v / sum);
    // the true class, drawn from the calibrated probabilities
    let u = rand();
    let t = 0;
    while (t < 2 && u >= truth[t]!) u -= truth[t++]!;
    labels.push(classes[t]!);
    const shown = truth.map((v) => v ** sharpen);
    const z = shown.reduce((s, v) => s + v, 0);
    probabilities.push(shown.map((v) => v / z));
  }
  return { probabilities, labels };
}

const t0 = new Date('2026-01-01T00:00:00Z');
function records(probabilities: number[][]): PredictionRecord[] {
  return probabilities.map((p, i) => ({
    id: `p${i}`,
    requestId: `r${i}`,
    position: 0,
    model: 'm',
    version: '1',
    alias: 'production',
    time: t0,
    latencyMs: 1,
    inputs: { x: i % 10 },
    outputs: { label: classes[p.indexOf(Math.max(...p))]!, probabilities: p },
  }));
}
const settings = (s: MonitoringSettings = {}) => resolveMonitoringSettings({ defaults: s }).settings;
const realizedAccuracy = (probabilities: number[][], labels: string[]) =>
  probabilities.filter((p, i) => classes[p.indexOf(Math.max(...p))] === labels[i]).length / labels.length;

describe('evaluateWindow: estimated performance (CBPE) without labels', () => {
  it('estimates the accuracy of a window that has no labels, within its interval of the realized accuracy', () => {
    const { probabilities, labels } = stream(3000, 7);
    const e = evaluateWindow({ reference, predictions: records(probabilities), labelled: [], settings: settings() });
    expect(e.performance).toBeNull();
    expect(e.estimate).not.toBeNull();
    const est = e.estimate!;
    expect(est.n).toBe(3000);
    const realized = realizedAccuracy(probabilities, labels);
    expect(Math.abs(est.accuracy.estimate - realized)).toBeLessThan(0.02);
    expect(est.accuracy.lower).toBeLessThan(est.accuracy.estimate);
    expect(est.accuracy.upper).toBeGreaterThan(est.accuracy.estimate);
  });

  it("uses the model's calibrator: over-confident probabilities are estimated right only once calibrated", () => {
    const held = stream(3000, 11, 3);
    const calibrator = fitCalibrator(held.probabilities, held.labels, { classes });
    const live = stream(3000, 12, 3);
    const realized = realizedAccuracy(live.probabilities, live.labels);
    const predictions = records(live.probabilities);
    const raw = evaluateWindow({ reference, predictions, labelled: [], settings: settings() }).estimate!;
    const calibrated = evaluateWindow({ reference, predictions, labelled: [], settings: settings(), calibrator })
      .estimate!;
    expect(raw.calibration).toBe('none');
    expect(calibrated.calibration).toBe(calibrator.method);
    expect(calibrated.classes).toEqual(classes);
    expect(Math.abs(raw.accuracy.estimate - realized)).toBeGreaterThan(0.04);
    expect(Math.abs(calibrated.accuracy.estimate - realized)).toBeLessThan(0.02);
  });

  it('crosses estimatedMinimums (a threshold usable without labels) and exports the estimated gauges', () => {
    const { probabilities } = stream(500, 3);
    const predictions = records(probabilities);
    const labelled: LabelledPrediction[] = [];
    const e = evaluateWindow({
      reference,
      predictions,
      labelled,
      settings: settings({ estimatedMinimums: { accuracy: 0.99 } }),
    });
    const crossing = e.crossings.find((c) => c.kind === 'estimated-minimum');
    expect(crossing).toMatchObject({ metric: 'accuracy', threshold: 0.99, value: e.estimate!.accuracy.estimate });
    const fine = evaluateWindow({
      reference,
      predictions,
      labelled,
      settings: settings({ estimatedMinimums: { accuracy: 0.1 } }),
    });
    expect(fine.crossings.filter((c) => c.kind === 'estimated-minimum')).toEqual([]);

    const families = monitoringGauges([
      {
        ...e,
        model: 'm',
        version: '1',
        window: { from: t0.toISOString(), to: t0.toISOString() },
        settings: settings({ estimatedMinimums: { accuracy: 0.99 } }),
        sources: resolveMonitoringSettings({ defaults: { estimatedMinimums: { accuracy: 0.99 } } }).sources,
      },
    ]);
    const value = (name: string) => families.find((f) => f.name === name)?.samples[0]?.value;
    expect(value('mlops_estimated_accuracy')).toBe(e.estimate!.accuracy.estimate);
    expect(value('mlops_estimated_accuracy_lower')).toBe(e.estimate!.accuracy.lower);
    expect(value('mlops_estimated_macro_f1_upper')).toBe(e.estimate!.macroF1.upper);
    expect(value('mlops_monitoring_estimated_minimum')).toBe(0.99);
  });

  it('has no estimate when the outputs carry no probabilities or fewer than minSamples rows do', () => {
    const { probabilities } = stream(100, 5);
    const withoutProbabilities = records(probabilities).map((r) => ({ ...r, outputs: { label: r.outputs!.label } }));
    expect(
      evaluateWindow({ reference, predictions: withoutProbabilities, labelled: [], settings: settings() }).estimate,
    ).toBeNull();
    expect(
      evaluateWindow({
        reference,
        predictions: records(probabilities.slice(0, 20)),
        labelled: [],
        settings: settings({ minSamples: 30 }),
      }).estimate,
    ).toBeNull();
    const other = evaluateWindow({
      reference,
      predictions: records(probabilities),
      labelled: [],
      settings: settings({ probabilitiesOutput: 'scores' }),
    });
    expect(other.estimate).toBeNull();
  });

  it('skips a malformed probability row instead of dropping the estimate of the whole window', () => {
    const { probabilities } = stream(200, 11);
    const clean = evaluateWindow({
      reference,
      predictions: records(probabilities),
      labelled: [],
      settings: settings(),
    });
    expect(clean.estimate?.n).toBe(200);
    // one row each: summing to 1.01, a negative probability, one above 1, NaN, and three classes instead of two;
    // placed first so that the window's first row is not what decides the number of classes
    const bad = [
      [0.3, 0.3, 0.41],
      [-0.2, 0.6, 0.6],
      [1.2, -0.1, -0.1],
      [Number.NaN, 0.5, 0.5],
      [0.5, 0.5],
    ];
    for (const row of bad) {
      const window = [...records([row]), ...records(probabilities)].map((r, i) => ({ ...r, id: `q${i}` }));
      const e = evaluateWindow({ reference, predictions: window, labelled: [], settings: settings() });
      expect(e.estimate, JSON.stringify(row)).not.toBeNull();
      expect(e.estimate!.n).toBe(200);
      expect(e.estimate!.accuracy.estimate).toBe(clean.estimate!.accuracy.estimate);
      expect(e.warnings.join(' ')).toMatch(/1 of 201 rows/);
    }
  });

  it('with a threshold on the estimate, a malformed row does not silence the estimated-minimum crossing', () => {
    const { probabilities } = stream(200, 12);
    const window = [...records([[0.7, 0.31, 0]]), ...records(probabilities)].map((r, i) => ({ ...r, id: `q${i}` }));
    const e = evaluateWindow({
      reference,
      predictions: window,
      labelled: [],
      settings: settings({ estimatedMinimums: { accuracy: 0.99 } }),
    });
    expect(e.crossings.filter((c) => c.kind === 'estimated-minimum')).toHaveLength(1);
  });
});
