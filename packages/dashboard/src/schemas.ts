import { pgText } from '@mlops/core';
import { z } from 'zod';

// Every string is one PostgreSQL text/jsonb can hold (no U+0000, no lone surrogate): a 400 with its path, not a
// failed query.

const RUN_STATUSES = ['running', 'finished', 'failed', 'killed'] as const;
const KEY = /^[A-Za-z0-9_.\-/: ]{1,250}$/;

/** A query value given once or repeated (`?param=a=1&param=b=2`), as a list. */
const many = z
  .union([pgText(), z.array(pgText())])
  .optional()
  .transform((v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]));

const METRIC_CONDITION = /^(.+?)\s*(>=|<=|!=|>|<|=)\s*(-?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)$/i;
const PARAM_CONDITION = /^(.+?)\s*(!=|=)\s*(.*)$/;

/** One metric condition of the runs list: `accuracy>=0.9`. */
export interface MetricCondition {
  key: string;
  op: '>=' | '<=' | '!=' | '>' | '<' | '=';
  value: number;
}

/** One param condition of the runs list: `lr=0.1` or `optimizer!=sgd`. */
export interface ParamCondition {
  key: string;
  op: '=' | '!=';
  value: string;
}

const sortSchema = pgText().regex(
  /^(startTime|endTime|name|status|metric:.+|param:.+)$/,
  'Expected startTime, endTime, name, status, metric:<key> or param:<key>',
);

/** Query of `GET /api/runs`: filters by experiment, status, params and metrics; sorted and limited. */
export const runsQuerySchema = z.strictObject({
  experiment: many,
  status: many.pipe(z.array(z.enum(RUN_STATUSES))),
  param: many.transform((list, ctx): ParamCondition[] =>
    list.map((s, i) => {
      const m = PARAM_CONDITION.exec(s.trim());
      if (!m || !KEY.test(m[1]!)) {
        ctx.addIssue({ code: 'custom', path: [i], message: 'Expected <param>=<value> or <param>!=<value>' });
        return { key: '', op: '=', value: '' };
      }
      return { key: m[1]!, op: m[2] as ParamCondition['op'], value: m[3]! };
    }),
  ),
  metric: many.transform((list, ctx): MetricCondition[] =>
    list.map((s, i) => {
      const m = METRIC_CONDITION.exec(s.trim());
      if (!m || !KEY.test(m[1]!)) {
        ctx.addIssue({
          code: 'custom',
          path: [i],
          message: 'Expected <metric><op><number> with op one of >= <= > < = !=, e.g. accuracy>=0.9',
        });
        return { key: '', op: '=', value: 0 };
      }
      return { key: m[1]!, op: m[2] as MetricCondition['op'], value: Number(m[3]) };
    }),
  ),
  sort: sortSchema.default('startTime'),
  dir: z.enum(['asc', 'desc']).default('desc'),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  /** Include nested (child) runs, e.g. the step runs of a pipeline. */
  nested: z.enum(['true', 'false']).default('true'),
});

/** Path parameters naming a run. */
export const runParamsSchema = z.strictObject({ id: pgText().min(1).max(200) });

/** Query of `GET /api/runs/:id/artifact`. */
export const artifactQuerySchema = z.strictObject({ name: pgText().min(1).max(1000) });

/** Query of `GET /api/compare`: two or more run ids, comma-separated or repeated. */
export const compareQuerySchema = z.strictObject({
  ids: many
    .transform((list) =>
      list
        .flatMap((s) => s.split(','))
        .map((s) => s.trim())
        .filter(Boolean),
    )
    .pipe(
      z
        .array(pgText().max(200))
        .min(2, 'Give at least two run ids')
        .max(20, 'Compare at most 20 runs')
        .refine((ids) => new Set(ids).size === ids.length, 'Run ids must be distinct'),
    ),
});

const modelName = pgText().min(1).max(256);
const aliasName = pgText()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z][A-Za-z0-9_-]*$/, 'Expected an alias like "production"');

/** Path parameters naming a model. */
export const modelParamsSchema = z.strictObject({ name: modelName });

/** Body of `POST /api/models/:name/promote`. */
export const promoteBodySchema = z.strictObject({
  version: z.number().int().positive(),
  alias: aliasName.default('production'),
  /** Compare-and-set: the version the alias must point at now (what the page showed), `null` for none. */
  expectedIncumbent: z.number().int().positive().nullable().optional(),
  reason: pgText().max(2000).optional(),
});

/** Body of `POST /api/models/:name/rollback`. */
export const rollbackBodySchema = z.strictObject({
  alias: aliasName.default('production'),
  reason: pgText().max(2000).optional(),
});

/** Query of `GET /api/audit`. */
export const auditQuerySchema = z.strictObject({
  model: modelName.optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

const timeQuery = z.union([z.iso.datetime({ offset: true }), z.coerce.number().int().nonnegative()]);

/** Query of `GET /api/monitoring`: a model, an optional time range, the number of buckets. */
export const monitoringQuerySchema = z
  .strictObject({
    model: modelName,
    from: timeQuery.optional(),
    to: timeQuery.optional(),
    buckets: z.coerce.number().int().min(1).max(200).default(12),
    minSamples: z.coerce.number().int().min(1).max(100_000).default(20),
  })
  .refine((q) => q.from === undefined || q.to === undefined || new Date(q.from) < new Date(q.to), {
    path: ['to'],
    message: '"to" must be after "from"',
  });
