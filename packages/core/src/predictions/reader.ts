import { z } from 'zod';
import { migrate } from '../migrate.js';
import { pgJson, pgText } from '../pg-text.js';
import type { Store } from '../store/store.js';
import { invalidInput, zodIssues } from '../validation.js';
import { isStorableTime, TIME_RANGE_MESSAGE } from './_time.js';

/** The latest feedback of a prediction. */
export interface FeedbackRecord {
  /** Ground truth (a class name, a number, any JSON), or null when only a value was given. */
  label: unknown;
  /** A numeric outcome (a reward, a regression target), or null. */
  value: number | null;
  time: Date;
  /**
   * How the feedback was attached: by this prediction's id, by its request id and model (`model` feedback), or by
   * its request id alone (applies to every model of the request).
   */
  matchedBy: 'prediction' | 'model' | 'request';
}

/** One logged prediction. */
export interface PredictionRecord {
  id: string;
  requestId: string;
  position: number;
  model: string;
  version: string | null;
  alias: string | null;
  time: Date;
  latencyMs: number | null;
  /**
   * The inputs as logged: `{}` for a prediction logged with `inputs: 'none'`, each value replaced by its JSON type
   * name with `inputs: 'redacted'` (see `PredictionLoggerOptions.inputs`).
   */
  inputs: Record<string, unknown>;
  outputs: Record<string, unknown> | null;
  /** Present when read `withFeedback`: the latest feedback, or null. */
  feedback?: FeedbackRecord | null;
}

/** A prediction with its ground truth, as the performance monitor takes it. */
export interface LabelledPrediction {
  prediction: PredictionRecord;
  label: unknown;
  value: number | null;
  labelTime: Date;
}

const timeArg = z
  .union([z.date(), z.iso.datetime({ offset: true }), z.number()])
  .transform((t) => new Date(t))
  .refine(isStorableTime, TIME_RANGE_MESSAGE);

// Strings PostgreSQL text can hold: a U+0000 in a filter is INVALID_INPUT, not an error from the database.
const readSchema = z.object({
  model: pgText().min(1),
  version: pgText().optional(),
  alias: pgText().optional(),
  from: timeArg.optional(),
  to: timeArg.optional(),
  limit: z.int().positive().max(1_000_000).default(1000),
  withFeedback: z.boolean().default(false),
  order: z.enum(['asc', 'desc']).default('asc'),
});

/** Options of {@link readPredictions}. */
export interface ReadPredictionsOptions {
  store: Store;
  model: string;
  /** @default every version */
  version?: string;
  /** @default every alias */
  alias?: string;
  /** Inclusive lower bound on `time`. @default no bound */
  from?: Date | string | number;
  /** Exclusive upper bound on `time`. @default no bound */
  to?: Date | string | number;
  /** @default 1000 */
  limit?: number;
  /** Attach each prediction's latest feedback (by prediction id first, else by request id). @default false */
  withFeedback?: boolean;
  /** By time, then request and position. @default 'asc' */
  order?: 'asc' | 'desc';
}

function parseArgs<S extends z.ZodType>(schema: S, args: unknown, what: string): z.infer<S> {
  const r = schema.safeParse(args);
  if (!r.success) {
    throw invalidInput(`invalid ${what}`, zodIssues(r.error));
  }
  return r.data;
}

// The latest feedback of prediction p, the most specific first: given for this prediction id, then for its request
// and model, then for its whole request (model NULL). Feedback for another model of the request never applies.
const FEEDBACK_LATERAL = `LATERAL (
    SELECT f.label, f.value, f.time AS f_time,
      CASE WHEN f.prediction_id IS NOT NULL THEN 'prediction' WHEN f.model IS NOT NULL THEN 'model' ELSE 'request' END
        AS matched_by
    FROM core_feedback f
    WHERE f.prediction_id = p.id OR (f.request_id = p.request_id AND (f.model IS NULL OR f.model = p.model))
    ORDER BY (f.prediction_id IS NOT NULL) DESC, (f.model IS NOT NULL) DESC, f.time DESC, f.id DESC
    LIMIT 1
  ) fb`;

