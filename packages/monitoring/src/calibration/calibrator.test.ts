import { isMlopsError } from '@mlops/core';
import { describe, expect, it } from 'vitest';
import { syntheticRows } from './_synthetic.fixture.js';
import {
  CALIBRATOR_METADATA_KEY,
  calibratorFromJSON,
  calibratorFromMetadata,
  calibratorMetadata,
  calibratorSchema,
  fitCalibrator,
} from './calibrator.js';

/**
 * |mean confidence − accuracy| of the model's predictions (the argmax of the raw rows), with the confidence read
 * from `scored` (raw or calibrated): what a confidence-based accuracy estimate gets wrong.
 */
const confidenceGap = (raw: number[][], labels: number[], scored: number[][] = raw) => {
  let conf = 0;
  let ok = 0;
  raw.forEach((p, i) => {
    const c = p.indexOf(Math.max(...p));
    conf += scored[i]![c]!;
    if (c === labels[i]) ok++;
  });
  return Math.abs(conf - ok) / labels.length;
};

describe('fitCalibrator', () => {
  const overconfident = syntheticRows({ n: 6000, k: 4, seed: 11, sharpness: 3 });
  const fresh = syntheticRows({ n: 6000, k: 4, seed: 12, sharpness: 3 });

  it.each(['temperature', 'isotonic'] as const)(
    'measures an overconfident model as miscalibrated and %s scaling repairs it (out of fold and on fresh rows)',
    (method) => {
      const cal = fitCalibrator(overconfident.probabilities, overconfident.labels, { method });
      expect(cal.method).toBe(method);
      expect(cal.report.ece.before).toBeGreaterThan(0.08);
      expect(cal.report.ece.after).toBeLessThan(0.03);
      expect(cal.report.candidates[method]).toBe(cal.report.ece.after);
      expect(confidenceGap(fresh.probabilities, fresh.labels)).toBeGreaterThan(0.08);
      const calibrated = cal.calibrate(fresh.probabilities);
      expect(confidenceGap(fresh.probabilities, fresh.labels, calibrated)).toBeLessThan(0.02);
      for (const row of calibrated) expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
    },
  );

  it('reports reliability curves whose bins account for every row, before and after', () => {
    const cal = fitCalibrator(overconfident.probabilities, overconfident.labels, { method: 'temperature', bins: 15 });
    const { before, after } = cal.report.reliability;
    expect(before.reduce((s, b) => s + b.count, 0)).toBe(6000);
    expect(after.reduce((s, b) => s + b.count, 0)).toBe(6000);
    // Overconfident: in the high bins, observed accuracy is well below the confidence.
    const top = before.at(-1)!;
    expect(top.meanConfidence - top.accuracy).toBeGreaterThan(0.03);
    expect(cal.report).toMatchObject({ n: 6000, bins: 15, folds: 5, requested: 'temperature' });
  });

  it("'auto' calibrates a miscalibrated model and leaves a calibrated one alone", () => {
    const bad = fitCalibrator(overconfident.probabilities, overconfident.labels);
    expect(bad.report.requested).toBe('auto');
    expect(bad.method).not.toBe('none');
    expect(bad.report.candidates.temperature).toBeDefined();
    expect(bad.report.candidates.isotonic).toBeDefined();
    expect(bad.report.ece.after).toBe(Math.min(...Object.values(bad.report.candidates).map(Number)));

    const good = syntheticRows({ n: 6000, k: 4, seed: 13 });
    const cal = fitCalibrator(good.probabilities, good.labels);
    expect(cal.report.ece.before).toBeLessThan(0.03);
    // Whatever it picks, calibrating a calibrated model must not make it worse.
    expect(cal.report.ece.after).toBeLessThanOrEqual(cal.report.ece.before);
  });

  it('calibrates a binary model with isotonic regression on its confidence', () => {
    const rows = syntheticRows({ n: 4000, k: 2, seed: 5, sharpness: 0.4 });
    const cal = fitCalibrator(rows.probabilities, rows.labels, { method: 'isotonic' });
    expect(cal.toJSON().params).toMatchObject({ method: 'isotonic', map: { x: expect.any(Array) } });
    expect(cal.report.ece.before).toBeGreaterThan(0.05);
    expect(cal.report.ece.after).toBeLessThan(0.03);
    const fresh = syntheticRows({ n: 4000, k: 2, seed: 6, sharpness: 0.4 });
    expect(confidenceGap(fresh.probabilities, fresh.labels, cal.calibrate(fresh.probabilities))).toBeLessThan(0.02);
  });

  it('maps labels through classes, and rejects bad input with field paths', () => {
    const classes = ['a', 'b', 'c', 'd'];
    const named = overconfident.labels.map((y) => classes[y]!);
    const cal = fitCalibrator(overconfident.probabilities, named, { classes, method: 'temperature' });
    expect(cal.classes).toEqual(classes);
    const byIndex = fitCalibrator(overconfident.probabilities, overconfident.labels, { method: 'temperature' });
    expect(cal.toJSON().params).toEqual(byIndex.toJSON().params);
    expect(byIndex.classes).toBeNull();

    const fail = (f: () => unknown, path: string) => {
      try {
        f();
      } catch (err) {
        expect(isMlopsError(err, 'INVALID_INPUT')).toBe(true);
        expect((err as { details: { path: string }[] }).details[0]!.path).toBe(path);
        return;
      }
      throw new Error('expected INVALID_INPUT');
    };
    fail(() => fitCalibrator([[0.5, 0.5]], ['x'], { classes: ['a', 'b'] }), 'labels.0');
    fail(() => fitCalibrator([[0.5, 0.5]], [2]), 'labels.0');
    fail(() => fitCalibrator([[0.5, 0.6]], [0]), 'probabilities.0');
    fail(() => fitCalibrator([[0.5, 0.5], [1]], [0, 1]), 'probabilities.1');
    fail(() => fitCalibrator([[0.5, 0.5]], [0, 1]), 'labels');
    fail(() => fitCalibrator([[0.5, 0.5]], [0]), 'folds');
    fail(() => fitCalibrator([[0.5, 0.5]], [0], { classes: ['a', 'a'] }), 'classes');
  });
});

