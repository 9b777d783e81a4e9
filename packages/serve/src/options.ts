import { MlopsError, parseInput, type Store } from '@mlops/core';
import { type AllowedHosts, isLoopbackHost } from '@mlops/core/http';
import type { PredictionLogger, PredictionLoggerOptions } from '@mlops/core/predictions';
import { z } from 'zod';
import type { AuthMode, AuthOptions } from './auth.js';
import type { ModelSource } from './model-slots.js';
import type { MonitoringOptions } from './monitoring.js';
import { type RetentionOptions, resolveRetention } from './retention.js';
import type { BatchingOptions } from './scheduler/batcher.js';

/** Request and capacity limits. */
export interface ServerLimits {
  /**
   * Largest JSON body, in bytes; larger bodies get 413.
   * @default 1048576 (1 MiB)
   */
  maxBodyBytes?: number;
  /**
   * Most rows (records) in one prediction request.
   * @default 10000
   */
  maxRows?: number;
  /**
   * Prediction requests processed at once (the rest wait in the queue).
   * @default 64
   */
  maxConcurrency?: number;
  /**
   * Prediction requests waiting for a slot; beyond it: 503 with `Retry-After`.
   * @default 256
   */
  maxQueue?: number;
  /**
   * A prediction request that has no answer after this long gets 504 (`TIMEOUT`), or 503 if it was still queued.
   * @default 30000
   */
  requestTimeoutMs?: number;
  /**
   * Seconds sent in `Retry-After` with 503 responses.
   * @default 1
   */
  retryAfterSeconds?: number;
}

/** Options of {@link createModelServer}. */
export interface ModelServerOptions {
  /** The models to serve. Names must be unique. */
  models: ModelSource[];
  /**
   * The store holding the prediction log, feedback and API keys.
   * @default undefined (no prediction log, no feedback endpoint, auth only with `auth.store`)
   */
  store?: Store;
  /**
   * The address the server will bind (`listen()`'s default). Auth follows every address actually in use: this one,
   * the one `listen()` binds, and the one each request arrives through (when `app` is mounted on your own server).
   * @default '127.0.0.1'
   */
  host?: string;
  /**
   * Host names a loopback server without auth answers besides `localhost`, `127.0.0.1` and `[::1]` (any port), which
   * are the only ones it answers by default (403 otherwise, against DNS rebinding): exact names, a leading dot for a
   * domain and its subdomains (`.svc.cluster.local`), or `true` for any name (only when something in front checks it).
   * A server with auth on does not check `Host`.
   * @default []
   */
  allowedHosts?: AllowedHosts;
  /**
   * API-key authentication (`predict`, `feedback`, `admin` scopes), or just its mode.
   * @default 'auto'
   */
  auth?: AuthOptions | AuthMode;
  /**
   * Prediction logging through core's batched writer: `true`, `false`, or the writer's options.
   * @default true when `store` is given
   */
  logging?: boolean | Omit<PredictionLoggerOptions, 'store'>;
  /**
   * When a prediction is answered relative to its prediction-log row. `'buffered'`: at once, the row is written
   * within `flushIntervalMs` (a SIGKILL loses at most about that much). `'acknowledged'`: only after the transaction
   * holding the row has committed (group commit); 503 `NOT_READY` when the row cannot be written. Passed to the
   * logger the server creates; a logger given in `logger` keeps its own mode.
   * @default 'buffered' (or `logging.durability`)
   */
  durability?: PredictionLoggerOptions['durability'];
  /**
   * A prediction logger to use instead of creating one (the server flushes it on close but does not own it).
   * @default undefined
   */
  logger?: PredictionLogger;
  /**
   * Retention of the prediction log: prunes it by age and/or rows (per model if you like) in batches on an unref'd
   * timer, without blocking serving; counted in `mlops_prediction_log_pruned_total`. Needs `store`.
   * @default undefined (the log is never pruned)
   */
  retention?: RetentionOptions;
  /**
   * Micro-batching defaults for batchable predictors; `false` turns it off.
   * @default { maxBatchSize: 64, maxWaitMs: 0, maxInFlight: 1 }
   */
  batching?: BatchingOptions | false;
  /** Request and capacity limits. */
  limits?: ServerLimits;
  /**
   * Monitoring gauges on `/metrics` (`@mlops/monitoring`'s: drift per feature, the window verdict with a broken
   * feed, data quality, metrics from feedback, the thresholds in use; plus the latest retraining decision), evaluated
   * over the prediction log at scrape time, at most once per `refreshMs`; `false` turns it off.
   * @default {} when `store` is given (see {@link MonitoringOptions})
   */
  monitoring?: MonitoringOptions | false;
  /**
   * Title of the OpenAPI document and the /docs page.
   * @default 'mlops model server'
   */
  title?: string;
  /**
   * Also export prom-client's default process metrics under their standard names (`process_*`, `nodejs_*`).
   * @default true
   */
  defaultMetrics?: boolean;
  /**
   * `/metrics` needs no API key even when auth is on (Prometheus scrapes it).
   * @default true
   */
  publicMetrics?: boolean;
  /**
   * Longest `close()` waits for in-flight requests before closing anyway.
   * @default 30000
   */
  drainTimeoutMs?: number;
  /**
   * Receives server faults (5xx) and background errors; never client mistakes.
   * @default console.error
   */
  onError?: (err: unknown, context: ErrorContext) => void;
  /**
   * Receives warnings (auth disabled on a public host).
   * @default console.warn
   */
  onWarning?: (message: string) => void;
}

