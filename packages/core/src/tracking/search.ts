import { z } from 'zod';
import { keySchema, paramText, runStatusSchema } from './schemas.js';

const scalar = z.union([z.string(), z.number(), z.boolean()]);

/** A condition on a param's text value (numbers and booleans compare as the text they were logged as). */
export const textConditionSchema = z.union([
  scalar,
  z
    .object({
      eq: scalar.optional(),
      ne: scalar.optional(),
      in: z.array(scalar).min(1).optional(),
      exists: z.boolean().optional(),
    })
    .strict(),
]);
/** A condition on a param or tag: a value (equality) or `{ eq, ne, in, exists }`. */
export type TextCondition = z.input<typeof textConditionSchema>;

/** A condition on a metric's latest value. */
export const numberConditionSchema = z.union([
  z.number(),
  z
    .object({
      eq: z.number().optional(),
      ne: z.number().optional(),
      gt: z.number().optional(),
      gte: z.number().optional(),
      lt: z.number().optional(),
      lte: z.number().optional(),
      exists: z.boolean().optional(),
    })
    .strict(),
]);
/** A condition on a metric's latest value: a number (equality) or `{ eq, ne, gt, gte, lt, lte, exists }`. */
export type NumberCondition = z.input<typeof numberConditionSchema>;

/** Which runs {@link compileRunSearch} selects. Every condition must hold (AND). */
export const runFilterSchema = z
  .object({
    params: z.record(keySchema, textConditionSchema).optional(),
    metrics: z.record(keySchema, numberConditionSchema).optional(),
    tags: z.record(keySchema, textConditionSchema).optional(),
    status: z.union([runStatusSchema, z.array(runStatusSchema).min(1)]).optional(),
    name: z.string().optional(),
    /** `null` selects top-level runs only. */
    parentRunId: z.string().nullable().optional(),
    /** Runs that used this dataset version id. */
    datasetVersion: z.string().optional(),
    startedAfter: z.date().optional(),
    startedBefore: z.date().optional(),
  })
  .strict();
/** A typed run filter: `{ params: { lr: '0.1' }, metrics: { accuracy: { gte: 0.9 } }, tags: {…}, status }`. */
export type RunFilter = z.input<typeof runFilterSchema>;

const direction = z.enum(['asc', 'desc']).default('desc');
/** One sort key: a metric's latest value, a param's text, or a run field. Runs without the value sort last. */
export const orderBySchema = z.union([
  z.object({ metric: keySchema, direction }).strict(),
  z.object({ param: keySchema, direction }).strict(),
  z.object({ field: z.enum(['startTime', 'endTime', 'name', 'status']), direction }).strict(),
]);
/** One sort key of a run search. `direction` defaults to `desc`. */
export type OrderBy = z.input<typeof orderBySchema>;

/** A run search. */
export const runSearchSchema = z
  .object({
    /** Experiment names (or ids); all experiments when omitted. */
    experimentIds: z.array(z.string()).optional(),
    filter: runFilterSchema.optional(),
    orderBy: z.union([orderBySchema, z.array(orderBySchema)]).optional(),
    limit: z.number().int().min(1).max(10_000).default(100),
    offset: z.number().int().min(0).default(0),
  })
  .strict();
/** A run search as {@link compileRunSearch} takes it (experiments already resolved to ids). */
export type RunSearch = z.input<typeof runSearchSchema>;

/** A compiled statement: SQL text with `$n` placeholders and the values bound to them. */
export interface CompiledQuery {
  sql: string;
  params: unknown[];
}

const FIELD_COLUMNS = { startTime: 'r.start_time', endTime: 'r.end_time', name: 'r.name', status: 'r.status' } as const;
const NUMBER_OPS = { eq: '=', ne: '<>', gt: '>', gte: '>=', lt: '<', lte: '<=' } as const;

const asText = (v: string | number | boolean): string => (typeof v === 'string' ? v : paramText(v));

/**
 * Compiles a run search into one parameterised `SELECT r.id FROM core_runs r …`. Keys and values only ever reach the
 * SQL as bound parameters; the SQL text is built from fixed fragments.
 */
