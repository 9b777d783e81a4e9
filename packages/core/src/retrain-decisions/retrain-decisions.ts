import { z } from 'zod';
import { MlopsError } from '../errors.js';
import { migrate } from '../migrate.js';
import { rootStore } from '../store/_shared.js';
import { isUniqueViolation } from '../store/sql-errors.js';
import type { Store } from '../store/store.js';
import { parseInput } from '../validation.js';

/**
 * What can start a retraining: `performance` is a metric from feedback below its minimum (`accuracy` is what
 * decisions recorded before `performance` existed say); `estimated-performance` is the accuracy or macro-F1
 * estimated without labels (from the predicted probabilities) below its minimum while labels are missing; `alert` is
 * a firing alert received from Alertmanager.
 */
export const RETRAIN_TRIGGERS = [
  'drift',
  'performance',
  'estimated-performance',
  'accuracy',
  'new-labels',
  'schedule',
  'manual',
  'alert',
] as const;

/**
 * The states of a retraining decision: `running` until the policy records its outcome; `blocked` when the feed was
 * broken (a retraining on it would learn garbage, so none ran).
 */
export const RETRAIN_DECISION_STATUSES = [
  'running',
  'no-action',
  'blocked',
  'promoted',
  'rejected',
  'failed',
  'abandoned',
] as const;

/** One reason a retraining was (or would be) triggered. */
export const retrainReasonSchema = z.object({
  trigger: z.enum(RETRAIN_TRIGGERS),
  message: z.string().max(8000),
});

/** A recorded retraining decision, as {@link listRetrainDecisions} returns it. */
export const retrainDecisionSchema = z.object({
  id: z.string(),
  model: z.string(),
  alias: z.string(),
  status: z.enum(RETRAIN_DECISION_STATUSES),
  triggered: z.boolean(),
  reasons: z.array(retrainReasonSchema),
  /** What the policy evaluated (opaque JSON owned by the deciding package, e.g. `@mlops/pipelines`). */
  evaluation: z.record(z.string(), z.unknown()).nullable(),
  incumbentVersion: z.int().nullable(),
  candidateVersion: z.int().nullable(),
  /** The registry's promotion decision id (passed or failed gate). */
  promotionDecisionId: z.int().nullable(),
  /** The tracked run (core's tracking) of the retraining, when one ran. */
  runId: z.string().nullable(),
  error: z.string().nullable(),
  principal: z.string(),
  startedAt: z.iso.datetime(),
  finishedAt: z.iso.datetime().nullable(),
});

/** What can start a retraining. */
export type RetrainTrigger = (typeof RETRAIN_TRIGGERS)[number];
/** The state of a retraining decision. */
export type RetrainDecisionStatus = (typeof RETRAIN_DECISION_STATUSES)[number];
/** One reason a retraining was (or would be) triggered. */
export type RetrainReason = z.infer<typeof retrainReasonSchema>;
/**
 * A recorded retraining decision (a row of `core_retrain_decisions`). Its `evaluation` is opaque JSON owned by the
 * deciding package, and `E` names its type where that package has it in hand (`@mlops/pipelines`' `runOnce` returns a
 * `RetrainDecision<RetrainEvaluation>`); read back from the table it is a plain JSON object.
 */
export type RetrainDecision<E extends object = Record<string, unknown>> = Omit<
  z.infer<typeof retrainDecisionSchema>,
  'evaluation'
> & { evaluation: E | null };

const name = z.string().min(1).max(256);
const version = z.int().positive().nullable().optional();
const outcomeFields = {
  triggered: z.boolean().default(false),
  reasons: z.array(retrainReasonSchema).default([]),
  evaluation: z.record(z.string(), z.unknown()).nullable().optional(),
  incumbentVersion: version,
  candidateVersion: version,
  promotionDecisionId: z.int().nonnegative().nullable().optional(),
  runId: z.string().min(1).max(256).nullable().optional(),
  error: z.string().nullable().optional(),
};

const recordSchema = z.object({
  model: name,
  alias: name,
  status: z.enum(RETRAIN_DECISION_STATUSES),
  principal: name,
  ...outcomeFields,
});

const finishSchema = z.object({
  id: z.union([z.string().regex(/^\d+$/), z.int().positive()]).transform(String),
  status: z.enum(RETRAIN_DECISION_STATUSES).exclude(['running']),
  ...outcomeFields,
});

/** Options of {@link recordRetrainDecision}. */
export interface RecordRetrainDecisionOptions {
  store: Store;
  model: string;
  alias: string;
  /** `running` opens a decision (one per model alias at a time; finish it with {@link finishRetrainDecision}); any other status records a finished one. */
  status: RetrainDecisionStatus;
  /** Who decided (a policy name, an API key's principal). */
  principal: string;
  /** @default false */
  triggered?: boolean;
  /** @default [] */
  reasons?: RetrainReason[];
  /** What the deciding package evaluated: any JSON-serialisable object, stored as is (opaque to core). @default null */
  evaluation?: object | null;
  /** @default null */
  incumbentVersion?: number | null;
  /** @default null */
  candidateVersion?: number | null;
  /** @default null */
  promotionDecisionId?: number | null;
  /** The tracked run of the retraining. @default null */
  runId?: string | null;
  /** @default null */
  error?: string | null;
}