/** Where a server-side error happened, for {@link ModelServerOptions.onError}. */
export type ErrorContext = { requestId?: string; method?: string; path?: string; where?: string };

/** Every default of {@link ModelServerOptions}, in one place (internal). */
export const SERVER_DEFAULTS = {
  host: '127.0.0.1',
  maxBodyBytes: 1024 * 1024,
  maxRows: 10_000,
  maxConcurrency: 64,
  maxQueue: 256,
  requestTimeoutMs: 30_000,
  retryAfterSeconds: 1,
  drainTimeoutMs: 30_000,
  title: 'mlops model server',
  defaultMetrics: true,
  publicMetrics: true,
  authMode: 'auto',
  authCacheMs: 5000,
} as const;

/** {@link ModelServerOptions} with every default applied and every value checked (internal). */
export interface ResolvedOptions {
  models: readonly ModelSource[];
  store: Store | undefined;
  host: string;
  allowedHosts: AllowedHosts | undefined;
  auth: { mode: AuthMode; store: Store | undefined; cacheMs: number };
  /** The logger's options when the server creates one; `undefined` when it does not (no store, or logging off). */
  logging: Omit<PredictionLoggerOptions, 'store'> | undefined;
  /** A logger the caller owns. */
  logger: PredictionLogger | undefined;
  /** `undefined`: no retention. */
  retention: RetentionOptions | undefined;
  batching: BatchingOptions | false | undefined;
  limits: Required<ServerLimits>;
  /** `undefined`: no monitoring gauges. */
  monitoring: MonitoringOptions | undefined;
  title: string;
  defaultMetrics: boolean;
  publicMetrics: boolean;
  drainTimeoutMs: number;
  onError: (err: unknown, context: ErrorContext) => void;
  onWarning: (message: string) => void;
}

const MODEL_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const positiveInt = z.int().min(1);
const nonNegative = z.number().min(0);

// The plain values of the options (objects such as the store, the logger or predictors are the caller's and are not
// copied): a mistake here fails at createModelServer(), not at the first request.
const optionsSchema = z.object({
  host: z.string().min(1).optional(),
  auth: z.enum(['auto', 'required', 'disabled']).optional(),
  authCacheMs: nonNegative.optional(),
  batching: z
    .union([
      z.literal(false),
      z.object({
        maxBatchSize: positiveInt.optional(),
        maxWaitMs: nonNegative.optional(),
        maxInFlight: positiveInt.optional(),
      }),
    ])
    .optional(),
  limits: z
    .strictObject({
      maxBodyBytes: positiveInt.optional(),
      maxRows: positiveInt.optional(),
      maxConcurrency: positiveInt.optional(),
      maxQueue: z.int().min(0).optional(),
      requestTimeoutMs: z.number().positive().optional(),
      retryAfterSeconds: z.int().min(0).optional(),
    })
    .optional(),
  title: z.string().min(1).max(200).optional(),
  defaultMetrics: z.boolean().optional(),
  publicMetrics: z.boolean().optional(),
  drainTimeoutMs: nonNegative.optional(),
  models: z.array(z.unknown()),
});

