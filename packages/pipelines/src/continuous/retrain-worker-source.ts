// The retrain thread's code, evaluated as a CommonJS script (no file to locate in src/ or dist/, no TypeScript loader
// needed; the same approach as the tuning threads). It builds a store and an object store whose calls run in the
// serving thread (the one that owns the store: PGlite is single-connection, and a PostgreSQL pool is shared), opens a
// registry over them, imports the retrain config module (the one `mlops retrain` runs: it exports
// `createPolicy({ store, registry, objects })`), and runs `policy.runOnce` on the decision the serving thread opened.
// Training and evaluation therefore run on this thread's event loop, never on the server's.
export const RETRAIN_WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { Readable } = require('node:stream');
const { readFile } = require('node:fs/promises');
const BOOT = workerData.boot;
let core;
let nextCall = 0;
const pending = new Map();
const asBuffer = (v) => (v instanceof Uint8Array && !Buffer.isBuffer(v) ? Buffer.from(v.buffer, v.byteOffset, v.byteLength) : v);
const revive = (e) => {
  if (e && e.name === 'MlopsError' && core && core.MlopsError) {
    const err = new core.MlopsError(e.code, { message: e.message, details: e.details });
    if (e.stack) err.stack = e.stack;
    return err;
  }
  const err = new Error(e ? e.message : 'unknown error');
  if (e && e.name) err.name = e.name;
  if (e && e.code !== undefined) err.code = e.code;
  if (e && e.constraint !== undefined) err.constraint = e.constraint;
  if (e && e.details !== undefined) err.details = e.details;
  return err;
};
const call = (target, method, args, tx) => new Promise((resolve, reject) => {
  const id = nextCall++;
  pending.set(id, { resolve, reject });
  parentPort.postMessage({ type: 'rpc', id, target, method, args, tx });
});
parentPort.on('message', (m) => {
  if (m.type !== 'rpc-reply') return;
  const p = pending.get(m.id);
  pending.delete(m.id);
  if (!p) return;
  if (m.error) p.reject(revive(m.error));
  else p.resolve(m.value);
});
const rows = (list) => list.map((r) => {
  for (const k of Object.keys(r)) r[k] = asBuffer(r[k]);
  return r;
});
function makeStore(tx) {
  const store = {
    driver: BOOT.driver,
    url: BOOT.url,
    query: async (sql, params) => rows(await call('store', 'query', [sql, params ?? []], tx)),
    exec: async (sql) => { await call('store', 'exec', [sql], tx); },
    migrate: async (namespace, migrations) => {
      await call('store', 'migrate', [namespace, migrations.map((m) => ({ version: m.version, name: m.name, sql: m.sql }))], tx);
    },
    notify: async (channel, payload) => { await call('store', 'query', ['SELECT pg_notify($1, $2)', [channel, payload]], tx); },
    transaction: async (fn) => {
      if (tx !== undefined) return fn(store);
      const id = await call('store', 'begin', []);
      let result;
      try {
        result = await fn(makeStore(id));
      } catch (err) {
        await call('store', 'end', [id, false]).catch(() => {});
        throw err;
      }
      await call('store', 'end', [id, true]);
      return result;
    },
    close: async () => {},
  };
  return store;
}
async function bytesOf(body) {
  if (typeof body === 'string') return Buffer.from(body);
  if (body instanceof Uint8Array) return body;
  const chunks = [];
  for await (const c of body) chunks.push(typeof c === 'string' ? Buffer.from(c) : c);
  return Buffer.concat(chunks);
}
function makeObjects() {
  const objects = {
    name: BOOT.objectsName,
    put: async (body, opts) => call('objects', 'put', [await bytesOf(body), opts && opts.expectedDigest ? { expectedDigest: opts.expectedDigest } : undefined]),
    putFile: async (path) => objects.put(await readFile(path)),
    get: (digest) => Readable.from((async function* () { yield asBuffer(await call('objects', 'readBytes', [digest])); })()),
    readBytes: async (digest) => asBuffer(await call('objects', 'readBytes', [digest])),
    has: (digest) => call('objects', 'has', [digest]),
    stat: (digest) => call('objects', 'stat', [digest]),
    delete: (digest) => call('objects', 'delete', [digest]),
    list: () => (async function* () { for (const d of await call('objects', 'list', [])) yield d; })(),
  };
  return objects;
}
const serialize = (err) => ({
  message: String(err && err.message !== undefined ? err.message : err),
  name: err && err.name ? String(err.name) : 'Error',
  code: err && err.code !== undefined ? String(err.code) : undefined,
  stack: err && err.stack ? String(err.stack) : undefined,
});
// The serving thread's registry, when the runner has one: its writes (promote) notify the server that follows the
// alias, in this process (PGlite has no cross-process events) and across replicas (PostgreSQL NOTIFY).
function makeRegistry() {
  return new Proxy({}, {
    get(_, method) {
      if (method === 'then' || typeof method !== 'string') return undefined;
      if (method === 'close') return async () => {};
      return (...args) => call('registry', method, args);
    },
  });
}
(async () => {
  core = await import(BOOT.coreHref);
  const store = makeStore(undefined);
  const objects = BOOT.objectsName === null ? undefined : makeObjects();
  const registry = BOOT.registryProxy
    ? makeRegistry()
    : await (await import(BOOT.registryHref)).createRegistry({ store, ...(objects ? { objects } : {}), events: false });
  const mod = await import(BOOT.href);
  const factory = mod[BOOT.exportName];
  if (typeof factory !== 'function') {
    throw new Error('the module does not export a function "' + BOOT.exportName + '" (found ' + typeof factory + ')');
  }
  const policy = await factory({ store, registry, objects, model: BOOT.model, alias: BOOT.alias });
  if (!policy || typeof policy.runOnce !== 'function') {
    throw new Error('"' + BOOT.exportName + '" did not return a policy (createContinuousTrainingPolicy from @mlops/pipelines)');
  }
  if (policy.model !== BOOT.model || policy.alias !== BOOT.alias) {
    throw new Error('the policy of ' + BOOT.href + ' retrains ' + policy.model + '@' + policy.alias + ', not ' + BOOT.model + '@' + BOOT.alias);
  }
  parentPort.postMessage({ type: 'started' });
  const result = BOOT.mode === 'evaluate' ? await policy.evaluate() : await policy.runOnce(BOOT.run);
  await registry.close().catch(() => {});
  parentPort.postMessage({ type: 'done', result: JSON.parse(JSON.stringify(result)) });
})().catch((err) => parentPort.postMessage({ type: 'error', error: serialize(err) }));
`;
