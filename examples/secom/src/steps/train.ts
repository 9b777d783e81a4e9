// Step 5: a study of random forests (`createStudy` from @mlops/pipelines), tracked: the example's parent run, the
// study's run under it and one child run per trial, each scored by validation PR-AUC; the study picks the best.
import { prAuc, rocAuc } from '@mlops/core/metrics';
import type { Run } from '@mlops/core/tracking';
import { log, nestedTracker } from '@mlops/example-kit';
import { categorical, createStudy, intParam } from '@mlops/pipelines';
import { type RandomForestModel, type RandomForestParams, randomForestTrainer } from '@mlops/plugin-random-forest';
import { FAIL, type SecomContext } from '../context.js';
import { failScores } from '../metrics.js';
import type { DatasetRef } from './data.js';
import type { Prepared } from './preprocess.js';

/** One trial of the study, fitted and scored on the validation runs. */
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
  /** Trees of the largest forest the study may draw (the smallest has 60 % of them); unset: 40 quick, 120 full. */
  trees?: number;
}

/**
 * The study's search space and budget: the number of trees (quick runs draw smaller forests), the share of sensors
 * each tree sees, and the depth limit (`null`: grown until pure). Balanced bootstrap (the fail class is ~6.6 %) and the
 * seed are fixed.
 */
export function forestSearch(quick: boolean, settings: ForestSettings) {
  const most = Math.max(1, settings.trees ?? (quick ? 40 : 120));
  const step = Math.max(1, Math.round(most / 10));
  return {
    space: {
      nEstimators: intParam(Math.max(1, Math.round(most * 0.6)), most, { step }),
      maxFeatures: categorical([0.12, 0.2, 0.35]),
      maxDepth: categorical([null, 6]),
    },
    trials: quick ? 3 : 5,
  };
}

/** What the study gave: the parent run (left open for the later steps' metrics), every trial and the best one. */
export interface StudyOutcome {
  study: Run;
  trials: Trial[];
  best: Trial;
}

/**
 * Runs the study on the training runs: each trial fits one forest in a child run and returns its validation PR-AUC;
 * the study (maximising it) picks the best.
 */
export async function trainForests(
  ctx: SecomContext,
  prepared: Prepared,
  dataset: DatasetRef,
  options: ForestSettings & { targetRecall: number },
): Promise<StudyOutcome> {
  const { tracker, quick, simulated, simTag } = ctx;
  const { space, trials: budget } = forestSearch(quick, options);
  const parent = await tracker.startRun({
    experiment: 'secom',
    name: `study ${new Date().toISOString()}`,
    params: { model: 'random-forest', trials: budget, quick, targetRecall: options.targetRecall },
    tags: { ...simTag, features: simulated ? 'simulated' : 'real' },
  });
  await parent.logDatasetVersion({ name: dataset.name, version: dataset.version, role: 'train' });
  // A study per run of the example: its trials' forests live in this process only.
  const study = await createStudy({
    store: ctx.store,
    name: `secom-${parent.id}`,
    experiment: 'secom',
    space,
    direction: 'maximize',
    sampler: 'random',
    seed: ctx.seed,
    tracker: nestedTracker(tracker, parent.id),
  });
  const { yVal, valX } = prepared;
  const fitted = new Map<number, Trial>();
  const { best: bestRecord } = await study.optimize(
    async (trial) => {
      const started = Date.now();
      const params: RandomForestParams = {
        ...trial.params,
        balancedBootstrap: true,
        seed: ctx.seed,
        workers: options.workers,
      };
      await trial.run.setTags(simTag);
      const model = await randomForestTrainer().fit({ x: prepared.trainX, y: prepared.yTrain }, params, {
        run: trial.run,
      });
      const score = failScores(model, model.predictProba(valX));
      const valPrAuc = prAuc(yVal, score, { posLabel: FAIL });
      const valRocAuc = rocAuc(yVal, score, { posLabel: FAIL });
      await trial.run.logMetrics({
        val_pr_auc: valPrAuc,
        val_roc_auc: valRocAuc,
        fit_seconds: (Date.now() - started) / 1000,
      });
      const name = `trial ${trial.number}`;
      fitted.set(trial.number, { name, params, model, valPrAuc, valRocAuc, runId: trial.run.id });
      log('study', `${name}: ${JSON.stringify(trial.params)}`, {
        val_pr_auc: valPrAuc,
        val_roc_auc: valRocAuc,
        seconds: (Date.now() - started) / 1000,
      });
      return valPrAuc;
    },
    { trials: budget, progress: process.stderr.isTTY ? 'tty' : 'silent' },
  );
  const best = bestRecord ? fitted.get(bestRecord.number) : undefined;
  if (!best) throw new Error(`study ${study.name} finished without a complete trial`);
  const trials = [...fitted.entries()].sort(([a], [b]) => a - b).map(([, t]) => t);
  await parent.logParams({ best_trial: best.name });
  const failBaseRate = yVal.filter((y) => y === FAIL).length / yVal.length;
  log('study', `best: ${best.name}`, { val_pr_auc: best.valPrAuc, fail_base_rate: failBaseRate });
  return { study: parent, trials, best };
}
