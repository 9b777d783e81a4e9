import type { Progress } from '../progress.js';
import type { ColumnValues, ModelInput } from './columns.js';

/**
 * The part of a tracking run a trainer writes to. The tracking module's `Run` satisfies it; a test may pass a plain
 * object.
 */
export interface RunLike {
  /** Records a metric value, optionally at a step (e.g. an epoch), as the tracking `Run` does. */
  logMetric(key: string, value: number, opts?: { step?: number }): unknown;
  /** Records a hyperparameter. */
  logParam(key: string, value: unknown): unknown;
}

/** Training data: features (columns or a preprocessed matrix), and labels / sample weights when supervised. */
export interface TrainingData<X = ModelInput> {
  /** The features, one row per example. */
  x: X;
  /** One label per row (class names or numbers). */
  y?: ColumnValues;
  /** One weight per row. */
  weights?: ArrayLike<number>;
}

/** What a trainer receives besides the data and params. */
export interface TrainerContext {
  /** Tracking run to log metrics and params to. */
  run?: RunLike;
  /** Aborts training: the trainer throws `MlopsError('ABORTED')`. */
  signal?: AbortSignal;
  /** Progress handle (core's `createProgress`): the trainer ticks it, e.g. once per tree or epoch. */
  progress?: Progress;
}

/**
 * Fits a model from data and params. Plugins implement it as a plain object, e.g. `randomForestTrainer()`.
 *
 * @example
 * const meanTrainer: Trainer<{}, { mean: number }, TrainingData<number[]>> = {
 *   name: 'example/mean',
 *   fit: async ({ x }) => ({ mean: x.reduce((a, b) => a + b, 0) / x.length }),
 * };
 */
export interface Trainer<P = Record<string, unknown>, M = unknown, D = TrainingData> {
  /** Unique name, e.g. `'mlops.random-forest'`. */
  readonly name: string;
  /** Fits and returns the model. */
  fit(data: D, params: P, ctx?: TrainerContext): Promise<M>;
}
