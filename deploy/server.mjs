#!/usr/bin/env node
// The container's start command: serves one registered model behind a registry alias with @mlops/serve.
//
// Environment:
//   MLOPS_MODEL        registered model to serve (required)
//   MLOPS_MODEL_ALIAS  alias to follow (default: production); the server hot-swaps when it moves
//   MLOPS_STORE        store URL (default: pglite://.mlops/db); postgres://… when more than one replica runs
//   MLOPS_OBJECTS      object store of the model packages, as for the mlops CLI: a folder, file://… or
//                      s3://bucket/prefix?endpoint=…&region=…&forcePathStyle=true (@mlops/plugin-s3; credentials from the
//                      AWS environment: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY…). MLOPS_OBJECTS_DIR is read when
//                      MLOPS_OBJECTS is unset (default: .mlops/objects)
//   MLOPS_AUTH         auto | required | disabled (default: auto: API keys required on a non-loopback HOST)
//   MLOPS_MONITORING_REFRESH_MS  how often /metrics re-evaluates the monitoring gauges (default: 60000)
//   MLOPS_RETENTION_MAX_AGE   prune predictions older than this from the log: 30d, 12h, 90m… (default: kept)
//   MLOPS_RETENTION_MAX_ROWS  keep at most this many predictions per model in the log (default: no limit)
//   MLOPS_RETENTION_INTERVAL  time between two prunings (default 10m); pruning runs in batches while serving
//   MLOPS_LOG_INPUTS   full | redacted | none: what the prediction log keeps of the inputs (default: full)
//   MLOPS_RETRAIN_CONFIG  retrain config module behind POST /v1/models/{MLOPS_MODEL}/retrain and the Alertmanager
//                      receiver POST /v1/alerts/alertmanager, run in a worker thread (default: deploy/retrain.config.mjs,
//                      configured by its MLOPS_RETRAIN_* variables; `off`: no retrain routes)
//   PORT               default 8080
//   HOST               default 0.0.0.0
//
// With no version behind the alias yet the server still starts: /v2/health/live and /metrics answer, and
// /v2/health/ready is 503 until the alias is set (the server follows registry events and loads it then).
// SIGTERM/SIGINT: stop accepting, drain in-flight requests, flush the prediction log, close the store, exit 0.
import { createStore, DEFAULT_STORE_URL } from '@mlops/core';
import { DEFAULT_OBJECTS_URL, openObjectStore } from '@mlops/core/objects';
import { createAlertmanagerRoute, createRetrainRoutes, createRetrainRunner } from '@mlops/pipelines';
import { createRegistry } from '@mlops/registry';
import { createModelServer } from '@mlops/serve';

const env = process.env;
const model = env.MLOPS_MODEL;
if (!model) {
  console.error('deploy/server.mjs: set MLOPS_MODEL to the registered model to serve');
  process.exit(2);
}
const alias = env.MLOPS_MODEL_ALIAS || 'production';
const host = env.HOST || '0.0.0.0';
const port = Number(env.PORT || 8080);
const auth = env.MLOPS_AUTH || 'auto';
if (!['auto', 'required', 'disabled'].includes(auth)) {
  console.error(`deploy/server.mjs: MLOPS_AUTH must be auto, required or disabled (got ${auth})`);
  process.exit(2);
}

/** A duration such as 30d, 12h, 90m, 45s or 500ms in milliseconds, or exit 2 naming the variable. */
function durationMs(name) {
  const text = env[name];
  if (!text) return undefined;
  const units = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(text.trim());
  const ms = m ? Math.round(Number(m[1]) * units[m[2]]) : Number.NaN;
  if (!(ms >= 1)) {
    console.error(`deploy/server.mjs: ${name} must be a duration such as 30d, 12h or 90m (got ${text})`);
    process.exit(2);
  }
  return ms;
}
const logInputs = env.MLOPS_LOG_INPUTS || 'full';
if (!['full', 'redacted', 'none'].includes(logInputs)) {
  console.error(`deploy/server.mjs: MLOPS_LOG_INPUTS must be full, redacted or none (got ${logInputs})`);
  process.exit(2);
}
const maxRows = env.MLOPS_RETENTION_MAX_ROWS ? Number(env.MLOPS_RETENTION_MAX_ROWS) : undefined;
if (maxRows !== undefined && !(Number.isInteger(maxRows) && maxRows >= 1)) {
  console.error(`deploy/server.mjs: MLOPS_RETENTION_MAX_ROWS must be a positive integer (got ${maxRows})`);
  process.exit(2);
}
const maxAgeMs = durationMs('MLOPS_RETENTION_MAX_AGE');
const intervalMs = durationMs('MLOPS_RETENTION_INTERVAL');
/** Retention of the prediction log (@mlops/serve's `retention`), when an age or a row limit is set. */
const retention =
  maxAgeMs !== undefined || maxRows !== undefined
    ? {
        ...(maxAgeMs !== undefined ? { maxAgeMs } : {}),
        ...(maxRows !== undefined ? { maxRows } : {}),
        ...(intervalMs !== undefined ? { intervalMs } : {}),
      }
    : undefined;

