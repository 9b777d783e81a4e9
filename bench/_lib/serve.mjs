// Shared pieces of the serve benchmarks: a cheap predictor (so the figures measure the server, not the model), the
// one-record request body, and `loadTest`, which runs autocannon in a child process.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const GENERATOR = fileURLToPath(new URL('./load-generator.mjs', import.meta.url));

/** A cheap predictor: a linear score and a label. */
export const cheapPredictor = {
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

/** A v1 predict body with one record for {@link cheapPredictor}. */
export const oneRecordBody = JSON.stringify({ instances: [{ age: 42, income: 51000, city: 'Lyon' }] });

/**
 * Runs autocannon against `url` in its own process and resolves with `{ rps, p50, p99, bad, total, ok (2xx), non2xx,
 * errors, timeouts, seconds, statusCodes }`. Options: `connections`, `seconds`, `body`, `method` (POST), `headers`,
 * `excludeErrorStats` (latency of 2xx only), `timeout` (s per request, default 10).
 */
export function loadTest(options) {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [GENERATOR, JSON.stringify(options)],
      { maxBuffer: 1 << 20, timeout: (options.seconds + 60) * 1000 },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`load generator failed: ${err.message}\n${stderr}`));
        else resolve(JSON.parse(stdout.trim().split('\n').pop()));
      },
    );
  });
}
