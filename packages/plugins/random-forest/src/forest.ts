import { invalidInput, MlopsError, type ModelInput, zodIssues } from '@mlops/core';
import type { ClassLabel } from '@mlops/core/metrics';
import { z } from 'zod';
import { convertCartTree, type ForestTree, type MlCartNode } from './_internal/build-tree.js';
import { invalid, requireFinite, toDense } from './_internal/input.js';

export type { ForestTree } from './_internal/build-tree.js';

/** The `kind` of a {@link ForestJson}. */
export const FOREST_JSON_KIND = 'mlops.random-forest/forest';

const forestTreeSchema = z
  .strictObject({
    feature: z.array(z.int().min(-1)),
    threshold: z.array(z.number()),
    left: z.array(z.int().min(-1)),
    right: z.array(z.int().min(-1)),
    samples: z.array(z.number().nonnegative()),
    value: z.array(z.array(z.number())),
  })
  .superRefine((t, ctx) => {
    const n = t.feature.length;
    for (const k of ['threshold', 'left', 'right', 'samples', 'value'] as const) {
      if (t[k].length !== n) ctx.addIssue({ code: 'custom', path: [k], message: `Expected ${n} entries` });
    }
    if (n === 0) ctx.addIssue({ code: 'custom', path: ['feature'], message: 'A tree has at least one node' });
    for (let i = 0; i < n; i++) {
      const leaf = t.feature[i] === -1;
      for (const k of ['left', 'right'] as const) {
        const c = t[k][i]!;
        if (leaf ? c !== -1 : c <= i || c >= n) {
          ctx.addIssue({ code: 'custom', path: [k, i], message: leaf ? 'Expected -1 for a leaf' : 'Bad child index' });
        }
      }
    }
  });

/** zod schema of {@link ForestJson}. */
export const forestJsonSchema = z.strictObject({
  kind: z.literal(FOREST_JSON_KIND),
  schemaVersion: z.literal(1),
  task: z.enum(['classification', 'regression']),
  /** A row goes left when `x[feature] < threshold` (ONNX `BRANCH_LT`). */
  splitRule: z.literal('BRANCH_LT'),
  /** How the trees' leaf values combine: their mean (soft voting for classification). */
  aggregate: z.literal('mean'),
  nFeatures: z.int().positive(),
  featureNames: z.array(z.string()),
  /** Class labels in class-index order (leaf probability `j` is for `classes[j]`); `[]` for regression. */
  classes: z.union([z.array(z.string()), z.array(z.number())]),
  trees: z.array(forestTreeSchema).min(1),
  /** Mean impurity decrease per feature (sums to 1, or all 0 when no tree split). */
  featureImportances: z.array(z.number()),
  /** The resolved training parameters. */
  params: z.record(z.string(), z.unknown()),
});

/**
 * A trained forest as plain JSON, our own format (not ml-random-forest's `toJSON()`): flat per-node arrays per tree
 * with GLOBAL feature indices, `x < threshold` goes left, leaves hold class probabilities (or `[mean]`), and the
 * prediction is the mean of the leaves over trees. This is what the flavor saves and what the ONNX exporter reads
 * (`TreeEnsembleClassifier`: `nodes_modes = BRANCH_LT`, leaf weight `value[j] / trees.length` for class `j`).
 */
export type ForestJson = z.infer<typeof forestJsonSchema>;

/** A trained random forest: its {@link ForestJson} plus prediction methods. */
export interface RandomForestModel extends ForestJson {
  /** Most probable class per row (classification) or mean of the trees (regression). */
  predict(x: ModelInput): ClassLabel[];
  /** Class probabilities per row, in `classes` order (classification only). */
  predictProba(x: ModelInput): number[][];
  /** The plain JSON (what {@link forestToTrees} returns). */
  toJSON(): ForestJson;
}

