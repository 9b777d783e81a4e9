// The retraining continuous training calls, as an engineer would do it after a tool fault: the sensors the drift
// check flagged are not trusted and left out (the graph no longer takes them), the forest is refitted on the training
// runs plus the labelled traffic from before the fault, and the candidate is evaluated on the runs since the fault,
// where the incumbent's served scores give the comparison on the same runs.
import { saveModelPackage } from '@mlops/core';
import type { Frame } from '@mlops/core/preprocessing';
import type { SecomData } from '@mlops/datasets';
import { createProfile } from '@mlops/drift';
import { log } from '@mlops/example-kit';
import type { EvaluationData } from '@mlops/pipelines';
import { exportToOnnx, onnxFlavor } from '@mlops/plugin-onnx';
import { randomForestTrainer } from '@mlops/plugin-random-forest';
import { FAIL, MODEL, type SecomContext } from '../context.js';
import { concatFrames, pick } from '../frames.js';
import { failScores, holdoutMetrics, operatingPoints, prefix, thresholdForRecall } from '../metrics.js';
import type { ReplayedWindow, RetrainSummary } from '../types.js';
import type { DatasetRef } from './data.js';
import type { Prepared } from './preprocess.js';
import { secomPreprocessing } from './preprocess.js';
import type { Trial } from './train.js';

/** What the retraining reuses from the first training. */
export interface RetrainBasis {
  data: SecomData;
  prepared: Prepared;
  /** The study's best configuration, refitted. */
  best: Trial;
  dataset: DatasetRef;
  targetRecall: number;
  /** The incumbent's decision threshold. */
  threshold: number;
  /** The incumbent's registered metrics (reported, not compared). */
  incumbentMetrics: Record<string, number> | undefined;
}

/** The candidate (registered), what the gate compares it on, and the inputs its graph takes. */
export interface RetrainOutcome {
  summary: RetrainSummary;
  holdout: EvaluationData;
  inputs: string[];
}

/**
 * Fits, exports and registers a candidate without the `untrusted` sensors; `replayed` are the windows served so far
 * and `parts` the row numbers of every window.
 */
export async function retrainCandidate(
  ctx: SecomContext,
  basis: RetrainBasis,
  replayed: readonly ReplayedWindow[],
  parts: readonly number[][],
  trigger: string,
  untrusted: string[],
): Promise<RetrainOutcome> {
  const { tracker, objects, store, registry, seed, simulated, simTag, quick } = ctx;
  const { data, prepared, best, dataset, targetRecall, threshold } = basis;
  const { yVal } = prepared;
  const started = Date.now();
  const faultAt = replayed.findIndex((r) => r.injected);
  const cut = faultAt > 0 ? faultAt : Math.max(1, replayed.length - 2);
  const hold = replayed.slice(cut);
  const used = replayed.slice(0, cut);
  const distrust = (f: Frame): Frame => ({
    ...f,
    ...Object.fromEntries(untrusted.map((n) => [n, Array.from(f[n] as ArrayLike<number | null>, () => null)])),
  });
  const fitFrame = distrust(concatFrames(data.featureNames, [prepared.trainFrame, ...used.map((r) => r.frame)]));
  const fitY = [...prepared.yTrain, ...used.flatMap((r) => r.y)];
  const holdFrame = distrust(
    concatFrames(
      data.featureNames,
      hold.map((r) => r.frame),
    ),
  );
  const holdY = hold.flatMap((r) => r.y);
  const run = await tracker.startRun({
    experiment: 'secom',
    name: 'retrain (continuous training)',
    params: { trial: best.name, rows: fitY.length, trigger, untrusted: untrusted.join(',') },
    tags: { ...simTag, trigger: 'drift' },
  });
  const cand = secomPreprocessing().fitTransform(fitFrame);
  const model = await randomForestTrainer().fit({ x: cand.output, y: fitY }, best.params, { run });
  const holdScore = failScores(model, model.predictProba(cand.fitted.transform(holdFrame)));
  // The threshold is chosen on the validation runs, as for the first model.
  const candVal = failScores(model, model.predictProba(cand.fitted.transform(distrust(prepared.valFrame))));
  const candThreshold = thresholdForRecall(
    operatingPoints(
      yVal.map((y) => y === FAIL),
      candVal,
    ),
    targetRecall,
  ).threshold;
  const candMetrics = holdoutMetrics(holdY, holdScore, candThreshold);
  const incumbentMetrics = holdoutMetrics(
    holdY,
    hold.flatMap((r) => r.scores),
    threshold,
  );
  await run.logMetrics({ ...prefix('holdout_', candMetrics), fit_seconds: (Date.now() - started) / 1000 });
  await run.end();
  const onnx = exportToOnnx({ model, preprocessing: cand.fitted });
  const pkg = await saveModelPackage({
    objects,
    store,
    flavor: onnxFlavor(),
    model: onnx,
    signature: onnx.signature,
    metrics: candMetrics,
    lineage: { runId: run.id, datasetVersions: [`${dataset.name}@${dataset.version}`] },
  });
  const candProfile = createProfile(
    {
      ...pick(fitFrame, cand.output.columns),
      fail_score: Array.from(failScores(model, model.predictProba(cand.output))),
    },
    { seed, sampleSize: 2000, columnMapping: { prediction: 'fail_score' } },
  );
  const v = await registry.createVersion({
    model: MODEL,
    packageDigest: pkg.digest,
    flavor: onnxFlavor().name,
    signature: onnx.signature,
    profile: candProfile,
    metrics: candMetrics,
    sourceRunId: run.id,
    datasetVersions: [{ name: dataset.name, version: dataset.version }],
    tags: {
      ...simTag,
      features: simulated ? 'simulated' : 'real',
      quick: String(quick),
      trigger: 'retrain',
      threshold: candThreshold.toFixed(6),
    },
    description: `Retrained by continuous training on ${fitY.length} runs (training runs + labelled traffic) without ${untrusted.join(', ') || 'no sensor'}${simulated ? ', SIMULATED features' : ''}`,
  });
  log(
    'retrain',
    `candidate v${v.version} trained on ${fitY.length} runs without ${untrusted.join(', ') || 'no sensor'}, evaluated on the ${holdY.length} runs since the fault`,
    {
      candidate_pr_auc: candMetrics.pr_auc,
      candidate_roc_auc: candMetrics.roc_auc,
      incumbent_pr_auc_same_runs: incumbentMetrics.pr_auc,
      incumbent_registered_pr_auc: basis.incumbentMetrics?.pr_auc ?? Number.NaN,
      seconds: (Date.now() - started) / 1000,
    },
  );
  // The runs since the fault as production saw them (drifted readings): the gate scores both models there.
  const holdIdx = parts.slice(cut, replayed.length).flat();
  const holdout: EvaluationData = {
    name: `the ${holdY.length} runs since the fault`,
    inputs: concatFrames(
      data.featureNames,
      hold.map((r) => r.frame),
    ),
    labels: holdY,
    datasetVersion: `${dataset.name}@${dataset.version}`,
    from: data.timestamps[holdIdx[0]!]!.toISOString(),
    to: data.timestamps[holdIdx.at(-1)!]!.toISOString(),
  };
  return {
    summary: {
      version: v.version,
      status: 'running',
      untrusted,
      trainRows: fitY.length,
      holdoutRows: holdY.length,
      holdoutFails: holdY.filter((y) => y === FAIL).length,
      candidate: candMetrics,
      incumbent: incumbentMetrics,
      reason: '',
    },
    holdout,
    inputs: onnx.signature.inputs.map((i) => i.name),
  };
}
