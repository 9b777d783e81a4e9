import { describe, expect, it } from 'vitest';
import { normalSample } from '../../test/helpers.js';
import { DriftError } from '../errors.js';
import { createProfileBuilder } from './builder.js';
import { createProfile } from './create-profile.js';
import { inferColumnType } from './input.js';
import { mergeProfiles } from './merge.js';
import { type Profile, parseProfile, profileSchema } from './schema.js';

describe('createProfile', () => {
  const data = {
    age: [31, 45, null, 27, Number.NaN, 52, 38],
    city: ['Paris', 'Lyon', 'Paris', null, 'Nice', 'Paris', 'Lyon'],
    churned: [true, false, false, true, false, false, true],
  };

  it('survives a JSON round trip and validates against the schema', () => {
    const profile = createProfile(data, { createdAt: '2026-01-01T00:00:00.000Z' });
    const back = parseProfile(JSON.stringify(profile));
    expect(back).toEqual(profile);
    expect(profileSchema.safeParse(JSON.parse(JSON.stringify(profile))).success).toBe(true);
    expect(back.kind).toBe('mlops.drift/profile');
    expect(back.schemaVersion).toBe(2);
  });

  it('counts missing values instead of turning them into zeros', () => {
    const age = createProfile(data).columns.find((c) => c.name === 'age')!;
    expect(age.type).toBe('numerical');
    expect(age.count).toBe(7);
    expect(age.missing).toBe(2);
    expect(age.sample).toHaveLength(5);
    expect(age.sample).not.toContain(0);
    expect(age.numeric?.min).toBe(27);
    expect(age.numeric?.max).toBe(52);
    expect(age.numeric?.q50).toBe(38);
    expect(age.numeric?.mean).toBeCloseTo((31 + 45 + 27 + 52 + 38) / 5, 12);
  });

  it('keeps bounded category counts with an other bucket', () => {
    const city = createProfile(data, { topCategories: 1 }).columns.find((c) => c.name === 'city')!;
    expect(city.type).toBe('categorical');
    expect(city.distinct).toBe(3);
    expect(city.categories).toEqual({ top: [{ value: 'Paris', count: 3 }], otherCount: 3 });
  });

  it('gives the same profile for records and for columns', () => {
    const records = data.age.map((_, i) => ({ age: data.age[i], city: data.city[i], churned: data.churned[i] }));
    expect(createProfile(records)).toEqual(createProfile(data));
  });

  it('bounds the reservoir and makes it reproducible from the seed', () => {
    const values = normalSample(50_000, 10, 2, 1);
    const a = createProfile({ x: values }, { sampleSize: 1000 });
    const b = createProfile({ x: values }, { sampleSize: 1000 });
    const c = createProfile({ x: values }, { sampleSize: 1000, seed: 7 });
    const sample = a.columns[0]!.sample as number[];
    expect(sample).toHaveLength(1000);
    expect(sample).toEqual([...sample].sort((x, y) => x - y)); // numerical samples are stored sorted
    expect(b.columns[0]!.sample).toEqual(sample);
    expect(c.columns[0]!.sample).not.toEqual(sample);
    const all = new Set(values);
    expect(sample.every((v) => all.has(v))).toBe(true);
    // a uniform sample of N(10, 2): its mean is within 4 standard errors of 10
    const mean = sample.reduce((s, v) => s + v, 0) / sample.length;
    expect(Math.abs(mean - 10)).toBeLessThan((4 * 2) / Math.sqrt(1000));
    // summary statistics still describe the full data
    expect(a.columns[0]!.count).toBe(50_000);
  });

  it('keeps a column sample unchanged when another column is added', () => {
    const x = normalSample(5000, 0, 1, 3);
    const one = createProfile({ x }, { sampleSize: 100 });
    const two = createProfile({ y: normalSample(5000, 0, 1, 4), x }, { sampleSize: 100 });
    expect(two.columns[1]!.sample).toEqual(one.columns[0]!.sample);
  });

  it('summarises text columns', () => {
    const texts = [
      'the printer on floor two is jammed',
      'cannot log in to the vpn today',
      'printer out of toner again',
    ];
    const p = createProfile({ body: texts });
    const body = p.columns[0]!;
    expect(body.type).toBe('text');
    expect(body.text?.meanTokens).toBeCloseTo((7 + 7 + 5) / 3, 12);
    expect(body.text?.topTokens[0]).toEqual({ token: 'printer', count: 2 });
    expect(body.text?.maxLength).toBe(texts[0]!.length);
  });

  it('honours the column mapping', () => {
    const p = createProfile(
      { code: [1, 2, 3, 1], label: ['a', 'b', 'a', 'a'] },
      { columnMapping: { categorical: ['code'], target: 'label' } },
    );
    expect(p.columns.map((c) => [c.name, c.type, c.role])).toEqual([
      ['code', 'categorical', 'feature'],
      ['label', 'categorical', 'target'],
    ]);
    expect(p.columns[0]!.sample).toEqual(['1', '2', '3', '1']);
  });
});

