import { availableParallelism } from 'node:os';
import {
  invalidInput,
  MlopsError,
  type ModelInput,
  type Trainer,
  type TrainerContext,
  type TrainingData,
  zodIssues,
} from '@mlops/core';
import type { ClassLabel } from '@mlops/core/metrics';
import { z } from 'zod';
import type { TreeData, TreeJob } from './_internal/build-tree.js';
import { invalid, requireFinite, toDense } from './_internal/input.js';
import { createRng, type Rng } from './_internal/prng.js';
import { FOREST_JSON_KIND, type RandomForestModel, randomForestModel } from './forest.js';
import { runTreeJobs } from './pool.js';

/** Trainer name (`trainer.name`). */
export const RANDOM_FOREST_TRAINER_NAME = 'mlops.random-forest';

const shareOrCount = z.number().positive().finite();

/** zod schema of {@link RandomForestParams}. */
export const randomForestParamsSchema = z.strictObject({
  /** @default 'classification' */
  task: z.enum(['classification', 'regression']).default('classification'),
  /** Number of trees. @default 100 */
  nEstimators: z.int().min(1).max(100_000).default(100),
  /** Deepest split level; `null` for unlimited. @default null */
  maxDepth: z.int().min(1).nullable().default(null),
  /**
   * Features drawn for each tree (ml-random-forest draws one subset per TREE, not per split): a share of the columns
   * (≤ 1), a count (> 1), `'sqrt'` or `'log2'` of the column count.
   * @default 'sqrt' for classification, 1/3 for regression
   */
  maxFeatures: z.union([shareOrCount, z.enum(['sqrt', 'log2'])]).optional(),
  /** Draw each tree's features with replacement (ml-random-forest's `replacement`; repeats waste slots). @default false */
  replacement: z.boolean().default(false),
  /** A node with fewer rows is a leaf (ml-cart's `minNumSamples` is this minus 1). @default 2 */
  minSamplesSplit: z.int().min(2).default(2),
  /**
   * Least Gini gain (impurity decrease relative to the node) for a split; ml-cart's default 0.01 leaves many one-leaf
   * trees on imbalanced data, whose root Gini is small.
   * @default 0
   */
  gainThreshold: z.number().min(0).default(0),
  /** Seed of every random draw (rows, features, ml-random-forest's own draws). @default 42 */
  seed: z.int().default(42),
  /** Draw each tree's rows with replacement (a bootstrap); false draws without. @default true */
  bootstrap: z.boolean().default(true),
  /** Rows per tree: a share of the training rows (≤ 1) or a count (> 1); `null` for all of them. @default null */
  maxSamples: shareOrCount.nullable().default(null),
  /**
   * Class weights, applied by stratified sampling (ml-cart takes no sample weights): each tree draws from class `c`
   * a share of its rows proportional to `weight[c] × count[c]`. `'balanced'` weights `n / (k × count[c])`, i.e. as
   * many rows from every class. Keys of a record are labels as strings; classes not listed weigh 1.
   * @default null
   */
  classWeight: z
    .union([z.literal('balanced'), z.record(z.string(), z.number().nonnegative().finite())])
    .nullable()
    .default(null),
  /**
   * Balanced random forest (Chen, Liaw & Breiman 2004; imbalanced-learn's `BalancedRandomForestClassifier`): each
   * tree draws, with replacement, as many rows from every class as the smallest class has (or `maxSamples / k`).
   * Much faster than up-weighting, since ml-cart's split search grows with rows².
   * @default false
   */
  balancedBootstrap: z.boolean().default(false),
  /**
   * Worker threads; 0 trains in the calling thread.
   * @default 2 when the machine has 2 or more cores, else 0
   */
  workers: z.int().min(0).max(256).optional(),
});

/** Parameters of {@link randomForestTrainer} (input form: every field optional). */
export type RandomForestParams = z.input<typeof randomForestParamsSchema>;

/** Parameters after defaults: what is logged to the run and stored in the forest JSON. */
export type ResolvedRandomForestParams = Omit<z.output<typeof randomForestParamsSchema>, 'maxFeatures' | 'workers'> & {
  maxFeatures: number | 'sqrt' | 'log2';
  /** The number of features each tree gets. */
  featuresPerTree: number;
  workers: number;
};

