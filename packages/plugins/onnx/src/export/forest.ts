import { MlopsError } from '@mlops/core';
import type { ClassLabel } from '@mlops/core/metrics';
import { attr, type GraphBuilder, ML_DOMAIN, tensor } from '../_internal/graph.js';

/** One tree of a {@link ForestModelLike}: flat per-node arrays (node 0 is the root). */
export interface ForestTreeLike {
  /** Split feature (global index), -1 for a leaf. */
  feature: readonly number[];
  /** A row goes left when `x[feature] < threshold`. */
  threshold: readonly number[];
  /** Left / right child index, -1 for a leaf. */
  left: readonly number[];
  right: readonly number[];
  /** Leaf values: class probabilities (classification) or `[mean]` (regression). */
  value: readonly (readonly number[])[];
}

/**
 * A trained random forest, matching `@mlops/plugin-random-forest`'s `ForestJson` structurally (so this package does
 * not need the forest plugin at run time): `x < threshold` goes left (ONNX `BRANCH_LT`), the prediction is the mean
 * of the trees' leaf values.
 */
export interface ForestModelLike {
  task: 'classification' | 'regression';
  splitRule: 'BRANCH_LT';
  aggregate: 'mean';
  nFeatures: number;
  /** Class labels in class-index order; `[]` for regression. */
  classes: readonly ClassLabel[];
  trees: readonly ForestTreeLike[];
}

/** True when `m` looks like a {@link ForestModelLike}. */
export function isForestModelLike(m: unknown): m is ForestModelLike {
  const x = m as Partial<ForestModelLike> | null;
  return (
    x !== null &&
    typeof x === 'object' &&
    (x.task === 'classification' || x.task === 'regression') &&
    Array.isArray(x.trees) &&
    Array.isArray(x.classes) &&
    typeof x.nFeatures === 'number'
  );
}

function invalid(message: string): never {
  throw new MlopsError('INVALID_INPUT', { message, details: [{ path: 'model', message }] });
}

interface NodeArrays {
  treeIds: number[];
  nodeIds: number[];
  featureIds: number[];
  values: number[];
  modes: string[];
  trueIds: number[];
  falseIds: number[];
}

function nodeArrays(f: ForestModelLike, nFeatures: number): NodeArrays {
  const a: NodeArrays = { treeIds: [], nodeIds: [], featureIds: [], values: [], modes: [], trueIds: [], falseIds: [] };
  f.trees.forEach((t, ti) => {
    const n = t.feature.length;
    for (let i = 0; i < n; i++) {
      const leaf = t.feature[i]! < 0;
      if (!leaf && (t.feature[i]! >= nFeatures || t.left[i]! < 0 || t.right[i]! < 0)) {
        invalid(`tree ${ti} node ${i} is malformed (feature ${t.feature[i]}, children ${t.left[i]}/${t.right[i]})`);
      }
      a.treeIds.push(ti);
      a.nodeIds.push(i);
      a.featureIds.push(leaf ? 0 : t.feature[i]!);
      a.values.push(leaf ? 0 : t.threshold[i]!);
      a.modes.push(leaf ? 'LEAF' : 'BRANCH_LT');
      a.trueIds.push(leaf ? 0 : t.left[i]!);
      a.falseIds.push(leaf ? 0 : t.right[i]!);
    }
  });
  return a;
}

function nodeAttrs(a: NodeArrays) {
  return [
    attr.ints('nodes_treeids', a.treeIds),
    attr.ints('nodes_nodeids', a.nodeIds),
    attr.ints('nodes_featureids', a.featureIds),
    // float64 thresholds (opset 3): on a float64 input the comparison is exactly the JS one.
    attr.tensor('nodes_values_as_tensor', tensor.double([a.values.length], a.values)),
    attr.strings('nodes_modes', a.modes),
    attr.ints('nodes_truenodeids', a.trueIds),
    attr.ints('nodes_falsenodeids', a.falseIds),
    attr.ints('nodes_missing_value_tracks_true', new Array<number>(a.values.length).fill(0)),
  ];
}