function checkForest(f: ForestJson): void {
  const k = f.classes.length;
  if (f.task === 'classification' && k < 1) invalid('a classification forest needs classes', 'classes');
  if (f.task === 'regression' && k !== 0) invalid('a regression forest has no classes', 'classes');
  if (f.featureNames.length !== f.nFeatures) invalid('featureNames must have nFeatures entries', 'featureNames');
  if (f.featureImportances.length !== f.nFeatures) invalid('featureImportances must have nFeatures entries');
  const width = f.task === 'classification' ? k : 1;
  f.trees.forEach((t, ti) => {
    for (let i = 0; i < t.feature.length; i++) {
      if (t.feature[i]! >= f.nFeatures)
        invalid(`tree ${ti} node ${i} splits on feature ${t.feature[i]}`, `trees.${ti}`);
      if (t.feature[i] === -1 && t.value[i]!.length !== width) {
        invalid(`tree ${ti} leaf ${i} has ${t.value[i]!.length} values, expected ${width}`, `trees.${ti}.value.${i}`);
      }
    }
  });
}

/** Validates plain JSON as a {@link ForestJson} (schema and internal consistency); throws `INVALID_INPUT`. */
export function parseForestJson(json: unknown): ForestJson {
  const r = forestJsonSchema.safeParse(json);
  if (!r.success) {
    throw invalidInput('invalid forest JSON', zodIssues(r.error));
  }
  checkForest(r.data);
  return r.data;
}

/** Mean of the trees' leaf values per row: `n × width` row-major (width = classes, or 1 for regression). */
function aggregate(f: ForestJson, x: ModelInput): { out: Float64Array; nRows: number; width: number } {
  const m = toDense(x, f.featureNames);
  if (m.nCols !== f.nFeatures) {
    invalid(`features have ${m.nCols} columns but the forest was trained on ${f.nFeatures}`, 'x');
  }
  requireFinite(m);
  const width = f.task === 'classification' ? f.classes.length : 1;
  const out = new Float64Array(m.nRows * width);
  const nTrees = f.trees.length;
  for (let i = 0; i < m.nRows; i++) {
    const offset = i * m.nCols;
    const o = i * width;
    for (const t of f.trees) {
      let n = 0;
      while (t.feature[n]! >= 0) n = m.data[offset + t.feature[n]!]! < t.threshold[n]! ? t.left[n]! : t.right[n]!;
      const v = t.value[n]!;
      for (let j = 0; j < width; j++) out[o + j] = out[o + j]! + v[j]!;
    }
    for (let j = 0; j < width; j++) out[o + j] = out[o + j]! / nTrees;
  }
  return { out, nRows: m.nRows, width };
}

/** Class probabilities (mean of leaf distributions) per row, row-major `nRows × classes`. */
export function forestProbabilities(f: ForestJson, x: ModelInput): { values: Float64Array; nRows: number } {
  if (f.task !== 'classification') {
    throw new MlopsError('UNSUPPORTED', { message: 'a regression forest has no class probabilities' });
  }
  const { out, nRows } = aggregate(f, x);
  return { values: out, nRows };
}

/** Index of the largest value in each row (first one on ties). */
export function argmaxRows(values: Float64Array, nRows: number, width: number): Int32Array {
  const idx = new Int32Array(nRows);
  for (let i = 0; i < nRows; i++) {
    let best = 0;
    for (let j = 1; j < width; j++) if (values[i * width + j]! > values[i * width + best]!) best = j;
    idx[i] = best;
  }
  return idx;
}

/** Predictions per row: the most probable class (classification) or the mean over trees (regression). */
export function forestPredict(f: ForestJson, x: ModelInput): ClassLabel[] {
  const { out, nRows, width } = aggregate(f, x);
  if (f.task === 'regression') return Array.from(out);
  return Array.from(argmaxRows(out, nRows, width), (j) => f.classes[j]!);
}