describe('calibrator serialisation', () => {
  const rows = syntheticRows({ n: 3000, k: 5, seed: 21, sharpness: 2 });
  const probe = syntheticRows({ n: 200, k: 5, seed: 22, sharpness: 2 }).probabilities;

  it.each(['temperature', 'isotonic', 'auto'] as const)(
    '%s: toJSON → JSON text → calibratorFromJSON calibrates identically and keeps the report',
    (method) => {
      const classes = ['a', 'b', 'c', 'd', 'e'];
      const cal = fitCalibrator(
        rows.probabilities,
        rows.labels.map((y) => classes[y]!),
        { method, classes },
      );
      const json = cal.toJSON();
      expect(json).toMatchObject({ kind: 'mlops.monitoring/calibrator', schemaVersion: 1, nClasses: 5 });
      expect(calibratorSchema.safeParse(json).success).toBe(true);
      const back = calibratorFromJSON(JSON.parse(JSON.stringify(json)));
      expect(back.method).toBe(cal.method);
      expect(back.classes).toEqual(['a', 'b', 'c', 'd', 'e']);
      expect(back.report).toEqual(cal.report);
      expect(back.calibrate(probe)).toEqual(cal.calibrate(probe));
      // The stored copy is the caller's: mutating it does not change the calibrator.
      json.nClasses = 99;
      expect(cal.toJSON().nClasses).toBe(5);
    },
  );

  it('rejects a damaged or foreign document with INVALID_INPUT and the field path', () => {
    const json = fitCalibrator(rows.probabilities, rows.labels, { method: 'isotonic' }).toJSON();
    const cases: [unknown, string][] = [
      [{ ...json, kind: 'mlops.drift/profile' }, 'kind'],
      [{ ...json, schemaVersion: 2 }, 'schemaVersion'],
      [{ ...json, params: { method: 'isotonic', map: { x: [], y: [] } } }, 'params.map'],
      [{ ...json, params: { method: 'isotonic', map: { x: [0.6, 0.5], y: [0, 1] } } }, 'params.map'],
      [{ ...json, params: { method: 'isotonic', map: { x: [0.5, 0.6], y: [1, 0] } } }, 'params.map'],
      [{ ...json, params: { method: 'temperature', temperature: -1 } }, 'params.temperature'],
      [{ ...json, classes: ['a'] }, 'classes'],
      [{ ...json, params: { method: 'none' } }, 'report.method'],
    ];
    for (const [doc, path] of cases) {
      let caught: unknown;
      try {
        calibratorFromJSON(doc);
      } catch (err) {
        caught = err;
      }
      expect(isMlopsError(caught, 'INVALID_INPUT'), path).toBe(true);
      expect((caught as { details: { path: string }[] }).details.map((d) => d.path)).toContain(path);
    }
    expect(() => calibratorFromJSON(json).calibrate([[0.5, 0.5]])).toThrow(/must hold 5 probabilities/);
  });
});

describe('calibrator as model-package metadata', () => {
  it('is stored under one key beside other metadata and read back; absent is undefined, damaged is INVALID_INPUT', () => {
    const rows = syntheticRows({ n: 1000, k: 3, seed: 23, sharpness: 2 });
    const cal = fitCalibrator(rows.probabilities, rows.labels, { method: 'isotonic' });
    const metadata = JSON.parse(JSON.stringify({ owner: 'team-a', ...calibratorMetadata(cal) }));
    expect(Object.keys(metadata)).toEqual(['owner', CALIBRATOR_METADATA_KEY]);
    const back = calibratorFromMetadata(metadata)!;
    expect(back.calibrate(rows.probabilities.slice(0, 50))).toEqual(cal.calibrate(rows.probabilities.slice(0, 50)));
    expect(calibratorFromMetadata({ owner: 'team-a' })).toBeUndefined();
    expect(calibratorFromMetadata(undefined)).toBeUndefined();
    expect(() => calibratorFromMetadata({ [CALIBRATOR_METADATA_KEY]: { kind: 'x' } })).toThrow(/invalid calibrator/);
  });
});
