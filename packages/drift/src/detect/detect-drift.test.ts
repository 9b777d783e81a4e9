import { describe, expect, it } from 'vitest';
import { categoricalSample, normalSample, sentences } from '../../test/helpers.js';
import { ksTest } from '../ks.js';
import { createProfile } from '../profile/create-profile.js';
import { wassersteinDistance } from '../wasserstein.js';
import { detectDrift } from './detect-drift.js';
import { driftReportSchema } from './schema.js';

const n = 500;
const reference = {
  a: normalSample(n, 0, 1, 1),
  b: normalSample(n, 5, 2, 2),
  c: normalSample(n, -3, 1, 3),
  d: normalSample(n, 100, 10, 4),
};
const same = {
  a: normalSample(n, 0, 1, 11),
  b: normalSample(n, 5, 2, 12),
  c: normalSample(n, -3, 1, 13),
  d: normalSample(n, 100, 10, 14),
};

describe('detectDrift', () => {
  it('two plain arrays: the INVALID_INPUT error points to ksTest/psi (numbers) and chiSquareTest (labels)', () => {
    for (const [ref, cur] of [
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      [
        ['a', 'b'],
        ['b', 'c'],
      ],
    ] as const) {
      expect(() => detectDrift(ref as never, cur as never)).toThrow(
        expect.objectContaining({
          code: 'INVALID_INPUT',
          message: expect.stringMatching(
            /record 0 is a (number|string).*ksTest\(reference, current\).*psi.*chiSquareTest/s,
          ),
        }),
      );
    }
    expect(() => createProfile([1, 2, 3] as never)).toThrow(/ksTest/);
  });

  it('finds no drift between samples of the same distributions', () => {
    const r = detectDrift(reference, same);
    expect(r.columns.map((c) => c.test)).toEqual(['ks', 'ks', 'ks', 'ks']);
    expect(r.columns.every((c) => !c.drifted)).toBe(true);
    expect(r.dataset).toEqual({
      status: 'ok',
      drifted: false,
      share: 0,
      driftedColumns: 0,
      columns: 4,
      threshold: 0.5,
    });
  });

  it('finds drift in shifted columns and decides dataset drift by share', () => {
    const current = { ...same, a: normalSample(n, 0.5, 1, 21), b: normalSample(n, 5, 4, 22) };
    const r = detectDrift(reference, current);
    expect(r.columns.filter((c) => c.drifted).map((c) => c.column)).toEqual(['a', 'b']);
    const a = r.columns[0]!;
    expect(a.pValue).toBeLessThan(0.05);
    expect(a.score).toBe(a.pValue);
    expect(a.threshold).toBe(0.05);
    expect(r.dataset).toMatchObject({ drifted: true, share: 0.5, driftedColumns: 2, columns: 4 });
    expect(detectDrift(reference, current, { datasetDriftShare: 0.75 }).dataset.drifted).toBe(false);
  });

  it('applies per-test and per-column thresholds', () => {
    const current = { ...same, a: normalSample(n, 0.5, 1, 21) };
    expect(detectDrift(reference, current, { thresholds: { ks: 1e-300 } }).columns[0]!.drifted).toBe(false);
    const r = detectDrift(reference, current, { columns: { a: { threshold: 1e-300 } } });
    expect(r.columns[0]).toMatchObject({ column: 'a', threshold: 1e-300, drifted: false });
    expect(r.columns[1]!.threshold).toBe(0.05);
  });

  it('accepts records and a profile as the reference', () => {
    const current = { ...same, a: normalSample(n, 0.5, 1, 21) };
    const records = reference.a.map((_, i) => ({
      a: reference.a[i],
      b: reference.b[i],
      c: reference.c[i],
      d: reference.d[i],
    }));
    const fromColumns = detectDrift(reference, current);
    expect(detectDrift(records, current)).toEqual(fromColumns);
    const profile = JSON.parse(JSON.stringify(createProfile(reference)));
    const fromProfile = detectDrift(profile, current);
    // the reservoir holds every value when the reference is smaller than the sample size
    expect(fromProfile.columns.map((c) => c.statistic)).toEqual(fromColumns.columns.map((c) => c.statistic));
  });

  it('reports sizes, missing counts and drawable histograms', () => {
    const current = { ...same, a: [...same.a.slice(0, n - 3), null, Number.NaN, null] };
    const col = detectDrift(reference, current).columns[0]!;
    expect(col.reference).toEqual({ size: n, missing: 0 });
    expect(col.current).toEqual({ size: n - 3, missing: 3 });
    expect(col.histogram.kind).toBe('numeric');
    expect(col.histogram.reference.reduce((s, x) => s + x, 0)).toBe(n);
    expect(col.histogram.current.reduce((s, x) => s + x, 0)).toBe(n - 3);
  });

  it('returns a versioned report that validates against its schema', () => {
    const r = detectDrift(reference, same, { createdAt: '2026-01-01T00:00:00Z' });
    expect(r.kind).toBe('mlops.drift/report');
    expect(r.schemaVersion).toBe(2);
    expect(driftReportSchema.parse(JSON.parse(JSON.stringify(r)))).toEqual(r);
  });

  it('skips columns missing from the current data and datetime columns', () => {
    const dates = Array.from({ length: n }, (_, i) => new Date(Date.UTC(2024, 0, 1 + i)));
    const { d: _d, ...current } = same;
    const r = detectDrift({ ...reference, when: dates }, { ...current, when: dates });
    expect(r.skipped).toEqual([
      { column: 'd', reason: 'missing from current data' },
      { column: 'when', reason: 'datetime columns are not tested for drift' },
    ]);
    expect(r.columns).toHaveLength(3);
  });

  it('reports progress once per column', () => {
    const calls: [number, number][] = [];
    detectDrift(reference, same, { onProgress: (done, total) => calls.push([done, total]) });
    expect(calls).toEqual([
      [1, 4],
      [2, 4],
      [3, 4],
      [4, 4],
    ]);
  });

  it('tests only the requested columns', () => {
    const r = detectDrift(reference, same, { include: ['b'] });
    expect(r.columns.map((c) => c.column)).toEqual(['b']);
    expect(() => detectDrift(reference, same, { include: ['nope'] })).toThrow(/nope/);
  });

  it('detects text drift on a free-text column', () => {
    const vocabA = 'printer toner paper jam scanner laptop screen keyboard the my is not working'.split(' ');
    const vocabB = 'vpn wifi network router firewall dns proxy latency the my is not working'.split(' ');
    const r = detectDrift(
      { body: sentences(200, vocabA, 9, 1) },
      { body: sentences(200, vocabB, 9, 2) },
      { columnMapping: { text: ['body'] } },
    );
    const body = r.columns[0]!;
    expect(body).toMatchObject({ type: 'text', test: 'domain-classifier', drifted: true, threshold: 0.55 });
    expect(body.text!.outOfVocabularyRate).toBeGreaterThan(0.3);
    expect(body.histogram.kind).toBe('categorical');
  });

  it('throws on a test that cannot run on the column type, and skips columns without data', () => {
    const ref = { x: normalSample(50, 0, 1, 1), y: categoricalSample(50, ['a', 'b', 'c'], [1, 1, 1], 2) };
    expect(() => detectDrift(ref, ref, { tests: { categorical: 'ks' } })).toThrow(/ks needs a numerical column/);
    const r = detectDrift(ref, { x: ref.x, y: ref.y.map(() => null) });
    expect(r.skipped).toEqual([{ column: 'y', reason: 'no non-missing values in the current data' }]);
  });

  it("picks the test by Evidently's rule on real columns", () => {
    const big = 1500;
    const ref = {
      num: normalSample(big, 0, 1, 1),
      few: normalSample(big, 0, 1, 2).map((v) => Math.round(Math.abs(v)) % 3),
      cat: categoricalSample(big, ['a', 'b', 'c', 'd'], [4, 3, 2, 1], 3),
    };
    const small = { num: ref.num.slice(0, 800), few: ref.few.slice(0, 800), cat: ref.cat.slice(0, 800) };
    const bin = { flag: categoricalSample(800, ['yes', 'no'], [1, 3], 4) };
    expect(detectDrift(ref, ref).columns.map((c) => c.test)).toEqual([
      'wasserstein',
      'jensen-shannon',
      'jensen-shannon',
    ]);
    expect(detectDrift(small, small).columns.map((c) => c.test)).toEqual(['ks', 'chi-square', 'chi-square']);
    expect(detectDrift(bin, bin).columns.map((c) => c.test)).toEqual(['z-test']);
    const w = detectDrift(ref, { ...ref, num: normalSample(big, 0.3, 1, 9) }).columns[0]!;
    expect(w).toMatchObject({ test: 'wasserstein', testKind: 'distance', threshold: 0.1, pValue: null, drifted: true });
    expect(w.score).toBeGreaterThan(0.2);
    expect(w.score).toBeLessThan(0.4);
  });

  it('runs a per-column override test with its own threshold', () => {
    const current = { ...same, a: normalSample(n, 0.5, 1, 21) };
    const r = detectDrift(reference, current, { columns: { a: { test: 'psi', threshold: 0.2 } } });
    const a = r.columns[0]!;
    expect(a).toMatchObject({ test: 'psi', testKind: 'distance', threshold: 0.2, pValue: null });
    expect(a.drifted).toBe(a.score >= 0.2);
    expect(a.score).toBeGreaterThan(0.1);
    expect(r.columns[1]!.test).toBe('ks');
    const all = detectDrift(reference, same, {
      tests: { numerical: 'jensen-shannon' },
      thresholds: { 'jensen-shannon': 0.5 },
    });
    expect(all.columns.every((c) => c.test === 'jensen-shannon' && c.threshold === 0.5 && !c.drifted)).toBe(true);
  });

  it.each([
    'ks',
    'wasserstein',
    'psi',
    'jensen-shannon',
    'kl-divergence',
    'hellinger',
    'total-variation',
    'energy',
    'anderson-darling',
    'cramer-von-mises',
    'chi-square',
  ] as const)('%s flags a strong shift and not the same distribution', (test) => {
    const ref = { x: normalSample(2000, 0, 1, 1) };
    const shifted = detectDrift(ref, { x: normalSample(2000, 1, 1, 2) }, { columns: { x: { test } } }).columns[0]!;
    const calm = detectDrift(ref, { x: normalSample(2000, 0, 1, 3) }, { columns: { x: { test } } }).columns[0]!;
    expect(shifted.test).toBe(test);
    expect(shifted.drifted).toBe(true);
    // chi-square on continuous values sees every value as a new category, so it cannot tell "same distribution"
    if (test !== 'chi-square') expect(calm.drifted).toBe(false);
  });

  it('detects categorical drift and reports target and prediction drift apart from the dataset share', () => {
    const m = 600;
    const ref = {
      x: normalSample(m, 0, 1, 1),
      z: normalSample(m, 0, 1, 5),
      label: categoricalSample(m, ['a', 'b', 'c'], [1, 1, 1], 2),
      pred: categoricalSample(m, ['a', 'b', 'c'], [1, 1, 1], 6),
    };
    const cur = {
      x: normalSample(m, 0, 1, 3),
      z: normalSample(m, 0, 1, 7),
      label: categoricalSample(m, ['a', 'b', 'c'], [6, 1, 1], 4),
      pred: categoricalSample(m, ['a', 'b', 'c'], [1, 1, 1], 8),
    };
    const r = detectDrift(ref, cur, { columnMapping: { target: 'label', prediction: 'pred' } });
    const label = r.columns.find((c) => c.column === 'label')!;
    expect(label).toMatchObject({ role: 'target', type: 'categorical', test: 'chi-square', drifted: true });
    expect(label.histogram.kind).toBe('categorical');
    if (label.histogram.kind === 'categorical') expect([...label.histogram.labels].sort()).toEqual(['a', 'b', 'c']);
    expect(r.targetDrift).toBe(true);
    expect(r.predictionDrift).toBe(false);
    expect(r.dataset).toMatchObject({ columns: 2, driftedColumns: 0, drifted: false });
  });

  it('gives the same scores as the standalone statistics', () => {
    const ref = { x: normalSample(1500, 0, 1, 1) };
    const cur = { x: normalSample(1500, 0.2, 1.1, 3) };
    const small = { y: normalSample(800, 0, 1, 2) };
    const smallCur = { y: normalSample(800, 0.2, 1, 4) };
    const x = detectDrift(ref, cur).columns[0];
    const y = detectDrift(small, smallCur).columns[0];
    expect(x!.test).toBe('wasserstein');
    expect(x!.score).toBeCloseTo(wassersteinDistance(ref.x, cur.x, { normalize: true }), 12);
    expect(y!.test).toBe('ks');
    const ks = ksTest(small.y, smallCur.y);
    expect([y!.statistic, y!.pValue]).toEqual([ks.statistic, ks.pValue]);
  });

  it('keeps the report valid JSON when a statistic is infinite', () => {
    const ref = { plan: categoricalSample(300, ['a', 'b', 'c'], [1, 1, 1], 1) };
    const cur = { plan: [...categoricalSample(290, ['a', 'b', 'c'], [1, 1, 1], 2), ...Array(10).fill('new')] };
    const r = detectDrift(ref, cur);
    expect(r.columns[0]).toMatchObject({ test: 'chi-square', statistic: null, pValue: 0, score: 0, drifted: true });
    expect(driftReportSchema.parse(JSON.parse(JSON.stringify(r)))).toEqual(r);
  });

  it('validates a profile reference it did not build', () => {
    const profile = JSON.parse(JSON.stringify(createProfile(reference)));
    profile.columns[0].sample = ['not', 'numbers', 1];
    expect(() => detectDrift(profile, same)).toThrow(/invalid profile: columns\[0\]\.sample/);
  });

  it('rejects invalid options with the field path', () => {
    expect(() => detectDrift(reference, same, { columns: { a: { test: 'nope' as 'ks' } } })).toThrow(
      /columns\.a\.test/,
    );
    expect(() => detectDrift(reference, same, { datasetDriftShare: 2 })).toThrow(/datasetDriftShare/);
  });
});
