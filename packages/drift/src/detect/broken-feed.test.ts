import { describe, expect, it } from 'vitest';
import { categoricalSample, normalSample } from '../../test/helpers.js';
import { createProfile } from '../profile/create-profile.js';
import { detectDrift } from './detect-drift.js';
import { type DriftReport, driftReportSchema } from './schema.js';

// Issue 19, fault 8: a feed that cannot be tested (renamed, retyped, emptied columns, no rows) must never read as
// "no drift". Every case below gave `dataset.drifted: false` before the fix, with the column only in `skipped`.

const n = 400;
const reference = {
  age: normalSample(n, 40, 10, 1),
  income: normalSample(n, 50_000, 8000, 2),
  plan: categoricalSample(n, ['basic', 'pro', 'team'], [3, 2, 1], 3),
};
const same = {
  age: normalSample(n, 40, 10, 11),
  income: normalSample(n, 50_000, 8000, 12),
  plan: categoricalSample(n, ['basic', 'pro', 'team'], [3, 2, 1], 13),
};

function expectBroken(r: DriftReport): void {
  expect(r.dataset.status).toBe('broken');
  // never the boolean "no drift": a broken feed has no drift verdict
  expect(r.dataset.drifted).toBeNull();
  expect(driftReportSchema.parse(JSON.parse(JSON.stringify(r)))).toEqual(r);
}

