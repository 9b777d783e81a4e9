// Trains one tree with ml-random-forest (a one-tree forest on rows and columns we drew ourselves) and converts it to
// our flat tree structure. Runs in the main thread and in worker threads alike, so it imports nothing from
// @mlops/core (workers stay light and need no build of core).
import { RandomForestClassifier, RandomForestRegression } from 'ml-random-forest';

/**
 * One tree as flat per-node arrays (node 0 is the root). A node is a leaf when `feature[i] === -1`. A row goes to
 * `left[i]` when `x[feature[i]] < threshold[i]` (ONNX `BRANCH_LT`), else to `right[i]`.
 */
export interface ForestTree {
  /** Global column index of each split; -1 for a leaf. */
  feature: number[];
  /** Split threshold of each node (0 for a leaf). */
  threshold: number[];
  /** Index of the left child (`x < threshold`); -1 for a leaf. */
  left: number[];
  /** Index of the right child (`x >= threshold`); -1 for a leaf. */
  right: number[];
  /** Training rows (bootstrap draws, with repeats) that reached each node. */
  samples: number[];
  /**
   * Per node: for a leaf, its class probabilities (length = number of classes, summing to 1) or `[mean]` for
   * regression; `[]` for a split node.
   */
  value: number[][];
}

/** Options passed to ml-cart's trees. */
export interface CartOptions {
  maxDepth: number;
  minNumSamples: number;
  gainThreshold: number;
}

/** The training matrix and targets shared by every tree of a fit. */
export interface TreeData {
  task: 'classification' | 'regression';
  /** Row-major, `nRows * nCols`. */
  x: Float64Array;
  nRows: number;
  nCols: number;
  /** Class index (classification) or target value (regression) per row. */
  y: Float64Array;
  /** Number of classes (0 for regression). */
  nClasses: number;
  cart: CartOptions;
}

/** What one tree is trained on: rows (with repeats) and columns drawn by the trainer, and the library's seed. */
export interface TreeJob {
  rows: Int32Array;
  features: Int32Array;
  seed: number;
}

/** A trained tree and its impurity-based feature importances (sum 1, or all 0 for a single leaf). */
export interface TreeResult {
  tree: ForestTree;
  /** `[feature, importance]` pairs, importance > 0. */
  importances: [number, number][];
}

/** The shape of an ml-cart node as found in a trained tree or in `toJSON()` output. */
export interface MlCartNode {
  splitColumn?: number;
  splitValue?: number;
  left?: MlCartNode;
  right?: MlCartNode;
  distribution?: unknown;
}

function leafValue(distribution: unknown, nClasses: number): number[] {
  if (nClasses === 0) return [Number(distribution)];
  // ml-cart keeps a row vector (a Matrix in memory, [[p0, p1, …]] in JSON) whose length is 1 + the largest class
  // index seen in that leaf: pad it to every class and renormalise (its entries are sums of 1/n, not exactly 1).
  const d = distribution as { to1DArray?: () => number[] } | number[][] | number[];
  const raw: number[] =
    typeof (d as { to1DArray?: unknown }).to1DArray === 'function'
      ? (d as { to1DArray: () => number[] }).to1DArray()
      : Array.isArray((d as unknown[])[0])
        ? ((d as number[][])[0] ?? [])
        : (d as number[]);
  const out = new Array<number>(nClasses).fill(0);
  let sum = 0;
  for (let c = 0; c < raw.length && c < nClasses; c++) {
    out[c] = raw[c]!;
    sum += raw[c]!;
  }
  return sum > 0 ? out.map((v) => v / sum) : out;
}

/**
 * Converts an ml-cart tree (its root node) to a {@link ForestTree}; `globalIndex[local]` maps the tree's local split
 * column to the global feature index. `samples` are left at 0 (the caller fills them by routing rows).
 */
export function convertCartTree(root: MlCartNode, globalIndex: ArrayLike<number>, nClasses: number): ForestTree {
  const t: ForestTree = { feature: [], threshold: [], left: [], right: [], samples: [], value: [] };
  const visit = (node: MlCartNode): number => {
    const id = t.feature.length;
    t.feature.push(-1);
    t.threshold.push(0);
    t.left.push(-1);
    t.right.push(-1);
    t.samples.push(0);
    t.value.push([]);
    // ml-cart sets splitColumn on nodes whose split was then rejected: only nodes with both children split.
    if (node.left && node.right && node.splitColumn !== undefined && node.distribution === undefined) {
      const g = globalIndex[node.splitColumn];
      if (g === undefined) throw new RangeError(`split column ${node.splitColumn} has no global index`);
      t.feature[id] = g;
      t.threshold[id] = Number(node.splitValue);
      t.left[id] = visit(node.left);
      t.right[id] = visit(node.right);
    } else {
      t.value[id] = leafValue(node.distribution, nClasses);
    }
    return id;
  };
  visit(root);
  return t;
}

