// Retention of the prediction log inside the server: core's `prunePredictions` run on an unref'd timer, in batches
// that yield to the event loop (serving never waits more than one batch), stopped by close(), its errors reported and
// never thrown, and the rows it deleted counted on /metrics.
import { MlopsError, migrate, parseInput, type Store } from '@mlops/core';
import { type PruneResult, prunePredictions } from '@mlops/core/predictions';
import { Counter, type Registry } from 'prom-client';
import { z } from 'zod';

/** How long one model's predictions are kept: by age, by count, or both (whichever deletes more). */
export interface RetentionLimits {
  /** Deletes the predictions older than this many milliseconds. */
  maxAgeMs?: number;
  /** Keeps the newest this many predictions of the model and deletes the older ones. */
  maxRows?: number;
}

/** Retention of the prediction log (option `retention` of {@link createModelServer}). */
export interface RetentionOptions extends RetentionLimits {
  /**
   * Other limits for some models, by name: replace `maxAgeMs`/`maxRows` field by field for that model; `false`
   * keeps that model's predictions forever. The other limits apply to every model in the log, served here or not.
   * @default {}
   */
  perModel?: Record<string, RetentionLimits | false>;
  /**
   * Time between two prunings; the first one runs after `min(intervalMs, 30000)` ms.
   * @default 600000 (10 minutes)
   */
  intervalMs?: number;
  /**
   * Predictions deleted per transaction (each batch is one short transaction; the event loop runs between batches).
   * @default prunePredictions' (1000 on PostgreSQL, 200 on PGlite)
   */
  batchSize?: number;
}

/** Name of the counter of pruned predictions on /metrics (label `model`). */
export const RETENTION_METRIC_NAMES = {
  pruned: 'mlops_prediction_log_pruned_total',
  prunedFeedback: 'mlops_prediction_log_pruned_feedback_total',
  pruneErrors: 'mlops_prediction_log_prune_errors_total',
} as const;

const limitsShape = {
  maxAgeMs: z.number().positive().optional(),
  maxRows: z.int().min(0).optional(),
};
const retentionSchema = z
  .strictObject({
    ...limitsShape,
    perModel: z.record(z.string().min(1), z.union([z.literal(false), z.strictObject(limitsShape)])).optional(),
    intervalMs: z.int().min(10).max(2_147_483_647).optional(),
    batchSize: z.int().min(1).max(100_000).optional(),
  })
  .refine(
    (o) =>
      o.maxAgeMs !== undefined ||
      o.maxRows !== undefined ||
      Object.values(o.perModel ?? {}).some((l) => l && (l.maxAgeMs !== undefined || l.maxRows !== undefined)),
    { message: 'Give maxAgeMs, maxRows, or a limit in perModel', path: ['maxAgeMs'] },
  );

/** Validates the `retention` option (`INVALID_INPUT` under `options.retention`); needs the server's store. */
export function resolveRetention(
  retention: RetentionOptions | undefined,
  store: Store | undefined,
): RetentionOptions | undefined {
  if (retention === undefined) return undefined;
  const r = parseInput(retentionSchema, retention, 'options.retention') as RetentionOptions;
  if (!store) {
    throw new MlopsError('INVALID_INPUT', {
      message: 'retention prunes the prediction log in the store: pass `store`',
      details: [{ path: 'options.store', message: 'Required with retention' }],
    });
  }
  return r;
}

/** The running pruner (internal). */
export interface Retention {
  /** Runs one pruning now (or waits for the one running) and returns what it deleted. */
  runOnce(): Promise<PruneResult>;
  /** Stops the timer and the pruning in progress (between two batches) and waits for it. Idempotent. */
  stop(): Promise<void>;
}

/** Options of {@link startRetention} (internal). */
export interface StartRetentionOptions {
  store: Store;
  retention: RetentionOptions;
  /** Where the counters go (the server's registry). */
  registry?: Registry;
  onError(err: unknown, where: string): void;
}

const DEFAULT_INTERVAL_MS = 600_000;
const FIRST_RUN_MAX_MS = 30_000;

