// Cost of `durability: 'acknowledged'` (issue 19, fault 11): autocannon against @mlops/serve with the prediction log
// in its default mode ('buffered': the answer goes out at once, rows are written in the background) and in
// 'acknowledged' mode (the answer waits until the transaction holding the rows has committed; group commit), on the
// same store, in the same run, at a few connection counts. Prints req/s, p50/p99 latency, requests per commit, and
// the throughput ratio acknowledged / buffered. Checks that every answered prediction is in the store.
// Stores: PGlite in memory (memory://), PGlite on disk (pglite://, a temporary folder) and PostgreSQL when
// MLOPS_BENCH_POSTGRES_URL or MLOPS_TEST_POSTGRES_URL is set (a throw-away schema). The load generator shares the
// CPU with the server (and, on a shared machine, with everything else): compare the ratios, not the absolute figures.
// MLOPS_BENCH_SECONDS sets each run's duration (default 8); MLOPS_BENCH_CONNECTIONS a comma list (default 8,64).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStore } from '@mlops/core';
import { createModelServer } from '@mlops/serve';
import { oneRecordBody as body, loadTest, cheapPredictor as predictor } from './_lib/serve.mjs';

const SECONDS = Number(process.env.MLOPS_BENCH_SECONDS ?? 8);
const CONNECTIONS = (process.env.MLOPS_BENCH_CONNECTIONS ?? '8,64').split(',').map(Number);

/** Counts the store's transactions (one per INSERT statement of the log). */
function counting(store) {
  let n = 0;
  const proxy = new Proxy(store, {
    get(target, key, receiver) {
      if (key === 'transaction') {
        return (fn) => {
          n++;
          return target.transaction(fn);
        };
      }
      return Reflect.get(target, key, receiver);
    },
  });
  return { store: proxy, transactions: () => n };
}

async function run(base, durability, connections, model) {
  const { store, transactions } = counting(base);
  const server = createModelServer({
    models: [{ name: model, predictor }],
    store,
    durability,
    monitoring: false,
    defaultMetrics: false,
  });
  const http = await server.listen({ port: 0, host: '127.0.0.1', signals: [] });
  const r = await loadTest({ url: `${http.url}/v1/models/${model}/predict`, connections, seconds: SECONDS, body });
  const commitsDuringLoad = transactions();
  await http.close();
  await server.close();
  const stats = server.logger.stats();
  const rows = await base.query('SELECT count(*)::int AS n FROM core_predictions WHERE model = $1', [model]);
  const ok = r.total - r.non2xx;
  if (rows[0].n < ok) throw new Error(`${model}: ${ok} answered predictions but ${rows[0].n} rows`);
  return {
    rps: r.rps,
    p50: r.p50,
    p99: r.p99,
    bad: r.bad,
    total: r.total,
    perCommit: commitsDuringLoad > 0 ? ok / commitsDuringLoad : Number.NaN,
    stats,
  };
}

const fmt = (r) =>
  `${Math.round(r.rps).toLocaleString('en-US').padStart(6)} req/s  p50 ${String(r.p50).padStart(3)} ms  p99 ${String(
    r.p99,
  ).padStart(4)} ms  ${r.perCommit.toFixed(1).padStart(6)} req/commit${r.bad ? `  (${r.bad} failed)` : ''}`;

async function benchStore(label, store) {
  await run(store, 'buffered', 8, 'warmup'); // JIT, sockets, migrations
  for (const connections of CONNECTIONS) {
    const buffered = await run(store, 'buffered', connections, `b-${connections}`);
    const acknowledged = await run(store, 'acknowledged', connections, `a-${connections}`);
    console.log(`[${label}] ${String(connections).padStart(3)} conn  buffered      ${fmt(buffered)}`);
    console.log(`[${label}] ${String(connections).padStart(3)} conn  acknowledged  ${fmt(acknowledged)}`);
    console.log(
      `[${label}] ${String(connections).padStart(3)} conn  ratio acknowledged/buffered: ${(acknowledged.rps / buffered.rps).toFixed(2)} ` +
        `(p99 ${(acknowledged.p99 / Math.max(1, buffered.p99)).toFixed(1)}x)`,
    );
  }
}

console.log(
  `autocannon: ${CONNECTIONS.join(', ')} connections, ${SECONDS} s per run, 1 record per request; load generator in its own process`,
);
const mem = await createStore('memory://');
try {
  await benchStore('pglite memory', mem);
} finally {
  await mem.close();
}

const dir = mkdtempSync(join(tmpdir(), 'mlops-bench-durability-'));
try {
  const disk = await createStore(`pglite://${join(dir, 'db')}`);
  try {
    await benchStore('pglite disk', disk);
  } finally {
    await disk.close();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const pgUrl = process.env.MLOPS_BENCH_POSTGRES_URL ?? process.env.MLOPS_TEST_POSTGRES_URL;
if (pgUrl) {
  const schema = `bench_${randomBytes(6).toString('hex')}`;
  const sep = pgUrl.includes('?') ? '&' : '?';
  const pg = await createStore(`${pgUrl}${sep}schema=${schema}`);
  try {
    await benchStore('postgres', pg);
  } finally {
    await pg.close();
    const admin = await createStore(pgUrl);
    await admin.exec(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.close();
  }
} else {
  console.log('[postgres] skipped: set MLOPS_BENCH_POSTGRES_URL or MLOPS_TEST_POSTGRES_URL');
}
