import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type Columns,
  columnsToRecords,
  type FieldIssue,
  invalidInput,
  MlopsError,
  type Store,
  summarizeIssues,
  zodIssues,
} from '@mlops/core';
import { type ApiKeyPrincipal, type ApiKeyScope, apiKeyPrincipal } from '@mlops/core/auth';
import { type AllowedHosts, isLoopbackHost, isRequestId, routeDefinitionsOf } from '@mlops/core/http';
import {
  createPredictionLogger,
  type PredictionLogger,
  type PredictionLoggerOptions,
  recordFeedback,
} from '@mlops/core/predictions';
import { SpanStatusCode, trace } from '@opentelemetry/api';
import express, { type Express, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { Registry as PromRegistry } from 'prom-client';
import type { z } from 'zod';
import { rowCount, toPlainInputs } from './_internal/columns.js';
import { type AuthMode, type AuthOptions, createAddressAuth, createAuthenticator } from './auth.js';
import { DOCS_PAGE } from './docs-page.js';
import { ServeError, serverErrorResponse } from './errors.js';
import { createServerMetrics, type ServerMetrics } from './metrics.js';
import { createAddressGuard } from './middleware/address-guard.js';
import { type Admission, acquireSlot, contentLengthLimit } from './middleware/admission.js';
import { type ModelSlot, type SlotContext, type StaticModelSource, staticSlot } from './model-source.js';
import { createMonitor, type Monitor, type MonitoringOptions, SHADOW_ALIAS_PREFIX } from './monitoring.js';
import { buildOpenApiDocument, feedbackBodySchema } from './openapi.js';
import { type RegistryModelSource, registrySlot } from './registry-source.js';
import type { RouteDefinition, RoutePrediction } from './routes/route-definition.js';
import type { BatchingOptions } from './scheduler/batcher.js';
import { createLimiter, type Limiter } from './scheduler/limiter.js';
import type { ServedModel } from './served-model.js';
import { datatypeOf, decodeTensors, encodeTensors, v2InferRequestSchema } from './v2/tensors.js';

const SERVER_NAME = 'mlops-serve';
const SERVER_VERSION = '0.0.0';
const MODEL_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** A model the server serves: a fixed predictor, or a registry alias it follows. */
export type ModelSource = StaticModelSource | RegistryModelSource;

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
  onError?: (err: unknown, context: { requestId?: string; method?: string; path?: string; where?: string }) => void;
  /**
   * Receives warnings (auth disabled on a public host).
   * @default console.warn
   */
  onWarning?: (message: string) => void;
}

/** Options of {@link ModelServer.listen}. */
export interface ListenOptions {
  /**
   * @default 8080 (0 picks a free port)
   */
  port?: number;
  /**
   * A non-loopback address turns auth on (`auth: 'auto'`), and refuses to start when no store holds API keys.
   * @default the server's `host`
   */
  host?: string;
  /**
   * Signals that drain and close the server (in-flight requests finish, the prediction log is flushed).
   * @default ['SIGTERM', 'SIGINT']
   */
  signals?: NodeJS.Signals[];
}

/** A listening server from {@link ModelServer.listen}. */
export interface ListeningServer {
  /** The Node HTTP server. */
  server: Server;
  /** `http://host:port`. */
  url: string;
  /** Stops accepting connections, drains, flushes the log, and removes the signal handlers. */
  close(): Promise<void>;
}

/** What {@link createModelServer} returns: the express app plus lifecycle and extension methods. */
export interface ModelServer {
  /** The express 5 app; it does not listen (see `listen`, or `app.listen`). */
  readonly app: Express;
  /** The server's own prom-client registry (what `/metrics` serves). */
  readonly metrics: PromRegistry;
  /**
   * True when requests need an API key: with `auth: 'auto'`, as soon as one address in use (`host`, a `listen()`
   * address, the address a request arrived through) is not loopback. It never turns off again.
   */
  readonly authEnabled: boolean;
  /** The prediction logger, when logging is on. */
  readonly logger: PredictionLogger | undefined;
  /** Adds a zod-described route: validated, scope-checked, listed in `/openapi.json`. */
  route<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType, R extends z.ZodType>(
    def: RouteDefinition<P, Q, B, R>,
  ): void;
  /**
   * Mounts an express router or middleware under `path` (e.g. `createRegistryRouter`), before the 404 handler.
   * It does its own validation and auth (see `authenticate`).
   */
  mount(path: string, handler: RequestHandler): void;
  /**
   * Checks an API key for a scope with the server's settings; returns its audit principal `apikey:<name>#<id>`.
   * Fits the registry router's `authenticate` option: pass it whatever `authEnabled` says at mount time, since auth
   * follows the address in use. Resolves `'anonymous'` while auth is off.
   */
  authenticate(request: { apiKey: string | undefined }, scope: ApiKeyScope): Promise<string>;
  /**
   * Predicts in code exactly as `POST /v1/models/{model}/predict` would (validation, canary, shadow, batching, limits,
   * metrics, prediction log under `requestId`), without HTTP. Errors are the predict routes' typed errors.
   */
  predict(model: string, inputs: Columns, options?: ServerPredictOptions): Promise<ServerPrediction>;
  /** Resolves once every model has a loaded version (rejects if a model cannot be loaded). */
  ready(): Promise<void>;
  /** Listens on a port, and drains on SIGTERM/SIGINT. */
  listen(options?: ListenOptions): Promise<ListeningServer>;
  /**
   * Stops taking requests (503 `SHUTTING_DOWN`), waits for in-flight requests, closes models, then flushes and
   * closes the prediction log; also closes every listener opened by `listen()` (and removes its signal handlers).
   * Idempotent.
   */
  close(): Promise<void>;
}

