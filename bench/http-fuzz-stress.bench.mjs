// HTTP fuzz stress (issue 19, fault 5): 10,000 fuzzed requests against one model server with every route mounted —
// v1/v2 predict and feedback (with a PGlite or PostgreSQL prediction log), the registry REST API at /registry, the
// it-tickets triage route (the example's real route, knowledge base and template reply, with stand-in models of the
// served models' signature), and the dashboard API at /ui — from the same generator as the fast-check tests
// (packages/serve/test/faults/fuzz-requests.ts), 8 requests in flight. Prints the status counts and the number of
// 500s (503/504 are by design and counted apart); every 500 is listed with its request id, and every fault the
// server reported (onError) with the request id it logged. Also checks that the prediction log abandoned and
// quarantined nothing (no string the store refuses got past the boundary). Exits 1 when there was a 500.
//
//   node bench/http-fuzz-stress.bench.mjs                  # PGlite (memory://)
//   MLOPS_BENCH_STORE=postgres://… node bench/http-fuzz-stress.bench.mjs
//   MLOPS_FUZZ_REQUESTS=10000 MLOPS_FUZZ_SEED=19 MLOPS_FUZZ_CONCURRENCY=8
//
// The generator and the triage route are TypeScript: run by scripts/bench.mjs with plain node, this file re-runs
// itself with `node --import tsx` and imports the built @mlops/* packages.
import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '..');

if (!process.env.MLOPS_FUZZ_BENCH_CHILD) {
  const res = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url)], {
    stdio: 'inherit',
    env: { ...process.env, MLOPS_FUZZ_BENCH_CHILD: '1' },
  });
  process.exit(res.status ?? 1);
}

const TOTAL = Number(process.env.MLOPS_FUZZ_REQUESTS ?? 10_000);
const SEED = Number(process.env.MLOPS_FUZZ_SEED ?? 19);
const CONCURRENCY = Number(process.env.MLOPS_FUZZ_CONCURRENCY ?? 8);
const STORE_URL = process.env.MLOPS_BENCH_STORE ?? 'memory://';

const { createStore, redactStoreUrl } = await import('@mlops/core');
const { createTracker } = await import('@mlops/core/tracking');
const { createRegistry, createRegistryRouter } = await import('@mlops/registry');
const { createModelServer } = await import('@mlops/serve');
const { createDashboard } = await import('@mlops/dashboard');
const { TICKET_TOPICS } = await import('@mlops/datasets');
const { default: fc } = await import('fast-check');
const gen = await import(pathToFileURL(join(ROOT, 'packages/serve/test/faults/fuzz-requests.ts')).href);
const { testPredictor } = await import(pathToFileURL(join(ROOT, 'packages/serve/test/helpers.ts')).href);
const { createTriage } = await import(pathToFileURL(join(ROOT, 'examples/it-tickets/src/triage/index.ts')).href);

/** A deterministic stand-in classifier with a served ticket model's signature: text in, label + probabilities out. */
function standIn(classes) {
  return {
    signature: {
      inputs: [{ name: 'text', type: 'string', shape: [] }],
      outputs: [
        { name: 'label', type: 'string', shape: [] },
        { name: 'probabilities', type: 'float32', shape: [classes.length] },
      ],
    },
    batchable: true,
    async predict(inputs) {
      const picks = inputs.text.map(
        (t) => [...t].reduce((h, c) => (h * 31 + c.codePointAt(0)) % 9973, 7) % classes.length,
      );
      return {
        label: picks.map((k) => classes[k]),
        probabilities: picks.map((k) =>
          Float32Array.from(classes, (_, i) => (i === k ? 0.9 : 0.1 / (classes.length - 1))),
        ),
      };
    },
  };
}

let store = await createStore(STORE_URL);
let schema;
if (STORE_URL.startsWith('postgres')) {
  // A schema of its own, dropped afterwards.
  schema = `fuzz_${process.pid}`;
  await store.close();
  store = await createStore(`${STORE_URL}${STORE_URL.includes('?') ? '&' : '?'}schema=${schema}`);
}
const faults = [];
const report = (where) => (err, context) => faults.push({ where, err, context });

const registry = await createRegistry({ store });
await registry.createModel({ name: 'fuzz-model' });
for (const i of [1, 2]) {
  await registry.createVersion({
    model: 'fuzz-model',
    packageDigest: `sha256:${String(i).repeat(64)}`,
    flavor: 'f',
    metrics: { f1: i / 3 },
  });
  await registry.promote({ model: 'fuzz-model', version: i, alias: 'production' });
}
const tracker = createTracker({ store });
const run = await tracker.startRun({ experiment: 'fuzz', name: 'seed', params: { lr: 0.1 } });
await run.logMetric('accuracy', 0.9);
await run.end();

