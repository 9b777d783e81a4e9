// Retention of the prediction log: prunes old predictions (by age and/or by count per model) in small batches, each its
// own short transaction, yielding to the event loop between them, so a server writing the log keeps serving.
import { z } from 'zod';
import { migrate } from '../migrate.js';
import { pgText } from '../pg-text.js';
import type { Store } from '../store/store.js';
import { parseInput } from '../validation.js';
import { isStorableTime, TIME_RANGE_MESSAGE } from './_time.js';

/** Options of {@link prunePredictions}. At least one of `maxAgeMs` and `maxRows` is required. */
export interface PrunePredictionsOptions {
  /**
   * Only this model's predictions. Retention settings differ per model: call once per model.
   * @default every model (each one pruned on its own, `maxRows` applying to each)
   */
  model?: string;
  /** Deletes the predictions whose `time` is older than this many milliseconds before `now`. */
  maxAgeMs?: number;
  /** Keeps at most this many predictions per model, the newest (by `time`, then id); deletes the older ones. */
  maxRows?: number;
  /**
   * Predictions deleted per transaction (with their feedback). Each batch is one short transaction, and the event
   * loop runs between batches, so writers and readers of the log wait at most one batch.
   * @default 1000 on PostgreSQL, 200 on PGlite (it runs SQL on the calling thread)
   */
  batchSize?: number;
  /** The time `maxAgeMs` counts back from. @default now */
  now?: Date | number;
  /** Stops between batches (what was deleted stays deleted; the result counts it). */
  signal?: AbortSignal;
}

/** What {@link prunePredictions} deleted. */
export interface PruneResult {
  /** Predictions deleted. */
  predictions: number;
  /** Feedback rows deleted with them (see {@link prunePredictions}). */
  feedback: number;
  /** Transactions run. */
  batches: number;
  /** Predictions deleted per model. */
  byModel: Record<string, number>;
  /** True when `signal` stopped the pruning before it was done. */
  aborted: boolean;
}

const pruneSchema = z
  .object({
    model: pgText().min(1).max(200).optional(),
    maxAgeMs: z.number().nonnegative().optional(),
    maxRows: z.int().nonnegative().optional(),
    batchSize: z.int().positive().max(100_000).optional(),
    now: z
      .union([z.date(), z.number()])
      .refine((t) => isStorableTime(new Date(t)), TIME_RANGE_MESSAGE)
      .optional(),
  })
  .refine((o) => o.maxAgeMs !== undefined || o.maxRows !== undefined, {
    message: 'Give maxAgeMs, maxRows or both',
    path: ['maxAgeMs'],
  });

// One batch: the oldest predictions matching the condition (index core_predictions_model_time). `$1` model, `$2` the
// age cut-off (or NULL), `$3`/`$4` the (time, id) of the newest row to delete for `maxRows` (or NULL), `$5` the limit.
const DELETE_BATCH = `DELETE FROM core_predictions WHERE id IN (
    SELECT id FROM core_predictions
    WHERE model = $1
      AND (($2::timestamptz IS NOT NULL AND time < $2::timestamptz)
        OR ($3::timestamptz IS NOT NULL AND (time, id) <= ($3::timestamptz, $4::text)))
    ORDER BY time, id
    LIMIT $5
  ) RETURNING id, request_id`;

// The feedback of the deleted predictions, in two statements so each uses its index: given for one of them by id
// (`$1` a JSON array of ids), and given for their request (by request id, for every or one model) when no prediction
// of that request remains (`$1` a JSON array of request ids).
const DELETE_FEEDBACK_BY_PREDICTION = `DELETE FROM core_feedback
  WHERE prediction_id IN (SELECT jsonb_array_elements_text($1::jsonb)) RETURNING 1`;
const DELETE_FEEDBACK_BY_REQUEST = `DELETE FROM core_feedback f
  WHERE f.prediction_id IS NULL
    AND f.request_id IN (SELECT jsonb_array_elements_text($1::jsonb))
    AND NOT EXISTS (SELECT 1 FROM core_predictions p WHERE p.request_id = f.request_id)
  RETURNING 1`;

