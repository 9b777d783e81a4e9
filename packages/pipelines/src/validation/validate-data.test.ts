import { createProfile } from '@mlops/drift';
import { describe, expect, it } from 'vitest';
import {
  expectColumn,
  expectDistribution,
  expectFreshness,
  expectNoRows,
  expectReferences,
  expectRowCount,
  expectUnique,
  parseExpectations,
} from './expectations.js';
import {
  assertValid,
  formatValidationReport,
  isValidationFailedError,
  parseValidationReport,
  type ValidationFailedError,
} from './report.js';
import { validateData } from './validate-data.js';

const rows = [
  { id: 1, body: 'printer jammed', topic: 'Hardware', score: 0.5, at: '2024-01-01T00:00:00Z' },
  { id: 2, body: '  ', topic: 'Access', score: 1.5, at: '2024-01-02T00:00:00Z' },
  { id: 3, body: null, topic: 'Nope', score: -1, at: '2024-01-03T00:00:00Z' },
  { id: 3, body: 'vpn down', topic: 'Access', score: 0.9, at: null },
];

const first = (e: Parameters<typeof validateData>[1][number], data: Parameters<typeof validateData>[0] = rows) =>
  validateData(data, [e]).results[0]!;

describe('expectation builders', () => {
  it('default to severity error and a derived name, and keep the given ones', () => {
    expect(expectColumn('body').notNull()).toMatchObject({
      kind: 'not_null',
      column: 'body',
      severity: 'error',
      name: 'not_null(body)',
    });
    expect(expectColumn('body').notNull({ severity: 'warn', name: 'body set' })).toMatchObject({
      severity: 'warn',
      name: 'body set',
    });
    expect(expectUnique(['a', 'b'])).toMatchObject({ kind: 'unique', columns: ['a', 'b'], name: 'unique(a, b)' });
  });

  it.each([
    ['between without bounds', () => expectColumn('x').between(null, null)],
    ['between with a number and a date', () => expectColumn('x').between(1, '2024-01-01')],
    ['rowCount min > max', () => expectRowCount({ min: 5, max: 1 })],
    ['negative freshness', () => expectFreshness({ column: 'at', maxAgeMs: -1 })],
    ['empty accepted values', () => expectColumn('x').acceptedValues([])],
    ['share above 1', () => expectColumn('x').shares({ max: 2 })],
    ['a distribution without a profile', () => expectDistribution({ reference: {} as never })],
    ['an unknown severity', () => expectColumn('x').notNull({ severity: 'fatal' as 'warn' })],
  ])('refuse %s with INVALID_INPUT', (_name, build) => {
    expect(build).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
  });

  it('round-trip through JSON with parseExpectations', () => {
    const list = [
      expectColumn('a').acceptedValues(['x', 1, true]),
      expectRowCount({ min: 1 }),
      expectNoRows('SELECT 1'),
    ];
    expect(parseExpectations(JSON.parse(JSON.stringify(list)))).toEqual(list);
    expect(() => parseExpectations([{ kind: 'nope' }])).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
  });
});