/**
 * Forest stage on a float64 [N, F] tensor. Classification: ai.onnx.ml TreeEnsembleClassifier (leaf weight
 * `value[j] / nTrees`, no ZipMap) whose `probabilities` output is kept; the label is ArgMax over the probabilities,
 * because the classifier's own `label` output is wrong in the binary case. Regression: TreeEnsembleRegressor with
 * AVERAGE aggregation, output `prediction` [N].
 */
export function forestStage(
  b: GraphBuilder,
  x: string,
  nFeatures: number,
  f: ForestModelLike,
): { kind: 'classification'; classes: ClassLabel[] } | { kind: 'regression' } {
  if (f.splitRule !== 'BRANCH_LT' || f.aggregate !== 'mean') {
    invalid(`unsupported forest (splitRule ${f.splitRule}, aggregate ${f.aggregate})`);
  }
  if (f.nFeatures !== nFeatures) {
    invalid(`the forest takes ${f.nFeatures} features but the preprocessing produces ${nFeatures}`);
  }
  if (f.trees.length === 0) invalid('the forest has no tree');
  const a = nodeArrays(f, nFeatures);
  const nTrees = f.trees.length;
  if (f.task === 'regression') {
    const tNodes: number[] = [];
    const tTrees: number[] = [];
    const weights: number[] = [];
    f.trees.forEach((t, ti) => {
      for (let i = 0; i < t.feature.length; i++) {
        if (t.feature[i]! >= 0) continue;
        tTrees.push(ti);
        tNodes.push(i);
        weights.push(t.value[i]![0]!);
      }
    });
    const y = b.op('TreeEnsembleRegressor', [x], {
      domain: ML_DOMAIN,
      attrs: [
        ...nodeAttrs(a),
        attr.ints('target_treeids', tTrees),
        attr.ints('target_nodeids', tNodes),
        attr.ints('target_ids', new Array<number>(weights.length).fill(0)),
        attr.tensor('target_weights_as_tensor', tensor.double([weights.length], weights)),
        attr.int('n_targets', 1),
        attr.string('aggregate_function', 'AVERAGE'),
        attr.string('post_transform', 'NONE'),
      ],
    });
    b.op('Reshape', [y, b.constant('shape', tensor.int64([1], [-1]))], { output: 'prediction' });
    return { kind: 'regression' };
  }
  const k = f.classes.length;
  if (k < 2) invalid('a classification forest needs at least 2 classes to export');
  const cTrees: number[] = [];
  const cNodes: number[] = [];
  const cIds: number[] = [];
  const cWeights: number[] = [];
  f.trees.forEach((t, ti) => {
    for (let i = 0; i < t.feature.length; i++) {
      if (t.feature[i]! >= 0) continue;
      const v = t.value[i]!;
      if (v.length !== k) invalid(`tree ${ti} leaf ${i} has ${v.length} values for ${k} classes`);
      for (let j = 0; j < k; j++) {
        cTrees.push(ti);
        cNodes.push(i);
        cIds.push(j);
        cWeights.push(v[j]! / nTrees);
      }
    }
  });
  const [, probs] = b.node('TreeEnsembleClassifier', [x], {
    domain: ML_DOMAIN,
    outputs: [b.name('tree_label_unused'), 'probabilities'],
    attrs: [
      ...nodeAttrs(a),
      attr.ints('class_treeids', cTrees),
      attr.ints('class_nodeids', cNodes),
      attr.ints('class_ids', cIds),
      attr.tensor('class_weights_as_tensor', tensor.double([cWeights.length], cWeights)),
      attr.ints(
        'classlabels_int64s',
        Array.from({ length: k }, (_, j) => j),
      ),
      attr.string('post_transform', 'NONE'),
    ],
  });
  b.op('ArgMax', [probs!], { output: 'label', attrs: [attr.int('axis', 1), attr.int('keepdims', 0)] });
  return { kind: 'classification', classes: [...f.classes] };
}
