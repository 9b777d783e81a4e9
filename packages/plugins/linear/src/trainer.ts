import {
  type ColumnValues,
  type FeatureMatrix,
  invalidInput,
  MlopsError,
  type Trainer,
  type TrainerContext,
  type TrainingData,
  zodIssues,
} from '@mlops/core';
import type { ClassLabel } from '@mlops/core/metrics';
import { z } from 'zod';
import { minimizeLbfgs } from './_internal/lbfgs.js';
import { addXtG, checkMatrix, scoresFeatureMajor } from './_internal/matrix.js';
import { type LinearModel, type LinearModelKind, linearModel, sigmoid } from './model.js';

/** Trainer name, also recorded by tracking integrations. */
export const LINEAR_TRAINER_NAME = 'mlops.linear';

/** Schema of the {@link linearTrainer} params (sklearn `LogisticRegression` names in camelCase). */
export const linearParamsSchema = z.strictObject({
  /**
   * `binary`: one sigmoid over 2 classes; `multinomial`: softmax over every class; `auto`: binary for 2 classes, else
   * multinomial (sklearn's `multi_class='auto'` with lbfgs).
   */
  kind: z.enum(['auto', 'binary', 'multinomial']).default('auto'),
  /** Inverse L2 regularisation strength: minimises C·Σ wᵢ·lossᵢ + ½‖W‖² (intercepts are not penalised). */
  C: z.number().positive().finite().default(1),
  /** L-BFGS iteration limit. */
  maxIter: z.int().min(1).max(1_000_000).default(100),
  /** Stop when every gradient component is ≤ tol in absolute value (sklearn passes `tol` to scipy as `gtol`). */
  tol: z.number().positive().finite().default(1e-4),
  /** `'balanced'`: n / (nClasses · count(class)); or a weight per class (by `String(label)`; others weigh 1). */
  classWeight: z
    .union([z.literal('balanced'), z.record(z.string(), z.number().nonnegative().finite())])
    .nullable()
    .default(null),
  /** Fit an (unpenalised) intercept per coefficient row. */
  fitIntercept: z.boolean().default(true),
  /** Recorded for reproducibility; full-batch L-BFGS from zero is deterministic, so it does not change the fit. */
  seed: z.int().default(0),
  /**
   * Also stop when the objective's relative decrease in one iteration is ≤ ftol (scipy's `factr·eps`, which sklearn
   * leaves at 2.2e-9); 0 disables it, so only `tol` and `maxIter` stop.
   */
  ftol: z
    .number()
    .nonnegative()
    .finite()
    .default(1e7 * Number.EPSILON),
  /** L-BFGS correction pairs kept (scipy's `maxcor`). */
  memory: z.int().min(1).max(100).default(10),
});

/**
 * Params of {@link linearTrainer}. Every field is optional:
 * `kind` @default 'auto'; `C` @default 1; `maxIter` @default 100; `tol` @default 1e-4; `classWeight` @default null
 * (all 1); `fitIntercept` @default true; `seed` @default 0; `ftol` @default 2.22e-9; `memory` @default 10.
 */
export type LinearParams = z.input<typeof linearParamsSchema>;

/** {@link LinearParams} with every default filled in. */
export type ResolvedLinearParams = z.output<typeof linearParamsSchema>;

/** Training data for {@link linearTrainer}: a dense or CSR feature matrix, one label per row, optional weights. */
export type LinearTrainingData = TrainingData<FeatureMatrix>;

function invalid(message: string, path: string): never {
  throw new MlopsError('INVALID_INPUT', { message, details: [{ path, message }] });
}

/** Compares strings by Unicode code point, as Python's `sorted` (and so sklearn's `classes_`) does. */
function compareCodePoints(a: string, b: string): number {
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const x = ia.next();
    const y = ib.next();
    if (x.done || y.done) return x.done && y.done ? 0 : x.done ? -1 : 1;
    const cx = x.value.codePointAt(0)!;
    const cy = y.value.codePointAt(0)!;
    if (cx !== cy) return cx < cy ? -1 : 1;
  }
}