describe('profile options', () => {
  it('rejects options out of range with INVALID_INPUT, never a profile that parseProfile refuses', () => {
    const data = { x: [1, 2, 3], c: ['a', 'b', 'a'] };
    const makers: [string, (options: never) => Profile][] = [
      ['createProfile', (o) => createProfile(data, o)],
      ['createProfileBuilder', (o) => createProfileBuilder(o).add(data).finish()],
      ['mergeProfiles', (o) => mergeProfiles(createProfile(data), createProfile(data), o)],
    ];
    const mergeKeys = new Set(['topCategories', 'topTokens', 'bogus']); // what mergeProfiles takes (and a stray key)
    for (const options of [
      { sampleSize: 0 },
      { sampleSize: Number.NaN },
      { sampleSize: 1.5 },
      { seed: Number.NaN }, // was written as null: the profile did not parse back
      { seed: 1.5 }, // the same
      { sketchK: 4 },
      { topCategories: -1 },
      { topTokens: Number.NaN },
      { bogus: 1 },
    ]) {
      const key = Object.keys(options)[0]!;
      for (const [name, make] of makers) {
        if (name === 'mergeProfiles' && !mergeKeys.has(key)) continue;
        expect(() => parseProfile(JSON.stringify(make(options as never))), `${name} ${key}`).toThrow(
          expect.objectContaining({ name: 'DriftError', code: 'INVALID_INPUT', message: expect.stringContaining(key) }),
        );
      }
    }
  });
});

describe('inferColumnType', () => {
  it.each([
    { values: [1, 2.5, null, 4], type: 'numerical' },
    { values: ['a', 'b', 'a', null], type: 'categorical' },
    { values: [true, false, null], type: 'boolean' },
    { values: [new Date(0), new Date(1000)], type: 'datetime' },
    { values: ['2024-01-01', '2024-02-03T10:00:00Z'], type: 'datetime' },
    { values: ['my laptop will not boot after the update', 'email sync fails on my phone since monday'], type: 'text' },
    { values: [1, 'a'], type: 'categorical' },
    { values: [null, null], type: 'numerical' },
  ])('$values → $type', ({ values, type }) => {
    expect(inferColumnType(values)).toBe(type);
  });
});

describe('parseProfile', () => {
  it('rejects an invalid profile with a typed error naming the field', () => {
    const profile = createProfile({ x: [1, 2, 3] });
    const broken = { ...profile, columns: [{ ...profile.columns[0], missing: -1 }] };
    try {
      parseProfile(broken);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(DriftError);
      expect((err as DriftError).code).toBe('INVALID_INPUT');
      expect((err as DriftError).message).toContain('columns[0].missing');
    }
  });

  it('rejects inconsistent profiles that would test wrongly or crash later (typed, with the field path)', () => {
    const profile = createProfile(
      { x: normalSample(30_000, 0, 1, 3), y: normalSample(30_000, 0, 1, 4) },
      { sampleSize: 500 },
    );
    expect(profile.columns[0]!.sketch).toBeDefined();
    type Column = {
      numeric: { std: number };
      sketch: { n: number; levels: number[][] };
      missing: number;
      count: number;
    };
    const cases: [string, (p: { columns: [Column, Column, ...Column[]] }) => void, RegExp][] = [
      // a negative std floored at 0.001 made every Wasserstein distance huge: a false "drifted"
      ['negative std', (p) => (p.columns[0].numeric.std = -1), /columns\[0\]\.numeric\.std/],
      // a sketch whose retained weights do not add up to n: a RangeError from detectDrift before
      [
        'sketch weights',
        (p) => (p.columns[0].sketch.levels = p.columns[0].sketch.levels.map(() => [])),
        /columns\[0\]\.sketch/,
      ],
      ['sketch n', (p) => (p.columns[0].sketch.n = 0), /columns\[0\]\.sketch/],
      // the same column twice was tested twice and counted twice in the dataset share
      ['duplicate column', (p) => p.columns.push(p.columns[0]), /columns.*"x".*twice|duplicate/],
      ['missing > count', (p) => (p.columns[1].missing = p.columns[1].count + 1), /columns\[1\]\.missing/],
    ];
    for (const [name, mutate, message] of cases) {
      const tampered = JSON.parse(JSON.stringify(profile));
      mutate(tampered);
      expect(() => parseProfile(tampered), name).toThrow(
        expect.objectContaining({ name: 'DriftError', code: 'INVALID_INPUT', message: expect.stringMatching(message) }),
      );
    }
  });

  it('rejects other schema versions and non-JSON text', () => {
    const profile = createProfile({ x: [1, 2, 3] });
    expect(() => parseProfile({ ...profile, schemaVersion: 3 })).toThrow(
      /unsupported profile schemaVersion 3 \(this release reads 1, 2\)/,
    );
    expect(() => parseProfile('{not json')).toThrow(DriftError);
  });
});
