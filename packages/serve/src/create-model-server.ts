import { MlopsError } from '@mlops/core';
import { routeDefinitionsOf } from '@mlops/core/http';
import { createPredictionLogger, type PredictionLogger } from '@mlops/core/predictions';
import express from 'express';
import { settlesWithin } from './_internal/within.js';
import { createAddressAuth, createAuthenticator } from './auth.js';
import { createLifecycle } from './lifecycle.js';
import { createServerMetrics, type ServerMetrics, serverMetricsSources } from './metrics.js';
import { createAddressGuard } from './middleware/address-guard.js';
import { admitPrediction } from './middleware/admission.js';
import { jsonBody } from './middleware/body-limits.js';
import { errorHandler } from './middleware/error-handler.js';
import { notFound } from './middleware/not-found.js';
import { requestContext, requestState } from './middleware/request-context.js';
import { createAuthenticate, createScopeCheck } from './middleware/require-scope.js';
import type { ModelServer } from './model-server.js';
import { createModelSlots } from './model-slots.js';
import { createSlotsMonitor, type Monitor } from './monitoring.js';
import { createOpenApiCache } from './openapi.js';
import { type ModelServerOptions, resolveOptions } from './options.js';
import { remainingMs } from './predict/race-signal.js';
import { createPredictionRunner } from './predict/run-prediction.js';
import { serverPredict } from './predict/server-predict.js';
import { startRetention } from './retention.js';
import { docsRoute } from './routes/docs.js';
import { metricsRoute } from './routes/metrics.js';
import { createRouteMounter } from './routes/mount-route.js';
import { openApiRoute } from './routes/openapi.js';
import { type BuiltinRouteDeps, type ServerRoute, slotOfRequest } from './routes/server-route.js';
import { v1FeedbackRoute } from './routes/v1-feedback.js';
import { v1ModelsRoutes } from './routes/v1-models.js';
import { v1PredictRoute } from './routes/v1-predict.js';
import { SERVER_INFO, v2HealthRoutes } from './routes/v2-health.js';
import { v2InferRoutes } from './routes/v2-infer.js';
import { v2MetadataRoutes } from './routes/v2-metadata.js';
import { createLimiter } from './scheduler/limiter.js';

/**
 * Closes the served models, waiting at most `timeoutMs` (the drain timeout) for them: a model whose predictor never
 * answers keeps its last call, and so its close, pending forever, and must not keep the server from flushing its
 * prediction log and stopping. Such a model is reported to `onError` and left behind.
 */
async function closeSlots(
  all: readonly { name: string; close(): Promise<void> }[],
  timeoutMs: number,
  onError: (err: unknown, context: { where: string }) => void,
): Promise<void> {
  const pending = new Set(all.map((s) => s.name));
  const closing = Promise.allSettled(all.map((s) => s.close().finally(() => pending.delete(s.name))));
  if (!(await settlesWithin(closing, timeoutMs)) && pending.size > 0) {
    onError(
      new MlopsError('TIMEOUT', {
        message: `Model(s) ${[...pending].join(', ')} did not finish their calls within the drain timeout (${timeoutMs} ms); closing without them`,
      }),
      { where: 'shutdown' },
    );
  }
}

/** True when express matches two route paths alike: parameter names, case and a trailing slash aside. */
function samePath(a: string, b: string): boolean {
  const norm = (p: string) =>
    p
      .replace(/\/+$/, '')
      .toLowerCase()
      .replace(/:[^/]+/g, ':');
  return norm(a) === norm(b);
}

/** How long a monitoring evaluation waits for the prediction log's buffered rows to be written. */
const FLUSH_BEFORE_MONITORING_MS = 5_000;

/**
 * Creates the model server: an express 5 app with the simple JSON API (`/v1/models/:name/predict`), the Open
 * Inference Protocol v2 (`/v2/...`), feedback, `/metrics`, `/openapi.json` and `/docs`, plus overload protection,
 * micro-batching, prediction logging and API-key auth. It does not listen: call `listen()` or `app.listen()`.
 * It only wires the parts together (see "How the server is built" in the README).
 *
 * @example
 * const server = createModelServer({ models: [{ name: 'iris', predictor }], store });
 * const { url } = await server.listen({ port: 8080 });
 */
