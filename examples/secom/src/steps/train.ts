// Step 5: a baseline forest and a small study, tracked (a parent run, one child run per configuration), scored by
// validation PR-AUC.
import { prAuc, rocAuc } from '@mlops/core/metrics';
import type { Run } from '@mlops/core/tracking';
import { log } from '@mlops/example-kit';
import { type RandomForestModel, type RandomForestParams, randomForestTrainer } from '@mlops/plugin-random-forest';
import { FAIL, type SecomContext } from '../context.js';
import { failScores } from '../metrics.js';
import type { DatasetRef } from './data.js';
import type { Prepared } from './preprocess.js';

/** One configuration of the study, fitted and scored on the validation runs. */
export interface Trial {
  name: string;
  params: RandomForestParams;
  model: RandomForestModel;
  valPrAuc: number;
  valRocAuc: number;
  runId: string;
}

/** Settings of the forests. */
export interface ForestSettings {
  /** Worker threads per forest. */
  workers: number;
  /** Trees of the baseline forest (the study's forests scale with it); unset: 40 quick, 100 full. */
  trees?: number;
}

/** The baseline and the study's configurations: quick runs fewer and smaller forests. */
export function forestConfigs(
  quick: boolean,
  seed: number,
  settings: ForestSettings,
): { name: string; params: RandomForestParams }[] {
  const baselineTrees = quick ? 40 : 100;
  const scale = (settings.trees ?? baselineTrees) / baselineTrees;
  const trees = (n: number) => Math.max(1, Math.round(n * scale));
  const base = { balancedBootstrap: true, seed, workers: settings.workers };
  return [
    { name: 'baseline', params: { ...base, nEstimators: trees(baselineTrees), maxFeatures: 0.2 } },
    { name: 'wider', params: { ...base, nEstimators: trees(quick ? 24 : 60), maxFeatures: 0.35 } },
    { name: 'shallow', params: { ...base, nEstimators: trees(quick ? 24 : 80), maxFeatures: 0.2, maxDepth: 6 } },
    ...(quick ? [] : [{ name: 'narrow-many', params: { ...base, nEstimators: trees(120), maxFeatures: 0.12 } }]),
  ];
}

/** What the study gave: its tracking run (left open for the later steps' metrics), every trial and the best one. */
export interface StudyOutcome {
  study: Run;
  trials: Trial[];
  best: Trial;
}

/** Fits every configuration on the training runs, each in a child run of the study run; the best validation PR-AUC wins. */
export async function trainForests(
  ctx: SecomContext,
  prepared: Prepared,
  dataset: DatasetRef,
  options: ForestSettings & { targetRecall: number },
): Promise<StudyOutcome> {
  const { tracker, quick, simulated, simTag } = ctx;
  const configs = forestConfigs(quick, ctx.seed, options);
  const study = await tracker.startRun({
    experiment: 'secom',
    name: `study ${new Date().toISOString()}`,
    params: { model: 'random-forest', trials: configs.length - 1, quick, targetRecall: options.targetRecall },
    tags: { ...simTag, features: simulated ? 'simulated' : 'real' },
  });
  await study.logDatasetVersion({ name: dataset.name, version: dataset.version, role: 'train' });
  const { yVal, valX } = prepared;
  const trials: Trial[] = [];
  for (const cfg of configs) {
    const run = await tracker.startRun({
      parentRunId: study.id,
      name: cfg.name,
      params: { trial: cfg.name },
      tags: simTag,
    });
    const started = Date.now();
    const model = await randomForestTrainer().fit({ x: prepared.trainX, y: prepared.yTrain }, cfg.params, { run });
    const score = failScores(model, model.predictProba(valX));
    const valPrAuc = prAuc(yVal, score, { posLabel: FAIL });
    const valRocAuc = rocAuc(yVal, score, { posLabel: FAIL });
    await run.logMetrics({
      val_pr_auc: valPrAuc,
      val_roc_auc: valRocAuc,
      fit_seconds: (Date.now() - started) / 1000,
    });
    await run.end();
    trials.push({ name: cfg.name, params: cfg.params, model, valPrAuc, valRocAuc, runId: run.id });
    log(cfg.name === 'baseline' ? 'baseline' : 'study', `${cfg.name}: ${JSON.stringify(cfg.params)}`, {
      val_pr_auc: valPrAuc,
      val_roc_auc: valRocAuc,
      seconds: (Date.now() - started) / 1000,
    });
  }
  const best = trials.reduce((a, b) => (b.valPrAuc > a.valPrAuc ? b : a));
  await study.logParams({ best_trial: best.name });
  const failBaseRate = yVal.filter((y) => y === FAIL).length / yVal.length;
  log('study', `best: ${best.name}`, { val_pr_auc: best.valPrAuc, fail_base_rate: failBaseRate });
  return { study, trials, best };
}