/** Loads the flavors whose plugin is installed (the image installs all three). */
async function loadFlavors() {
  const flavors = [];
  const plugins = [
    ['@mlops/plugin-linear', 'linearFlavor'],
    ['@mlops/plugin-random-forest', 'randomForestFlavor'],
    ['@mlops/plugin-onnx', 'onnxFlavor'],
  ];
  for (const [pkg, factory] of plugins) {
    try {
      const mod = await import(pkg);
      flavors.push(mod[factory]());
    } catch (err) {
      console.warn(`deploy/server.mjs: flavor ${pkg} unavailable: ${err instanceof Error ? err.message : err}`);
    }
  }
  return flavors;
}

const refreshMs = Number(env.MLOPS_MONITORING_REFRESH_MS || 60_000);
if (!(Number.isInteger(refreshMs) && refreshMs >= 0)) {
  console.error(`deploy/server.mjs: MLOPS_MONITORING_REFRESH_MS must be a number of milliseconds (got ${refreshMs})`);
  process.exit(2);
}

/** Exits 2 with the error's message (a bad URL names the offending part; a missing plugin names the package). */
function fatal(what, err) {
  console.error(`deploy/server.mjs: ${what}: ${err instanceof Error ? err.message : err}`);
  process.exit(2);
}

const objects = await openObjectStore(env.MLOPS_OBJECTS || env.MLOPS_OBJECTS_DIR || DEFAULT_OBJECTS_URL).catch((err) =>
  fatal('MLOPS_OBJECTS', err),
);
const store = await createStore(env.MLOPS_STORE || DEFAULT_STORE_URL);
const registry = await createRegistry({ store, objects });
const flavors = await loadFlavors();

const server = createModelServer({
  models: [{ name: model, registry, alias, objects, flavors }],
  store,
  host,
  auth,
  monitoring: { refreshMs },
  ...(retention ? { retention } : {}),
  logging: { inputs: logInputs },
  // A model that cannot be loaded at start (no version behind the alias yet) is reported once, by the ready() handler
  // below, in one line; faults while serving keep the default report (with the stack).
  onError: (err, context) => {
    if (context.where !== 'loading models') console.error('[mlops] serve error', context, err);
  },
});
// Retraining over HTTP (scope pipelines:retrain): the retrain config runs in a worker thread, off this event loop; one
// retraining per model at a time across replicas (a PostgreSQL advisory lock). Alertmanager's firing drift/metric
// alerts start one through POST /v1/alerts/alertmanager (deploy/alertmanager/alertmanager.yml).
const retrainConfig = env.MLOPS_RETRAIN_CONFIG || new URL('./retrain.config.mjs', import.meta.url).href;
const retrain =
  retrainConfig === 'off'
    ? undefined
    : createRetrainRunner({ store, objects, registry, targets: { [model]: { module: retrainConfig, alias } } });
if (retrain) {
  for (const route of createRetrainRoutes({ runner: retrain })) server.route(route);
  server.route(createAlertmanagerRoute({ runner: retrain, store }));
}

// Not awaited: a missing alias must not stop the process (ready stays false until the alias is set).
server.ready().then(
  () => console.log(`deploy/server.mjs: ${model}@${alias} loaded`),
  (err) =>
    console.warn(
      `deploy/server.mjs: ${model}@${alias} not loadable yet (${err instanceof Error ? err.message : err}); /v2/health/ready is 503 until it is`,
    ),
);

const listening = await server.listen({ port, host, signals: [] });
console.log(
  `deploy/server.mjs: listening on ${listening.url} (auth ${server.authEnabled ? 'on' : 'off'}, objects ${objects.name})`,
);

let stopping = false;
async function shutdown(signal) {
  if (stopping) return;
  stopping = true;
  console.log(`deploy/server.mjs: ${signal}: draining`);
  try {
    await listening.close(); // drains in-flight requests and flushes the prediction log
    await retrain?.close(); // a retraining still running is recorded as failed (the server stopped)
    await store.close();
    process.exit(0);
  } catch (err) {
    console.error('deploy/server.mjs: shutdown failed', err);
    process.exit(1);
  }
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