/** Options of {@link finishRetrainDecision}. */
export type FinishRetrainDecisionOptions = Omit<
  RecordRetrainDecisionOptions,
  'model' | 'alias' | 'principal' | 'status'
> & {
  /** The decision's id, from {@link recordRetrainDecision}. */
  id: string;
  /** The outcome. */
  status: Exclude<RetrainDecisionStatus, 'running'>;
};

/** Options of {@link listRetrainDecisions}. */
export interface ListRetrainDecisionsOptions {
  store: Store;
  /** @default every model */
  model?: string;
  /** @default every alias */
  alias?: string;
  /** @default every status */
  status?: RetrainDecisionStatus | RetrainDecisionStatus[];
  /** @default 100 (at most 10000) */
  limit?: number;
}

/** Options of {@link latestRetrainDecision}. */
export interface LatestRetrainDecisionOptions {
  store: Store;
  model: string;
  alias: string;
  /** @default every status */
  status?: RetrainDecisionStatus | RetrainDecisionStatus[];
}

/** Options of {@link getRetrainDecision}. */
export interface GetRetrainDecisionOptions {
  store: Store;
  /** The decision's id. */
  id: string;
}

/** Options of {@link abandonStaleRetrainDecisions}. */
export interface AbandonStaleRetrainDecisionsOptions {
  store: Store;
  model: string;
  alias: string;
  /** A `running` decision started longer ago than this is taken as left by a dead process. */
  olderThanMs: number;
}

interface DecisionRow {
  id: string | number;
  model: string;
  alias: string;
  status: string;
  triggered: boolean;
  reasons: unknown;
  evaluation: unknown;
  incumbent_version: number | null;
  candidate_version: number | null;
  promotion_decision_id: number | null;
  run_id?: string | null;
  error: string | null;
  principal: string;
  started_at: Date | string;
  finished_at: Date | string | null;
}

const iso = (d: Date | string) => (d instanceof Date ? d : new Date(d)).toISOString();
const COLUMNS = `id, model, alias, status, triggered, reasons, evaluation, incumbent_version, candidate_version,
  promotion_decision_id, run_id, error, principal, started_at, finished_at`;

