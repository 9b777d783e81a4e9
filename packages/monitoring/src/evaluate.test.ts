import type { LabelledPrediction, PredictionRecord } from '@mlops/core/predictions';
import { createProfile } from '@mlops/drift';
import { describe, expect, it } from 'vitest';
import { evaluateWindow } from './evaluate.js';
import { type MonitoringSettings, resolveMonitoringSettings } from './settings.js';

/** Deterministic standard normals (mulberry32 + Box-Muller). */
function normals(seed: number, n: number, shift = 0): number[] {
  let s = seed >>> 0;
  const u = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return Array.from({ length: n }, () => shift + Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u()));
}

const reference = createProfile(
  {
    a: normals(1, 500),
    b: normals(2, 500),
    color: Array.from({ length: 500 }, (_, i) => ['red', 'green', 'blue'][i % 3]!),
    label: normals(3, 500).map((v) => (v > 0 ? 'pos' : 'neg')),
  },
  { columnMapping: { prediction: 'label' } },
);

const t0 = new Date('2026-01-01T00:00:00Z');
function records(inputs: Record<string, unknown>[], outputs?: Record<string, unknown>[]): PredictionRecord[] {
  return inputs.map((x, i) => ({
    id: `p${i}`,
    requestId: `r${i}`,
    position: 0,
    model: 'm',
    version: '1',
    alias: 'production',
    time: t0,
    latencyMs: 1,
    inputs: x,
    outputs: outputs?.[i] ?? { label: i % 2 ? 'pos' : 'neg' },
  }));
}
const rows = (n: number, f: (i: number) => Record<string, unknown>) => Array.from({ length: n }, (_, i) => f(i));
const colors = ['red', 'green', 'blue'];
const settings = (s: MonitoringSettings = {}) => resolveMonitoringSettings({ defaults: s }).settings;
const evaluate = (
  predictions: PredictionRecord[],
  s: MonitoringSettings = {},
  labelled: LabelledPrediction[] = [],
  ref: typeof reference | null = reference,
) => evaluateWindow({ reference: ref, predictions, labelled, settings: settings(s) });

describe('evaluateWindow: drift of the inputs', () => {
  it('gives a drift verdict per feature and the dataset verdict against the drift share threshold', () => {
    const a = normals(4, 200, 3);
    const b = normals(5, 200);
    const window = records(rows(200, (i) => ({ a: a[i], b: b[i], color: colors[i % 3] })));
    const e = evaluate(window, { driftShare: 0.3 });
    expect(e.status).toBe('drifted');
    expect(e.features.map((f) => [f.feature, f.drifted, f.problem])).toEqual([
      ['a', true, null],
      ['b', false, null],
      ['color', false, null],
    ]);
    expect(e.dataset).toMatchObject({ share: 1 / 3, threshold: 0.3 });
    expect(e.crossings).toEqual([{ kind: 'drift', share: 1 / 3, threshold: 0.3, columns: ['a'] }]);
    // The same window under the default threshold (0.5): one drifted feature of three is no dataset drift.
    const strict = evaluate(window, {});
    expect(strict.status).toBe('ok');
    expect(strict.crossings).toEqual([]);
  });

  it('tests only the features named by the settings, warning about names the reference lacks', () => {
    const a = normals(4, 100, 3);
    const e = evaluate(records(rows(100, (i) => ({ a: a[i], b: 0.1, color: 'red' }))), { features: ['a', 'zzz'] });
    expect(e.features.map((f) => f.feature)).toEqual(['a']);
    expect(e.warnings).toEqual(['features: "zzz" is not a feature of the reference profile (ignored)']);
    expect(e.status).toBe('drifted');
  });

  it('claims nothing about drift when no feature in scope could be tested (not "ok" with 0 columns)', () => {
    // a datetime feature is never tested, and a feature the reference never saw a value of cannot be
    const odd = createProfile({
      at: Array.from({ length: 100 }, (_, i) => new Date(Date.UTC(2026, 0, 1 + (i % 28))).toISOString()),
      blank: Array.from({ length: 100 }, () => null),
    });
    const window = records(
      rows(50, (i) => ({ at: new Date(Date.UTC(2026, 1, 1 + (i % 28))).toISOString(), blank: i })),
    );
    const e = evaluate(window, {}, [], odd);
    expect(e.dataset?.columns).toBe(0);
    expect(e.status).toBe('insufficient');
    expect(e.statusReason).toMatch(
      /no feature could be tested.*at: datetime.*blank: no non-missing values in the reference/,
    );
    expect(e.crossings).toEqual([]);
  });

  it('is insufficient below minSamples and says so without a reference', () => {
    const e = evaluate(records(rows(10, () => ({ a: 0, b: 0, color: 'red' }))), {});
    expect(e.status).toBe('insufficient');
    expect(e.statusReason).toBe('10 predictions in the window, fewer than 30');
    expect(e.features).toEqual([]);
    const none = evaluate(records(rows(40, () => ({ a: 0 }))), {}, [], null);
    expect(none.status).toBe('no-reference');
    expect(none.crossings).toEqual([]);
  });
});