/** A trainer of random forests; `fit` returns a {@link RandomForestModel}. */
export type RandomForestTrainer = Trainer<RandomForestParams, RandomForestModel, TrainingData<ModelInput>>;

function parseParams(params: unknown): z.output<typeof randomForestParamsSchema> {
  const r = randomForestParamsSchema.safeParse(params ?? {});
  if (!r.success) {
    const details = zodIssues(r.error);
    throw invalidInput('invalid random forest params', details);
  }
  return r.data;
}

function featuresPerTree(maxFeatures: number | 'sqrt' | 'log2', nCols: number): number {
  let k: number;
  if (maxFeatures === 'sqrt') k = Math.floor(Math.sqrt(nCols));
  else if (maxFeatures === 'log2') k = Math.floor(Math.log2(nCols));
  else if (maxFeatures <= 1) k = Math.floor(maxFeatures * nCols);
  else {
    if (!Number.isInteger(maxFeatures)) invalid('maxFeatures above 1 must be a whole count', 'maxFeatures');
    if (maxFeatures > nCols) invalid(`maxFeatures ${maxFeatures} exceeds the ${nCols} feature columns`, 'maxFeatures');
    k = maxFeatures;
  }
  return Math.max(1, Math.min(nCols, k));
}

function compareLabels(a: ClassLabel, b: ClassLabel): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function encodeLabels(y: ArrayLike<unknown>, n: number): { codes: Float64Array; classes: ClassLabel[] } {
  if (y.length !== n) invalid(`y has ${y.length} labels for ${n} rows`, 'y');
  let kind: 'string' | 'number' | undefined;
  const seen = new Set<ClassLabel>();
  for (let i = 0; i < n; i++) {
    let v = y[i];
    if (typeof v === 'bigint') v = Number(v);
    if (typeof v === 'boolean') v = v ? 1 : 0;
    if (typeof v === 'number' && !Number.isFinite(v)) invalid(`label at row ${i} is missing or not finite`, `y.${i}`);
    if (typeof v !== 'string' && typeof v !== 'number') invalid(`label at row ${i} is missing`, `y.${i}`);
    const t = typeof v as 'string' | 'number';
    if (kind === undefined) kind = t;
    else if (kind !== t) invalid(`labels mix strings and numbers (row ${i})`, `y.${i}`);
    seen.add(v as ClassLabel);
  }
  const classes = [...seen].sort(compareLabels);
  const index = new Map(classes.map((c, j) => [c, j]));
  const codes = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const v = y[i];
    codes[i] = index.get(typeof v === 'bigint' ? Number(v) : typeof v === 'boolean' ? (v ? 1 : 0) : (v as ClassLabel))!;
  }
  return { codes, classes };
}

/** Draws `m` indices of `pool` with replacement, uniformly or proportionally to `cum` (cumulative weights). */
function drawWith(rng: Rng, pool: Int32Array, m: number, cum: Float64Array | undefined, out: number[]): void {
  if (pool.length === 0) return;
  for (let i = 0; i < m; i++) {
    if (!cum) {
      out.push(pool[rng.int(pool.length)]!);
      continue;
    }
    const u = rng.next() * cum[cum.length - 1]!;
    let lo = 0;
    let hi = cum.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cum[mid]! > u) hi = mid;
      else lo = mid + 1;
    }
    out.push(pool[lo]!);
  }
}

/** Draws `min(m, pool.length)` distinct indices of `pool` (partial Fisher-Yates on a copy). */
function drawWithout(rng: Rng, pool: Int32Array, m: number, out: number[]): void {
  const a = Int32Array.from(pool);
  const k = Math.min(m, a.length);
  if (k === a.length) {
    for (const v of a) out.push(v);
    return;
  }
  for (let i = 0; i < k; i++) {
    const j = i + rng.int(a.length - i);
    const t = a[i]!;
    a[i] = a[j]!;
    a[j] = t;
    out.push(a[i]!);
  }
}

interface SamplingPlan {
  /** Row pools (one per stratum: one per class when stratified, else all rows) and rows to draw from each. */
  pools: { rows: Int32Array; cum: Float64Array | undefined; draw: number }[];
  bootstrap: boolean;
}

