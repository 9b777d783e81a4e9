// Random forest (ml-random-forest trees) on SECOM-shaped SIMULATED data (1,567 × 590 around the real labels and
// timestamps): training time of several settings, in the calling thread and in 2 worker threads, with the fail-class
// PR-AUC on a time-ordered 70/30 split. Timings are wall clock of fit() only (data prepared beforehand); the machine's
// load average is printed because other processes sharing the cores change the worker speed-up.
import { availableParallelism, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { prAuc, precisionRecallF1 } from '@mlops/core/metrics';
import { denseMatrix, imputer, preprocessingPipeline } from '@mlops/core/preprocessing';
import { loadSecomLabels, simulateSecom } from '@mlops/datasets';
import { fitRandomForest } from '@mlops/plugin-random-forest';

const only = process.argv[2]; // optional: index of one config

const { labels, timestamps } = await loadSecomLabels();
const sim = simulateSecom({ seed: 1, labels, timestamps });
const order = timestamps.map((t, i) => [t.getTime(), i]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
const cut = Math.floor(0.7 * order.length);
const frame = (from, to) =>
  Object.fromEntries(sim.featureNames.map((n, j) => [n, order.slice(from, to).map(([, i]) => sim.features[i][j])]));
const { fitted, output: xTrain } = preprocessingPipeline([imputer(), denseMatrix()]).fitTransform(frame(0, cut));
const xTest = fitted.transform(frame(cut, order.length));
const yTrain = order.slice(0, cut).map(([, i]) => sim.labels[i]);
const yTest = order.slice(cut).map(([, i]) => sim.labels[i]);

const CONFIGS = [
  { name: 'balanced bootstrap, sqrt (24) features', nEstimators: 100, balancedBootstrap: true },
  { name: 'balanced bootstrap, 10 % features', nEstimators: 100, balancedBootstrap: true, maxFeatures: 0.1 },
  { name: 'balanced bootstrap, 20 % features', nEstimators: 100, balancedBootstrap: true, maxFeatures: 0.2 },
  { name: 'balanced bootstrap, 50 % features', nEstimators: 100, balancedBootstrap: true, maxFeatures: 0.5 },
  { name: 'plain bootstrap, 5 % features, depth 10', nEstimators: 10, maxFeatures: 0.05, maxDepth: 10 },
  {
    name: "classWeight 'balanced', 5 % features, depth 10",
    nEstimators: 10,
    maxFeatures: 0.05,
    maxDepth: 10,
    classWeight: 'balanced',
  },
];

console.log(
  `SECOM-shaped simulated: train ${xTrain.nRows} × ${xTrain.nCols}, test ${xTest.nRows}; cores ${availableParallelism()}`,
);
for (const [i, { name, ...params }] of CONFIGS.entries()) {
  if (only !== undefined && Number(only) !== i) continue;
  const row = [];
  let auc;
  let recall;
  for (const workers of [0, 2]) {
    const load = loadavg()[0].toFixed(1);
    const t = performance.now();
    const model = await fitRandomForest({ x: xTrain, y: yTrain }, { ...params, seed: 1, workers });
    const s = (performance.now() - t) / 1000;
    row.push({ workers, s, load });
    auc = prAuc(
      yTest,
      model.predictProba(xTest).map((p) => p[1]),
      { posLabel: 1 },
    );
    recall = precisionRecallF1(yTest, model.predict(xTest), { labels: [-1, 1] }).perClass[1].recall;
  }
  const [a, b] = row;
  console.log(
    `${name} | ${params.nEstimators} trees | inline ${a.s.toFixed(1)} s (load ${a.load}) | 2 workers ${b.s.toFixed(1)} s (load ${b.load}) | speed-up ×${(a.s / b.s).toFixed(2)} | ${((1000 * b.s) / params.nEstimators).toFixed(0)} ms/tree (2 workers) | PR-AUC ${auc.toFixed(3)} | fail recall ${recall.toFixed(2)}`,
  );
}
