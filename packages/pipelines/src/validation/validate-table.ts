import { MlopsError, type Store } from '@mlops/core';
import { detectDrift } from '@mlops/drift';
import { mapRelation, parseRelation, quoteIdent, quoteRelation, relationText } from '../sql/identifiers.js';
import { renderTemplate } from '../sql/template.js';
import type { Expectation } from './expectations.js';
import { buildReport, type ExpectationResult, type Outcome, toResult, type ValidationReport } from './report.js';
import { classSharesOutcome, distributionOutcome, toMillis } from './shared.js';
import { thresholdsOf } from './validate-data.js';

/** Options of {@link validateTable}: a table or a query of the store, and the expectations to run on it. */
export interface ValidateTableOptions {
  store: Store;
  /**
   * The relation to validate, `schema.table` (the schema is mapped through `schemas`). Give `table` or `query`.
   * @default undefined
   */
  table?: string;
  /**
   * A SELECT returning the rows to validate, with `$1…` parameters and `{{ ref('schema.table') }}` placeholders.
   * @default undefined
   */
  query?: string;
  /**
   * Parameters of `query`.
   * @default []
   */
  params?: readonly unknown[];
  expectations: readonly Expectation[];
  /**
   * Logical → physical schema names, applied to `table`, `ref()` and the tables of `expectReferences`.
   * @default {}
   */
  schemas?: Readonly<Record<string, string>>;
  /**
   * Offending rows (or values) kept per expectation.
   * @default 5
   */
  sampleLimit?: number;
  /**
   * Name of the data in the report.
   * @default the table name, or `'query'`
   */
  target?: string;
  /**
   * Current time, for freshness checks and the report's timestamp.
   * @default new Date()
   */
  now?: Date;
}

/** Where a validation reads from: `FROM ${from}` after an optional `WITH` prefix that binds the query. */
export interface SqlSource {
  prefix: string;
  from: string;
  params: readonly unknown[];
}

interface Ctx {
  tx: Store;
  src: SqlSource;
  rows: number;
  limit: number;
  now: Date;
  schemas: Readonly<Record<string, string>>;
}

const SELF = '_mlops_this';
const MAX_CLASSES = 10_000;

/** Builds `$n` parameters after the source's own. */
function paramsAfter(src: SqlSource) {
  const values: unknown[] = [...src.params];
  return {
    add(v: unknown): string {
      values.push(v);
      return `$${values.length}`;
    },
    values,
  };
}

function col(name: string): string {
  return `_s.${quoteIdent(name, 'column')}`;
}

function refRelation(name: string, schemas: Readonly<Record<string, string>>): string {
  return quoteRelation(mapRelation(parseRelation(name, 'referenced table'), schemas));
}

type Params = ReturnType<typeof paramsAfter>;

async function rowCheck(ctx: Ctx, cond: string | ((p: Params) => string)): Promise<Outcome> {
  const { tx, src } = ctx;
  const p = paramsAfter(src);
  const sqlCond = typeof cond === 'string' ? cond : cond(p);
  const [c] = await tx.query<{ n: number | string }>(
    `${src.prefix}SELECT count(*) AS n FROM ${src.from} AS _s WHERE ${sqlCond}`,
    p.values,
  );
  const count = Number(c?.n ?? 0);
  const samples =
    count > 0 && ctx.limit > 0
      ? (
          await tx.query<{ row: unknown }>(
            `${src.prefix}SELECT to_jsonb(_s) AS row FROM ${src.from} AS _s WHERE ${sqlCond} LIMIT ${ctx.limit}`,
            p.values,
          )
        ).map((r) => r.row)
      : [];
  return {
    success: count === 0,
    observed: count,
    unexpectedCount: count,
    unexpectedShare: ctx.rows > 0 ? count / ctx.rows : 0,
    samples,
  };
}