function samplingPlan(
  p: z.output<typeof randomForestParamsSchema>,
  codes: Float64Array,
  classes: ClassLabel[],
  weights: Float64Array | undefined,
): SamplingPlan {
  const n = codes.length;
  const size = p.maxSamples === null ? n : p.maxSamples <= 1 ? Math.max(1, Math.round(p.maxSamples * n)) : p.maxSamples;
  if (p.maxSamples !== null && p.maxSamples > 1 && !Number.isInteger(p.maxSamples)) {
    invalid('maxSamples above 1 must be a whole count', 'maxSamples');
  }
  const cumOf = (rows: Int32Array): Float64Array | undefined => {
    if (!weights) return undefined;
    const c = new Float64Array(rows.length);
    let s = 0;
    rows.forEach((r, i) => {
      s += weights[r]!;
      c[i] = s;
    });
    return c;
  };
  const stratified = p.task === 'classification' && (p.classWeight !== null || p.balancedBootstrap);
  if (!stratified) {
    const all = Int32Array.from({ length: n }, (_, i) => i);
    return { pools: [{ rows: all, cum: cumOf(all), draw: size }], bootstrap: p.bootstrap };
  }
  if (p.classWeight !== null && p.balancedBootstrap) {
    invalid('give either classWeight or balancedBootstrap, not both', 'balancedBootstrap');
  }
  const k = classes.length;
  const byClass: number[][] = Array.from({ length: k }, () => []);
  for (let i = 0; i < n; i++) byClass[codes[i]!]!.push(i);
  const counts = byClass.map((r) => r.length);
  let draws: number[];
  if (p.balancedBootstrap) {
    const per = p.maxSamples === null ? Math.min(...counts) : Math.max(1, Math.round(size / k));
    draws = counts.map(() => per);
  } else {
    const w = classes.map((c, j) => {
      if (p.classWeight === 'balanced') return n / (k * counts[j]!);
      return (p.classWeight as Record<string, number>)[String(c)] ?? 1;
    });
    if (p.classWeight !== 'balanced') {
      const known = new Set(classes.map(String));
      for (const key of Object.keys(p.classWeight as Record<string, number>)) {
        if (!known.has(key)) invalid(`classWeight names "${key}", which is not a class of y`, `classWeight.${key}`);
      }
    }
    const mass = w.map((wj, j) => wj * counts[j]!);
    const total = mass.reduce((a, b) => a + b, 0);
    if (!(total > 0)) invalid('classWeight gives every class weight 0', 'classWeight');
    draws = mass.map((m) => Math.round((size * m) / total));
  }
  return {
    pools: byClass.map((r, j) => {
      const rows = Int32Array.from(r);
      return { rows, cum: cumOf(rows), draw: draws[j]! };
    }),
    bootstrap: p.bootstrap,
  };
}

function makeJob(plan: SamplingPlan, nCols: number, k: number, replacement: boolean, rng: Rng): TreeJob {
  const rows: number[] = [];
  for (const pool of plan.pools) {
    if (plan.bootstrap) drawWith(rng, pool.rows, pool.draw, pool.cum, rows);
    else drawWithout(rng, pool.rows, pool.draw, rows);
  }
  const features: number[] = [];
  if (replacement) for (let i = 0; i < k; i++) features.push(rng.int(nCols));
  else
    drawWithout(
      rng,
      Int32Array.from({ length: nCols }, (_, j) => j),
      k,
      features,
    );
  return { rows: Int32Array.from(rows), features: Int32Array.from(features), seed: rng.seed31() };
}

function checkWeights(weights: ArrayLike<number> | undefined, n: number, bootstrap: boolean): Float64Array | undefined {
  if (weights === undefined) return undefined;
  if (weights.length !== n) invalid(`weights has ${weights.length} entries for ${n} rows`, 'weights');
  if (!bootstrap)
    invalid('sample weights are applied by weighted bootstrap draws: they need bootstrap: true', 'weights');
  const w = Float64Array.from(weights);
  let s = 0;
  for (let i = 0; i < n; i++) {
    if (!(w[i]! >= 0) || !Number.isFinite(w[i]!)) invalid(`weight at row ${i} must be finite and ≥ 0`, `weights.${i}`);
    s += w[i]!;
  }
  if (!(s > 0)) invalid('weights are all 0', 'weights');
  return w;
}

/**
 * Fits a random forest with ml-random-forest's trees (ml-cart CART). We draw each tree's rows (bootstrap, stratified
 * for class weights / balanced bootstrap, weighted by sample weights) and feature subset with a seeded PRNG, then train
 * a one-tree ml-random-forest on them, in worker threads when `workers > 0`. The same params and seed give the same
 * forest whatever the number of workers.
 */