/**
 * Applies every default of {@link ModelServerOptions} and validates them (`INVALID_INPUT` with field paths under
 * `options`): limits, batching, model names (unique), and auth off loopback without a key store.
 */
export function resolveOptions(options: ModelServerOptions): ResolvedOptions {
  const authOpts: AuthOptions = typeof options.auth === 'string' ? { mode: options.auth } : (options.auth ?? {});
  parseInput(
    optionsSchema,
    {
      host: options.host,
      auth: authOpts.mode,
      authCacheMs: authOpts.cacheMs,
      batching: options.batching,
      limits: options.limits,
      title: options.title,
      defaultMetrics: options.defaultMetrics,
      publicMetrics: options.publicMetrics,
      drainTimeoutMs: options.drainTimeoutMs,
      models: options.models,
    },
    'options',
  );
  const seen = new Set<string>();
  for (const src of options.models) {
    if (!MODEL_NAME_RE.test(src.name)) {
      throw new MlopsError('INVALID_INPUT', {
        message: `invalid model name "${src.name}"`,
        details: [{ path: 'models.name', message: 'Letters, digits, ".", "_", "-" (at most 128)' }],
      });
    }
    if (seen.has(src.name)) throw new MlopsError('CONFLICT', `model "${src.name}" is listed twice`);
    seen.add(src.name);
  }
  const d = SERVER_DEFAULTS;
  const host = options.host ?? d.host;
  const authMode = authOpts.mode ?? d.authMode;
  const authStore = authOpts.store ?? options.store;
  if ((authMode === 'required' || (authMode === 'auto' && !isLoopbackHost(host))) && !authStore) {
    throw new MlopsError('INVALID_INPUT', {
      message: `auth is required on host "${host}" but no store holds API keys: pass \`store\` (or auth.store), or bind a loopback address, or set auth: 'disabled' behind an authenticating proxy`,
      details: [{ path: 'store', message: 'Required when auth is on' }],
    });
  }
  const limits = options.limits ?? {};
  return {
    models: options.models,
    store: options.store,
    host,
    allowedHosts: options.allowedHosts,
    auth: { mode: authMode, store: authStore, cacheMs: authOpts.cacheMs ?? d.authCacheMs },
    logging:
      !options.logger && options.store && options.logging !== false
        ? {
            ...(typeof options.logging === 'object' ? options.logging : {}),
            ...(options.durability ? { durability: options.durability } : {}),
          }
        : undefined,
    logger: options.logger,
    retention: resolveRetention(options.retention, options.store),
    batching: options.batching,
    limits: {
      maxBodyBytes: limits.maxBodyBytes ?? d.maxBodyBytes,
      maxRows: limits.maxRows ?? d.maxRows,
      maxConcurrency: limits.maxConcurrency ?? d.maxConcurrency,
      maxQueue: limits.maxQueue ?? d.maxQueue,
      requestTimeoutMs: limits.requestTimeoutMs ?? d.requestTimeoutMs,
      retryAfterSeconds: limits.retryAfterSeconds ?? d.retryAfterSeconds,
    },
    monitoring: options.store && options.monitoring !== false ? (options.monitoring ?? {}) : undefined,
    title: options.title ?? d.title,
    defaultMetrics: options.defaultMetrics ?? d.defaultMetrics,
    publicMetrics: options.publicMetrics ?? d.publicMetrics,
    drainTimeoutMs: options.drainTimeoutMs ?? d.drainTimeoutMs,
    onError: options.onError ?? ((err, c) => console.error('[mlops] serve error', c, err)),
    onWarning: options.onWarning ?? ((m) => console.warn(m)),
  };
}