const emptyResult = (): PruneResult => ({ predictions: 0, feedback: 0, batches: 0, byModel: {}, aborted: false });

/**
 * Starts pruning the prediction log every `intervalMs` (timer unref'd: it never keeps the process alive). Each
 * pruning is core's `prunePredictions` per model, with the model's limits; an error is reported to `onError` and
 * counted, and the next pruning runs as planned.
 */
export function startRetention(options: StartRetentionOptions): Retention {
  const { store, retention, onError } = options;
  const intervalMs = retention.intervalMs ?? DEFAULT_INTERVAL_MS;
  const perModel = retention.perModel ?? {};
  const defaults: RetentionLimits = {
    ...(retention.maxAgeMs !== undefined ? { maxAgeMs: retention.maxAgeMs } : {}),
    ...(retention.maxRows !== undefined ? { maxRows: retention.maxRows } : {}),
  };
  const registers = options.registry ? [options.registry] : [];
  const pruned = new Counter({
    name: RETENTION_METRIC_NAMES.pruned,
    help: 'Predictions deleted from the prediction log by retention',
    labelNames: ['model'] as const,
    registers,
  });
  const prunedFeedback = new Counter({
    name: RETENTION_METRIC_NAMES.prunedFeedback,
    help: 'Feedback rows deleted with their predictions by retention',
    registers,
  });
  const errors = new Counter({
    name: RETENTION_METRIC_NAMES.pruneErrors,
    help: 'Prunings of the prediction log that failed (reported to onError)',
    registers,
  });
  const controller = new AbortController();
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<PruneResult> | undefined;

  const limitsOf = (model: string): RetentionLimits | undefined => {
    const own = perModel[model];
    if (own === false) return undefined;
    const limits = { ...defaults, ...(own ?? {}) };
    return limits.maxAgeMs === undefined && limits.maxRows === undefined ? undefined : limits;
  };

  const pruneAll = async (): Promise<PruneResult> => {
    const total = emptyResult();
    const add = (r: PruneResult) => {
      total.predictions += r.predictions;
      total.feedback += r.feedback;
      total.batches += r.batches;
      total.aborted ||= r.aborted;
      for (const [model, n] of Object.entries(r.byModel)) {
        total.byModel[model] = (total.byModel[model] ?? 0) + n;
        pruned.inc({ model }, n);
      }
      if (r.feedback > 0) prunedFeedback.inc(r.feedback);
    };
    const common = {
      signal: controller.signal,
      ...(retention.batchSize !== undefined ? { batchSize: retention.batchSize } : {}),
    };
    if (Object.keys(perModel).length === 0) {
      // One setting for every model: core lists the models itself.
      add(await prunePredictions(store, { ...defaults, ...common }));
      return total;
    }
    await migrate(store, { areas: ['predictions'] });
    const models = (
      await store.query<{ model: string }>('SELECT DISTINCT model FROM core_predictions ORDER BY model')
    ).map((r) => r.model);
    for (const model of models) {
      if (controller.signal.aborted) {
        total.aborted = true;
        break;
      }
      const limits = limitsOf(model);
      if (limits) add(await prunePredictions(store, { model, ...limits, ...common }));
    }
    return total;
  };

  const runOnce = (): Promise<PruneResult> => {
    if (stopped) return Promise.resolve({ ...emptyResult(), aborted: true });
    running ??= pruneAll().finally(() => {
      running = undefined;
    });
    return running;
  };

  const schedule = (delay: number) => {
    if (stopped) return;
    timer = setTimeout(() => {
      timer = undefined;
      runOnce()
        .catch((err) => {
          errors.inc();
          if (!stopped) onError(err, 'prediction-log retention');
        })
        .finally(() => schedule(intervalMs));
    }, delay);
    timer.unref();
  };
  schedule(Math.min(intervalMs, FIRST_RUN_MAX_MS));

  return {
    runOnce,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      controller.abort();
      await running?.catch(() => {});
    },
  };
}