/** Options of {@link ModelServer.predict}. */
export interface ServerPredictOptions {
  /**
   * The request id the predictions are logged under (letters, digits, `.`, `_`, `:`, `-`; at most 128).
   * @default a random UUID
   */
  requestId?: string;
  /**
   * Run a specific served version (primary or canary) instead of the one the canary split picks.
   * @default the version the canary split picks
   */
  version?: string;
}

/** What {@link ModelServer.predict} resolves to: a {@link RoutePrediction} plus the request id it was logged under. */
export interface ServerPrediction extends RoutePrediction {
  requestId: string;
}

type Prediction = RoutePrediction;

/** The request a prediction belongs to (internal). */
interface PredictCall {
  requestId: string;
  /** `performance.now()` when the request started: the timeout counts from here. */
  start: number;
  /** Aborted when the client goes away. */
  signal: AbortSignal;
  /** Told which version serves the call (for the request's metric labels). */
  onVersion?: (version: string) => void;
  /** A limiter slot taken before the body was read: used instead of taking one. */
  admission?: Admission | undefined;
}

interface RequestState {
  requestId: string;
  start: number;
  abort: AbortController;
  principal: ApiKeyPrincipal | undefined;
  model: string;
  version: string;
  /** The limiter slot (or queue place) a predict route took before reading the body. */
  admission: Admission | undefined;
}

const tracer = trace.getTracer('@mlops/serve', SERVER_VERSION);

