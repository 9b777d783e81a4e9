import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeStores } from '@mlops/core/testing';
import { afterAll, expect, it } from 'vitest';
import {
  expectColumn,
  expectNoRows,
  getValidationReport,
  isValidationFailedError,
  runSqlSteps,
  SQL_STEP_SUITE,
  sqlStep,
  sqlStepsFromDir,
  type ValidationFailedError,
} from '../src/index.js';

describeStores('runSqlSteps', (getStore) => {
  const tag = `s${randomBytes(4).toString('hex')}`;
  const schemas = { raw: `${tag}_raw`, staging: `${tag}_staging`, features: `${tag}_features` };
  afterAll(async () => {
    for (const s of Object.values(schemas)) await getStore().exec(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
  });
  const q = (sql: string) =>
    getStore().query<Record<string, unknown>>(
      sql.replace(/\b(raw|staging|features)\./g, (_m, s: keyof typeof schemas) => `"${schemas[s]}".`),
    );

  const staging = (extra = '') =>
    sqlStep({
      name: 'staging.orders',
      sql: `SELECT id, lower(btrim(customer)) AS customer, amount FROM {{ ref('raw.orders') }} ${extra}`,
      expectations: [expectColumn('id').unique(), expectColumn('customer').notEmpty()],
    });
  const features = sqlStep({
    name: 'features.customer_totals',
    sql: "SELECT customer, sum(amount) AS total, count(*) AS orders FROM {{ ref('staging.orders') }} GROUP BY customer",
    expectations: [expectColumn('total').between(0, null), expectNoRows('SELECT * FROM {{ this }} WHERE orders = 0')],
  });
  const view = sqlStep({
    name: 'features.big_customers',
    materialized: 'view',
    sql: "SELECT customer FROM {{ ref('features.customer_totals') }} WHERE total > 10",
  });

  it('materialises raw → staging → features in dependency order, creating schemas', async () => {
    const store = getStore();
    await store.exec(`CREATE SCHEMA "${schemas.raw}"; CREATE TABLE "${schemas.raw}".orders (id int, customer text, amount numeric);
      INSERT INTO "${schemas.raw}".orders VALUES (1, ' Ada ', 5), (2, 'ada', 7), (3, 'Bob', 3)`);
    const seen: string[] = [];
    const result = await runSqlSteps({
      store,
      steps: [view, features, staging()],
      schemas,
      onStep: (r) => seen.push(r.name),
      progress: false,
    });
    expect(seen).toEqual(['staging.orders', 'features.customer_totals', 'features.big_customers']);
    expect(result.ran).toEqual(seen);
    expect(
      await q(
        'SELECT customer, total::int AS total, orders::int AS orders FROM features.customer_totals ORDER BY customer',
      ),
    ).toEqual([
      { customer: 'ada', total: 12, orders: 2 },
      { customer: 'bob', total: 3, orders: 1 },
    ]);
    expect(await q('SELECT * FROM features.big_customers')).toEqual([{ customer: 'ada' }]);
    const s = result.steps[0]!;
    expect(s).toMatchObject({ relation: `${schemas.staging}.orders`, status: 'ran', rows: 3, materialized: 'table' });
    expect(s.inputs).toEqual([{ name: 'raw.orders', hash: expect.stringMatching(/^sha256:/) }]);
    expect(s.validation?.success).toBe(true);
    const saved = await getValidationReport(store, { name: 'staging.orders', version: s.outputHash }, SQL_STEP_SUITE);
    expect(saved.report).toEqual(s.validation);
    expect(result.steps[2]!.validation).toBeNull();
  });

  it('skips unchanged steps with unchanged inputs, and reruns what changed downstream of a change', async () => {
    const store = getStore();
    const again = await runSqlSteps({ store, steps: [staging(), features, view], schemas, progress: false });
    expect(again.skipped).toEqual(['staging.orders', 'features.customer_totals', 'features.big_customers']);
    expect(again.ran).toEqual([]);

    // New input rows: every step reruns.
    await q(`INSERT INTO raw.orders VALUES (4, 'cy', 20)`);
    const changed = await runSqlSteps({ store, steps: [staging(), features, view], schemas, progress: false });
    expect(changed.ran).toEqual(['staging.orders', 'features.customer_totals', 'features.big_customers']);
    expect(await q('SELECT customer FROM features.big_customers ORDER BY 1')).toEqual([
      { customer: 'ada' },
      { customer: 'cy' },
    ]);

    // A staging change that leaves its output identical: staging reruns, the unchanged output lets features skip.
    const same = await runSqlSteps({ store, steps: [staging('WHERE true'), features, view], schemas, progress: false });
    expect(same.ran).toEqual(['staging.orders']);
    expect(same.skipped).toEqual(['features.customer_totals', 'features.big_customers']);

    // force reruns everything; a dropped output is rebuilt even when nothing changed.
    expect(
      (
        await runSqlSteps({
          store,
          steps: [staging('WHERE true'), features, view],
          schemas,
          force: true,
          progress: false,
        })
      ).ran,
    ).toHaveLength(3);
    await q('DROP VIEW features.big_customers');
    const rebuilt = await runSqlSteps({
      store,
      steps: [staging('WHERE true'), features, view],
      schemas,
      progress: false,
    });
    expect(rebuilt.ran).toEqual(['features.big_customers']);
  });

  it('stops at a failed error expectation, keeping the previous output, with a clear report', async () => {
    const store = getStore();
    const before = await q('SELECT * FROM staging.orders ORDER BY id');
    await q(`INSERT INTO raw.orders VALUES (4, 'dup', 1), (5, '   ', 2)`);
    let err: unknown;
    try {
      await runSqlSteps({ store, steps: [staging(), features, view], schemas, progress: false });
    } catch (e) {
      err = e;
    }
    expect(isValidationFailedError(err)).toBe(true);
    const v = err as ValidationFailedError;
    expect(v.code).toBe('VALIDATION_FAILED');
    expect(v.details).toMatchObject({ step: 'staging.orders' });
    expect(v.message).toContain('Step staging.orders: validation failed, 2 expectations of severity error failed');
    expect(v.message).toMatch(/FAIL unique\(id\) \[error\]: 1 unexpected/);
    expect(v.message).toMatch(/FAIL not_empty\(customer\) \[error\]: 1 unexpected/);
    expect(v.report.results[0]!.samples).toEqual([{ id: 4, count: 2 }]);
    // The previous staging table is intact, no temporary table is left, and downstream did not run.
    expect(await q('SELECT * FROM staging.orders ORDER BY id')).toEqual(before);
    expect(await store.query(`SELECT relname FROM pg_class WHERE relname LIKE '%mlops_new'`)).toEqual([]);
    // The failed report is kept for inspection.
    const [saved] = await store.query<{ success: boolean }>(
      `SELECT success FROM pipelines_validation_results WHERE dataset_name = 'staging.orders' AND success = false`,
    );
    expect(saved).toEqual({ success: false });
    await q(`DELETE FROM raw.orders WHERE id >= 4`);
  });

  it('keeps the previous output when the SQL fails, and names the step', async () => {
    const store = getStore();
    const before = await q('SELECT * FROM staging.orders ORDER BY id');
    expect(before).toHaveLength(4);
    const broken = sqlStep({ name: 'staging.orders', sql: "SELECT nope FROM {{ ref('raw.orders') }}" });
    await expect(runSqlSteps({ store, steps: [broken], schemas, progress: false })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringMatching(/SQL step staging\.orders failed: .*nope/),
    });
    expect(await q('SELECT * FROM staging.orders ORDER BY id')).toEqual(before);
  });

  it('refuses cycles, duplicate names and missing sources before running anything', async () => {
    const store = getStore();
    const a = sqlStep({ name: 'staging.a', sql: "SELECT * FROM {{ ref('staging.b') }}" });
    const b = sqlStep({ name: 'staging.b', sql: "SELECT * FROM {{ ref('staging.a') }}" });
    await expect(runSqlSteps({ store, steps: [a, b], schemas })).rejects.toThrow(
      /cycle: staging\.a → staging\.b → staging\.a/,
    );
    await expect(runSqlSteps({ store, steps: [features, features], schemas })).rejects.toThrow(/Two SQL steps/);
    const orphan = sqlStep({ name: 'staging.x', sql: "SELECT * FROM {{ ref('raw.missing') }}" });
    await expect(runSqlSteps({ store, steps: [orphan], schemas })).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: expect.stringContaining('raw.missing'),
    });
  });

  it('reads dbt-style model folders', async () => {
    const store = getStore();
    const dir = await mkdtemp(join(tmpdir(), 'mlops-sql-'));
    try {
      await mkdir(join(dir, 'staging'));
      await mkdir(join(dir, 'features'));
      await writeFile(join(dir, 'staging', 'names.sql'), "SELECT DISTINCT customer FROM {{ ref('raw.orders') }};\n");
      await writeFile(join(dir, 'features', 'name_count.sql'), "SELECT count(*) AS n FROM {{ ref('staging.names') }}");
      const steps = await sqlStepsFromDir(dir, { views: ['features.name_count'] });
      expect(steps.map((s) => [s.name, s.materialized])).toEqual([
        ['features.name_count', 'view'],
        ['staging.names', 'table'],
      ]);
      const result = await runSqlSteps({ store, steps, schemas, progress: false });
      expect(result.ran).toEqual(['staging.names', 'features.name_count']);
      expect(await q('SELECT n::int AS n FROM features.name_count')).toEqual([{ n: 3 }]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
