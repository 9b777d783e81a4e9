import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isMlopsError } from '../errors.js';
import { classificationReport, classificationReportSchema, parseClassificationReport } from './report.js';

const fx = JSON.parse(readFileSync(new URL('../../test/fixtures/metrics.json', import.meta.url), 'utf8'));

describe('classificationReport', () => {
  it('bundles every metric, matching the individual sklearn fixtures', () => {
    const c = fx.classification.find((x: { name: string }) => x.name === 'multiclass strings');
    const r = classificationReport(c.yTrue, c.yPred);
    expect(classificationReportSchema.parse(r)).toEqual(r);
    expect(r.labels).toEqual(c.expected.labels);
    expect(r.accuracy).toBeCloseTo(c.expected.accuracy, 12);
    expect(r.balancedAccuracy).toBeCloseTo(c.expected.balancedAccuracy, 12);
    expect(r.macro.f1).toBeCloseTo(c.expected.macro.f1, 12);
    expect(r.confusionMatrix.matrix).toEqual(c.expected.confusionMatrix);
    expect(r.perClass.map((p) => p.support)).toEqual(c.expected.support);
    expect(r.rocAuc).toBeNull();
  });

  it('adds ROC-AUC and PR-AUC from binary scores or a probability matrix', () => {
    const b = fx.ranking.find((x: { name: string }) => x.name === 'string labels, rare positive class');
    const pred = b.scores.map((s: number) => (s > 0.5 ? 'fail' : 'pass'));
    const r = classificationReport(b.yTrue, pred, { scores: b.scores, posLabel: 'fail' });
    expect(r.rocAuc).toBeCloseTo(b.expected.rocAuc, 12);
    expect(r.prAuc).toBeCloseTo(b.expected.prAuc, 12);

    const m = fx.multiclass[0];
    const argmax = m.scores.map((row: number[]) => m.labels[row.indexOf(Math.max(...row))]);
    const rm = classificationReport(m.yTrue, argmax, { scores: m.scores, labels: m.labels });
    expect(rm.rocAuc).toBeCloseTo(m.expected.rocAucMacro, 12);
    expect(rm.prAuc).toBeCloseTo(m.expected.prAucMacro, 12);
  });

  it('reports null AUCs for a single class instead of failing, and survives JSON', () => {
    const r = classificationReport(['ok', 'ok'], ['ok', 'ok'], { scores: [0.2, 0.9] });
    expect(r.rocAuc).toBeNull();
    expect(r.accuracy).toBe(1);
    expect(parseClassificationReport(JSON.parse(JSON.stringify(r)))).toEqual(r);
  });

  it('refuses a malformed stored report with field paths', () => {
    try {
      parseClassificationReport({ kind: 'mlops.core/classification-report', schemaVersion: 1, n: 0 });
      expect.unreachable();
    } catch (e) {
      expect(isMlopsError(e, 'INVALID_INPUT')).toBe(true);
      expect((e as { details: { path: string }[] }).details.map((d) => d.path)).toContain('n');
    }
  });
});