/** Wraps validated forest JSON as a {@link RandomForestModel}. */
export function randomForestModel(json: ForestJson): RandomForestModel {
  const f = parseForestJson(json);
  return {
    ...f,
    predict: (x) => forestPredict(f, x),
    predictProba(x) {
      const { values, nRows } = forestProbabilities(f, x);
      const k = f.classes.length;
      return Array.from({ length: nRows }, (_, i) => Array.from(values.subarray(i * k, (i + 1) * k)));
    },
    toJSON: () => structuredClone(f),
  };
}

/**
 * The forest's tree structure as plain {@link ForestJson} (a deep copy): what the flavor saves and the ONNX exporter
 * reads.
 */
export function forestToTrees(model: ForestJson | RandomForestModel): ForestJson {
  const m = model as Partial<RandomForestModel>;
  return typeof m.toJSON === 'function' ? m.toJSON() : parseForestJson(structuredClone(model));
}

/** Options of {@link fromMlRandomForest}. */
export interface FromMlRandomForestOptions {
  /**
   * Labels of class indices 0…k-1 (classification).
   * @default [0, 1, …, k-1] with k = 1 + the largest class index in any leaf
   */
  classes?: ClassLabel[];
  /**
   * Feature names.
   * @default f0, f1, …
   */
  featureNames?: string[];
  /**
   * Number of features the forest was trained on.
   * @default featureNames.length, else 1 + the largest feature index used
   */
  nFeatures?: number;
}

interface MlForestJson {
  name?: string;
  baseModel: { isClassifier: boolean; indexes: number[][]; estimators: { root: MlCartNode }[] };
}

/**
 * Converts a model trained by ml-random-forest itself (`RandomForestClassifier#toJSON()` /
 * `RandomForestRegression#toJSON()`) to {@link ForestJson}: local split columns are mapped through
 * `baseModel.indexes[i]`, leaf distributions padded to every class. Predictions then use soft voting (the mean of
 * leaf distributions), whereas the library's `predict` / `predictProbability` use hard voting (see the README).
 */
export function fromMlRandomForest(json: unknown, options: FromMlRandomForestOptions = {}): RandomForestModel {
  const j = json as MlForestJson;
  if (!j?.baseModel?.estimators || !j.baseModel.indexes) {
    invalid('not an ml-random-forest JSON model (expected baseModel.estimators and baseModel.indexes)');
  }
  const base = j.baseModel;
  const task = base.isClassifier ? 'classification' : 'regression';
  let k = options.classes?.length ?? 0;
  if (task === 'classification' && k === 0) {
    const scan = (n: MlCartNode | undefined): void => {
      if (!n) return;
      if (n.distribution !== undefined) {
        const d = n.distribution as number[][] | { columns?: number };
        k = Math.max(k, Array.isArray(d) ? (d[0]?.length ?? 0) : (d.columns ?? 0));
      } else {
        scan(n.left);
        scan(n.right);
      }
    };
    for (const e of base.estimators) scan(e.root);
  }
  const plain = JSON.parse(JSON.stringify(base.estimators)) as { root: MlCartNode }[];
  const trees: ForestTree[] = plain.map((e, i) =>
    convertCartTree(e.root, base.indexes[i]!, task === 'regression' ? 0 : k),
  );
  let maxFeature = -1;
  for (const t of trees) for (const f of t.feature) maxFeature = Math.max(maxFeature, f);
  const nFeatures = options.nFeatures ?? options.featureNames?.length ?? maxFeature + 1;
  const classes = task === 'regression' ? [] : (options.classes ?? Array.from({ length: k }, (_, c) => c));
  return randomForestModel({
    kind: FOREST_JSON_KIND,
    schemaVersion: 1,
    task,
    splitRule: 'BRANCH_LT',
    aggregate: 'mean',
    nFeatures,
    featureNames: options.featureNames ?? Array.from({ length: nFeatures }, (_, c) => `f${c}`),
    classes: classes as string[] | number[],
    trees,
    featureImportances: new Array(nFeatures).fill(0),
    params: { source: 'ml-random-forest' },
  });
}