interface PredictionRow {
  id: string;
  request_id: string;
  position: number;
  model: string;
  version: string | null;
  alias: string | null;
  time: Date | string;
  latency_ms: number | string | null;
  inputs: Record<string, unknown> | null;
  outputs: Record<string, unknown> | null;
  label?: unknown;
  value?: number | string | null;
  f_time?: Date | string | null;
  matched_by?: 'prediction' | 'model' | 'request' | null;
}

const toDate = (v: Date | string) => (v instanceof Date ? v : new Date(v));
const toNum = (v: number | string | null | undefined) => (v === null || v === undefined ? null : Number(v));

function toRecord(r: PredictionRow): PredictionRecord {
  return {
    id: r.id,
    requestId: r.request_id,
    position: Number(r.position),
    model: r.model,
    version: r.version,
    alias: r.alias,
    time: toDate(r.time),
    latencyMs: toNum(r.latency_ms),
    inputs: r.inputs ?? {},
    outputs: r.outputs,
  };
}

function toFeedback(r: PredictionRow): FeedbackRecord | null {
  if (r.f_time === null || r.f_time === undefined) return null;
  return {
    label: r.label ?? null,
    value: toNum(r.value),
    time: toDate(r.f_time),
    matchedBy: r.matched_by ?? 'request',
  };
}

function where(a: z.infer<typeof readSchema>, params: unknown[]): string {
  const conds = ['p.model = $1'];
  params.push(a.model);
  if (a.version !== undefined) conds.push(`p.version = $${params.push(a.version)}`);
  if (a.alias !== undefined) conds.push(`p.alias = $${params.push(a.alias)}`);
  if (a.from) conds.push(`p.time >= $${params.push(a.from.toISOString())}::timestamptz`);
  if (a.to) conds.push(`p.time < $${params.push(a.to.toISOString())}::timestamptz`);
  return conds.join(' AND ');
}

/** Reads logged predictions of a model in a time window, optionally with their latest feedback. */
export async function readPredictions(opts: ReadPredictionsOptions): Promise<PredictionRecord[]> {
  const { store, ...rest } = opts;
  const a = parseArgs(readSchema, rest, 'readPredictions options');
  await migrate(store, { areas: ['predictions'] });
  const params: unknown[] = [];
  const cond = where(a, params);
  const dir = a.order === 'desc' ? 'DESC' : 'ASC';
  const sql = a.withFeedback
    ? `SELECT p.*, fb.label, fb.value, fb.f_time, fb.matched_by FROM core_predictions p LEFT JOIN ${FEEDBACK_LATERAL} ON true`
    : 'SELECT p.* FROM core_predictions p';
  const rows = await store.query<PredictionRow>(
    `${sql} WHERE ${cond} ORDER BY p.time ${dir}, p.request_id ${dir}, p.position ${dir} LIMIT $${params.push(a.limit)}`,
    params,
  );
  return rows.map((r) => (a.withFeedback ? { ...toRecord(r), feedback: toFeedback(r) } : toRecord(r)));
}

/** Options of {@link readLabelledWindow}. */
export type ReadLabelledWindowOptions = Omit<ReadPredictionsOptions, 'withFeedback'>;

/**
 * The predictions of a window that have feedback, each paired with its latest label: what the performance monitor
 * evaluates (accuracy from feedback).
 */
export async function readLabelledWindow(opts: ReadLabelledWindowOptions): Promise<LabelledPrediction[]> {
  const { store, ...rest } = opts;
  const a = parseArgs(readSchema, { ...rest, withFeedback: true }, 'readLabelledWindow options');
  await migrate(store, { areas: ['predictions'] });
  const params: unknown[] = [];
  const cond = where(a, params);
  const dir = a.order === 'desc' ? 'DESC' : 'ASC';
  const rows = await store.query<PredictionRow>(
    `SELECT p.*, fb.label, fb.value, fb.f_time, fb.matched_by FROM core_predictions p CROSS JOIN ${FEEDBACK_LATERAL}
     WHERE ${cond} ORDER BY p.time ${dir}, p.request_id ${dir}, p.position ${dir} LIMIT $${params.push(a.limit)}`,
    params,
  );
  return rows.map((r) => ({
    prediction: toRecord(r),
    label: r.label ?? null,
    value: toNum(r.value),
    labelTime: toDate(r.f_time!),
  }));
}

// Every string is one PostgreSQL text/jsonb can hold, and labels are walked without recursion (at most 64 deep), so
// client input is an INVALID_INPUT with its path, never a failed INSERT.
const modelName = pgText().min(1).max(200);

