// SECOM: our random forest vs scikit-learn's RandomForestClassifier on the example's time-ordered split and
// preprocessing (fitted on the training runs only), both scored by the same JavaScript metric functions at a decision
// threshold chosen on the validation runs for fail recall ≥ 0.5. Uses the real secom.data when the loader finds it,
// else the simulated readings around the real labels (and says so). Needs /usr/bin/python3 with scikit-learn.
//   npm run bench -- secom-sklearn            (100 trees, maxFeatures 0.2, as the example's baseline)
//   node bench/secom-sklearn.bench.mjs --trees 40
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { classificationReport, prAuc, rocAuc } from '@mlops/core/metrics';
import { columnDropper, denseMatrix, imputer, preprocessingPipeline, standardScaler } from '@mlops/core/preprocessing';
import { isDatasetError, loadSecom } from '@mlops/datasets';
import { randomForestTrainer } from '@mlops/plugin-random-forest';

const { values: args } = parseArgs({
  options: {
    trees: { type: 'string', default: '100' },
    'max-features': { type: 'string', default: '0.2' },
    seed: { type: 'string', default: '42' },
    workers: { type: 'string', default: '2' },
    'target-recall': { type: 'string', default: '0.5' },
  },
});
const FAIL = 1;
const seed = Number(args.seed);
const forest = {
  nEstimators: Number(args.trees),
  maxFeatures: Number(args['max-features']),
  seed,
  workers: Number(args.workers),
};
const targetRecall = Number(args['target-recall']);

// 1. Data: the real file when present, else simulated readings around the real labels.
let data;
try {
  data = await loadSecom({ offline: true, progress: 'silent' });
} catch (err) {
  if (!isDatasetError(err, 'NOT_FOUND')) throw err;
  data = await loadSecom({ simulate: true, seed, offline: true, progress: 'silent' });
}
const features = data.simulated
  ? 'SIMULATED features (secom.data is not available here; readings generated around the real labels)'
  : 'real UCI secom.data';
console.log(`SECOM ${data.features.length} runs × ${data.featureNames.length} sensors: ${features}`);

// 2. The example's split: time-ordered, 50 % train, 20 % validation (threshold), 30 % test.
const idx = data.timestamps
  .map((t, i) => [t.getTime(), i])
  .sort((a, b) => a[0] - b[0] || a[1] - b[1])
  .map(([, i]) => i);
const nTrain = Math.round(idx.length * 0.5);
const nVal = Math.round(idx.length * 0.2);
const parts = { train: idx.slice(0, nTrain), val: idx.slice(nTrain, nTrain + nVal), test: idx.slice(nTrain + nVal) };
const frameOf = (ix) =>
  Object.fromEntries(
    data.featureNames.map((name, j) => [
      name,
      ix.map((i) => (Number.isNaN(data.features[i][j]) ? null : data.features[i][j])),
    ]),
  );
const yOf = (ix) => ix.map((i) => data.labels[i]);

// 3. Preprocessing fitted on the training runs only.
const pre = preprocessingPipeline([
  columnDropper({ maxMissingShare: 0.5 }),
  imputer({ strategy: 'median' }),
  standardScaler(),
  denseMatrix(),
]).fitTransform(frameOf(parts.train));
const x = {
  train: pre.output,
  val: pre.fitted.transform(frameOf(parts.val)),
  test: pre.fitted.transform(frameOf(parts.test)),
};
const y = { train: yOf(parts.train), val: yOf(parts.val), test: yOf(parts.test) };
console.log(
  `split: train ${parts.train.length}, validation ${parts.val.length}, test ${parts.test.length} (${y.test.filter((v) => v === FAIL).length} fails); ${pre.output.nCols} sensors kept`,
);

// 4. Ours.
let started = performance.now();
const model = await randomForestTrainer().fit({ x: x.train, y: y.train }, { ...forest, balancedBootstrap: true });
const oursFit = (performance.now() - started) / 1000;
const failCol = model.classes.indexOf(FAIL);
const scoresOf = (m) => Float64Array.from(model.predictProba(m), (row) => row[failCol]);
const ours = { fit: oursFit, val: scoresOf(x.val), test: scoresOf(x.test) };