describe('detectDrift on a broken feed', () => {
  it('a healthy feed is ok, with an empty schema account', () => {
    const r = detectDrift(reference, same);
    expect(r.dataset).toMatchObject({ status: 'ok', drifted: false });
    expect(r.schema).toEqual({ missing: [], new: [], typeChanged: [], empty: [], converted: [] });
  });

  it('a renamed column is missing (broken) and the new name is reported', () => {
    const { age, ...rest } = same;
    const r = detectDrift(reference, { ...rest, age_years: age });
    expectBroken(r);
    expect(r.schema.missing).toEqual(['age']);
    expect(r.schema.new).toEqual(['age_years']);
    expect(r.skipped).toEqual([{ column: 'age', reason: 'missing from current data' }]);
    // the testable columns are still tested and reported
    expect(r.columns.map((c) => c.column)).toEqual(['income', 'plan']);
  });

  it('a renamed column breaks the feed against a stored profile too (the monitoring path)', () => {
    const profile = JSON.parse(JSON.stringify(createProfile(reference)));
    const { plan, ...rest } = same;
    const r = detectDrift(profile, { ...rest, tier: plan });
    expectBroken(r);
    expect(r.schema).toMatchObject({ missing: ['plan'], new: ['tier'] });
  });

  it('broken wins over drift: a broken feed is never a reason to retrain', () => {
    const r = detectDrift(reference, { age: normalSample(n, 80, 10, 21), income: normalSample(n, 90_000, 8000, 22) });
    expect(r.dataset.driftedColumns).toBe(2);
    expectBroken(r);
    expect(r.schema.missing).toEqual(['plan']);
  });

  it('numbers arriving as numeric strings are converted, counted and warned about', () => {
    const asText = { ...same, age: same.age.map((x, i) => (i % 2 === 0 ? String(x) : x)) };
    const r = detectDrift(reference, asText);
    expect(r.dataset.status).toBe('ok');
    expect(r.dataset.drifted).toBe(false);
    expect(r.schema.converted).toEqual([{ column: 'age', from: 'string', to: 'numerical', count: n / 2 }]);
    // the same numbers give the same test result
    expect(r.columns[0]).toEqual(detectDrift(reference, same).columns[0]);
  });

  it('a numeric column arriving as non-numeric text is type-changed (broken), with counts and examples', () => {
    const r = detectDrift(reference, { ...same, age: same.age.map((x) => `${Math.round(x)} years`) });
    expectBroken(r);
    expect(r.schema.typeChanged).toEqual([
      {
        column: 'age',
        expected: 'numerical',
        found: ['string'],
        invalid: n,
        examples: same.age.slice(0, 3).map((x) => `${Math.round(x)} years`),
      },
    ]);
    expect(r.skipped.map((s) => s.column)).toEqual(['age']);
  });

  it('a few unreadable values in a numeric column break the feed instead of silently shrinking the sample', () => {
    const age: unknown[] = [...same.age];
    age[5] = '12,5';
    age[7] = { value: 3 };
    age[9] = 'N/A'; // a missing-value marker, not a type change
    const r = detectDrift(reference, { ...same, age });
    expectBroken(r);
    expect(r.schema.typeChanged).toEqual([
      {
        column: 'age',
        expected: 'numerical',
        found: ['object', 'string'],
        invalid: 2,
        examples: ['12,5', '{"value":3}'],
      },
    ]);
  });

  it('an all-NaN column is empty (broken)', () => {
    const r = detectDrift(reference, { ...same, income: same.income.map(() => Number.NaN) });
    expectBroken(r);
    expect(r.schema.empty).toEqual(['income']);
    expect(r.skipped).toEqual([{ column: 'income', reason: 'no non-missing values in the current data' }]);
  });

  it('an empty feed is broken, as records and as columns', () => {
    const records = detectDrift(reference, []);
    expectBroken(records);
    expect(records.current.rows).toBe(0);
    expect(records.schema.empty).toEqual(['age', 'income', 'plan']);
    expect(records.schema.missing).toEqual([]);
    const columns = detectDrift(reference, { age: [], income: [], plan: [] });
    expectBroken(columns);
    expect(columns.schema.empty).toEqual(['age', 'income', 'plan']);
    expect(columns.columns).toEqual([]);
  });

  it('a new column is reported but does not break the feed (every reference column is still tested)', () => {
    const r = detectDrift(reference, { ...same, coupon: same.plan.map((p) => `${p}-10`) });
    expect(r.schema.new).toEqual(['coupon']);
    expect(r.dataset).toMatchObject({ status: 'ok', drifted: false, columns: 3 });
  });

  it('drift is a status of its own', () => {
    const r = detectDrift(reference, { ...same, age: normalSample(n, 80, 10, 21), income: normalSample(n, 9, 1, 22) });
    expect(r.dataset).toMatchObject({ status: 'drifted', drifted: true });
  });

  it('only columns in scope count: excluded and not-included columns are neither missing nor new', () => {
    const { age: _age, ...rest } = same;
    const included = detectDrift(reference, rest, { include: ['income', 'plan'] });
    expect(included.dataset.status).toBe('ok');
    expect(included.schema.missing).toEqual([]);
    // an excluded id column, numbers in the reference and text in the current data, is neither new nor retyped
    const ids = { id: reference.age.map((_, i) => i) };
    const excluded = detectDrift(
      { ...reference, ...ids },
      { ...same, id: ids.id.map((i) => `x${i}`) },
      {
        columnMapping: { exclude: ['id'] },
      },
    );
    expect(excluded.dataset.status).toBe('ok');
    expect(excluded.schema).toMatchObject({ missing: [], new: [], typeChanged: [] });
    // the same column not excluded is a type change
    expect(detectDrift({ ...reference, ...ids }, { ...same, id: ids.id.map((i) => `x${i}`) }).dataset.status).toBe(
      'broken',
    );
  });

  it('live data without labels is not broken; a missing prediction column is', () => {
    const ref = { ...reference, label: same.plan, pred: same.plan };
    const columnMapping = { target: 'label', prediction: 'pred' };
    const unlabelled = detectDrift(ref, { ...same, pred: same.plan }, { columnMapping });
    expect(unlabelled.dataset.status).toBe('ok');
    expect(unlabelled.targetDrift).toBeNull();
    expect(unlabelled.skipped).toEqual([{ column: 'label', reason: 'missing from current data' }]);
    const nulls = detectDrift(ref, { ...same, pred: same.plan, label: same.plan.map(() => null) }, { columnMapping });
    expect(nulls.dataset.status).toBe('ok');
    const noPrediction = detectDrift(ref, { ...same, label: same.plan }, { columnMapping });
    expectBroken(noPrediction);
    expect(noPrediction.schema.missing).toEqual(['pred']);
    expect(noPrediction.predictionDrift).toBeNull();
    const retypedLabel = detectDrift(
      ref,
      { ...same, pred: same.plan, label: same.plan.map((p) => ({ p })) },
      {
        columnMapping,
      },
    );
    expectBroken(retypedLabel);
  });

  it('booleans arriving as strings or 0/1 are converted; other values are a type change', () => {
    const ref = { flag: categoricalSample(n, ['t', 'f'], [1, 3], 4).map((x) => x === 't') };
    const strings = detectDrift(ref, { flag: ref.flag.map(String) });
    expect(strings.schema.converted).toEqual([{ column: 'flag', from: 'string', to: 'boolean', count: n }]);
    expect(strings.columns[0]).toMatchObject({ drifted: false, score: 1 });
    const bits = detectDrift(ref, { flag: ref.flag.map((b) => (b ? 1 : 0)) });
    expect(bits.schema.converted).toEqual([{ column: 'flag', from: 'number', to: 'boolean', count: n }]);
    expect(bits.columns[0]).toMatchObject({ drifted: false, score: 1 });
    const words = detectDrift(ref, { flag: ref.flag.map((b) => (b ? 'yes' : 'no')) });
    expectBroken(words);
    expect(words.schema.typeChanged[0]).toMatchObject({ column: 'flag', expected: 'boolean', invalid: n });
  });
});