export function createModelServer(options: ModelServerOptions): ModelServer {
  const o = resolveOptions(options);
  const { limits, onError } = o;
  /** Every mounted route definition (built-in, then extensions): what /openapi.json describes. */
  const routes: ServerRoute[] = [];
  const openApi = createOpenApiCache(() => ({
    title: o.title,
    version: SERVER_INFO.version,
    auth: auth.enabled,
    models: slots.all.flatMap((s) =>
      s.primary ? [{ name: s.name, version: s.primary.version, signature: s.primary.signature }] : [],
    ),
    routes,
  }));

  const auth = createAddressAuth({
    mode: o.auth.mode,
    hasKeyStore: o.auth.store !== undefined,
    warn: o.onWarning,
    onEnabled: () => openApi.invalidate(),
  });
  auth.use(o.host, 'the host option');
  const verify =
    o.auth.mode !== 'disabled' && o.auth.store ? createAuthenticator(o.auth.store, o.auth.cacheMs) : undefined;
  const logger: PredictionLogger | undefined =
    o.logger ?? (o.store && o.logging ? createPredictionLogger({ store: o.store, ...o.logging }) : undefined);
  const limiter = createLimiter(limits);

  // The slots call these hooks only at run time, once the metrics exist.
  let metrics: ServerMetrics | undefined;
  const slots = createModelSlots(o.models, {
    batching: o.batching,
    onBatch: (model, version, rows) => metrics?.batchSize.observe({ model, version }, rows),
    onSwap: (model) => {
      metrics?.swaps.inc({ model });
      openApi.invalidate();
    },
    onError: (err, where) => onError(err, { where }),
  });
  const monitor: Monitor | undefined =
    o.store && o.monitoring
      ? createSlotsMonitor({
          store: o.store,
          options: o.monitoring,
          slots,
          onError: (err, where) => onError(err, { where }),
          // The window reads the prediction log: write what the logger still buffers (at most a flush interval's
          // rows), bounded so that a slow store never holds a scrape for long.
          ...(logger
            ? { beforeEvaluate: async () => void (await settlesWithin(logger.flush(), FLUSH_BEFORE_MONITORING_MS)) }
            : {}),
        })
      : undefined;
  // The in-flight gauge reads the lifecycle's count when scraped (the lifecycle is made below).
  const inFlight = () => lifecycle.inFlight;
  const m = createServerMetrics(serverMetricsSources({ logger, monitor, limiter, slots, inFlight }), {
    defaultMetrics: o.defaultMetrics,
  });
  metrics = m;
  const retention =
    o.store && o.retention
      ? startRetention({
          store: o.store,
          retention: o.retention,
          registry: m.registry,
          onError: (err, where) => onError(err, { where }),
        })
      : undefined;
  const readyPromise = Promise.all(slots.all.map((s) => s.start())).then(() => undefined);
  readyPromise.catch((err) => onError(err, { where: 'loading models' }));

  const lifecycle = createLifecycle({
    drainTimeoutMs: o.drainTimeoutMs,
    host: o.host,
    checkAddress: (address) => {
      const reason = auth.use(address, 'listen()');
      if (reason) {
        throw new MlopsError('INVALID_INPUT', {
          message: reason,
          details: [{ path: 'host', message: 'A non-loopback address needs a store holding API keys' }],
        });
      }
    },
    afterDrain: async () => {
      await retention?.stop();
      await closeSlots(slots.all, o.drainTimeoutMs, onError);
      if (logger) await (o.logger ? logger.flush() : logger.close());
    },
    onError,
  });
  const runner = createPredictionRunner({
    slots,
    limiter,
    logger,
    maxRows: limits.maxRows,
    requestTimeoutMs: limits.requestTimeoutMs,
    retryAfterSeconds: limits.retryAfterSeconds,
    onPredicted: (model, version, rows) => m.predictions.inc({ model, version }, rows),
    onError,
  });
  const mountRoute = createRouteMounter({
    requireScope: createScopeCheck(auth, verify),
    // A predict request holds its limiter slot while its body arrives: the body gets what is left of the timeout.
    json: jsonBody(limits.maxBodyBytes, (res) => {
      const st = requestState(res);
      return st.admission ? remainingMs(st, limits.requestTimeoutMs) : undefined;
    }),
    runner,
  });
  const deps: BuiltinRouteDeps = {
    slots,
    runner,
    lifecycle,
    maxRows: limits.maxRows,
    admit: admitPrediction({ limiter, ...limits, checkModel: (name, res) => void slotOfRequest(slots, name, res) }),
  };
  routes.push(
    ...v1ModelsRoutes(deps),
    v1PredictRoute(deps),
    ...(o.store ? [v1FeedbackRoute(o.store)] : []),
    ...v2HealthRoutes(deps),
    ...v2MetadataRoutes(deps),
    ...v2InferRoutes(deps),
    metricsRoute(m.registry, monitor, o.publicMetrics),
    openApiRoute(() => openApi.get()),
    docsRoute(),
  );
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');
  app.use(requestContext({ lifecycle, metrics: m, retryAfterSeconds: limits.retryAfterSeconds }));
  app.use(createAddressGuard({ auth, ...(o.allowedHosts ? { allowedHosts: o.allowedHosts } : {}) }));
  for (const r of routes) mountRoute(app, r);
  const extensions = express.Router(); // routes added later still come before the 404
  app.use(extensions);
  app.use(notFound(routes));
  app.use(errorHandler(onError));

  return {
    app,
    metrics: m.registry,
    get authEnabled() {
      return auth.enabled;
    },
    logger,
    route(def) {
      const d = def as unknown as ServerRoute;
      const taken = routes.find((r) => r.method === d.method && samePath(r.path, d.path));
      if (taken) {
        throw new MlopsError('CONFLICT', {
          message: `The server already has ${taken.method.toUpperCase()} ${taken.path}: ${d.method.toUpperCase()} ${d.path} could never be reached`,
          details: [{ path: 'path', message: 'Taken by another route' }],
        });
      }
      mountRoute(extensions, d);
      routes.push(d);
      openApi.invalidate();
    },
    mount(path, handler) {
      extensions.use(path, handler);
      // A router that carries its route definitions (the registry's) is listed in /openapi.json under `path`.
      const defs = routeDefinitionsOf(handler);
      if (defs) {
        const prefix = path.replace(/\/+$/, '');
        for (const d of defs) routes.push({ ...d, path: `${prefix}${d.path}` } as unknown as ServerRoute);
        openApi.invalidate();
      }
    },
    authenticate: createAuthenticate(auth, verify),
    predict: serverPredict(lifecycle, runner),
    ready: () => readyPromise,
    listen: (opts) => lifecycle.listen(app, opts),
    close: () => lifecycle.close(),
  };
}