describe('evaluateWindow: a broken feed is its own verdict, never "no drift"', () => {
  const a = normals(6, 100);
  const b = normals(7, 100);

  it('a renamed column: the reference feature is missing (and the new name reported)', () => {
    const e = evaluate(records(rows(100, (i) => ({ a: a[i], b_renamed: b[i], color: colors[i % 3] }))));
    expect(e.status).toBe('broken');
    expect(e.features.find((f) => f.feature === 'b')).toMatchObject({
      problem: 'missing',
      drifted: null,
      missingRate: 1,
    });
    expect(e.features.find((f) => f.feature === 'a')!.drifted).toBe(false);
    expect(e.schema).toMatchObject({ missing: ['b'], new: ['b_renamed'] });
    expect(e.crossings).toEqual([{ kind: 'feed-broken', problems: ['b: missing from the logged inputs'] }]);
    expect(e.statusReason).toBe('broken feed: b: missing from the logged inputs');
  });

  it('no input column of the window is in the reference profile', () => {
    const e = evaluate(records(rows(100, (i) => ({ x: a[i], y: b[i] }))));
    expect(e.status).toBe('broken');
    expect(e.features.every((f) => f.problem === 'missing')).toBe(true);
    expect(e.schema!.new).toEqual(['x', 'y']);
  });

  it('a numeric column arriving as text, and an all-null column', () => {
    const retyped = evaluate(records(rows(100, (i) => ({ a: `v${i}`, b: b[i], color: colors[i % 3] }))));
    expect(retyped.status).toBe('broken');
    expect(retyped.features[0]).toMatchObject({ feature: 'a', problem: 'type-changed' });
    const empty = evaluate(records(rows(100, (i) => ({ a: a[i], b: null, color: colors[i % 3] }))));
    expect(empty.status).toBe('broken');
    expect(empty.features[1]).toMatchObject({ feature: 'b', problem: 'empty', missingRate: 1 });
    // Numbers as decimal strings are converted (and counted), not a broken feed.
    const strings = evaluate(records(rows(100, (i) => ({ a: String(a[i]), b: b[i], color: colors[i % 3] }))));
    expect(strings.status).toBe('ok');
    expect(strings.schema!.converted).toEqual([{ column: 'a', from: 'string', to: 'numerical', count: 100 }]);
  });

  it('a feature named like an Object.prototype key ("__proto__", "constructor") is read, not reported missing', () => {
    for (const key of ['__proto__', 'constructor']) {
      // JSON (the prediction log, the profile) makes "__proto__" an own key like any other
      const data = rows(100, (i) => JSON.parse(`{"${key}": ${a[i]}, "b": ${b[i]}}`) as Record<string, unknown>);
      const ref = createProfile(data);
      const e = evaluate(records(data), {}, [], ref);
      expect(e.status, key).toBe('ok');
      expect(e.schema).toMatchObject({ missing: [], new: [] });
      expect(e.features.map((f) => [f.feature, f.problem, f.drifted])).toEqual([
        [key, null, false],
        ['b', null, false],
      ]);
    }
  });

  it('a metric below its minimum is still a crossing on a broken feed (labels are not the feed)', () => {
    const window = records(rows(40, (i) => ({ a: a[i], color: 'red' })));
    const labelled = window.map((p) => ({ prediction: p, label: 'pos', value: null, labelTime: t0 }));
    const e = evaluate(window, { minimums: { accuracy: 0.9 } }, labelled);
    expect(e.status).toBe('broken');
    expect(e.crossings.map((c) => c.kind)).toEqual(['feed-broken', 'minimum']);
  });
});