const urgency = ['0', '1', '2', '3'];
const server = createModelServer({
  models: [
    { name: 'm', predictor: testPredictor() },
    { name: 'ticket-topic', predictor: standIn(TICKET_TOPICS) },
    { name: 'ticket-urgency', predictor: standIn(urgency) },
  ],
  store,
  defaultMetrics: false,
  onError: report('serve'),
});
server.mount('/registry', createRegistryRouter({ registry, onError: report('registry') }));
server.route(
  createTriage({
    topicModel: { name: 'ticket-topic', classes: TICKET_TOPICS },
    urgencyModel: { name: 'ticket-urgency', classes: urgency },
    llm: false,
  }).route,
);
const dashboard = createDashboard({ store, registry, tracker, onError: report('dashboard') });
server.mount('/ui', dashboard.router);
await server.ready();
const listening = await server.listen({ port: 0, host: '127.0.0.1', signals: [] });
const origin = new URL(listening.url).origin;

const requests = fc.sample(
  gen.fuzzRequests({
    model: 'm',
    registryModel: 'fuzz-model',
    alias: 'production',
    registryPrefix: '/registry',
    triagePath: '/tickets/triage',
    dashboardPrefix: '/ui',
    runId: run.id,
  }),
  { numRuns: TOTAL, seed: SEED },
);

console.log(
  `${TOTAL} fuzzed requests (seed ${SEED}, ${CONCURRENCY} in flight) against ${origin} on ${redactStoreUrl(STORE_URL)}…`,
);
const statuses = new Map();
const byRoute = new Map();
const serverErrors = [];
const clientFailures = [];
const ROUTES = [
  '/v1/models',
  '/v1/feedback',
  '/v2/models',
  '/v2/health',
  '/registry/models',
  '/registry/versions',
  '/registry/audit',
  '/tickets/triage',
  '/ui/api/runs',
  '/ui/api/models',
  '/ui/api/monitoring',
  '/ui/api',
];
/** The route family a path belongs to (the generator also sends stray paths: `other`). */
const routeOf = (path) => {
  const p = path.split('?')[0];
  return ROUTES.find((r) => p === r || p.startsWith(`${r}/`)) ?? 'other';
};
let next = 0;
const started = performance.now();
async function worker() {
  while (next < requests.length) {
    const r = requests[next++];
    let res;
    try {
      const sent = await fetch(`${origin}${r.path}`, {
        method: r.method,
        headers: r.headers,
        ...(r.body === undefined ? {} : { body: r.body }),
        signal: AbortSignal.timeout(60_000),
      });
      res = { status: sent.status, text: await sent.text(), requestId: sent.headers.get('x-request-id') };
    } catch (err) {
      clientFailures.push({ request: gen.describeRequest(r), error: String(err?.cause ?? err) });
      continue;
    }
    statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
    const route = `${r.method} ${routeOf(r.path)}`;
    const counts = byRoute.get(route) ?? { n: 0, fives: 0 };
    counts.n++;
    if (gen.isServerFault(res.status)) {
      counts.fives++;
      serverErrors.push({
        status: res.status,
        requestId: res.requestId,
        request: gen.describeRequest(r),
        body: res.text.slice(0, 300),
      });
    }
    byRoute.set(route, counts);
  }
}
await Promise.all(Array.from({ length: CONCURRENCY }, worker));
const seconds = (performance.now() - started) / 1000;
const log = await server.logger.flush();

console.log(`\nstatus counts (${seconds.toFixed(1)} s, ${(TOTAL / seconds).toFixed(0)} req/s):`);
for (const [status, n] of [...statuses].sort((a, b) => a[0] - b[0])) console.log(`  ${status}: ${n}`);
console.log('\nrequests per route prefix (500s):');
for (const [route, c] of [...byRoute].sort())
  console.log(`  ${route.padEnd(30)} ${String(c.n).padStart(5)} (${c.fives})`);
console.log(
  `\nprediction log: written ${log.written}, abandoned ${log.abandoned}, quarantined ${log.quarantined ?? 'n/a'}, dropped ${log.dropped}`,
);
for (const e of serverErrors) console.log(`500 ${e.status} request id ${e.requestId}: ${e.request} → ${e.body}`);
for (const f of faults) {
  console.log(
    `fault reported by ${f.where} (request id ${f.context?.requestId ?? '-'}): ${String(f.err?.stack ?? f.err)
      .split('\n')
      .slice(0, 3)
      .join(' | ')}`,
  );
}
for (const c of clientFailures.slice(0, 20)) console.log(`request failed on the client side: ${c.request}: ${c.error}`);
const by503 = statuses.get(503) ?? 0;
const by504 = statuses.get(504) ?? 0;
console.log(
  `\n500s: ${serverErrors.length} of ${TOTAL} (503: ${by503}, 504: ${by504} by design; faults reported: ${faults.length}; client-side failures: ${clientFailures.length})`,
);

await listening.close();
await server.close();
await dashboard.close();
await registry.close();
await store.close();
if (schema) {
  const admin = await createStore(STORE_URL);
  await admin.exec(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await admin.close();
}
if (serverErrors.length > 0 || faults.length > 0 || log.abandoned > 0 || (log.quarantined ?? 0) > 0)
  process.exitCode = 1;
