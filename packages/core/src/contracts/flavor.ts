import type { Signature } from '../signature/signature.js';
import type { ModelInput } from './columns.js';
import type { JsonValue } from './json.js';
import type { Predictor } from './predictor.js';

export type { JsonValue } from './json.js';

/** The files a flavor writes for one model: relative path → bytes, plus the flavor's small JSON config. */
export interface ModelFiles {
  /** Relative POSIX paths (`model.json`, `weights/layer1.bin`), no `..`, no leading `/`. */
  files: Record<string, Uint8Array>;
  /** Flavor-specific settings stored in the manifest (e.g. the ONNX opset or the input tensor name). */
  config?: Record<string, JsonValue>;
}

/** What a flavor's `load` is told besides the files. */
export interface FlavorLoadContext {
  /** The package's signature (its raw inputs, before preprocessing, and its outputs). */
  signature: Signature;
  /** True when the package has preprocessing: the predictor then receives its output (often a matrix). */
  preprocessed: boolean;
}

/**
 * A model format (what MLflow calls a flavor): turns an in-memory model into files and files back into a
 * {@link Predictor}. Plugins implement it as a plain object, e.g. `onnxFlavor()` or `randomForestFlavor()`.
 *
 * @example
 * const jsonFlavor: Flavor<{ w: number }> = {
 *   name: 'example/json',
 *   save: async (m) => ({ files: { 'model.json': new TextEncoder().encode(JSON.stringify(m)) } }),
 *   load: async (files, ctx) => ({ signature: ctx.signature, batchable: true, predict: async () => ({}) }),
 * };
 */
export interface Flavor<M = unknown> {
  /** Unique name stored in the manifest, e.g. `'mlops.onnx'`. Loading picks the flavor by this name. */
  readonly name: string;
  /** Serialises a model into files. */
  save(model: M): Promise<ModelFiles>;
  /** Builds a predictor from files whose digests were already verified. */
  load(files: ModelFiles, ctx: FlavorLoadContext): Promise<Predictor<ModelInput>>;
}