export async function fitRandomForest(
  data: TrainingData<ModelInput>,
  params: RandomForestParams = {},
  ctx: TrainerContext = {},
): Promise<RandomForestModel> {
  const p = parseParams(params);
  if (ctx.signal?.aborted) {
    throw new MlopsError('ABORTED', { message: 'random forest training was aborted', cause: ctx.signal.reason });
  }
  const x = toDense(data.x);
  if (x.nRows === 0 || x.nCols === 0) invalid('training data has no rows or no feature columns', 'x');
  requireFinite(x);
  if (data.y === undefined) invalid('a random forest needs labels (y)', 'y');
  const y = data.y as ArrayLike<unknown>;
  let codes: Float64Array;
  let classes: ClassLabel[] = [];
  if (p.task === 'classification') {
    ({ codes, classes } = encodeLabels(y, x.nRows));
  } else {
    if (y.length !== x.nRows) invalid(`y has ${y.length} values for ${x.nRows} rows`, 'y');
    codes = new Float64Array(x.nRows);
    for (let i = 0; i < x.nRows; i++) {
      const v = Number(y[i]);
      if (typeof y[i] === 'string' || y[i] === null || !Number.isFinite(v)) {
        invalid(`regression target at row ${i} is not a finite number`, `y.${i}`);
      }
      codes[i] = v;
    }
  }
  const weights = checkWeights(data.weights, x.nRows, p.bootstrap);
  const maxFeatures = p.maxFeatures ?? (p.task === 'classification' ? 'sqrt' : 1 / 3);
  const k = featuresPerTree(maxFeatures, x.nCols);
  const workers = Math.min(p.workers ?? (availableParallelism() >= 2 ? 2 : 0), p.nEstimators);
  const resolved: ResolvedRandomForestParams = { ...p, maxFeatures, featuresPerTree: k, workers };
  for (const [key, value] of Object.entries(resolved)) ctx.run?.logParam(key, value);

  const plan = samplingPlan(p, codes, classes, weights);
  const jobs: TreeJob[] = [];
  for (let t = 0; t < p.nEstimators; t++) jobs.push(makeJob(plan, x.nCols, k, p.replacement, createRng(p.seed, t)));

  const treeData: TreeData = {
    task: p.task,
    x: x.data,
    nRows: x.nRows,
    nCols: x.nCols,
    y: codes,
    nClasses: classes.length,
    cart: {
      maxDepth: p.maxDepth ?? Number.POSITIVE_INFINITY,
      minNumSamples: p.minSamplesSplit - 1,
      gainThreshold: p.gainThreshold,
    },
  };
  const results = await runTreeJobs(treeData, jobs, {
    workers,
    signal: ctx.signal,
    onTree: () => ctx.progress?.tick(1),
  });

  // scikit-learn's feature_importances_: mean of per-tree normalised impurity decreases over trees that split.
  const importances = new Array<number>(x.nCols).fill(0);
  let splitting = 0;
  for (const r of results) {
    if (r.importances.length === 0) continue;
    splitting++;
    for (const [f, v] of r.importances) importances[f]! += v;
  }
  const sum = importances.reduce((a, b) => a + b, 0);
  const featureImportances = sum > 0 ? importances.map((v) => v / sum) : importances;
  ctx.run?.logMetric('splitting_trees', splitting);

  return randomForestModel({
    kind: FOREST_JSON_KIND,
    schemaVersion: 1,
    task: p.task,
    splitRule: 'BRANCH_LT',
    aggregate: 'mean',
    nFeatures: x.nCols,
    featureNames: [...x.columns],
    classes: classes as string[] | number[],
    trees: results.map((r) => r.tree),
    featureImportances,
    // `workers` is left out: it does not change the forest.
    params: JSON.parse(JSON.stringify({ ...resolved, workers: undefined })),
  });
}

/**
 * A {@link Trainer} of random forests (classification and regression) built on ml-random-forest.
 *
 * @example
 * const model = await randomForestTrainer().fit({ x: matrix, y: labels }, { nEstimators: 200, balancedBootstrap: true });
 */
export function randomForestTrainer(): RandomForestTrainer {
  return { name: RANDOM_FOREST_TRAINER_NAME, fit: fitRandomForest };
}
