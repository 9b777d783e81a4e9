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
//   PORT               default 8080
//   HOST               default 0.0.0.0
//
// With no version behind the alias yet the server still starts: /v2/health/live and /metrics answer, and
// /v2/health/ready is 503 until the alias is set (the server follows registry events and loads it then).
// SIGTERM/SIGINT: stop accepting, drain in-flight requests, flush the prediction log, close the store, exit 0.
import { createStore, DEFAULT_STORE_URL } from '@mlops/core';
import { DEFAULT_OBJECTS_URL, openObjectStore } from '@mlops/core/objects';
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
});
// Not awaited: a missing alias must not stop the process (ready stays false until the alias is set).
server.ready().then(
  () => console.log(`deploy/server.mjs: ${model}@${alias} loaded`),
  () => console.warn(`deploy/server.mjs: ${model}@${alias} not loadable yet; /v2/health/ready is 503 until it is`),
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
    await store.close();
    process.exit(0);
  } catch (err) {
    console.error('deploy/server.mjs: shutdown failed', err);
    process.exit(1);
  }
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
