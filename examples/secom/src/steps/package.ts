// Step 7: the native forest package with its fitted preprocessing, and ONE ONNX graph holding the preprocessing
// too, checked against each other on the test runs.
import {
  type Columns,
  loadModelPackage,
  type ObjectStore,
  type SavedModelPackage,
  saveModelPackage,
} from '@mlops/core';
import type { DenseMatrix, FittedPreprocessingPipeline, Frame } from '@mlops/core/preprocessing';
import type { Run } from '@mlops/core/tracking';
import type { SecomData } from '@mlops/datasets';
import { log } from '@mlops/example-kit';
import type { Calibrator } from '@mlops/monitoring';
import { calibratorMetadata } from '@mlops/monitoring';
import { exportToOnnx, onnxFlavor } from '@mlops/plugin-onnx';
import { type RandomForestModel, randomForestFlavor, randomForestOutputSignature } from '@mlops/plugin-random-forest';
import type { SecomContext } from '../context.js';
import type { DatasetRef } from './data.js';
import type { TestMetrics } from './evaluate.js';

/** ONNX against the JS forest on the same runs. */
export interface Parity {
  maxAbsDiff: number;
  labelMismatches: number;
  rows: number;
}

/** Both packages, the exported graph and the parity between them. */
export interface Packages {
  native: SavedModelPackage;
  onnx: SavedModelPackage;
  exported: ReturnType<typeof exportToOnnx>;
  /** The graph's inputs: the raw sensors the preprocessing keeps. */
  inputNames: string[];
  parity: Parity;
}

/** Saves both packages (the calibrator in their metadata) and fails the run when the ONNX graph disagrees with the forest. */
export async function packageModels(
  ctx: SecomContext,
  input: {
    forest: RandomForestModel;
    fitted: FittedPreprocessingPipeline<DenseMatrix>;
    data: SecomData;
    metrics: TestMetrics;
    calibrator: Calibrator;
    study: Run;
    dataset: DatasetRef;
    testFrame: Frame;
  },
): Promise<Packages> {
  const { objects, store } = ctx;
  const { forest, fitted, data, metrics, calibrator, study, dataset } = input;
  const lineage = { runId: study.id, datasetVersions: [`${dataset.name}@${dataset.version}`] };
  const native = await saveModelPackage({
    objects,
    store,
    flavor: randomForestFlavor(),
    model: forest,
    signature: {
      inputs: data.featureNames.map((name) => ({ name, type: 'float64' as const, optional: true })),
      outputs: randomForestOutputSignature(forest),
    },
    preprocessing: fitted,
    metrics,
    lineage,
    metadata: calibratorMetadata(calibrator),
  });
  const exported = exportToOnnx({ model: forest, preprocessing: fitted });
  const onnx = await saveModelPackage({
    objects,
    store,
    flavor: onnxFlavor(),
    model: exported,
    signature: exported.signature,
    metrics,
    lineage,
    metadata: calibratorMetadata(calibrator),
  });
  const inputNames = exported.signature.inputs.map((i) => i.name);
  const parity = await checkParity(objects, onnx.digest, native.digest, inputNames, input.testFrame, data.featureNames);
  await study.logMetrics({ onnx_max_abs_diff: parity.maxAbsDiff, onnx_label_mismatches: parity.labelMismatches });
  log('onnx', 'exported preprocessing + forest as one graph; parity on the test runs', {
    inputs: inputNames.length,
    maxAbsDiff: parity.maxAbsDiff.toExponential(2),
    labelMismatches: parity.labelMismatches,
    package: onnx.digest.slice(0, 19),
  });
  if (parity.labelMismatches > 0 || parity.maxAbsDiff > 1e-5) {
    throw new Error(`ONNX parity failed: ${parity.labelMismatches} label mismatches, max |Δp| ${parity.maxAbsDiff}`);
  }
  return { native, onnx, exported, inputNames, parity };
}

/** Scores raw sensor columns through a served (ONNX) predictor: float32 columns in, P(fail) out. */
async function serveScores(
  predictor: { predict(input: Columns): Promise<Columns> },
  frame: Frame,
  inputs: readonly string[],
): Promise<number[]> {
  const columns = Object.fromEntries(
    inputs.map((n) => [
      n,
      Float32Array.from(frame[n] as ArrayLike<number | null>, (v) => (v === null ? Number.NaN : v)),
    ]),
  );
  const out = await predictor.predict(columns);
  const probs = out.probabilities as ArrayLike<number>[];
  return Array.from(probs, (row) => row[1]!);
}

/** Loads both packages and compares the ONNX graph (raw float32 columns) with the JS forest on the same values. */
export async function checkParity(
  objects: ObjectStore,
  onnxDigest: string,
  nativeDigest: string,
  inputs: readonly string[],
  frame: Frame,
  allNames: readonly string[],
): Promise<Parity> {
  const f32: Frame = {};
  for (const n of allNames) {
    f32[n] = Array.from(Float32Array.from(frame[n] as ArrayLike<number>), (v) => (Number.isNaN(v) ? Number.NaN : v));
  }
  const onnx = await loadModelPackage({ objects, digest: onnxDigest, flavors: [onnxFlavor({ intraOpNumThreads: 1 })] });
  const js = await loadModelPackage({ objects, digest: nativeDigest, flavors: [randomForestFlavor()] });
  try {
    const a = await serveScores(onnx.predictor, f32, inputs);
    const b = (await js.predictor.predict(f32)) as { probabilities: number[][] };
    let maxAbsDiff = 0;
    let labelMismatches = 0;
    a.forEach((p, i) => {
      const q = b.probabilities[i]![1]!;
      maxAbsDiff = Math.max(maxAbsDiff, Math.abs(p - q));
      if (p > 0.5 !== q > 0.5) labelMismatches++;
    });
    return { maxAbsDiff, labelMismatches, rows: a.length };
  } finally {
    await onnx.predictor.close?.();
    await js.predictor.close?.();
  }
}
