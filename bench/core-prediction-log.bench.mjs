// Prediction log throughput. Two figures, against a baseline measured on the same store in the same run:
// - request path: entries per second through logger.log() (validation, JSON conversion, buffering: no I/O);
// - end to end: rows per second from the first log() to the end of close() (batched multi-row INSERTs in
//   transactions), against one INSERT statement per row (autocommit).
// PGlite (memory://) always; PostgreSQL when MLOPS_BENCH_POSTGRES_URL or MLOPS_TEST_POSTGRES_URL is set (in a
// throw-away schema, dropped afterwards). MLOPS_BENCH_ROWS sets the batched row count (default 50,000).
import { randomBytes, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { createStore, migrate } from '@mlops/core';
import { createPredictionLogger } from '@mlops/core/predictions';

const ROWS = Number(process.env.MLOPS_BENCH_ROWS ?? 50_000);
const BASELINE_ROWS = 2_000;
const BATCH_SIZES = [100, 500, 2_000];
const fmt = (n) => Math.round(n).toLocaleString('en-US');

const entry = (i, model) => ({
  requestId: `req-${i >> 2}`,
  position: i & 3,
  model,
  version: '1',
  alias: 'production',
  latencyMs: 3.2,
  inputs: { age: 30 + (i % 40), city: i % 2 ? 'Paris' : 'Lyon', text: 'printer jammed again on floor 3' },
  outputs: { topic: 'hardware', score: 0.87 },
});

async function batched(store, batchSize) {
  const model = `bench-${batchSize}`;
  const logger = createPredictionLogger({ store, batchSize, maxBuffer: ROWS, flushIntervalMs: 50 });
  const t0 = performance.now();
  for (let i = 0; i < ROWS; i++) {
    logger.log(entry(i, model));
    // Yield now and then, as a server between requests, so the writer runs concurrently.
    if (i % 1_000 === 999) await new Promise((r) => setImmediate(r));
  }
  const stats = await logger.close();
  const seconds = (performance.now() - t0) / 1000;
  if (stats.written !== ROWS) throw new Error(`lost rows: ${JSON.stringify(stats)}`);
  return { rows: ROWS, seconds };
}

function requestPath(store) {
  // A logger whose writer never runs during the loop (huge interval and batch): measures only the log() call.
  const logger = createPredictionLogger({ store, batchSize: ROWS + 1, maxBuffer: ROWS, flushIntervalMs: 3_600_000 });
  const t0 = performance.now();
  for (let i = 0; i < ROWS; i++) logger.log(entry(i, 'bench-request-path'));
  const seconds = (performance.now() - t0) / 1000;
  return { seconds, logger };
}

async function rowAtATime(store) {
  const t0 = performance.now();
  for (let i = 0; i < BASELINE_ROWS; i++) {
    const e = entry(i, 'bench-baseline');
    await store.query(
      `INSERT INTO core_predictions (id, request_id, position, model, version, alias, time, latency_ms, inputs, outputs)
       VALUES ($1, $2, $3, $4, $5, $6, $7::timestamptz, $8, $9::jsonb, $10::jsonb)`,
      [
        randomUUID(),
        e.requestId,
        e.position,
        e.model,
        e.version,
        e.alias,
        new Date().toISOString(),
        e.latencyMs,
        JSON.stringify(e.inputs),
        JSON.stringify(e.outputs),
      ],
    );
  }
  return { rows: BASELINE_ROWS, seconds: (performance.now() - t0) / 1000 };
}

async function benchStore(label, store) {
  await migrate(store, { areas: ['predictions'] });
  const base = await rowAtATime(store);
  const baseRate = base.rows / base.seconds;
  console.log(`[${label}] baseline, one INSERT per row: ${fmt(baseRate)} rows/s (${base.rows} rows)`);
  for (const batchSize of BATCH_SIZES) {
    const r = await batched(store, batchSize);
    const rate = r.rows / r.seconds;
    console.log(
      `[${label}] logger batchSize ${batchSize}: ${fmt(rate)} rows/s end to end (${fmt(r.rows)} rows, nothing lost), ` +
        `${(rate / baseRate).toFixed(1)}x the baseline`,
    );
  }
  const rp = requestPath(store);
  const rpRate = ROWS / rp.seconds;
  console.log(
    `[${label}] log() call alone: ${fmt(rpRate)} entries/s, ${((rp.seconds / ROWS) * 1e6).toFixed(2)} µs per entry, ` +
      `${(rpRate / baseRate).toFixed(0)}x the baseline's rows/s`,
  );
  await rp.logger.close();
}

const pglite = await createStore('memory://');
try {
  await benchStore('pglite', pglite);
} finally {
  await pglite.close();
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