/** Reads the labels: strings or finite numbers (not mixed); returns them with the sorted classes and class indices. */
export function encodeLabels(y: ColumnValues | undefined, n: number): { classes: ClassLabel[]; index: Int32Array } {
  if (y === undefined) invalid('labels `y` are required', 'y');
  if (y.length !== n) invalid(`y has ${y.length} labels for ${n} rows`, 'y');
  const labels: ClassLabel[] = new Array(n);
  let type: 'string' | 'number' | undefined;
  for (let i = 0; i < n; i++) {
    let v = (y as ArrayLike<unknown>)[i];
    if (typeof v === 'bigint') v = Number(v);
    if (typeof v !== 'string' && !(typeof v === 'number' && Number.isFinite(v))) {
      invalid(`label ${i} is ${v === null ? 'null' : typeof v}; expected a string or a finite number`, `y.${i}`);
    }
    const t = typeof v as 'string' | 'number';
    if (type === undefined) type = t;
    else if (t !== type) invalid(`labels mix strings and numbers (row ${i})`, `y.${i}`);
    labels[i] = v as ClassLabel;
  }
  const classes = [...new Set(labels)];
  if (type === 'number') (classes as number[]).sort((a, b) => a - b);
  else (classes as string[]).sort(compareCodePoints);
  const pos = new Map<ClassLabel, number>(classes.map((c, i) => [c, i]));
  const index = new Int32Array(n);
  for (let i = 0; i < n; i++) index[i] = pos.get(labels[i]!)!;
  return { classes, index };
}

/** Per-row weights: sample weights × class weights (sklearn's rule: 'balanced' counts rows, not weights). */
function rowWeights(
  classes: ClassLabel[],
  index: Int32Array,
  weights: ArrayLike<number> | undefined,
  classWeight: ResolvedLinearParams['classWeight'],
): Float64Array {
  const n = index.length;
  const k = classes.length;
  const w = new Float64Array(n).fill(1);
  if (weights !== undefined) {
    if (weights.length !== n) invalid(`weights has ${weights.length} values for ${n} rows`, 'weights');
    for (let i = 0; i < n; i++) {
      const v = weights[i]!;
      if (!(Number.isFinite(v) && v >= 0)) invalid(`weight ${i} must be a finite number ≥ 0`, `weights.${i}`);
      w[i] = v;
    }
  }
  if (classWeight === null) return w;
  const cw = new Float64Array(k).fill(1);
  if (classWeight === 'balanced') {
    const counts = new Float64Array(k);
    for (let i = 0; i < n; i++) counts[index[i]!]!++;
    for (let c = 0; c < k; c++) cw[c] = n / (k * counts[c]!);
  } else {
    const names = classes.map(String);
    for (const [key, v] of Object.entries(classWeight)) {
      const c = names.indexOf(key);
      if (c < 0)
        invalid(`classWeight names "${key}", which is not a class (${names.join(', ')})`, `classWeight.${key}`);
      cw[c] = v;
    }
  }
  for (let i = 0; i < n; i++) w[i] = w[i]! * cw[index[i]!]!;
  return w;
}

function log1pExp(z: number): number {
  return z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
}

function abortError(signal: AbortSignal): MlopsError {
  return new MlopsError('ABORTED', { message: 'training was aborted', cause: signal.reason });
}

/**
 * Fits L2-regularised logistic (binary) or softmax (multinomial) regression with full-batch L-BFGS: the same
 * objective and stopping rules as sklearn's `LogisticRegression(solver='lbfgs')`, hence the same optimum. Takes a
 * dense or CSR matrix (TF-IDF / hashed text features: the gradient Xᵀ(P − Y) runs over the stored values only).
 */
