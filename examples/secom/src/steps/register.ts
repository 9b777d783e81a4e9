// Steps 8–9: the ONNX package registered with the drift profile of its training runs, then a gated promotion to
// production.
import { isMlopsError } from '@mlops/core';
import { createProfile } from '@mlops/drift';
import { log } from '@mlops/example-kit';
import { onnxFlavor } from '@mlops/plugin-onnx';
import type { RandomForestModel } from '@mlops/plugin-random-forest';
import type { ModelVersion } from '@mlops/registry';
import { MODEL, type SecomContext } from '../context.js';
import { pick } from '../frames.js';
import { failScores } from '../metrics.js';
import type { DatasetRef } from './data.js';
import type { TestMetrics } from './evaluate.js';
import type { Packages } from './package.js';
import type { Prepared } from './preprocess.js';

/** The registered version and the drift profile it was registered with. */
export interface Registered {
  version: ModelVersion;
  profile: ReturnType<typeof createProfile>;
}

/**
 * Registers the ONNX package with its metrics, signature, threshold, dataset version and the drift profile of the
 * training runs (kept sensors + the fail score as the prediction column); creates the model on the first run.
 */
export async function registerVersion(
  ctx: SecomContext,
  input: {
    forest: RandomForestModel;
    prepared: Prepared;
    packages: Packages;
    metrics: TestMetrics;
    study: { id: string };
    dataset: DatasetRef;
  },
): Promise<Registered> {
  const { registry, seed, simulated, simTag, quick } = ctx;
  const { forest, prepared, packages, metrics, dataset } = input;
  const trainScore = failScores(forest, forest.predictProba(prepared.trainX));
  const keptTrain = pick(prepared.trainFrame, prepared.kept);
  const profile = createProfile(
    { ...keptTrain, fail_score: Array.from(trainScore) },
    { seed, sampleSize: 2000, columnMapping: { prediction: 'fail_score' } },
  );
  try {
    await registry.createModel({
      name: MODEL,
      description: 'Fail probability of a SECOM wafer run from 590 sensor readings',
      tags: simTag,
    });
  } catch (err) {
    if (!isMlopsError(err, 'CONFLICT')) throw err;
  }
  const version = await registry.createVersion({
    model: MODEL,
    packageDigest: packages.onnx.digest,
    flavor: onnxFlavor().name,
    signature: packages.exported.signature,
    profile,
    metrics,
    sourceRunId: input.study.id,
    datasetVersions: [{ name: dataset.name, version: dataset.version }],
    tags: {
      ...simTag,
      features: simulated ? 'simulated' : 'real',
      quick: String(quick),
      threshold: metrics.threshold.toFixed(6),
      nativePackage: packages.native.digest,
    },
    description: simulated
      ? 'Trained on SIMULATED sensor readings around the real SECOM labels'
      : 'Trained on the UCI SECOM sensor readings',
  });
  log('register', `registered ${MODEL} v${version.version} (${ctx.features})`, {
    package: packages.onnx.digest.slice(0, 19),
  });
  return { version, profile };
}

/**
 * The promotion gate (also continuous training's): the model must rank fails well above chance (PR-AUC at least
 * twice the fail base rate, ROC-AUC at least 0.7) and not be worse than production by more than 0.05 PR-AUC. The
 * threshold (recall) is a decision policy, chosen on validation; it is reported, not gated.
 */
export function promotionGate(failShare: number) {
  return {
    all: [
      { metric: 'pr_auc', op: 'gte', value: Math.max(0.1, 2 * failShare) },
      { metric: 'roc_auc', op: 'gte', value: 0.7 },
      { metric: 'pr_auc', notWorseThanIncumbentBy: 0.05, direction: 'max' },
    ],
  } as const;
}

/** Gated promotion to `production`: true when it passed; a refusal is logged and the run goes on. */
export async function promoteToProduction(
  ctx: SecomContext,
  version: number,
  gate: ReturnType<typeof promotionGate>,
  reason: string,
): Promise<boolean> {
  try {
    const res = await ctx.registry.promote({ model: MODEL, version, alias: 'production', gate, reason });
    log('promote', `v${version} → production`, { passed: res.decision.passed });
    return res.decision.passed;
  } catch (err) {
    if (!isMlopsError(err, 'GATE_FAILED')) throw err;
    log('promote', `v${version} refused by the gate`, { reason: err.message });
    return false;
  }
}
