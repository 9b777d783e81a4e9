import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isMlopsError } from '../errors.js';
import type { ClassLabel } from './_labels.js';
import { accuracy, balancedAccuracy, confusionMatrix, precisionRecallF1, type ZeroDivision } from './classification.js';

interface Avg {
  precision: number;
  recall: number;
  f1: number;
}
interface Case {
  name: string;
  yTrue: ClassLabel[];
  yPred: ClassLabel[];
  labels?: ClassLabel[];
  zeroDivision: ZeroDivision;
  expected: {
    labels: ClassLabel[];
    precision: number[];
    recall: number[];
    f1: number[];
    support: number[];
    macro: Avg;
    weighted: Avg;
    micro: Avg;
    confusionMatrix: number[][];
    accuracy?: number;
    balancedAccuracy?: number;
    balancedAccuracyAdjusted?: number | null;
  };
}

const fx = JSON.parse(readFileSync(new URL('../../test/fixtures/metrics.json', import.meta.url), 'utf8'));

function expectClose(actual: number, expected: number) {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(Math.max(1e-12, 1e-9 * Math.abs(expected)));
}

describe('classification metrics (sklearn parity)', () => {
  it.each(fx.classification as Case[])('$name', (c) => {
    const opts = { zeroDivision: c.zeroDivision, ...(c.labels ? { labels: c.labels } : {}) };
    const r = precisionRecallF1(c.yTrue, c.yPred, opts);
    expect(r.labels).toEqual(c.expected.labels);
    r.perClass.forEach((pc, i) => {
      expectClose(pc.precision, c.expected.precision[i]!);
      expectClose(pc.recall, c.expected.recall[i]!);
      expectClose(pc.f1, c.expected.f1[i]!);
      expect(pc.support).toBe(c.expected.support[i]);
    });
    for (const avg of ['macro', 'weighted', 'micro'] as const) {
      for (const k of ['precision', 'recall', 'f1'] as const) expectClose(r[avg][k], c.expected[avg][k]);
    }
    expect(confusionMatrix(c.yTrue, c.yPred, c.labels ? { labels: c.labels } : {}).matrix).toEqual(
      c.expected.confusionMatrix,
    );
    if (c.expected.accuracy !== undefined) expectClose(accuracy(c.yTrue, c.yPred), c.expected.accuracy);
    if (c.expected.balancedAccuracy !== undefined) {
      expectClose(balancedAccuracy(c.yTrue, c.yPred), c.expected.balancedAccuracy);
    }
    if (typeof c.expected.balancedAccuracyAdjusted === 'number') {
      expectClose(balancedAccuracy(c.yTrue, c.yPred, { adjusted: true }), c.expected.balancedAccuracyAdjusted);
    }
  });

  it('gives precision = zeroDivision for a class that is never predicted', () => {
    const y = ['a', 'b', 'b'];
    const p = ['a', 'a', 'a'];
    expect(precisionRecallF1(y, p).perClass[1]!.precision).toBe(0);
    expect(precisionRecallF1(y, p, { zeroDivision: 1 }).perClass[1]!.precision).toBe(1);
  });

  it('refuses empty, mismatched and mixed-type labels with INVALID_INPUT', () => {
    const bad: [ClassLabel[], ClassLabel[]][] = [
      [[], []],
      [['a'], ['a', 'b']],
      [
        [1, 'a'],
        [1, 'a'],
      ],
      [['a'], [1]],
      [[Number.NaN], [1]],
    ];
    for (const [t, p] of bad) {
      try {
        accuracy(t, p);
        expect.unreachable();
      } catch (e) {
        expect(isMlopsError(e, 'INVALID_INPUT')).toBe(true);
      }
    }
    expect(() => precisionRecallF1(['a'], ['a'], { labels: ['a', 'a'] })).toThrow(/duplicates/);
  });
});
