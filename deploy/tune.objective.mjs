// The objective of the deployed tuning study: `mlops tune deploy/tune.study.json` (the Kubernetes Indexed Job
// deploy/k8s/base/job-tune.yaml runs exactly this in every pod). Each trial trains the model deploy/retrain.config.mjs
// retrains (TF-IDF + softmax regression, @mlops/plugin-linear) with the trial's params on the same 80/20 split of the
// latest version of the dataset, and returns the held-out macro F1 (the study maximises it).
//
// It runs in the worker threads of `mlops tune` (plain ESM JavaScript, published packages only). Each thread loads the
// dataset once: it opens MLOPS_STORE for the dataset version and MLOPS_OBJECTS for its bytes, so the store must be
// PostgreSQL (the pod's `mlops tune` already holds an embedded PGlite store). The dataset and its columns are the
// retrain job's settings (MLOPS_RETRAIN_DATASET, MLOPS_RETRAIN_TEXT_COLUMN, MLOPS_RETRAIN_LABEL_COLUMN,
// MLOPS_RETRAIN_SEED; see deploy/retrain.config.mjs).
import { createStore, fsObjectStore } from '@mlops/core';
import { classificationReport } from '@mlops/core/metrics';
import { preprocessingPipeline, tfidfVectorizer } from '@mlops/core/preprocessing';
import { linearTrainer } from '@mlops/plugin-linear';
import { loadLatestDataset, readRetrainEnv, stratifiedSplit } from './retrain.config.mjs';

/**
 * Held-out macro F1 of one parameter set on `data` (texts and labels): the pure part of a trial.
 * params: C (inverse regularisation), maxFeatures (TF-IDF vocabulary size), ngramMax (1: words, 2: and word pairs).
 */
export async function evaluateParams(data, params, { seed = 42, textColumn = 'text', signal } = {}) {
  const split = stratifiedSplit(data.labels, 0.2, seed);
  const pick = (idx, xs) => idx.map((i) => xs[i]);
  const tfidf = {
    column: textColumn,
    ngramRange: [1, params.ngramMax],
    sublinearTf: true,
    maxFeatures: params.maxFeatures,
  };
  const { fitted, output } = preprocessingPipeline([tfidfVectorizer(tfidf)]).fitTransform({
    [textColumn]: pick(split.train, data.texts),
  });
  const trained = await linearTrainer({ maxIter: 200 }).fit(
    { x: output, y: pick(split.train, data.labels) },
    { C: params.C },
    signal ? { signal } : {},
  );
  const predicted = Array.from(
    trained.predict(fitted.transform({ [textColumn]: pick(split.test, data.texts) })),
    String,
  );
  return classificationReport(pick(split.test, data.labels), predicted).macro.f1;
}

let loaded;
/** The latest dataset version, loaded once per thread. */
function dataset(env) {
  loaded ??= (async () => {
    const store = await createStore(process.env.MLOPS_STORE);
    try {
      return await loadLatestDataset({
        store,
        objects: fsObjectStore({ dir: process.env.MLOPS_OBJECTS ?? '.mlops/objects' }),
        name: env.MLOPS_RETRAIN_DATASET ?? env.MLOPS_MODEL,
        textColumn: env.MLOPS_RETRAIN_TEXT_COLUMN,
        labelColumn: env.MLOPS_RETRAIN_LABEL_COLUMN,
      });
    } finally {
      await store.close();
    }
  })();
  return loaded;
}

/** One trial: train with `trial.params`, log the dataset version, return the held-out macro F1. */
export async function objective(trial) {
  const env = readRetrainEnv();
  const data = await dataset(env);
  await trial.setTag('dataset', `${env.MLOPS_RETRAIN_DATASET ?? env.MLOPS_MODEL}@${data.version}`);
  return evaluateParams(data, trial.params, {
    seed: env.MLOPS_RETRAIN_SEED,
    textColumn: env.MLOPS_RETRAIN_TEXT_COLUMN,
    signal: trial.signal,
  });
}
