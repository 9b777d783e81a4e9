// Metric rows per second logged through a tracking run (buffered, one multi-row INSERT … SELECT FROM unnest(…) per
// batch inside a transaction, plus the latest-value upsert) against the baseline measured on the same store in the
// same run: one INSERT statement per row (autocommit). PGlite (memory://) always; PostgreSQL when
// MLOPS_BENCH_POSTGRES_URL or MLOPS_TEST_POSTGRES_URL is set (in a throw-away schema, dropped afterwards).
// The batched figure covers the whole public path: zod validation in logMetric, buffering and the writes, from the
// first logMetric to the end of run.end(). MLOPS_BENCH_ROWS sets the batched row count (default 200,000).
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { createStore } from '@mlops/core';
import { createTracker } from '@mlops/core/tracking';

const ROWS = Number(process.env.MLOPS_BENCH_ROWS ?? 200_000);
const BASELINE_ROWS = 3_000;
const KEYS = ['loss', 'accuracy', 'learning_rate', 'grad_norm'];
const BATCH_SIZES = [1_000, 10_000];
const TARGET = 50_000;

const fmt = (n) => Math.round(n).toLocaleString('en-US');

async function batched(tracker, batchSize) {
  const run = await tracker.startRun({ experiment: `bench-${batchSize}`, name: `batch ${batchSize}` });
  const t0 = performance.now();
  const perStep = KEYS.length;
  const steps = Math.ceil(ROWS / perStep);
  for (let step = 0; step < steps; step++) {
    for (let k = 0; k < perStep; k++) await run.logMetric(KEYS[k], Math.sin(step + k), { step });
  }
  await run.end();
  const seconds = (performance.now() - t0) / 1000;
  return { rows: steps * perStep, seconds, runId: run.id };
}

async function rowAtATime(store, runId) {
  const t0 = performance.now();
  for (let i = 0; i < BASELINE_ROWS; i++) {
    await store.query('INSERT INTO core_metrics (run_id, key, value, step, timestamp_ms) VALUES ($1, $2, $3, $4, $5)', [
      runId,
      KEYS[i % KEYS.length],
      Math.cos(i),
      i,
      Date.now(),
    ]);
  }
  return { rows: BASELINE_ROWS, seconds: (performance.now() - t0) / 1000 };
}

async function benchStore(label, store) {
  const results = [];
  try {
    for (const batchSize of BATCH_SIZES) {
      const tracker = createTracker({ store, batchSize, captureGit: false });
      await tracker.migrate();
      const b = await batched(tracker, batchSize);
      const [{ n }] = await store.query('SELECT count(*)::int AS n FROM core_metrics WHERE run_id = $1', [b.runId]);
      if (n !== b.rows) throw new Error(`${label}: expected ${b.rows} rows, found ${n}`);
      results.push({ batchSize, ...b });
    }
    const baseRun = await createTracker({ store, captureGit: false }).startRun({ experiment: 'bench-baseline' });
    const base = await rowAtATime(store, baseRun.id);
    await baseRun.end();
    const baseRate = base.rows / base.seconds;
    console.log(`${label}: row-at-a-time INSERT (baseline): ${fmt(baseRate)} rows/s (${fmt(base.rows)} rows)`);
    for (const r of results) {
      const rate = r.rows / r.seconds;
      const verdict = rate >= TARGET ? 'meets' : 'BELOW';
      console.log(
        `${label}: batched, batchSize ${fmt(r.batchSize)}: ${fmt(rate)} rows/s (${fmt(r.rows)} rows in ${r.seconds.toFixed(2)} s) ` +
          `= ${(rate / baseRate).toFixed(1)}x baseline; ${verdict} the ${fmt(TARGET)} rows/s aim`,
      );
    }
  } finally {
    await store.close();
  }
}

console.log(
  `metric rows logged through run.logMetric, ${KEYS.length} keys per step, ${fmt(ROWS)} rows per batched case`,
);
await benchStore('pglite (memory://)', await createStore('memory://'));

const pgUrl = process.env.MLOPS_BENCH_POSTGRES_URL ?? process.env.MLOPS_TEST_POSTGRES_URL;
if (pgUrl) {
  const schema = `bench_${randomBytes(4).toString('hex')}`;
  const sep = pgUrl.includes('?') ? '&' : '?';
  try {
    await benchStore('postgres', await createStore(`${pgUrl}${sep}schema=${schema}`));
  } finally {
    const admin = await createStore(pgUrl);
    await admin.exec(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.close();
  }
} else {
  console.log('postgres: skipped (set MLOPS_BENCH_POSTGRES_URL or MLOPS_TEST_POSTGRES_URL)');
}