async function evaluate(e: Expectation, ctx: Ctx): Promise<Outcome> {
  const { tx, src } = ctx;
  switch (e.kind) {
    case 'not_null':
      return rowCheck(ctx, `${col(e.column)} IS NULL`);
    case 'not_empty':
      return rowCheck(ctx, `(${col(e.column)} IS NULL OR (${col(e.column)})::text ~ '^[[:space:]]*$')`);
    case 'accepted_values':
      return rowCheck(
        ctx,
        (p) =>
          `${col(e.column)} IS NOT NULL AND NOT ((${col(e.column)})::text = ANY(${p.add(e.values.map(String))}::text[]))`,
      );
    case 'between': {
      const numeric = typeof (e.min ?? e.max) === 'number';
      const cast = numeric ? 'double precision' : 'timestamptz';
      const value = `(${col(e.column)})::${cast}`;
      return rowCheck(ctx, (p) => {
        const conds: string[] = [];
        for (const [b, op] of [
          [e.min, '<'],
          [e.max, '>'],
        ] as const) {
          if (b === undefined) continue;
          conds.push(`${value} ${op} ${p.add(numeric ? Number(b) : new Date(toMillis(b)).toISOString())}::${cast}`);
        }
        return `${col(e.column)} IS NOT NULL AND (${conds.join(' OR ')})`;
      });
    }
    case 'references':
      return rowCheck(
        ctx,
        `${col(e.column)} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM ${refRelation(e.table, ctx.schemas)} AS _r ` +
          `WHERE _r.${quoteIdent(e.refColumn, 'column')} = ${col(e.column)})`,
      );
    case 'unique': {
      const cols = e.columns.map(col);
      const groups =
        `SELECT ${cols.join(', ')}, count(*) AS count FROM ${src.from} AS _s ` +
        `WHERE ${cols.map((c) => `${c} IS NOT NULL`).join(' AND ')} GROUP BY ${cols.join(', ')} HAVING count(*) > 1`;
      const [stats] = await tx.query<{ groups: number | string; extra: number | string }>(
        `${src.prefix}SELECT count(*) AS groups, coalesce(sum(_d.count - 1), 0)::bigint AS extra FROM (${groups}) AS _d`,
        [...src.params],
      );
      const extra = Number(stats?.extra ?? 0);
      const samples =
        extra > 0 && ctx.limit > 0
          ? (
              await tx.query<{ row: unknown }>(
                `${src.prefix}SELECT to_jsonb(_d) AS row FROM (${groups} ORDER BY count(*) DESC LIMIT ${ctx.limit}) AS _d`,
                [...src.params],
              )
            ).map((r) => r.row)
          : [];
      return {
        success: extra === 0,
        observed: { duplicateRows: extra, duplicateGroups: Number(stats?.groups ?? 0) },
        unexpectedCount: extra,
        unexpectedShare: ctx.rows > 0 ? extra / ctx.rows : 0,
        samples,
      };
    }
    case 'row_count': {
      const n = ctx.rows;
      return { success: (e.min === undefined || n >= e.min) && (e.max === undefined || n <= e.max), observed: n };
    }
    case 'freshness': {
      const [r] = await tx.query<{ newest: Date | string | null }>(
        `${src.prefix}SELECT max((${col(e.column)})::timestamptz) AS newest FROM ${src.from} AS _s`,
        [...src.params],
      );
      if (r?.newest === null || r?.newest === undefined)
        return { success: false, observed: { newest: null, ageMs: null } };
      const newest = new Date(r.newest);
      const ageMs = ctx.now.getTime() - newest.getTime();
      return { success: ageMs <= e.maxAgeMs, observed: { newest, ageMs } };
    }
    case 'class_shares': {
      const rows = await tx.query<{ value: string; n: number | string }>(
        `${src.prefix}SELECT (${col(e.column)})::text AS value, count(*) AS n FROM ${src.from} AS _s ` +
          `WHERE ${col(e.column)} IS NOT NULL GROUP BY 1 ORDER BY 2 DESC LIMIT ${MAX_CLASSES + 1}`,
        [...src.params],
      );
      if (rows.length > MAX_CLASSES) {
        return {
          success: false,
          observed: null,
          error: `more than ${MAX_CLASSES} distinct values: not a class column`,
        };
      }
      return classSharesOutcome(e, new Map(rows.map((r) => [r.value, Number(r.n)])));
    }
    case 'distribution': {
      const names = e.columns ?? e.reference.columns.map((c) => c.name);
      const rows = await tx.query<{ row: Record<string, unknown> }>(
        `${src.prefix}SELECT jsonb_build_object(${names.map((n) => `'${n.replaceAll("'", "''")}', ${col(n)}`).join(', ')}) AS row ` +
          `FROM ${src.from} AS _s LIMIT ${e.maxRows}`,
        [...src.params],
      );
      const current: Record<string, unknown[]> = {};
      for (const n of names) current[n] = rows.map((r) => r.row[n] ?? null);
      return distributionOutcome(e, () => detectDrift(e.reference, current, thresholdsOf(e, names)));
    }
    case 'custom_sql': {
      const sql = renderTemplate(e.sql, { ref: (n) => refRelation(n, ctx.schemas), self: src.from });
      const [c] = await tx.query<{ n: number | string }>(`${src.prefix}SELECT count(*) AS n FROM (${sql}) AS _q`, [
        ...src.params,
      ]);
      const count = Number(c?.n ?? 0);
      const samples =
        count > 0 && ctx.limit > 0
          ? (
              await tx.query<{ row: unknown }>(
                `${src.prefix}SELECT to_jsonb(_q) AS row FROM (${sql}) AS _q LIMIT ${ctx.limit}`,
                [...src.params],
              )
            ).map((r) => r.row)
          : [];
      return { success: count === 0, observed: count, unexpectedCount: count, unexpectedShare: null, samples };
    }
  }
}