const yieldToEventLoop = () => new Promise<void>((r) => setImmediate(r));

/**
 * Prunes the prediction log: deletes the predictions older than `maxAgeMs` and/or beyond the newest `maxRows` of each
 * model, oldest first, in batches of `batchSize`, each batch one short transaction, yielding to the event loop
 * between batches (a server keeps serving and logging meanwhile; rows logged during the pruning are newer than its
 * cut-offs, which are fixed when it starts). Works the same on PGlite and PostgreSQL.
 *
 * Feedback goes with its predictions, in the same transaction: feedback given for a deleted prediction's id, and
 * feedback given for a request (by request id, with or without `model`) once no prediction of that request remains.
 * Feedback whose predictions were never logged (or are still in a logger's buffer) is kept, so a label that arrives
 * before its prediction is written is not lost. The feedback joins of the remaining predictions are unchanged.
 *
 * @example
 * // Keep 30 days, and at most a million predictions of 'tickets'.
 * await prunePredictions(store, { model: 'tickets', maxAgeMs: 30 * 86_400_000, maxRows: 1_000_000 });
 */
export async function prunePredictions(store: Store, options: PrunePredictionsOptions): Promise<PruneResult> {
  const { signal, ...rest } = options;
  const o = parseInput(pruneSchema, rest, 'options');
  await migrate(store, { areas: ['predictions'] });
  const batchSize = o.batchSize ?? (store.driver === 'pglite' ? 200 : 1000);
  const now = o.now === undefined ? Date.now() : o.now instanceof Date ? o.now.getTime() : o.now;
  // A cut-off before the year 1 (a huge maxAgeMs) is older than any stored time: nothing is that old.
  const cutoff = o.maxAgeMs === undefined ? undefined : new Date(now - o.maxAgeMs);
  const ageCutoff = cutoff === undefined || !isStorableTime(cutoff) ? null : cutoff.toISOString();
  const models =
    o.model !== undefined
      ? [o.model]
      : (await store.query<{ model: string }>('SELECT DISTINCT model FROM core_predictions ORDER BY model')).map(
          (r) => r.model,
        );

  const result: PruneResult = { predictions: 0, feedback: 0, batches: 0, byModel: {}, aborted: false };
  for (const model of models) {
    // The newest row beyond `maxRows`: it and every older row of the model go.
    let rowCutoff: { time: string; id: string } | undefined;
    if (o.maxRows !== undefined) {
      // As text, so the cut-off keeps the microseconds a Date would drop.
      const [row] = await store.query<{ time: string; id: string }>(
        'SELECT time::text AS time, id FROM core_predictions WHERE model = $1 ORDER BY time DESC, id DESC OFFSET $2 LIMIT 1',
        [model, o.maxRows],
      );
      if (row) rowCutoff = { time: row.time, id: row.id };
    }
    if (ageCutoff === null && rowCutoff === undefined) continue;
    for (;;) {
      if (signal?.aborted) {
        result.aborted = true;
        return result;
      }
      const { deleted, feedback } = await store.transaction(async (tx) => {
        const gone = await tx.query<{ id: string; request_id: string }>(DELETE_BATCH, [
          model,
          ageCutoff,
          rowCutoff?.time ?? null,
          rowCutoff?.id ?? null,
          batchSize,
        ]);
        if (gone.length === 0) return { deleted: 0, feedback: 0 };
        const byId = await tx.query(DELETE_FEEDBACK_BY_PREDICTION, [JSON.stringify(gone.map((g) => g.id))]);
        const requests = [...new Set(gone.map((g) => g.request_id))];
        const byRequest = await tx.query(DELETE_FEEDBACK_BY_REQUEST, [JSON.stringify(requests)]);
        return { deleted: gone.length, feedback: byId.length + byRequest.length };
      });
      result.batches++;
      result.predictions += deleted;
      result.feedback += feedback;
      if (deleted > 0) result.byModel[model] = (result.byModel[model] ?? 0) + deleted;
      if (deleted < batchSize) break;
      await yieldToEventLoop();
    }
  }
  return result;
}