export async function fitLinear(
  data: LinearTrainingData,
  params: LinearParams = {},
  ctx: TrainerContext = {},
): Promise<LinearModel> {
  const parsed = linearParamsSchema.safeParse(params);
  if (!parsed.success) {
    const details = zodIssues(parsed.error);
    throw invalidInput('invalid linear params', details);
  }
  const p = parsed.data;
  const { signal, progress, run } = ctx;
  if (signal?.aborted) throw abortError(signal);
  const x = checkMatrix(data.x);
  const n = x.m.nRows;
  const nf = x.m.nCols;
  if (n === 0) invalid('no training rows', 'x');
  const { classes, index } = encodeLabels(data.y, n);
  const nc = classes.length;
  if (nc < 2) invalid(`training needs at least 2 classes, got ${nc} (${classes.join(', ')})`, 'y');
  const kind: LinearModelKind = p.kind === 'auto' ? (nc === 2 ? 'binary' : 'multinomial') : p.kind;
  if (kind === 'binary' && nc !== 2) invalid(`kind 'binary' needs exactly 2 classes, got ${nc}`, 'kind');
  const sw = rowWeights(classes, index, data.weights, p.classWeight);
  let totalWeight = 0;
  for (let i = 0; i < n; i++) totalWeight += sw[i]!;
  if (!(totalWeight > 0)) invalid('the sample weights sum to 0', 'weights');

  const k = kind === 'binary' ? 1 : nc;
  const nw = nf * k;
  const dim = nw + (p.fitIntercept ? k : 0);
  const z = new Float64Array(n * k);
  const g = new Float64Array(n * k);
  const invC = 1 / p.C;

  // theta = [W feature-major (nf × k), b (k)]; objective = Σ swᵢ·lossᵢ + ½·‖W‖²/C, as sklearn's lbfgs path.
  const objective = (theta: Float64Array, grad: Float64Array): number => {
    const w = theta.subarray(0, nw);
    const b = p.fitIntercept ? theta.subarray(nw) : undefined;
    scoresFeatureMajor(x, w, b, k, z);
    let loss = 0;
    if (kind === 'binary') {
      for (let i = 0; i < n; i++) {
        const zi = z[i]!;
        const yi = index[i]!;
        loss += sw[i]! * (log1pExp(zi) - yi * zi);
        g[i] = sw[i]! * (sigmoid(zi) - yi);
      }
    } else {
      for (let i = 0; i < n; i++) {
        const o = i * k;
        let max = Number.NEGATIVE_INFINITY;
        for (let c = 0; c < k; c++) max = Math.max(max, z[o + c]!);
        let sum = 0;
        for (let c = 0; c < k; c++) sum += Math.exp(z[o + c]! - max);
        const lse = max + Math.log(sum);
        const s = sw[i]!;
        loss += s * (lse - z[o + index[i]!]!);
        for (let c = 0; c < k; c++) g[o + c] = s * Math.exp(z[o + c]! - lse);
        g[o + index[i]!]! -= s;
      }
    }
    grad.fill(0);
    addXtG(x, g, k, grad);
    let pen = 0;
    for (let j = 0; j < nw; j++) {
      pen += w[j]! * w[j]!;
      grad[j]! += w[j]! * invC;
    }
    if (p.fitIntercept) {
      for (let i = 0; i < n; i++) for (let c = 0; c < k; c++) grad[nw + c]! += g[i * k + c]!;
    }
    return loss + 0.5 * invC * pen;
  };

  let result: Awaited<ReturnType<typeof minimizeLbfgs>>;
  try {
    result = await minimizeLbfgs(objective, new Float64Array(dim), {
      maxIter: p.maxIter,
      gtol: p.tol,
      ftol: p.ftol,
      memory: p.memory,
      onIteration: async (iter, f) => {
        run?.logMetric('train_loss', f / totalWeight, { step: iter });
        progress?.set(iter);
        // Yield so that an abort (or anything else queued) can run between iterations of a synchronous solver.
        await new Promise<void>((resolve) => setImmediate(resolve));
        if (signal?.aborted) throw abortError(signal);
      },
    });
  } catch (err) {
    progress?.fail(err);
    throw err;
  }
  progress?.done({ iterations: result.nIter, stop: result.stop, loss: result.f / totalWeight });

  const coef = new Float64Array(k * nf);
  for (let j = 0; j < nf; j++) for (let c = 0; c < k; c++) coef[c * nf + j] = result.x[j * k + c]!;
  const intercept = p.fitIntercept ? Float64Array.from(result.x.subarray(nw)) : new Float64Array(k);
  return linearModel({
    kind,
    classes,
    coef,
    intercept,
    nFeatures: nf,
    info: { nIter: result.nIter, converged: result.converged, loss: result.f / totalWeight },
  });
}

/** A {@link Trainer} of {@link LinearModel}s, with the defaults it merges under the params given to `fit`. */
export type LinearTrainer = Trainer<LinearParams, LinearModel, LinearTrainingData> & {
  readonly defaults: LinearParams;
};

function makeTrainer(defaults: LinearParams, kind?: LinearModelKind): LinearTrainer {
  return {
    name: LINEAR_TRAINER_NAME,
    defaults: { ...defaults, ...(kind ? { kind } : {}) },
    fit: (data, params, ctx) => fitLinear(data, { ...defaults, ...params, ...(kind ? { kind } : {}) }, ctx),
  };
}

/**
 * A {@link Trainer} for logistic / softmax regression (see {@link fitLinear}); `kind: 'auto'` picks binary for two
 * classes and multinomial otherwise. `defaults` are merged under the params given to `fit`.
 *
 * @example
 * const model = await linearTrainer({ C: 10 }).fit({ x: tfidfMatrix, y: topics }, { classWeight: 'balanced' });
 */
export function linearTrainer(defaults: LinearParams = {}): LinearTrainer {
  return makeTrainer(defaults);
}

/** {@link linearTrainer} fixed to one sigmoid over exactly 2 classes (logistic regression); `kind` is ignored. */
export function logisticTrainer(defaults: Omit<LinearParams, 'kind'> = {}): LinearTrainer {
  return makeTrainer(defaults, 'binary');
}

/** {@link linearTrainer} fixed to a softmax over every class (multinomial regression); `kind` is ignored. */
export function softmaxTrainer(defaults: Omit<LinearParams, 'kind'> = {}): LinearTrainer {
  return makeTrainer(defaults, 'multinomial');
}