/** Validates a stored row (stored JSON is a boundary too). */
function toDecision(r: DecisionRow): RetrainDecision {
  const num = (v: number | string | null) => (v === null ? null : Number(v));
  const parsed = retrainDecisionSchema.safeParse({
    id: String(r.id),
    model: r.model,
    alias: r.alias,
    status: r.status,
    triggered: Boolean(r.triggered),
    reasons: r.reasons,
    evaluation: r.evaluation ?? null,
    incumbentVersion: num(r.incumbent_version),
    candidateVersion: num(r.candidate_version),
    promotionDecisionId: num(r.promotion_decision_id),
    runId: r.run_id ?? null,
    error: r.error,
    principal: r.principal,
    startedAt: iso(r.started_at),
    finishedAt: r.finished_at === null ? null : iso(r.finished_at),
  });
  if (!parsed.success) {
    throw new MlopsError('VALIDATION_FAILED', {
      message: `retrain decision ${r.id} in core_retrain_decisions is malformed: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    });
  }
  return parsed.data;
}

const present = new WeakSet<object>();

/** Readers do not create the table (a server may read a store no policy ever wrote to): true once it exists. */
async function tableExists(store: Store): Promise<boolean> {
  const root = rootStore(store);
  if (present.has(root)) return true;
  const [row] = await store.query<{ t: string | null }>("SELECT to_regclass('core_retrain_decisions')::text AS t");
  if (!row?.t) return false;
  present.add(root);
  return true;
}

const statusList = (s: RetrainDecisionStatus | RetrainDecisionStatus[] | undefined) =>
  s === undefined ? undefined : parseInput(z.array(z.enum(RETRAIN_DECISION_STATUSES)).min(1), [s].flat(), 'status');

/**
 * Records a retraining decision. With `status: 'running'` it opens one (finished later by
 * {@link finishRetrainDecision}); a second running decision for the same model alias, from any process, gets `CONFLICT`.
 */
export async function recordRetrainDecision(options: RecordRetrainDecisionOptions): Promise<RetrainDecision> {
  const { store } = options;
  const o = parseInput(recordSchema, { ...options, store: undefined }, 'retrain decision');
  await migrate(store, { areas: ['retrain-decisions'] });
  try {
    const [row] = await store.query<DecisionRow>(
      `INSERT INTO core_retrain_decisions (model, alias, status, triggered, reasons, evaluation, incumbent_version,
         candidate_version, promotion_decision_id, error, principal, run_id, finished_at)
       VALUES ($1, $2, $3, $4, $5::jsonb, $6::jsonb, $7, $8, $9, $10, $11, $12, CASE WHEN $3 = 'running' THEN NULL ELSE now() END)
       RETURNING ${COLUMNS}`,
      [
        o.model,
        o.alias,
        o.status,
        o.triggered,
        JSON.stringify(o.reasons),
        o.evaluation == null ? null : JSON.stringify(o.evaluation),
        o.incumbentVersion ?? null,
        o.candidateVersion ?? null,
        o.promotionDecisionId ?? null,
        o.error ?? null,
        o.principal,
        o.runId ?? null,
      ],
    );
    return toDecision(row!);
  } catch (err) {
    if (isUniqueViolation(err) || isUniqueViolation((err as { cause?: unknown })?.cause)) {
      throw new MlopsError('CONFLICT', {
        message: `A retraining of ${o.model}@${o.alias} is already running`,
        details: { model: o.model, alias: o.alias },
        cause: err,
      });
    }
    throw err;
  }
}

/** Records the outcome of a `running` decision (or overwrites a finished one's); `NOT_FOUND` for an unknown id. */
export async function finishRetrainDecision(options: FinishRetrainDecisionOptions): Promise<RetrainDecision> {
  const { store } = options;
  const o = parseInput(finishSchema, { ...options, store: undefined }, 'retrain decision outcome');
  await migrate(store, { areas: ['retrain-decisions'] });
  const rows = await store.query<DecisionRow>(
    `UPDATE core_retrain_decisions SET status = $2, triggered = $3, reasons = $4::jsonb, evaluation = $5::jsonb,
       incumbent_version = $6, candidate_version = $7, promotion_decision_id = $8, error = $9, finished_at = now(),
       run_id = COALESCE($10, run_id)
     WHERE id = $1 RETURNING ${COLUMNS}`,
    [
      o.id,
      o.status,
      o.triggered,
      JSON.stringify(o.reasons),
      o.evaluation == null ? null : JSON.stringify(o.evaluation),
      o.incumbentVersion ?? null,
      o.candidateVersion ?? null,
      o.promotionDecisionId ?? null,
      o.error ?? null,
      o.runId ?? null,
    ],
  );
  if (!rows[0]) throw new MlopsError('NOT_FOUND', { message: `No retrain decision ${o.id}`, details: { id: o.id } });
  return toDecision(rows[0]);
}

/** Marks `running` decisions of a model alias older than `olderThanMs` as `abandoned`; returns how many. */
export async function abandonStaleRetrainDecisions(options: AbandonStaleRetrainDecisionsOptions): Promise<number> {
  const o = parseInput(
    z.object({ model: name, alias: name, olderThanMs: z.int().min(0) }),
    { model: options.model, alias: options.alias, olderThanMs: options.olderThanMs },
    'abandon options',
  );
  await migrate(options.store, { areas: ['retrain-decisions'] });
  const rows = await options.store.query(
    `UPDATE core_retrain_decisions SET status = 'abandoned', finished_at = now(),
       error = 'abandoned: still running after ' || $3::text || ' ms'
     WHERE model = $1 AND alias = $2 AND status = 'running'
       AND started_at < now() - make_interval(secs => $3::double precision / 1000)
     RETURNING id`,
    [o.model, o.alias, o.olderThanMs],
  );
  return rows.length;
}

/** Recorded retraining decisions, newest first (what `mlops retrain` lists); empty when none was ever recorded. */
export async function listRetrainDecisions(options: ListRetrainDecisionsOptions): Promise<RetrainDecision[]> {
  const o = parseInput(
    z.object({ model: name.optional(), alias: name.optional(), limit: z.int().min(1).max(10_000).default(100) }),
    { model: options.model, alias: options.alias, limit: options.limit },
    'list options',
  );
  const statuses = statusList(options.status);
  if (!(await tableExists(options.store))) return [];
  const params: unknown[] = [];
  const where: string[] = [];
  if (o.model !== undefined) where.push(`model = $${params.push(o.model)}`);
  if (o.alias !== undefined) where.push(`alias = $${params.push(o.alias)}`);
  if (statuses) where.push(`status IN (${statuses.map((s) => `$${params.push(s)}`).join(', ')})`);
  const rows = await options.store.query<DecisionRow>(
    `SELECT ${COLUMNS} FROM core_retrain_decisions ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
     ORDER BY id DESC LIMIT $${params.push(o.limit)}`,
    params,
  );
  return rows.map(toDecision);
}

/** One decision by id, or undefined when there is none (a malformed id is `INVALID_INPUT`). */
export async function getRetrainDecision(options: GetRetrainDecisionOptions): Promise<RetrainDecision | undefined> {
  const id = parseInput(z.string().regex(/^\d{1,18}$/, 'a decision id (digits)'), options.id, 'id');
  if (!(await tableExists(options.store))) return undefined;
  const [row] = await options.store.query<DecisionRow>(`SELECT ${COLUMNS} FROM core_retrain_decisions WHERE id = $1`, [
    id,
  ]);
  return row ? toDecision(row) : undefined;
}

/** The newest decision of a model alias (optionally with one of `status`), or undefined: what a server exports as gauges. */
export async function latestRetrainDecision(
  options: LatestRetrainDecisionOptions,
): Promise<RetrainDecision | undefined> {
  const [d] = await listRetrainDecisions({ ...options, limit: 1 });
  return d;
}
