// Micro-batching: a 300-tree random forest (@mlops/plugin-random-forest) exported to ONNX with its preprocessing
// (@mlops/plugin-onnx, served by onnxruntime-node) behind @mlops/serve, autocannon at concurrency 64, one record per
// request, with micro-batching ON (the server's default) and OFF, in the same run on 127.0.0.1. Prints req/s,
// p50/p99 and the throughput ratio on/off (issue 8 aims at >= 1.5x). The load generator shares the CPU with the
// server: compare the ratio, not the absolute figures. MLOPS_BENCH_SECONDS sets each run's duration (default 10).

import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fsObjectStore, loadModelPackage, saveModelPackage } from '@mlops/core';
import { denseMatrix, imputer, preprocessingPipeline } from '@mlops/core/preprocessing';
import { exportToOnnx, onnxFlavor } from '@mlops/plugin-onnx';
import { randomForestTrainer } from '@mlops/plugin-random-forest';
import { createModelServer } from '@mlops/serve';
import { loadTest } from './_lib/serve.mjs';

const SECONDS = Number(process.env.MLOPS_BENCH_SECONDS ?? 10);
const CONNECTIONS = 64;
const TREES = 300;
const FEATURES = 8;
const ROWS = 1000;

/** Deterministic uniform numbers (mulberry32). */
function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// A three-class problem over 8 sensors, with noise so the trees grow deep.
const u = rng(7);
const frame = Object.fromEntries(Array.from({ length: FEATURES }, (_, j) => [`f${j}`, []]));
const y = [];
for (let i = 0; i < ROWS; i++) {
  const row = Array.from({ length: FEATURES }, () => u() * 10);
  for (const [j, v] of row.entries()) frame[`f${j}`].push(v);
  const s = row[0] + 0.5 * row[1] - 0.3 * row[2] + (u() - 0.5) * 4;
  y.push(s < 4 ? 'low' : s < 7 ? 'mid' : 'high');
}

const t = performance.now();
const { fitted, output: x } = preprocessingPipeline([imputer(), denseMatrix()]).fitTransform(frame);
const forest = await randomForestTrainer().fit({ x, y }, { nEstimators: TREES, maxDepth: 12, seed: 1 });
const exported = exportToOnnx({ model: forest, preprocessing: fitted });
const dir = await mkdtemp(join(tmpdir(), 'mlops-bench-batching-'));
const objects = fsObjectStore({ dir });
const { digest } = await saveModelPackage({
  objects,
  flavor: onnxFlavor(),
  model: exported,
  signature: exported.signature,
  lineage: {},
});
console.log(
  `trained and exported a ${TREES}-tree forest (${ROWS} rows x ${FEATURES} features, depth <= 12) in ${((performance.now() - t) / 1000).toFixed(1)} s`,
);

const record = Object.fromEntries(Array.from({ length: FEATURES }, (_, j) => [`f${j}`, 1 + j * 0.7]));
const body = JSON.stringify({ instances: [record] });

async function run(batching) {
  const { predictor } = await loadModelPackage({ objects, digest, flavors: [onnxFlavor({ intraOpNumThreads: 1 })] });
  const server = createModelServer({
    models: [{ name: 'forest', predictor, closePredictor: true }],
    batching: batching ? { maxBatchSize: 64 } : false,
    defaultMetrics: false,
  });
  const http = await server.listen({ port: 0, host: '127.0.0.1', signals: [] });
  const batchSizes = [];
  const r = await loadTest({
    url: `${http.url}/v1/models/forest/predict`,
    connections: CONNECTIONS,
    seconds: SECONDS,
    body,
  });
  const text = await server.metrics.metrics();
  const sum = Number(/mlops_batch_size_rows_sum\{[^}]*\} (\S+)/.exec(text)?.[1] ?? Number.NaN);
  const count = Number(/mlops_batch_size_rows_count\{[^}]*\} (\S+)/.exec(text)?.[1] ?? Number.NaN);
  batchSizes.push(sum / count);
  await http.close();
  return {
    rps: r.rps,
    p50: r.p50,
    p99: r.p99,
    bad: r.bad,
    meanBatch: batchSizes[0],
  };
}

const fmt = (r) =>
  `${Math.round(r.rps).toLocaleString('en-US').padStart(6)} req/s  p50 ${String(r.p50).padStart(4)} ms  p99 ${String(r.p99).padStart(4)} ms  mean rows per predictor call ${r.meanBatch.toFixed(1)}${r.bad ? `  (${r.bad} failed)` : ''}`;

try {
  console.log(
    `autocannon: ${CONNECTIONS} connections, ${SECONDS} s per run, 1 record per request; load average ${loadavg()[0].toFixed(1)}`,
  );
  await run(true); // warm-up (JIT, onnxruntime)
  const off = await run(false);
  const on = await run(true);
  console.log(`batching off   ${fmt(off)}`);
  console.log(`batching on    ${fmt(on)}`);
  console.log(
    `throughput ratio (on/off): ${(on.rps / off.rps).toFixed(2)}x (aim >= 1.5x); p99 ratio (off/on): ${(off.p99 / on.p99).toFixed(2)}x`,
  );
} finally {
  await rm(dir, { recursive: true, force: true });
}