const feedbackSchema = z
  .object({
    predictionId: pgText().min(1).max(200).optional(),
    requestId: pgText().min(1).max(200).optional(),
    model: modelName.optional(),
    label: pgJson().optional(),
    labels: z
      .record(modelName, pgJson())
      .refine((m) => Object.keys(m).length > 0, 'Give at least one model')
      .refine((m) => Object.keys(m).length <= 100, 'At most 100 models')
      .optional(),
    value: z.number().optional(),
    time: timeArg.optional(),
  })
  .superRefine((f, ctx) => {
    if ((f.predictionId === undefined) === (f.requestId === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['predictionId'],
        message: 'Give exactly one of predictionId or requestId',
      });
    }
    if (f.model !== undefined && f.requestId === undefined) {
      ctx.addIssue({ code: 'custom', path: ['model'], message: 'model only goes with requestId' });
    }
    if (f.labels !== undefined) {
      if (f.requestId === undefined) {
        ctx.addIssue({ code: 'custom', path: ['labels'], message: 'labels only go with requestId' });
      }
      for (const k of ['label', 'value', 'model'] as const) {
        if (f[k] !== undefined) {
          ctx.addIssue({ code: 'custom', path: [k], message: `Give either labels or ${k}, not both` });
        }
      }
    } else if (f.label === undefined && f.value === undefined) {
      ctx.addIssue({ code: 'custom', path: ['label'], message: 'Give a label or a value' });
    }
  });

/** Options of {@link recordFeedback}. */
export interface RecordFeedbackOptions {
  store: Store;
  /** The prediction this ground truth belongs to (exclusive with `requestId`). */
  predictionId?: string;
  /** Applies to every prediction of the request that has no feedback of its own (exclusive with `predictionId`). */
  requestId?: string;
  /**
   * With `requestId`: the feedback applies only to this model's predictions of the request (a request that called
   * several models, e.g. topic and urgency).
   * @default undefined (every model of the request)
   */
  model?: string;
  /** Ground truth: a class name, a number, any JSON. */
  label?: unknown;
  /**
   * With `requestId`, instead of `label`/`value`/`model`: one label per model (`{ topic: 'network', urgency: 'high' }`),
   * stored as one feedback row per model in one transaction.
   * @default undefined
   */
  labels?: Record<string, unknown>;
  /** A numeric outcome. */
  value?: number;
  /** When the truth was observed. @default now */
  time?: Date | string | number;
}

const INSERT_FEEDBACK = `INSERT INTO core_feedback (prediction_id, request_id, model, label, value, time)
  VALUES ($1, $2, $3, $4::jsonb, $5, $6::timestamptz) RETURNING id`;

/**
 * Records ground truth for a prediction, for every prediction of a request, for one model's predictions of a request
 * (`model`), or per model (`labels`, one row each, in one transaction). The prediction need not be written yet (it
 * may still be in the logger's buffer): feedback is joined when read, the most specific match first (prediction id,
 * then request and model, then request), and the latest of those wins. `ids` lists every row written; `id` is the
 * first.
 */
export async function recordFeedback(opts: RecordFeedbackOptions): Promise<{ id: string; ids: string[] }> {
  const { store, ...rest } = opts;
  const f = parseArgs(feedbackSchema, rest, 'feedback');
  await migrate(store, { areas: ['predictions'] });
  const time = (f.time ?? new Date()).toISOString();
  const rowsOf = (model: string | undefined, label: unknown, value: number | undefined) => [
    f.predictionId ?? null,
    f.requestId ?? null,
    model ?? null,
    label === undefined ? null : JSON.stringify(label),
    value ?? null,
    time,
  ];
  const labels = f.labels;
  if (labels === undefined) {
    const rows = await store.query<{ id: string | number }>(INSERT_FEEDBACK, rowsOf(f.model, f.label, f.value));
    const id = String(rows[0]!.id);
    return { id, ids: [id] };
  }
  const ids = await store.transaction(async (tx) => {
    const out: string[] = [];
    for (const [model, label] of Object.entries(labels)) {
      const rows = await tx.query<{ id: string | number }>(INSERT_FEEDBACK, rowsOf(model, label, undefined));
      out.push(String(rows[0]!.id));
    }
    return out;
  });
  return { id: ids[0]!, ids };
}
