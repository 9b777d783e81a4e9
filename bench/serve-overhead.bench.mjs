// Server overhead: autocannon at concurrency 64 against, in the same run,
//   (a) a bare express app that parses JSON and calls the same predictor (the baseline),
//   (b) @mlops/serve with prediction logging off, and
//   (c) @mlops/serve with prediction logging on (PGlite memory://, core's batched writer),
// all on 127.0.0.1 in this process. Prints req/s, p50/p99 latency and the throughput overhead vs the baseline
// (issue 8 aims at <= 15 % with logging on). The load generator shares the CPU with the servers, so compare the
// ratios, not the absolute figures. MLOPS_BENCH_SECONDS sets each run's duration (default 10).

import { createStore } from '@mlops/core';
import { createModelServer } from '@mlops/serve';
import autocannon from 'autocannon';
import express from 'express';

const SECONDS = Number(process.env.MLOPS_BENCH_SECONDS ?? 10);
const CONNECTIONS = 64;

/** A cheap predictor: a linear score and a label, so the figures measure the server rather than the model. */
const predictor = {
  signature: {
    inputs: [
      { name: 'age', type: 'float64', shape: [] },
      { name: 'income', type: 'float64', shape: [] },
      { name: 'city', type: 'string', shape: [] },
    ],
    outputs: [
      { name: 'score', type: 'float64', shape: [] },
      { name: 'label', type: 'string', shape: [] },
    ],
  },
  batchable: true,
  async predict(inputs) {
    const n = inputs.age.length;
    const score = new Float64Array(n);
    const label = new Array(n);
    for (let i = 0; i < n; i++) {
      score[i] = 1 / (1 + Math.exp(-(0.03 * inputs.age[i] + 0.00001 * inputs.income[i] - 2)));
      label[i] = score[i] > 0.5 ? 'yes' : 'no';
    }
    return { score, label };
  },
};

const body = JSON.stringify({ instances: [{ age: 42, income: 51000, city: 'Lyon' }] });

function listen(app) {
  return new Promise((resolve) => {
    const server = app.listen(0, '127.0.0.1', () => resolve(server));
  });
}

async function load(url) {
  const r = await autocannon({
    url,
    method: 'POST',
    connections: CONNECTIONS,
    duration: SECONDS,
    headers: { 'content-type': 'application/json' },
    body,
  });
  const bad = r.non2xx + r.errors + r.timeouts;
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, bad, total: r.requests.total };
}

async function bare() {
  const app = express();
  app.use(express.json());
  app.post('/predict', async (req, res) => {
    const rows = req.body.instances;
    const out = await predictor.predict({
      age: Float64Array.from(rows, (r) => r.age),
      income: Float64Array.from(rows, (r) => r.income),
      city: rows.map((r) => r.city),
    });
    res.json({ predictions: Array.from(out.score, (s, i) => ({ score: s, label: out.label[i] })) });
  });
  const server = await listen(app);
  const result = await load(`http://127.0.0.1:${server.address().port}/predict`);
  await new Promise((r) => server.close(r));
  return result;
}

async function ours(store) {
  const server = createModelServer({
    models: [{ name: 'm', predictor }],
    ...(store ? { store } : {}),
    defaultMetrics: false,
  });
  const http = await server.listen({ port: 0, host: '127.0.0.1', signals: [] });
  const result = await load(`${http.url}/v1/models/m/predict`);
  await http.close();
  return { ...result, log: server.logger?.stats() };
}

const fmt = (r) =>
  `${Math.round(r.rps).toLocaleString('en-US').padStart(7)} req/s  p50 ${String(r.p50).padStart(3)} ms  p99 ${String(r.p99).padStart(3)} ms${r.bad ? `  (${r.bad} failed)` : ''}`;

console.log(`autocannon: ${CONNECTIONS} connections, ${SECONDS} s per run, 1 record per request`);
await bare(); // warm-up (JIT, sockets)
const base = await bare();
const off = await ours(undefined);
const store = await createStore('memory://');
const on = await ours(store);
const rows = await store.query('SELECT count(*)::int AS n FROM core_predictions');
await store.close();
const overhead = (r) => `${((base.rps / r.rps - 1) * 100).toFixed(1)} %`;
console.log(`bare express + predictor      ${fmt(base)}`);
console.log(`@mlops/serve, logging off     ${fmt(off)}  overhead ${overhead(off)}`);
console.log(`@mlops/serve, logging on      ${fmt(on)}  overhead ${overhead(on)}`);
console.log(
  `prediction log: ${rows[0].n.toLocaleString('en-US')} rows written for ${on.total.toLocaleString('en-US')} requests; dropped ${on.log?.dropped ?? 0}`,
);
console.log(
  `throughput ratio (ours/bare): logging off ${(off.rps / base.rps).toFixed(2)}, logging on ${(on.rps / base.rps).toFixed(2)}`,
);