export function compileRunSearch(search: z.output<typeof runSearchSchema>): CompiledQuery {
  const params: unknown[] = [];
  const bind = (v: unknown): string => {
    params.push(v);
    return `$${params.length}`;
  };
  const where: string[] = [];
  const joins: string[] = [];
  const order: string[] = [];

  if (search.experimentIds) where.push(`r.experiment_id = ANY(${bind(search.experimentIds)}::text[])`);
  const f = search.filter ?? {};

  const textConditions = (
    table: 'core_params' | 'core_run_tags',
    alias: string,
    conds: Record<string, TextCondition>,
  ) => {
    for (const [key, cond] of Object.entries(conds)) {
      const c = typeof cond === 'object' ? cond : { eq: cond };
      const base = `SELECT 1 FROM ${table} ${alias} WHERE ${alias}.run_id = r.id AND ${alias}.key = ${bind(key)}`;
      if (c.exists === false) {
        where.push(`NOT EXISTS (${base})`);
        continue;
      }
      const parts: string[] = [];
      if (c.eq !== undefined) parts.push(`${alias}.value = ${bind(asText(c.eq))}`);
      if (c.ne !== undefined) parts.push(`${alias}.value <> ${bind(asText(c.ne))}`);
      if (c.in !== undefined) parts.push(`${alias}.value = ANY(${bind(c.in.map(asText))}::text[])`);
      where.push(`EXISTS (${base}${parts.map((p) => ` AND ${p}`).join('')})`);
    }
  };
  if (f.params) textConditions('core_params', 'p', f.params);
  if (f.tags) textConditions('core_run_tags', 't', f.tags);
  if (f.metrics) {
    for (const [key, cond] of Object.entries(f.metrics)) {
      const c = typeof cond === 'number' ? { eq: cond } : cond;
      const base = `SELECT 1 FROM core_latest_metrics m WHERE m.run_id = r.id AND m.key = ${bind(key)}`;
      if (c.exists === false) {
        where.push(`NOT EXISTS (${base})`);
        continue;
      }
      const parts: string[] = [];
      for (const op of Object.keys(NUMBER_OPS) as (keyof typeof NUMBER_OPS)[]) {
        const v = c[op];
        if (v !== undefined) parts.push(`m.value ${NUMBER_OPS[op]} ${bind(v)}::float8`);
      }
      where.push(`EXISTS (${base}${parts.map((p) => ` AND ${p}`).join('')})`);
    }
  }
  if (f.status !== undefined) {
    where.push(`r.status = ANY(${bind(Array.isArray(f.status) ? f.status : [f.status])}::text[])`);
  }
  if (f.name !== undefined) where.push(`r.name = ${bind(f.name)}`);
  if (f.parentRunId === null) where.push('r.parent_run_id IS NULL');
  else if (f.parentRunId !== undefined) where.push(`r.parent_run_id = ${bind(f.parentRunId)}`);
  if (f.datasetVersion !== undefined) {
    where.push(
      `EXISTS (SELECT 1 FROM core_run_datasets d WHERE d.run_id = r.id AND d.version = ${bind(f.datasetVersion)})`,
    );
  }
  if (f.startedAfter) where.push(`r.start_time >= ${bind(f.startedAfter)}`);
  if (f.startedBefore) where.push(`r.start_time < ${bind(f.startedBefore)}`);

  const orderBy = search.orderBy === undefined ? [] : Array.isArray(search.orderBy) ? search.orderBy : [search.orderBy];
  orderBy.forEach((o, i) => {
    const dir = o.direction === 'asc' ? 'ASC' : 'DESC';
    if ('metric' in o) {
      joins.push(`LEFT JOIN core_latest_metrics o${i} ON o${i}.run_id = r.id AND o${i}.key = ${bind(o.metric)}`);
      order.push(`o${i}.value ${dir} NULLS LAST`);
    } else if ('param' in o) {
      joins.push(`LEFT JOIN core_params o${i} ON o${i}.run_id = r.id AND o${i}.key = ${bind(o.param)}`);
      order.push(`o${i}.value ${dir} NULLS LAST`);
    } else {
      order.push(`${FIELD_COLUMNS[o.field]} ${dir} NULLS LAST`);
    }
  });
  order.push('r.start_time DESC', 'r.id ASC');

  const sql = [
    'SELECT r.id FROM core_runs r',
    ...joins,
    where.length > 0 ? `WHERE ${where.join(' AND ')}` : '',
    `ORDER BY ${order.join(', ')}`,
    `LIMIT ${bind(search.limit)} OFFSET ${bind(search.offset)}`,
  ]
    .filter((s) => s !== '')
    .join('\n');
  return { sql, params };
}