function describeError(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Runs expectations against a source inside an open transaction; each check runs under a savepoint, so a check that
 * cannot run (a missing column) fails alone, with its error in the report.
 */
export async function validateSource(
  tx: Store,
  src: SqlSource,
  expectations: readonly Expectation[],
  options: { target: string; sampleLimit?: number; now?: Date; schemas?: Readonly<Record<string, string>> },
): Promise<ValidationReport> {
  const now = options.now ?? new Date();
  const limit = options.sampleLimit ?? 5;
  if (!Number.isInteger(limit) || limit < 0) {
    throw new MlopsError('INVALID_INPUT', { message: `sampleLimit must be a non-negative integer, got ${limit}` });
  }
  const [r] = await tx.query<{ n: number | string }>(`${src.prefix}SELECT count(*) AS n FROM ${src.from} AS _s`, [
    ...src.params,
  ]);
  const ctx: Ctx = { tx, src, rows: Number(r?.n ?? 0), limit, now, schemas: options.schemas ?? {} };
  const results: ExpectationResult[] = [];
  for (const e of expectations) {
    await tx.exec('SAVEPOINT mlops_expectation');
    let outcome: Outcome;
    try {
      outcome = await evaluate(e, ctx);
      await tx.exec('RELEASE SAVEPOINT mlops_expectation');
    } catch (err) {
      await tx.exec('ROLLBACK TO SAVEPOINT mlops_expectation');
      outcome = { success: false, observed: null, error: describeError(err) };
    }
    results.push(toResult(e, outcome));
  }
  return buildReport(options.target, ctx.rows, results, now);
}

/** Resolves the table or query of {@link ValidateTableOptions} into a source and a display name. */
export function sourceOf(options: Pick<ValidateTableOptions, 'table' | 'query' | 'params' | 'schemas'>): {
  src: SqlSource;
  target: string;
} {
  const schemas = options.schemas ?? {};
  if ((options.table === undefined) === (options.query === undefined)) {
    throw new MlopsError('INVALID_INPUT', { message: 'validateTable: give exactly one of `table` or `query`' });
  }
  if (options.table !== undefined) {
    const rel = mapRelation(parseRelation(options.table, 'table'), schemas);
    return { src: { prefix: '', from: quoteRelation(rel), params: [] }, target: relationText(rel) };
  }
  const query = renderTemplate(options.query!, {
    ref: (n) => quoteRelation(mapRelation(parseRelation(n, 'ref'), schemas)),
  });
  return {
    src: { prefix: `WITH ${SELF} AS (${query}) `, from: SELF, params: options.params ?? [] },
    target: 'query',
  };
}

/**
 * Runs expectations against a table or query of the store: each is compiled to SQL with parameters (values are never
 * interpolated; identifiers are quoted), in one transaction. Returns the report; {@link assertValid} fails on errors.
 * @example
 * const report = await validateTable({ store, table: 'staging.tickets', expectations: [expectColumn('id').unique()] });
 */
export async function validateTable(options: ValidateTableOptions): Promise<ValidationReport> {
  const { src, target } = sourceOf(options);
  return options.store.transaction((tx) =>
    validateSource(tx, src, options.expectations, {
      target: options.target ?? target,
      ...(options.sampleLimit !== undefined ? { sampleLimit: options.sampleLimit } : {}),
      ...(options.now ? { now: options.now } : {}),
      ...(options.schemas ? { schemas: options.schemas } : {}),
    }),
  );
}
