import { describeStores } from '@mlops/core/testing';
import { createProfile, dataQualityReport } from '@mlops/drift';
import { beforeAll, expect, it } from 'vitest';
import {
  expectColumn,
  expectDistribution,
  expectFreshness,
  expectNoRows,
  expectReferences,
  expectRowCount,
  expectUnique,
  getValidationReport,
  listValidationReports,
  renderValidationReportHtml,
  saveValidationReport,
  validateData,
  validateTable,
  validationReportJson,
} from '../src/index.js';

const NOW = new Date('2024-03-01T12:00:00Z');

describeStores('validateTable', (getStore) => {
  beforeAll(async () => {
    const store = getStore();
    await store.exec(`
      CREATE TABLE topics (name text PRIMARY KEY);
      INSERT INTO topics VALUES ('Hardware'), ('Access');
      CREATE TABLE tickets (id integer, body text, topic text, score double precision, opened_at timestamptz, "Odd ""name""" text);
      INSERT INTO tickets VALUES
        (1, 'printer jammed', 'Hardware', 0.5, '2024-03-01T10:00:00Z', 'x'),
        (2, '   ', 'Access', 1.5, '2024-02-28T00:00:00Z', 'x'),
        (3, NULL, 'Nope', -1, '2024-02-27T00:00:00Z', NULL),
        (3, 'vpn down', 'Access', 0.9, NULL, 'y');`);
  });

  it('compiles each expectation to SQL and agrees with validateData on the same rows', async () => {
    const store = getStore();
    const expectations = [
      expectColumn('body').notNull(),
      expectColumn('body').notEmpty(),
      expectColumn('id').unique(),
      expectUnique(['id', 'topic']),
      expectColumn('topic').acceptedValues(['Hardware', 'Access']),
      expectColumn('id').acceptedValues([1, 2, 3]),
      expectColumn('score').between(0, 1),
      expectColumn('opened_at').between('2024-02-28T00:00:00Z', null),
      expectRowCount({ min: 1, max: 3 }),
      expectFreshness({ column: 'opened_at', maxAgeMs: 3 * 3600e3 }),
      expectFreshness({ column: 'opened_at', maxAgeMs: 3600e3 }),
      expectColumn('topic').shares({ max: 0.4 }),
      expectColumn('Odd "name"').notNull(),
    ];
    const sql = await validateTable({ store, table: 'tickets', expectations, now: NOW });
    const rows = await store.query<Record<string, unknown>>('SELECT * FROM tickets');
    const mem = validateData(rows, expectations, { now: NOW });
    const summary = (r: typeof sql) => r.results.map((x) => [x.name, x.success, x.unexpectedCount]);
    expect(summary(sql)).toEqual(summary(mem));
    expect(sql.results.map((r) => r.success)).toEqual([
      false,
      false,
      false,
      true,
      false,
      true,
      false,
      false,
      false,
      true,
      false,
      false,
      false,
    ]);
    expect(sql.rows).toBe(4);
    expect(sql.target).toBe('tickets');
    const dup = sql.results[2]!;
    expect(dup.samples).toEqual([{ id: 3, count: 2 }]);
    expect(dup.observed).toEqual({ duplicateRows: 1, duplicateGroups: 1 });
    expect(sql.results[4]!.samples).toEqual([expect.objectContaining({ id: 3, topic: 'Nope' })]);
    expect(sql.results[9]!.observed).toEqual({ newest: '2024-03-01T10:00:00.000Z', ageMs: 2 * 3600e3 });
    expect(sql.results[11]!.observed).toEqual({ total: 4, shares: { Access: 0.5, Hardware: 0.25, Nope: 0.25 } });
  });

  it('checks references and custom SQL (must return zero rows) in the store', async () => {
    const store = getStore();
    const report = await validateTable({
      store,
      table: 'tickets',
      expectations: [
        expectReferences({ column: 'topic', table: 'topics', refColumn: 'name' }),
        expectNoRows('SELECT * FROM {{ this }} WHERE score < 0'),
        expectNoRows(
          "SELECT t.* FROM {{ this }} t JOIN {{ ref('topics') }} p ON p.name = t.topic WHERE t.score > 100",
          {
            severity: 'warn',
          },
        ),
      ],
    });
    expect(report.results[0]).toMatchObject({ success: false, unexpectedCount: 1 });
    expect(report.results[0]!.samples).toEqual([expect.objectContaining({ topic: 'Nope' })]);
    expect(report.results[1]).toMatchObject({
      success: false,
      unexpectedCount: 1,
      samples: [expect.objectContaining({ id: 3, score: -1 })],
    });
    expect(report.results[2]).toMatchObject({ success: true, unexpectedCount: 0 });
  });

  it('validates a parameterised query, never interpolating values', async () => {
    const store = getStore();
    const sneaky = "Hardware' OR '1'='1";
    const report = await validateTable({
      store,
      query: 'SELECT * FROM tickets WHERE topic = $1 OR topic = $2',
      params: ['Access', sneaky],
      expectations: [
        expectRowCount({ min: 2, max: 2 }),
        expectColumn('topic').acceptedValues([sneaky, 'Access']),
        expectColumn('score').between(0, 1),
        expectNoRows('SELECT * FROM {{ this }} WHERE body IS NULL'),
      ],
    });
    expect(report.target).toBe('query');
    expect(report.rows).toBe(2);
    expect(report.results.map((r) => [r.success, r.unexpectedCount])).toEqual([
      [true, null],
      [true, 0],
      [false, 1],
      [true, 0],
    ]);
    expect(await store.query('SELECT count(*)::int AS n FROM tickets')).toEqual([{ n: 4 }]);
  });

  it('fails an expectation that cannot run, alone, with the database error', async () => {
    const store = getStore();
    const report = await validateTable({
      store,
      table: 'tickets',
      expectations: [
        expectColumn('missing').notNull(),
        expectNoRows('SELECT * FROM nowhere'),
        expectRowCount({ min: 1 }),
      ],
    });
    expect(report.results[0]).toMatchObject({ success: false, error: expect.stringContaining('missing') });
    expect(report.results[1]).toMatchObject({ success: false, error: expect.stringContaining('nowhere') });
    expect(report.results[2]).toMatchObject({ success: true, observed: 4 });
  });

  it('bounds failing-row samples', async () => {
    const store = getStore();
    await store.exec('CREATE TABLE many AS SELECT g AS n, NULL::text AS v FROM generate_series(1, 500) AS g');
    const report = await validateTable({
      store,
      table: 'many',
      expectations: [expectColumn('v').notNull()],
      sampleLimit: 3,
    });
    expect(report.results[0]).toMatchObject({ unexpectedCount: 500, unexpectedShare: 1 });
    expect(report.results[0]!.samples).toHaveLength(3);
  });

  it('tests a table distribution against a reference profile', async () => {
    const store = getStore();
    await store.exec(
      `CREATE TABLE measures AS SELECT (g % 100)::double precision AS x FROM generate_series(1, 2000) AS g`,
    );
    const reference = createProfile({ x: Array.from({ length: 2000 }, (_, i) => (i + 1) % 100) });
    const shiftedRef = createProfile({ x: Array.from({ length: 2000 }, (_, i) => ((i + 1) % 100) + 60) });
    const report = await validateTable({
      store,
      table: 'measures',
      expectations: [expectDistribution({ reference }), expectDistribution({ reference: shiftedRef, name: 'shifted' })],
    });
    expect(report.results.map((r) => r.success)).toEqual([true, false]);
    expect(report.results[1]!.samples).toEqual([expect.objectContaining({ column: 'x' })]);
  });

  it('saves reports keyed by dataset name, version and suite, and renders them beside a quality report', async () => {
    const store = getStore();
    const report = await validateTable({
      store,
      table: 'tickets',
      expectations: [
        expectColumn('id').unique(),
        expectColumn('topic').acceptedValues(['Hardware', 'Access'], { severity: 'warn' }),
      ],
      now: NOW,
    });
    await saveValidationReport(store, { dataset: { name: 'tickets', version: 'v1' }, report });
    await saveValidationReport(store, { dataset: { name: 'tickets', version: 'v1' }, suite: 'other', report });
    await saveValidationReport(store, { dataset: { name: 'tickets', version: 'v1' }, report }); // replaces
    const stored = await getValidationReport(store, { name: 'tickets', version: 'v1' });
    expect(stored.report).toEqual(report);
    expect(stored.suite).toBe('default');
    expect((await listValidationReports(store, 'tickets')).map((r) => r.suite).sort()).toEqual(['default', 'other']);
    await expect(getValidationReport(store, { name: 'tickets', version: 'v2' })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });

    const rows = await store.query<Record<string, unknown>>('SELECT id, body, topic, score FROM tickets');
    const quality = dataQualityReport(rows);
    const html = renderValidationReportHtml(report, { quality });
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).not.toMatch(/<script|https?:\/\//i);
    expect(html).toContain('unique(id)');
    expect(html).toContain('Data quality: tickets');
    expect(html).toContain('duplicate rows');
    const json = JSON.parse(validationReportJson(report, { quality }));
    expect(json.validation).toEqual(report);
    expect(json.quality.kind).toBe(quality.kind);
  });

  it('escapes every value in the HTML report', async () => {
    const store = getStore();
    await store.exec(`CREATE TABLE xss (v text); INSERT INTO xss VALUES ('<img src=x onerror=alert(1)>')`);
    const report = await validateTable({
      store,
      table: 'xss',
      expectations: [expectColumn('v').acceptedValues(['ok'], { name: '<b>name</b>' })],
    });
    const html = renderValidationReportHtml(report);
    expect(html).not.toContain('<img');
    expect(html).not.toContain('<b>name</b>');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });
});