describe('evaluateWindow: data quality and predictions', () => {
  it('measures the missing rate and the share outside the reference per feature', () => {
    const window = records(
      rows(100, (i) => ({
        a: i < 10 ? null : i < 20 ? 100 : 0.5, // 10 % missing, 10 of 90 present values above the reference max
        b: i < 5 ? 'NA' : 0,
        color: i < 25 ? 'purple' : 'red', // a category the reference never had
      })),
    );
    const e = evaluate(window);
    const q = Object.fromEntries(e.features.map((f) => [f.feature, [f.missingRate, f.outOfRange]]));
    expect(q.a![0]).toBeCloseTo(0.1, 12);
    expect(q.a![1]).toBeCloseTo(10 / 90, 12);
    expect(q.b).toEqual([0.05, 0]);
    expect(q.color).toEqual([0, 0.25]);
    expect(e.features[0]!.referenceMissingRate).toBe(0);
  });

  it('reads a boolean feature as drift does: "TRUE"/"false" and 1/0 are the same values, not out of range', () => {
    const flags = createProfile({ flag: Array.from({ length: 100 }, (_, i) => i % 3 === 0) });
    const same = (i: number) => i % 3 === 0;
    for (const [name, value] of [
      ['booleans', (i: number) => same(i)],
      ['strings', (i: number) => (same(i) ? ' TRUE ' : 'False')],
      ['0/1', (i: number) => (same(i) ? 1 : 0)],
    ] as const) {
      const e = evaluate(records(rows(60, (i) => ({ flag: value(i) }))), {}, [], flags);
      expect(e.status, name).toBe('ok');
      expect(e.features[0], name).toMatchObject({ feature: 'flag', drifted: false, missingRate: 0, outOfRange: 0 });
    }
    // a value drift cannot read as a boolean is a type change, not "out of range"
    const odd = evaluate(records(rows(60, (i) => ({ flag: i === 0 ? 'maybe' : same(i) }))), {}, [], flags);
    expect(odd.features[0]).toMatchObject({ problem: 'type-changed', outOfRange: 0 });
  });

  it('an object in a categorical feature is a type change, not a category outside the reference', () => {
    const window = records(rows(60, (i) => ({ a: 0, b: 0, color: i === 0 ? { name: 'red' } : colors[i % 3] })));
    const e = evaluate(window);
    expect(e.features[2]).toMatchObject({ feature: 'color', problem: 'type-changed', outOfRange: 0 });
  });

  it("tests the model's output against the reference's prediction column", () => {
    const a = normals(8, 100);
    const window = records(
      rows(100, (i) => ({ a: a[i], b: a[i], color: 'red' })),
      rows(100, () => ({ label: 'pos' })),
    );
    const e = evaluate(window);
    expect(e.predictions).toHaveLength(1);
    expect(e.predictions[0]).toMatchObject({ output: 'label', drifted: true, problem: null });
    // Outputs without the prediction column: nothing to test, not a broken feed.
    const none = evaluate(
      records(
        rows(100, (i) => ({ a: a[i], b: normals(9, 100)[i], color: colors[i % 3] })),
        rows(100, () => ({ score: 1 })),
      ),
    );
    expect(none.predictions).toEqual([]);
    expect(none.status).toBe('ok');
  });

  it('computes metrics from feedback and crosses a minimum only with at least minSamples labels', () => {
    const window = records(rows(40, () => ({ a: 0, b: 0, color: 'red' })));
    const labelled = window.map((p, i) => ({
      prediction: p,
      label: i < 30 ? (p.outputs!.label as string) : 'other',
      value: null,
      labelTime: t0,
    }));
    const e = evaluate(window, { minimums: { accuracy: 0.8 } }, labelled);
    expect(e.performance).toMatchObject({ n: 40, sufficient: true });
    expect(e.performance!.metrics.accuracy).toBeCloseTo(0.75, 12);
    expect(e.crossings).toContainEqual({ kind: 'minimum', metric: 'accuracy', value: 0.75, threshold: 0.8 });
    const few = evaluate(window, { minimums: { accuracy: 0.8 } }, labelled.slice(0, 20).concat(labelled.slice(30, 35)));
    expect(few.performance!.sufficient).toBe(false);
    expect(few.crossings.filter((c) => c.kind === 'minimum')).toEqual([]);
  });
});