describe('validateData', () => {
  it.each([
    ['notNull', expectColumn('body').notNull(), false, 1],
    ['notEmpty counts null and blank', expectColumn('body').notEmpty(), false, 2],
    ['unique counts rows beyond the first', expectColumn('id').unique(), false, 1],
    ['acceptedValues', expectColumn('topic').acceptedValues(['Hardware', 'Access']), false, 1],
    ['acceptedValues compares as text', expectColumn('id').acceptedValues(['1', '2', '3']), true, 0],
    ['between', expectColumn('score').between(0, 1), false, 2],
    ['between with an open side', expectColumn('score').between(-1, null), true, 0],
    ['between dates', expectColumn('at').between('2024-01-02', null), false, 1],
  ])('%s', (_name, e, success, unexpected) => {
    const r = first(e);
    expect(r.success).toBe(success);
    expect(r.unexpectedCount).toBe(unexpected);
    expect(r.samples).toHaveLength(unexpected > 5 ? 5 : r.kind === 'unique' ? (unexpected > 0 ? 1 : 0) : unexpected);
  });

  it('reports offending rows with their index, bounded by sampleLimit', () => {
    const many = Array.from({ length: 50 }, (_, i) => ({ v: i % 2 === 0 ? null : i }));
    const report = validateData(many, [expectColumn('v').notNull()], { sampleLimit: 3 });
    const r = report.results[0]!;
    expect(r.unexpectedCount).toBe(25);
    expect(r.unexpectedShare).toBe(0.5);
    expect(r.samples).toEqual([
      { _row: 0, v: null },
      { _row: 2, v: null },
      { _row: 4, v: null },
    ]);
  });

  it('works on column-oriented data the same as on rows', () => {
    const columns = { id: [1, 2, 2], body: ['a', '', 'c'] };
    const report = validateData(columns, [expectColumn('id').unique(), expectColumn('body').notEmpty()]);
    expect(report.results.map((r) => r.unexpectedCount)).toEqual([1, 1]);
    expect(report.results[0]!.samples).toEqual([{ id: 2, count: 2 }]);
    expect(report.rows).toBe(3);
  });

  it('checks compound uniqueness and ignores rows with nulls', () => {
    const data = [
      { a: 1, b: 'x' },
      { a: 1, b: 'y' },
      { a: 1, b: 'x' },
      { a: null, b: 'x' },
      { a: null, b: 'x' },
    ];
    expect(first(expectUnique(['a', 'b']), data)).toMatchObject({
      success: false,
      unexpectedCount: 1,
      samples: [{ a: 1, b: 'x', count: 2 }],
    });
  });

  it('checks row counts, freshness and references', () => {
    const now = new Date('2024-01-03T12:00:00Z');
    const report = validateData(
      rows,
      [
        expectRowCount({ min: 1, max: 3 }),
        expectFreshness({ column: 'at', maxAgeMs: 24 * 3600e3 }),
        expectFreshness({ column: 'at', maxAgeMs: 3600e3 }),
        expectReferences({ column: 'topic', table: 'topics', refColumn: 'name' }),
      ],
      { now, tables: { topics: [{ name: 'Hardware' }, { name: 'Access' }] } },
    );
    expect(report.results.map((r) => r.success)).toEqual([false, true, false, false]);
    expect(report.results[0]!.observed).toBe(4);
    expect(report.results[1]!.observed).toEqual({ newest: '2024-01-03T00:00:00.000Z', ageMs: 12 * 3600e3 });
    expect(report.results[3]!.samples).toEqual([{ _row: 2, ...rows[2] }]);
  });

  it('checks class shares against global and per-class bounds, counting absent classes as 0', () => {
    const data = { y: [...'aaaaaabbbc'] };
    const ok = first(expectColumn('y').shares({ min: 0.1, max: 0.6 }), data);
    expect(ok.success).toBe(true);
    expect(ok.observed).toEqual({ total: 10, shares: { a: 0.6, b: 0.3, c: 0.1 } });
    const bad = first(expectColumn('y').shares({ max: 0.5, shares: { d: { min: 0.05 } } }), data);
    expect(bad.success).toBe(false);
    expect(bad.samples).toEqual([
      { value: 'a', share: 0.6, min: null, max: 0.5 },
      { value: 'd', share: 0, min: 0.05, max: 0.5 },
    ]);
  });

  it('tests the distribution against a reference profile through @mlops/drift', () => {
    const rng = (seed: number) => () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const r1 = rng(1);
    const r2 = rng(2);
    const reference = createProfile({ x: Array.from({ length: 2000 }, () => r1()) });
    const same = { x: Array.from({ length: 1000 }, () => r2()) };
    const shifted = { x: same.x.map((v) => v + 0.5) };
    expect(first(expectDistribution({ reference }), same).success).toBe(true);
    const drifted = first(expectDistribution({ reference }), shifted);
    expect(drifted.success).toBe(false);
    expect(drifted.samples).toEqual([expect.objectContaining({ column: 'x' })]);
    expect((drifted.observed as { driftShare: number }).driftShare).toBe(1);
    // a broken feed (y all null, z as words) is a failure with its reason, not a pass on x (issue 19, fault 8)
    const wide = createProfile({ x: same.x, y: same.x, z: same.x });
    const broken = first(expectDistribution({ reference: wide }), {
      x: same.x,
      y: same.x.map(() => null),
      z: same.x.map((v) => `${v} cm`),
    });
    expect(broken.success).toBe(false);
    expect(broken.error).toBe('broken feed: type changed: z; empty: y');
    expect(broken.observed).toMatchObject({ status: 'broken', schema: { empty: ['y'] } });
  });

  it('fails an expectation that cannot run (missing column, custom SQL in memory) with its reason', () => {
    const report = validateData(rows, [
      expectColumn('nope').notNull(),
      expectNoRows('SELECT 1'),
      expectRowCount({ min: 1 }),
    ]);
    expect(report.results[0]).toMatchObject({ success: false, error: expect.stringContaining('"nope"') });
    expect(report.results[1]).toMatchObject({ success: false, error: expect.stringContaining('SQL source') });
    expect(report.statistics).toEqual({ evaluated: 3, passed: 1, errors: 2, warnings: 0 });
  });
});

describe('reports', () => {
  const report = validateData(rows, [
    expectColumn('id').unique(),
    expectColumn('topic').acceptedValues(['Hardware', 'Access'], { severity: 'warn' }),
    expectRowCount({ min: 1 }),
  ]);

  it('count errors and warnings separately; only errors fail', () => {
    expect(report.success).toBe(false);
    expect(report.statistics).toEqual({ evaluated: 3, passed: 1, errors: 1, warnings: 1 });
    const warnOnly = validateData(rows, [expectColumn('id').unique({ severity: 'warn' })]);
    expect(warnOnly.success).toBe(true);
    expect(assertValid(warnOnly)).toBe(warnOnly);
  });

  it('assertValid throws a ValidationFailedError with a readable message and the report', () => {
    let err: unknown;
    try {
      assertValid(report, { step: 'staging.tickets' });
    } catch (e) {
      err = e;
    }
    expect(isValidationFailedError(err)).toBe(true);
    const v = err as ValidationFailedError;
    expect(v.code).toBe('VALIDATION_FAILED');
    expect(v.details).toMatchObject({ step: 'staging.tickets' });
    expect(v.report).toBe(report);
    expect(v.message).toContain('Step staging.tickets: validation failed, 1 expectation of severity error failed');
    expect(v.message).toMatch(/FAIL unique\(id\) \[error\]: 1 unexpected \(25\.00%\)/);
    expect(v.message).toMatch(/WARN accepted_values\(topic\)/);
    expect(formatValidationReport(report).split('\n')[1]).toContain('FAIL');
  });

  it('are plain JSON that parses back', () => {
    expect(parseValidationReport(JSON.parse(JSON.stringify(report)))).toEqual(report);
    expect(() => parseValidationReport({ ...report, kind: 'other' })).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT' }),
    );
  });
});
