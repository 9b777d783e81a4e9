import { z } from 'zod';
import { loadColumnDropper } from './column-dropper.js';
import { loadDenseMatrix } from './dense-matrix.js';
import { loadHashingVectorizer } from './hashing-vectorizer.js';
import { loadImputer } from './imputer.js';
import { loadOneHotEncoder } from './one-hot-encoder.js';
import { loadStandardScaler } from './standard-scaler.js';
import { loadTfidfVectorizer } from './tfidf-vectorizer.js';
import {
  type FittedTransformer,
  type Frame,
  invalid,
  parseState,
  type Transformer,
  type TransformerState,
} from './types.js';

const KIND = 'mlops.core/pipeline';

const envelopeSchema = z.looseObject({ kind: z.string(), schemaVersion: z.number().int() });

const pipelineStateSchema = z.object({
  kind: z.literal(KIND),
  schemaVersion: z.literal(1),
  steps: z.array(envelopeSchema).min(1),
});

/** JSON state of a fitted {@link preprocessingPipeline}: one document holding every step's state. */
export type PreprocessingPipelineState = z.infer<typeof pipelineStateSchema>;

/** A fitted {@link preprocessingPipeline}. */
export interface FittedPreprocessingPipeline<Out = unknown> extends FittedTransformer<Frame, Out> {
  /** The fitted steps, in order. */
  readonly steps: readonly FittedTransformer<Frame, unknown>[];
  toJSON(): PreprocessingPipelineState;
}

/** An unfitted {@link preprocessingPipeline}. */
export interface PreprocessingPipeline<Out = unknown>
  extends Transformer<Frame, Out, FittedPreprocessingPipeline<Out>> {
  /** Fits every step and returns the fitted pipeline with the training data's transformed output. */
  fitTransform(data: Frame): { fitted: FittedPreprocessingPipeline<Out>; output: Out };
}

function isFrame(v: unknown): v is Frame {
  if (v === null || typeof v !== 'object' || ArrayBuffer.isView(v)) return false;
  const m = v as { indptr?: unknown; data?: unknown };
  return !(m.indptr instanceof Int32Array) && !(m.data instanceof Float64Array);
}

function fittedPipeline<Out>(steps: FittedTransformer<Frame, unknown>[]): FittedPreprocessingPipeline<Out> {
  return {
    kind: KIND,
    steps,
    transform(data) {
      let cur: unknown = data;
      steps.forEach((s, i) => {
        if (i > 0 && !isFrame(cur)) {
          invalid(`pipeline step ${i} (${s.kind}) needs a frame but step ${i - 1} produced a matrix`, [
            { path: `steps.${i}`, message: 'Only the last step may produce a matrix' },
          ]);
        }
        cur = s.transform(cur as Frame);
      });
      return cur as Out;
    },
    toJSON: () => ({ kind: KIND, schemaVersion: 1, steps: steps.map((s) => s.toJSON()) }),
  };
}

/**
 * Chains transformers: at fit, each step is fitted on the output of the previous fitted step (training data only);
 * at transform the fitted steps run in order. Every step but the last must output a {@link Frame}. Serialises as one
 * JSON document that {@link loadPreprocessingPipeline} turns back into an identical fitted pipeline.
 */
export function preprocessingPipeline<Out = unknown>(
  steps: readonly Transformer<Frame, unknown, FittedTransformer<Frame, unknown>>[],
): PreprocessingPipeline<Out> {
  if (steps.length === 0) invalid('a pipeline needs at least one step', [{ path: 'steps', message: 'Empty' }]);
  const fitTransform = (data: Frame) => {
    const fitted: FittedTransformer<Frame, unknown>[] = [];
    let cur: unknown = data;
    steps.forEach((s, i) => {
      if (!isFrame(cur)) {
        invalid(`pipeline step ${i} (${s.kind}) needs a frame but step ${i - 1} produced a matrix`, [
          { path: `steps.${i}`, message: 'Only the last step may produce a matrix' },
        ]);
      }
      const f = s.fit(cur);
      fitted.push(f);
      cur = f.transform(cur);
    });
    return { fitted: fittedPipeline<Out>(fitted), output: cur as Out };
  };
  return { kind: KIND, fit: (data) => fitTransform(data).fitted, fitTransform };
}

const LOADERS: Record<string, (json: unknown) => FittedTransformer<Frame, unknown>> = {
  'mlops.core/imputer': loadImputer,
  'mlops.core/standard-scaler': loadStandardScaler,
  'mlops.core/one-hot-encoder': loadOneHotEncoder,
  'mlops.core/column-dropper': loadColumnDropper,
  'mlops.core/tfidf-vectorizer': loadTfidfVectorizer,
  'mlops.core/hashing-vectorizer': loadHashingVectorizer,
  'mlops.core/dense-matrix': loadDenseMatrix,
  [KIND]: (json) => loadPreprocessingPipeline(json),
};

function asJson(json: unknown): unknown {
  if (typeof json !== 'string') return json;
  try {
    return JSON.parse(json);
  } catch (cause) {
    return invalid(`transformer state is not valid JSON: ${(cause as Error).message}`);
  }
}

/**
 * Rebuilds any fitted transformer (or pipeline) from its JSON state or a JSON string. Unknown `kind` or
 * `schemaVersion`, or a state that fails its schema, throws INVALID_INPUT with field paths.
 */
export function loadTransformer(json: unknown): FittedTransformer<Frame, unknown> {
  const envelope = parseState(envelopeSchema, asJson(json));
  const load = Object.hasOwn(LOADERS, envelope.kind) ? LOADERS[envelope.kind] : undefined;
  if (!load) {
    invalid(`unknown transformer kind "${envelope.kind}"`, [
      { path: 'kind', message: `Expected one of ${Object.keys(LOADERS).join(', ')}` },
    ]);
  }
  return load(envelope);
}

/** Rebuilds a fitted {@link preprocessingPipeline} from its JSON state or a JSON string (validated). */
export function loadPreprocessingPipeline<Out = unknown>(json: unknown): FittedPreprocessingPipeline<Out> {
  const state = parseState(pipelineStateSchema, asJson(json));
  return fittedPipeline<Out>(state.steps.map((s: TransformerState) => loadTransformer(s)));
}
