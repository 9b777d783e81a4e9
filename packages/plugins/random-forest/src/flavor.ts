import {
  type Columns,
  type FieldSpecInput,
  type Flavor,
  MlopsError,
  type ModelInput,
  type Predictor,
} from '@mlops/core';
import {
  argmaxRows,
  type ForestJson,
  forestPredict,
  forestProbabilities,
  forestToTrees,
  parseForestJson,
  type RandomForestModel,
} from './forest.js';

/** Flavor name stored in model package manifests. */
export const RANDOM_FOREST_FLAVOR_NAME = 'mlops.random-forest';

/** The file a saved forest lives in: {@link ForestJson}, compact JSON. */
export const RANDOM_FOREST_FILE = 'forest.json';

/**
 * The outputs a forest's predictor gives, for a model package signature. Classification: `label` (most probable
 * class; `string`, or `float64` for numeric classes) and `probabilities` (`float64`, shape `[classes]`, in `classes`
 * order). Regression: `prediction` (`float64`).
 */
export function randomForestOutputSignature(model: Pick<ForestJson, 'task' | 'classes'>): FieldSpecInput[] {
  if (model.task === 'regression') return [{ name: 'prediction', type: 'float64', description: 'Mean of the trees' }];
  const numeric = typeof model.classes[0] === 'number';
  return [
    { name: 'label', type: numeric ? 'float64' : 'string', description: 'Most probable class' },
    {
      name: 'probabilities',
      type: 'float64',
      shape: [model.classes.length],
      description: `Class probabilities (mean of the trees' leaf distributions) in the order ${JSON.stringify(model.classes)}`,
    },
  ];
}

/**
 * Wraps a forest as a {@link Predictor}. It takes a dense matrix (what a package's preprocessing gives), numeric
 * columns named like the training features, or `{ x: matrix }`, and returns `{ label, probabilities }` (soft voting:
 * the mean of leaf distributions, as ONNX `TreeEnsembleClassifier` computes) or `{ prediction }` for regression.
 */
export function randomForestPredictor(
  model: ForestJson | RandomForestModel,
  signature: Predictor['signature'] = { inputs: [], outputs: [] },
): Predictor<ModelInput> {
  const f = forestToTrees(model);
  const numeric = typeof f.classes[0] === 'number';
  return {
    signature,
    batchable: true,
    async predict(input): Promise<Columns> {
      if (f.task === 'regression') return { prediction: Float64Array.from(forestPredict(f, input) as number[]) };
      const k = f.classes.length;
      const { values, nRows } = forestProbabilities(f, input);
      const best = argmaxRows(values, nRows, k);
      const probabilities: number[][] = new Array(nRows);
      for (let i = 0; i < nRows; i++) probabilities[i] = Array.from(values.subarray(i * k, (i + 1) * k));
      const labels = Array.from(best, (j) => f.classes[j]!);
      return { label: numeric ? Float64Array.from(labels as number[]) : (labels as string[]), probabilities };
    },
  };
}

/**
 * The random forest {@link Flavor}: saves the forest as one compact JSON file (`forest.json`, a {@link ForestJson}:
 * per-tree node arrays with global feature indices, thresholds, children and leaf probabilities), and loads it into a
 * {@link randomForestPredictor}.
 */
export function randomForestFlavor(): Flavor<ForestJson | RandomForestModel> {
  return {
    name: RANDOM_FOREST_FLAVOR_NAME,
    async save(model) {
      const json = forestToTrees(model);
      return {
        files: { [RANDOM_FOREST_FILE]: new TextEncoder().encode(JSON.stringify(json)) },
        config: {
          task: json.task,
          nFeatures: json.nFeatures,
          nTrees: json.trees.length,
          classes: json.classes,
        },
      };
    },
    async load(files, ctx) {
      const bytes = files.files[RANDOM_FOREST_FILE];
      if (!bytes) {
        throw new MlopsError('INVALID_INPUT', {
          message: `the random forest package has no ${RANDOM_FOREST_FILE}`,
          details: [{ path: RANDOM_FOREST_FILE, message: 'Required file is missing' }],
        });
      }
      let json: unknown;
      try {
        json = JSON.parse(new TextDecoder().decode(bytes));
      } catch (cause) {
        throw new MlopsError('INVALID_INPUT', { message: `${RANDOM_FOREST_FILE} is not JSON`, cause });
      }
      return randomForestPredictor(parseForestJson(json), ctx.signature);
    },
  };
}