// 5. scikit-learn on the same matrices.
const dir = mkdtempSync(join(tmpdir(), 'mlops-secom-sklearn-'));
let sk;
try {
  const f64 = (a) => Buffer.from(Float64Array.from(a).buffer);
  writeFileSync(join(dir, 'x_train.f64'), f64(x.train.data));
  writeFileSync(join(dir, 'x_val.f64'), f64(x.val.data));
  writeFileSync(join(dir, 'x_test.f64'), f64(x.test.data));
  writeFileSync(join(dir, 'y_train.f64'), f64(y.train));
  writeFileSync(
    join(dir, 'meta.json'),
    JSON.stringify({ nCols: x.train.nCols, nTrain: x.train.nRows, nVal: x.val.nRows, nTest: x.test.nRows, forest }),
  );
  started = performance.now();
  const res = spawnSync('/usr/bin/python3', [join(import.meta.dirname, 'secom_sklearn.py'), dir], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (res.status !== 0) throw new Error(`secom_sklearn.py failed: ${res.stderr || res.error}`);
  const out = JSON.parse(res.stdout);
  sk = { fit: out.fit_seconds, val: out.val, test: out.test, version: out.sklearn };
} finally {
  rmSync(dir, { recursive: true, force: true });
}

// 6. The same metrics for both: threshold = the highest validation score reaching fail recall ≥ target.
function thresholdFor(scores, truth) {
  const pos = truth.filter((v) => v === FAIL).length;
  const order = Array.from(scores.keys()).sort((a, b) => scores[b] - scores[a]);
  let tp = 0;
  for (let k = 0; k < order.length; k++) {
    if (truth[order[k]] === FAIL) tp++;
    const next = order[k + 1];
    if (next !== undefined && scores[next] === scores[order[k]]) continue;
    if (tp / pos >= targetRecall) return scores[order[k]];
  }
  return scores[order.at(-1)];
}
function evaluate(m) {
  const threshold = thresholdFor(Array.from(m.val), y.val);
  const rep = classificationReport(
    y.test.map((v) => (v === FAIL ? 'fail' : 'pass')),
    Array.from(m.test, (s) => (s >= threshold ? 'fail' : 'pass')),
    { labels: ['pass', 'fail'] },
  );
  const fail = rep.perClass.find((c) => c.label === 'fail');
  return {
    'fail recall': fail.recall,
    'fail precision': fail.precision,
    'fail F1': fail.f1,
    'balanced accuracy': rep.balancedAccuracy,
    'ROC-AUC': rocAuc(y.test, Array.from(m.test), { posLabel: FAIL }),
    'PR-AUC': prAuc(y.test, Array.from(m.test), { posLabel: FAIL }),
    threshold,
    'fit seconds': m.fit,
  };
}
const a = evaluate(ours);
const b = evaluate(sk);
const base = y.test.filter((v) => v === FAIL).length / y.test.length;
console.log(
  `\nforest: ${forest.nEstimators} trees, maxFeatures ${forest.maxFeatures}, seed ${seed}, ${forest.workers} workers; ` +
    `test fail rate ${(100 * base).toFixed(1)} % (a constant score has PR-AUC ≈ ${base.toFixed(3)})`,
);
console.log(
  'ours: @mlops/plugin-random-forest, balanced bootstrap, feature subset drawn once per tree\n' +
    `scikit-learn ${sk.version}: RandomForestClassifier, class_weight=balanced_subsample, max_features per split\n`,
);
const rows = Object.keys(a).map((k) => ({
  metric: k,
  ours: Number(a[k].toFixed(4)),
  'scikit-learn': Number(b[k].toFixed(4)),
  'ours ÷ sklearn': Number((a[k] / b[k]).toFixed(2)),
}));
console.table(rows);
if (data.simulated)
  console.log('NOTE: SIMULATED features: these figures describe the simulator, not the real fab data.');