/** The leaf a row of `x` (row-major, `nCols` wide, starting at `offset`) reaches. */
export function leafOf(tree: ForestTree, x: ArrayLike<number>, offset: number): number {
  let n = 0;
  while (tree.feature[n]! >= 0) {
    n = x[offset + tree.feature[n]!]! < tree.threshold[n]! ? tree.left[n]! : tree.right[n]!;
  }
  return n;
}

/**
 * Routes the tree's training rows down the tree to fill `samples`, and computes each split's weighted impurity
 * decrease (Gini for classification, variance for regression), as scikit-learn's `feature_importances_` does.
 */
function fillStats(tree: ForestTree, data: TreeData, rows: Int32Array): [number, number][] {
  const nNodes = tree.feature.length;
  const k = data.task === 'classification' ? data.nClasses : 2;
  // classification: class counts per node; regression: [sum, sum of squares] per node.
  const acc = new Float64Array(nNodes * k);
  const count = new Float64Array(nNodes);
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r]!;
    const offset = row * data.nCols;
    const yv = data.y[row]!;
    let n = 0;
    for (;;) {
      count[n]!++;
      if (data.task === 'classification') acc[n * k + yv]!++;
      else {
        acc[n * k] = acc[n * k]! + yv;
        acc[n * k + 1] = acc[n * k + 1]! + yv * yv;
      }
      if (tree.feature[n]! < 0) break;
      n = data.x[offset + tree.feature[n]!]! < tree.threshold[n]! ? tree.left[n]! : tree.right[n]!;
    }
  }
  const impurity = (n: number): number => {
    const c = count[n]!;
    if (c === 0) return 0;
    if (data.task === 'regression') {
      const m = acc[n * k]! / c;
      return Math.max(0, acc[n * k + 1]! / c - m * m);
    }
    let s = 0;
    for (let j = 0; j < k; j++) s += (acc[n * k + j]! / c) ** 2;
    return 1 - s;
  };
  const byFeature = new Map<number, number>();
  let total = 0;
  for (let n = 0; n < nNodes; n++) {
    tree.samples[n] = count[n]!;
    const f = tree.feature[n]!;
    if (f < 0) continue;
    const l = tree.left[n]!;
    const r = tree.right[n]!;
    const dec = count[n]! * impurity(n) - count[l]! * impurity(l) - count[r]! * impurity(r);
    if (dec > 0) {
      byFeature.set(f, (byFeature.get(f) ?? 0) + dec);
      total += dec;
    }
  }
  if (total === 0) return [];
  return [...byFeature].sort((a, b) => a[0] - b[0]).map(([f, v]) => [f, v / total]);
}

/** Trains one tree on `job.rows` × `job.features` of `data` with ml-random-forest, then converts it. */
export function buildTree(data: TreeData, job: TreeJob): TreeResult {
  const { rows, features } = job;
  const m = features.length;
  const xs: number[][] = new Array(rows.length);
  const ys: number[] = new Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const offset = rows[i]! * data.nCols;
    const r = new Array<number>(m);
    for (let j = 0; j < m; j++) r[j] = data.x[offset + features[j]!]!;
    xs[i] = r;
    ys[i] = data.y[rows[i]!]!;
  }
  // One tree, no row bagging (we drew the rows), every given column (we drew them; the library only permutes them).
  const options = {
    nEstimators: 1,
    maxFeatures: 1.0,
    replacement: false,
    useSampleBagging: false,
    noOOB: true,
    seed: job.seed,
    treeOptions: { ...data.cart },
  };
  const forest =
    data.task === 'classification'
      ? new RandomForestClassifier(options as never)
      : new RandomForestRegression({ ...options, selectionMethod: 'mean' } as never);
  forest.train(xs, ys);
  const inner = forest as unknown as { estimators: { root: MlCartNode }[]; indexes: number[][] };
  const local = inner.indexes[0]!;
  const globalIndex = local.map((j) => features[j]!);
  const tree = convertCartTree(inner.estimators[0]!.root, globalIndex, data.nClasses);
  const importances = fillStats(tree, data, rows);
  return { tree, importances };
}