function state(res: Response): RequestState {
  return res.locals.mlops as RequestState;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * Creates the model server: an express 5 app with the simple JSON API (`/v1/models/:name/predict`), the Open
 * Inference Protocol v2 (`/v2/...`), feedback, `/metrics`, `/openapi.json` and `/docs`, plus overload protection,
 * micro-batching, prediction logging and API-key auth. It does not listen: call `listen()` or `app.listen()`.
 *
 * @example
 * const server = createModelServer({ models: [{ name: 'iris', predictor }], store });
 * const { url } = await server.listen({ port: 8080 });
 */
export function createModelServer(options: ModelServerOptions): ModelServer {
  const host = options.host ?? '127.0.0.1';
  const limits = options.limits ?? {};
  const maxBodyBytes = limits.maxBodyBytes ?? 1024 * 1024;
  const maxRows = limits.maxRows ?? 10_000;
  const requestTimeoutMs = limits.requestTimeoutMs ?? 30_000;
  const retryAfterSeconds = limits.retryAfterSeconds ?? 1;
  const drainTimeoutMs = options.drainTimeoutMs ?? 30_000;
  const onError =
    options.onError ?? ((err: unknown, c: Record<string, unknown>) => console.error('[mlops] serve error', c, err));
  const onWarning = options.onWarning ?? ((m: string) => console.warn(m));
  const authOpts: AuthOptions = typeof options.auth === 'string' ? { mode: options.auth } : (options.auth ?? {});
  const authMode = authOpts.mode ?? 'auto';
  const authStore = authOpts.store ?? options.store;
  if ((authMode === 'required' || (authMode === 'auto' && !isLoopbackHost(host))) && !authStore) {
    throw new MlopsError('INVALID_INPUT', {
      message: `auth is required on host "${host}" but no store holds API keys: pass \`store\` (or auth.store), or bind a loopback address, or set auth: 'disabled' behind an authenticating proxy`,
      details: [{ path: 'store', message: 'Required when auth is on' }],
    });
  }
  let openApiCache: Record<string, unknown> | undefined;
  const auth = createAddressAuth({
    mode: authMode,
    hasKeyStore: authStore !== undefined,
    warn: onWarning,
    onEnabled: () => {
      openApiCache = undefined;
    },
  });
  auth.use(host, 'the host option');
  const verify =
    authMode !== 'disabled' && authStore ? createAuthenticator(authStore, authOpts.cacheMs ?? 5000) : undefined;

  const ownsLogger = !options.logger;
  const logger =
    options.logger ??
    (options.store && options.logging !== false
      ? createPredictionLogger({
          store: options.store,
          ...(typeof options.logging === 'object' ? options.logging : {}),
          ...(options.durability ? { durability: options.durability } : {}),
        })
      : undefined);

  const limiter: Limiter = createLimiter({
    maxConcurrency: limits.maxConcurrency ?? 64,
    maxQueue: limits.maxQueue ?? 256,
    retryAfterSeconds,
  });

  const slots = new Map<string, ModelSlot>();
  // Filled after the metrics exist; slots only call these hooks at run time.
  let metrics: ServerMetrics;
  const slotCtx: SlotContext = {
    batching: options.batching,
    onBatch: (model, version, rows) => metrics.batchSize.observe({ model, version }, rows),
    onSwap: (model) => {
      metrics.swaps.inc({ model });
      openApiCache = undefined;
    },
    onError: (err, where) => onError(err, { where }),
  };
  for (const src of options.models) {
    if (!MODEL_NAME_RE.test(src.name)) {
      throw new MlopsError('INVALID_INPUT', {
        message: `invalid model name "${src.name}"`,
        details: [{ path: 'models.name', message: 'Letters, digits, ".", "_", "-" (at most 128)' }],
      });
    }
    if (slots.has(src.name)) throw new MlopsError('CONFLICT', `model "${src.name}" is listed twice`);
    slots.set(src.name, 'registry' in src ? registrySlot(src, slotCtx) : staticSlot(src, slotCtx));
  }

  const monitor: Monitor | undefined =
    options.store && options.monitoring !== false
      ? createMonitor({
          store: options.store,
          options: options.monitoring ?? {},
          targets: () =>
            [...slots.values()].flatMap((s) =>
              s.served
                .filter((v) => v.role !== 'shadow')
                .map((v) => ({
                  model: s.name,
                  version: v.model.version,
                  profile: () => s.profile(v.model.version),
                  tags: () => s.tags(v.model.version),
                  metadata: () => s.metadata(v.model.version),
                })),
            ),
          decisions: () =>
            [...slots.values()].flatMap((s) =>
              s.registryRef ? [{ model: s.name, registryModel: s.registryRef.model, alias: s.registryRef.alias }] : [],
            ),
          onError: (err, where) => onError(err, { where }),
        })
      : undefined;

  metrics = createServerMetrics(
    {
      ...(logger ? { logStats: () => logger.stats() } : {}),
      ...(monitor ? { monitoring: () => monitor.snapshot() } : {}),
      queue: () => ({ active: limiter.active, queued: limiter.queued }),
      models: () =>
        [...slots.values()].map((s) => ({
          name: s.name,
          ready: s.ready,
          versions: s.served.map(({ model, role }) => ({
            version: model.version,
            alias: model.alias ?? '',
            role,
            pendingRows: model.pendingRows,
          })),
        })),
    },
    { defaultMetrics: options.defaultMetrics ?? true },
  );

  const readyPromise = Promise.all([...slots.values()].map((s) => s.start())).then(() => undefined);
  readyPromise.catch((err) => onError(err, { where: 'loading models' }));

  let closing = false;
  let closed: Promise<void> | undefined;
  let shutdownPromise: Promise<void> | undefined;
  /** The `stop` of every listener opened by `listen()` and not yet closed. */
  const listeners = new Set<() => Promise<void>>();
  let inFlight = 0;
  let drained: (() => void) | undefined;
  const extensionRoutes: RouteDefinition[] = [];

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');

  // ---- request context, in-flight tracking, metrics ----
  app.use((req, res, next) => {
    const given = req.headers['x-request-id'];
    const requestId = isRequestId(given) ? given : randomUUID();
    const st: RequestState = {
      requestId,
      start: performance.now(),
      abort: new AbortController(),
      principal: undefined,
      model: '',
      version: '',
      admission: undefined,
    };
    res.locals.mlops = st;
    res.setHeader('x-request-id', requestId);
    inFlight++;
    metrics.inFlight.inc();
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      inFlight--;
      metrics.inFlight.dec();
      if (st.admission && !st.admission.handedOver) st.admission.release();
      if (!res.writableFinished) st.abort.abort(new ServeError('INVALID_INPUT', 'client closed the connection'));
      const route = req.route?.path ? `${req.baseUrl}${String(req.route.path)}` : 'unmatched';
      const labels = { method: req.method, route, model: st.model, version: st.version };
      metrics.requests.inc({ ...labels, status: String(res.statusCode) });
      metrics.duration.observe(labels, (performance.now() - st.start) / 1000);
      if (res.statusCode >= 400) metrics.errors.inc({ code: String(res.locals.errorCode ?? res.statusCode), route });
      if (inFlight === 0) drained?.();
    };
    res.on('finish', finish);
    res.on('close', finish);
    if (closing && !req.path.startsWith('/v2/health')) {
      res.setHeader('connection', 'close');
      next(new ServeError('SHUTTING_DOWN', { message: 'The server is shutting down', retryAfter: retryAfterSeconds }));
      return;
    }
    next();
  });
  app.use(createAddressGuard({ auth, ...(options.allowedHosts ? { allowedHosts: options.allowedHosts } : {}) }));

  const json = express.json({ limit: maxBodyBytes, strict: true, type: () => true });
  const bodyLimit = contentLengthLimit(maxBodyBytes);
  /** 415 for a body that is not JSON, 413 for a Content-Length over the limit: before reading any of it. */
  const requireJsonType: RequestHandler = (req, res, next) => {
    if (!req.is(['application/json', 'application/*+json'])) {
      next(
        new ServeError('UNSUPPORTED_MEDIA_TYPE', {
          message: `Expected Content-Type: application/json, got ${req.headers['content-type'] ? `"${req.headers['content-type']}"` : 'none'}`,
          details: [{ path: '(headers).content-type', message: 'Expected application/json' }],
        }),
      );
      return;
    }
    bodyLimit(req, res, next);
  };
  const requireJson: RequestHandler[] = [requireJsonType, json];

  /**
   * Predict routes take their limiter slot (or queue place) before the body is read, so overload is refused at
   * once: a full queue answers 503 + `Retry-After` without reading or parsing anything.
   */
  const admit: RequestHandler = async (req, res, next) => {
    try {
      slotOf(String(req.params.name), res);
      const st = state(res);
      const remaining = requestTimeoutMs - (performance.now() - st.start);
      const signal = AbortSignal.any([st.abort.signal, AbortSignal.timeout(Math.max(1, Math.ceil(remaining)))]);
      const release = await acquireSlot(limiter, signal, { requestTimeoutMs, retryAfterSeconds });
      // The client may have gone just as the slot came: `finish` has run and will not release it.
      if (res.writableEnded || res.destroyed) {
        release();
        return;
      }
      st.admission = { release, handedOver: false };
      next();
    } catch (err) {
      next(err);
    }
  };

  /** The refusal of a request that needs an API key when no store holds any (`auth: 'auto'` off loopback). */
  const noKeyStore = () =>
    new MlopsError('FORBIDDEN', {
      message:
        'API keys are required (the server is reached through a non-loopback address) but no store holds any: pass ' +
        "`store` (or `auth.store`) to createModelServer, or set auth: 'disabled' behind an authenticating proxy",
      details: [{ path: '(server).auth', message: 'API keys are required off loopback, and no store holds any' }],
    });

  const requireScope =
    (scope: ApiKeyScope | null): RequestHandler =>
    async (req, res, next) => {
      if (scope === null || !auth.enabled) return next();
      if (!verify) return next(noKeyStore());
      try {
        const h = req.headers;
        state(res).principal = await verify(
          {
            authorization: typeof h.authorization === 'string' ? h.authorization : undefined,
            apiKey: typeof h['x-api-key'] === 'string' ? h['x-api-key'] : undefined,
          },
          scope,
        );
        next();
      } catch (err) {
        next(err);
      }
    };

  const predictRoute: RequestHandler[] = [requireScope('predict'), requireJsonType, admit, json];

  const findSlot = (name: string, path: string): ModelSlot => {
    const slot = typeof name === 'string' ? slots.get(name) : undefined;
    if (!slot) {
      throw new MlopsError('NOT_FOUND', {
        message: `Model "${String(name).slice(0, 200)}" is not served (served: ${[...slots.keys()].join(', ') || 'none'})`,
        details: [{ path, message: 'Unknown model' }],
      });
    }
    return slot;
  };
  const slotOf = (name: string, res: Response): ModelSlot => {
    const slot = findSlot(name, 'name');
    state(res).model = slot.name;
    return slot;
  };
  const callOf = (st: RequestState): PredictCall => ({
    requestId: st.requestId,
    start: st.start,
    signal: st.abort.signal,
    onVersion: (v) => {
      st.version = v;
    },
    admission: st.admission,
  });

  /** Runs one prediction request through the limiter, the timeout and the model; logs it. */
  async function predictWith(
    slot: ModelSlot,
    pinned: string | undefined,
    decode: (model: ServedModel) => Columns,
    st: PredictCall,
  ): Promise<{ model: ServedModel; inputs: Columns; outputs: Columns; ids: string[] }> {
    const picked = slot.acquire();
    if (!picked) {
      throw new ServeError('NOT_READY', {
        message: `Model "${slot.name}" is still loading`,
        retryAfter: retryAfterSeconds,
      });
    }
    const { model, release } = picked;
    if (pinned !== undefined && pinned !== model.version) {
      // A version-pinned v2 request goes to that version if it is served (primary or canary).
      const other = slot.served.find((s) => s.model.version === pinned && s.role !== 'shadow');
      if (!other) {
        release();
        throw new MlopsError('NOT_FOUND', {
          message: `Version "${pinned.slice(0, 100)}" of model "${slot.name}" is not served (served: ${slot.served
            .filter((s) => s.role !== 'shadow')
            .map((s) => s.model.version)
            .join(', ')})`,
          details: [{ path: 'version', message: 'Unknown version' }],
        });
      }
      const rel2 = other.model.use();
      release();
      return await runOn(other.model, rel2);
    }
    return await runOn(model, release);

    async function runOn(m: ServedModel, rel: () => void) {
      st.onVersion?.(m.version);
      let inputs: Columns;
      try {
        inputs = decode(m);
      } catch (err) {
        rel();
        throw err;
      }
      const remaining = requestTimeoutMs - (performance.now() - st.start);
      const signal = AbortSignal.any([st.signal, AbortSignal.timeout(Math.max(1, Math.ceil(remaining)))]);
      let slotRelease: () => void;
      if (st.admission && !st.admission.handedOver) {
        st.admission.handedOver = true;
        slotRelease = st.admission.release;
      } else {
        try {
          slotRelease = await acquireSlot(limiter, signal, { requestTimeoutMs, retryAfterSeconds });
        } catch (err) {
          rel();
          throw err;
        }
      }
      const rows = rowCount(inputs);
      const work = tracer.startActiveSpan(`predict ${m.name}`, async (span) => {
        span.setAttributes({ 'mlops.model': m.name, 'mlops.version': m.version, 'mlops.rows': rows });
        try {
          return await m.predict(inputs);
        } catch (err) {
          span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error)?.message });
          throw err;
        } finally {
          span.end();
        }
      });
      // The slot and the version stay taken until the predictor finishes, even when the client has gone.
      void work.then(
        () => {
          slotRelease();
          rel();
        },
        () => {
          slotRelease();
          rel();
        },
      );
      const outputs = await raceSignal(work, signal, requestTimeoutMs);
      if (rowCount(outputs) !== rows) throw new Error(`predictor returned ${rowCount(outputs)} rows for ${rows}`);
      metrics.predictions.inc({ model: m.name, version: m.version }, rows);
      const ids = Array.from({ length: rows }, () => randomUUID());
      const latencyMs = performance.now() - st.start;
      if (logger) {
        let committed: Promise<void> | undefined;
        try {
          committed = logger.logBatch({
            requestId: st.requestId,
            model: m.name,
            version: m.version,
            alias: m.alias ?? null,
            latencyMs,
            inputs,
            outputs,
            ids,
          }).committed;
        } catch (err) {
          onError(err, { requestId: st.requestId, where: 'prediction log' });
        }
        // durability 'acknowledged': answer only once the rows are committed in the store (or 503).
        await committed?.catch((cause: unknown) => {
          throw new ServeError('NOT_READY', {
            message: 'The prediction could not be written to the prediction log; retry later',
            retryAfter: retryAfterSeconds,
            cause,
          });
        });
      }
      mirrorToShadow(slot, inputs, st.requestId);
      return { model: m, inputs, outputs, ids };
    }
  }

  function mirrorToShadow(slot: ModelSlot, inputs: Columns, requestId: string): void {
    const shadow = slot.acquireShadow();
    if (!shadow) return;
    const start = performance.now();
    // Never throws into the request: a synchronous throw becomes a rejection too.
    void Promise.resolve()
      .then(() => shadow.model.predict(inputs))
      .then((outputs) => {
        metrics.predictions.inc({ model: shadow.model.name, version: shadow.model.version }, rowCount(outputs));
        logger?.logBatch({
          requestId,
          model: shadow.model.name,
          version: shadow.model.version,
          alias: `${SHADOW_ALIAS_PREFIX}${shadow.model.alias ?? ''}`,
          latencyMs: performance.now() - start,
          inputs,
          outputs,
        });
      })
      .catch((err) => onError(err, { requestId, where: `shadow ${shadow.model.name}@${shadow.model.version}` }))
      .finally(shadow.release);
  }

  /** `ctx.predict` / `server.predict`: the v1 path with columns given in code. */
  async function predictColumns(
    model: string,
    inputs: Columns,
    version: string | undefined,
    call: PredictCall,
  ): Promise<Prediction> {
    if (version !== undefined && typeof version !== 'string') {
      throw invalidInput('invalid prediction', [{ path: 'version', message: 'Expected a string' }]);
    }
    const slot = findSlot(model, 'model');
    const plain = toPlainInputs(inputs);
    const r = await predictWith(slot, version, (m) => m.validate(plain, { maxRows, path: 'inputs' }), call);
    return { model: slot.name, version: r.model.version, outputs: r.outputs, predictionIds: r.ids };
  }

  // ---- v1 ----
  const v1Body = (body: unknown): { key: 'instances' | 'inputs'; value: unknown } => {
    if (!isPlainObject(body)) {
      throw invalidInput('invalid request', [
        { path: '(body)', message: 'Expected a JSON object: { "instances": [...] } or { "inputs": ... }' },
      ]);
    }
    const extra = Object.keys(body).filter((k) => k !== 'instances' && k !== 'inputs');
    if (extra.length > 0)
      throw invalidInput(
        'invalid request',
        extra.slice(0, 20).map((k) => ({ path: k, message: 'Unknown field' })),
      );
    const has = (k: string) => Object.hasOwn(body, k);
    if (has('instances') === has('inputs')) {
      throw invalidInput('invalid request', [
        { path: 'instances', message: 'Give exactly one of "instances" or "inputs"' },
      ]);
    }
    if (has('instances')) {
      if (!Array.isArray(body.instances)) {
        throw invalidInput('invalid request', [{ path: 'instances', message: 'Expected an array of records' }]);
      }
      return { key: 'instances', value: body.instances };
    }
    return { key: 'inputs', value: body.inputs };
  };

  const decodeV1 = (key: 'instances' | 'inputs', value: unknown) => (m: ServedModel) =>
    m.validate(value, { maxRows, path: key });

  const modelInfo = (slot: ModelSlot) => {
    const p = slot.primary;
    return {
      name: slot.name,
      ready: slot.ready,
      versions: slot.served.map(({ model, role }) => ({ version: model.version, alias: model.alias ?? null, role })),
      ...(p ? { version: p.version, signature: p.signature } : {}),
    };
  };

  app.get('/v1/models', requireScope('predict'), (_req, res) => {
    res.json({ models: [...slots.values()].map(modelInfo) });
  });
  app.get('/v1/models/:name', requireScope('predict'), (req, res) => {
    res.json(modelInfo(slotOf(String(req.params.name), res)));
  });
  app.post('/v1/models/:name/predict', ...predictRoute, async (req, res) => {
    const slot = slotOf(String(req.params.name), res);
    const { key, value } = v1Body(req.body);
    const st = state(res);
    const r = await predictWith(slot, undefined, decodeV1(key, value), callOf(st));
    const records = columnsToRecords(r.outputs);
    res.json({
      requestId: st.requestId,
      model: r.model.name,
      version: r.model.version,
      predictions: records.map((outputs, i) => ({ id: r.ids[i]!, outputs })),
    });
  });

  // Without a store there is nowhere to keep feedback: the route does not exist (404), as in /openapi.json.
  const feedbackStore = options.store;
  if (feedbackStore) {
    app.post('/v1/feedback', requireScope('feedback'), ...requireJson, async (req, res) => {
      const parsed = feedbackBodySchema.safeParse(req.body);
      if (!parsed.success) throw invalidInput('invalid feedback', zodIssues(parsed.error));
      const { id, ids } = await recordFeedback({ store: feedbackStore, ...parsed.data });
      res.status(201).json({ id, ids, requestId: state(res).requestId });
    });
  }

  // ---- Open Inference Protocol v2 ----
  app.get('/v2', (_req, res) => {
    res.json({ name: SERVER_NAME, version: SERVER_VERSION, extensions: [] });
  });
  app.get('/v2/health/live', (_req, res) => {
    res.json({ live: true });
  });
  app.get('/v2/health/ready', (_req, res) => {
    const ready = !closing && [...slots.values()].every((s) => s.ready);
    res.status(ready ? 200 : 503).json({ ready });
  });
  const servedVersion = (slot: ModelSlot, version: string | undefined): ServedModel => {
    if (version === undefined) {
      if (!slot.primary) throw new ServeError('NOT_READY', `Model "${slot.name}" is still loading`);
      return slot.primary;
    }
    const s = slot.served.find((x) => x.model.version === version && x.role !== 'shadow');
    if (!s) {
      throw new MlopsError('NOT_FOUND', {
        message: `Version "${version.slice(0, 100)}" of model "${slot.name}" is not served`,
        details: [{ path: 'version', message: 'Unknown version' }],
      });
    }
    return s.model;
  };
  const v2Metadata = (slot: ModelSlot, m: ServedModel) => ({
    name: slot.name,
    versions: slot.served.filter((s) => s.role !== 'shadow').map((s) => s.model.version),
    platform: 'mlops-ts',
    inputs: m.signature.inputs.map((f) => ({ name: f.name, datatype: datatypeOf(f.type), shape: [-1, ...f.shape] })),
    outputs: m.signature.outputs.map((f) => ({ name: f.name, datatype: datatypeOf(f.type), shape: [-1, ...f.shape] })),
  });
  for (const prefix of ['/v2/models/:name', '/v2/models/:name/versions/:version']) {
    app.get(prefix, requireScope('predict'), (req, res) => {
      const slot = slotOf(String(req.params.name), res);
      const v = req.params.version === undefined ? undefined : String(req.params.version);
      res.json(v2Metadata(slot, servedVersion(slot, v)));
    });
    app.get(`${prefix}/ready`, requireScope('predict'), (req, res) => {
      const slot = slotOf(String(req.params.name), res);
      const v = req.params.version === undefined ? undefined : String(req.params.version);
      if (v !== undefined) servedVersion(slot, v);
      const ready = slot.ready && !closing;
      res.status(ready ? 200 : 503).json({ name: slot.name, ready });
    });
    app.post(`${prefix}/infer`, ...predictRoute, async (req, res) => {
      const slot = slotOf(String(req.params.name), res);
      const v = req.params.version === undefined ? undefined : String(req.params.version);
      const parsed = v2InferRequestSchema.safeParse(req.body);
      if (!parsed.success) throw invalidInput('invalid inference request', zodIssues(parsed.error));
      const body = parsed.data;
      const r = await predictWith(
        slot,
        v,
        (m) => decodeTensors(m.signature, body.inputs, { maxRows, validate: m.validate }),
        callOf(state(res)),
      );
      let names: string[] | undefined;
      if (body.outputs) {
        const known = new Set(Object.keys(r.outputs));
        const bad = body.outputs.flatMap((o, i) =>
          known.has(o.name) ? [] : [{ path: `outputs[${i}].name`, message: `Unknown output "${o.name}"` }],
        );
        if (bad.length > 0) throw invalidInput('invalid inference request', bad);
        names = body.outputs.map((o) => o.name);
      }
      const st = state(res);
      res.json({
        model_name: slot.name,
        model_version: r.model.version,
        id: body.id ?? st.requestId,
        parameters: { request_id: st.requestId, prediction_ids: r.ids.join(',') },
        outputs: encodeTensors(r.model.signature, r.outputs, names),
      });
    });
  }

  // ---- operations ----
  app.get('/metrics', requireScope(options.publicMetrics === false ? 'admin' : null), async (_req, res) => {
    await monitor?.refresh();
    res.setHeader('content-type', metrics.registry.contentType);
    res.send(await metrics.registry.metrics());
  });
  const openApi = () => {
    openApiCache ??= buildOpenApiDocument({
      title: options.title ?? 'mlops model server',
      version: SERVER_VERSION,
      auth: auth.enabled,
      feedback: feedbackStore !== undefined,
      models: [...slots.values()].flatMap((s) =>
        s.primary ? [{ name: s.name, version: s.primary.version, signature: s.primary.signature }] : [],
      ),
      routes: extensionRoutes,
    });
    return openApiCache;
  };
  app.get('/openapi.json', (_req, res) => {
    res.json(openApi());
  });
  app.get('/docs', (_req, res) => {
    res.setHeader('content-security-policy', DOCS_PAGE.csp);
    res.setHeader('x-content-type-options', 'nosniff');
    res.type('html').send(DOCS_PAGE.html);
  });

  // ---- extensions, then 404 and the error handler ----
  const extensions = express.Router();
  app.use(extensions);

  app.use((req, _res, next) => {
    next(
      new MlopsError('NOT_FOUND', {
        message: `No route ${req.method} ${req.path.slice(0, 200)}`,
        details: [{ path: '(path)', message: 'Unknown route' }],
      }),
    );
  });
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const st = res.locals.mlops as RequestState | undefined;
    const e = serverErrorResponse(err, st?.requestId ?? '', req.path);
    if (e.unexpected) onError(err, { requestId: st?.requestId, method: req.method, path: req.path });
    res.locals.errorCode = e.code;
    if (res.headersSent) {
      res.end();
      return;
    }
    if (e.status === 401) res.setHeader('www-authenticate', 'Bearer');
    if (e.retryAfter !== undefined) res.setHeader('retry-after', String(e.retryAfter));
    res.status(e.status).json(e.body);
  });

  const server: ModelServer = {
    app,
    metrics: metrics.registry,
    get authEnabled() {
      return auth.enabled;
    },
    logger,
    route(def) {
      const d = def as unknown as RouteDefinition;
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(d.method)) {
        throw new MlopsError('INVALID_INPUT', `unsupported method "${d.method}"`);
      }
      if (!d.path.startsWith('/') || /[{}()?]/.test(d.path)) {
        throw new MlopsError('INVALID_INPUT', {
          message: `invalid route path "${d.path}"`,
          details: [{ path: 'path', message: 'Use an absolute express path with :params, e.g. /v1/things/:id' }],
        });
      }
      const handlers: RequestHandler[] = [requireScope(d.scope === undefined ? 'admin' : d.scope)];
      if (d.body) handlers.push(...requireJson);
      handlers.push(async (req, res) => {
        const details: FieldIssue[] = [];
        const parse = (schema: z.ZodType | undefined, value: unknown, where: string) => {
          if (!schema) return value;
          const r = schema.safeParse(value);
          if (!r.success) details.push(...zodIssues(r.error, [where]));
          return r.success ? r.data : undefined;
        };
        const params = parse(d.params, { ...req.params }, 'params');
        const query = parse(d.query, { ...(req.query as object) }, 'query');
        const body = parse(d.body, req.body, 'body');
        if (details.length > 0) throw invalidInput('invalid request', details);
        const st = state(res);
        const out = await d.handler({
          params,
          query,
          body,
          requestId: st.requestId,
          principal: st.principal,
          req,
          res,
          predict: (model, inputs, opts) => predictColumns(model, inputs, opts?.version, callOf(st)),
        });
        if (res.headersSent) return;
        if (d.response) {
          const r = d.response.safeParse(out);
          if (!r.success) {
            throw new MlopsError('INTERNAL', {
              message: summarizeIssues(
                `route ${d.method.toUpperCase()} ${d.path} returned an invalid response`,
                zodIssues(r.error),
              ),
            });
          }
          res.status(d.status ?? 200).json(r.data);
        } else if (out === undefined) res.status(d.status ?? 204).end();
        else res.status(d.status ?? 200).json(out);
      });
      extensions[d.method](d.path, ...handlers);
      extensionRoutes.push(d);
      openApiCache = undefined;
    },
    mount(path, handler) {
      extensions.use(path, handler);
      // A router that carries its route definitions (the registry's) is listed in /openapi.json under `path`.
      const defs = routeDefinitionsOf(handler);
      if (defs) {
        const prefix = path.replace(/\/+$/, '');
        for (const d of defs) extensionRoutes.push({ ...d, path: `${prefix}${d.path}` } as unknown as RouteDefinition);
        openApiCache = undefined;
      }
    },
    async authenticate(request, scope) {
      if (!auth.enabled) return 'anonymous';
      if (!verify) throw noKeyStore();
      return apiKeyPrincipal(await verify({ apiKey: request.apiKey }, scope));
    },
    async predict(model, inputs, opts = {}) {
      const requestId = opts.requestId ?? randomUUID();
      if (!isRequestId(requestId)) {
        throw invalidInput('invalid prediction', [
          { path: 'requestId', message: 'Letters, digits, ".", "_", ":", "-" (1 to 128)' },
        ]);
      }
      if (closing) throw new ServeError('SHUTTING_DOWN', { message: 'The server is shutting down' });
      inFlight++;
      metrics.inFlight.inc();
      try {
        const call = { requestId, start: performance.now(), signal: new AbortController().signal };
        return { ...(await predictColumns(model, inputs, opts.version, call)), requestId };
      } finally {
        inFlight--;
        metrics.inFlight.dec();
        if (inFlight === 0) drained?.();
      }
    },
    ready: () => readyPromise,
    async listen(opts = {}) {
      const port = opts.port ?? 8080;
      const bindHost = opts.host ?? host;
      // Fail closed before binding: a non-loopback address without a key store never opens a port.
      const refuse = (address: string) => {
        const reason = auth.use(address, 'listen()');
        if (reason) {
          throw new MlopsError('INVALID_INPUT', {
            message: reason,
            details: [{ path: 'host', message: 'A non-loopback address needs a store holding API keys' }],
          });
        }
      };
      refuse(bindHost);
      const http = createServer(app);
      await new Promise<void>((resolve, reject) => {
        http.once('error', reject);
        http.listen(port, bindHost, () => {
          http.off('error', reject);
          resolve();
        });
      });
      const addr = http.address() as AddressInfo;
      try {
        refuse(addr.address); // a host name may resolve to a non-loopback address
      } catch (err) {
        await new Promise<void>((r) => http.close(() => r()));
        throw err;
      }
      const url = `http://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}`;
      let stopping: Promise<void> | undefined;
      const stop = () => {
        stopping ??= (async () => {
          for (const s of signals) process.off(s, onSignal);
          const closedHttp = new Promise<void>((r) => http.close(() => r()));
          http.closeIdleConnections();
          try {
            await shutdown();
          } finally {
            http.closeAllConnections();
            await closedHttp;
            listeners.delete(stop);
          }
        })();
        return stopping;
      };
      listeners.add(stop);
      const onSignal = () => {
        void stop().catch((err) => onError(err, { where: 'shutdown' }));
      };
      const signals = opts.signals ?? ['SIGTERM', 'SIGINT'];
      for (const s of signals) process.on(s, onSignal);
      return { server: http, url, close: stop };
    },
    close() {
      closed ??= (async () => {
        await Promise.allSettled([...listeners].map((stop) => stop()));
        await shutdown();
      })();
      return closed;
    },
  };

  /** Drains in-flight requests, closes the models, then flushes and closes the prediction log (once). */
  function shutdown(): Promise<void> {
    shutdownPromise ??= (async () => {
      closing = true;
      if (inFlight > 0) {
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, drainTimeoutMs);
          t.unref?.();
          drained = () => {
            clearTimeout(t);
            resolve();
          };
        });
      }
      await Promise.allSettled([...slots.values()].map((s) => s.close()));
      if (logger) {
        if (ownsLogger) await logger.close();
        else await logger.flush();
      }
    })();
    return shutdownPromise;
  }
  return server;
}

function isTimeout(err: unknown): boolean {
  return (err as { name?: unknown } | null)?.name === 'TimeoutError';
}

async function raceSignal<T>(work: Promise<T>, signal: AbortSignal, timeoutMs: number): Promise<T> {
  if (signal.aborted) throw abortError(signal, timeoutMs);
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(abortError(signal, timeoutMs));
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([work, aborted]);
  } finally {
    signal.removeEventListener('abort', onAbort!);
    aborted.catch(() => {});
  }
}

function abortError(signal: AbortSignal, timeoutMs: number): unknown {
  return isTimeout(signal.reason)
    ? new ServeError('TIMEOUT', { message: `The model did not answer within ${timeoutMs} ms`, retryAfter: 1 })
    : signal.reason;
}
