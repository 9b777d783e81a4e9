import type { Signature } from '../signature/signature.js';
import type { Columns } from './columns.js';

/**
 * A loaded model ready to predict. `predict` takes a batch in column form and returns the outputs in column form,
 * one row per input row. Flavors return one from `load`; a model package wraps it with its preprocessing.
 *
 * @example
 * const predictor: Predictor = { signature, batchable: true, predict: async ({ x }) => ({ y: x }) };
 */
export interface Predictor<In = Columns> {
  /** Inputs and outputs this predictor takes and gives. */
  readonly signature: Signature;
  /** True when `predict` accepts many rows at once (false: the caller sends one row per call). */
  readonly batchable: boolean;
  /** Predicts a batch. Throws `MlopsError('INVALID_INPUT')` for inputs it cannot use. */
  predict(inputs: In): Promise<Columns>;
  /** Releases native resources (sessions, workers). */
  close?(): Promise<void>;
}
