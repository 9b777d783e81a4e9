import { type FieldSpecInput, MlopsError } from '@mlops/core';
import {
  type ColumnDropperState,
  type DenseMatrixState,
  type ImputerState,
  loadTransformer,
  type OneHotEncoderState,
  type StandardScalerState,
  type TransformerState,
} from '@mlops/core/preprocessing';
import { attr, DT, type GraphBuilder, ML_DOMAIN, tensor } from '../_internal/graph.js';
import { ONNX_MISSING_STRING, type OnnxSparseInput } from '../onnx-model.js';

/** The element type of numeric graph inputs. */
export type OnnxInputType = 'float32' | 'float64';

/** What the feature stage of a graph gives the model stage. */
export interface FeatureStage {
  /** A float64 tensor [N, nFeatures]. */
  x: string;
  nFeatures: number;
  /** The graph's inputs, as signature fields. */
  inputs: FieldSpecInput[];
  /** Inputs that may be missing. */
  optionalInputs: string[];
}

function unsupported(message: string): never {
  throw new MlopsError('UNSUPPORTED', { message });
}

const TEXT_KINDS = new Set(['mlops.core/tfidf-vectorizer', 'mlops.core/hashing-vectorizer']);

/** Turns fitted preprocessing (a transformer, a pipeline, or their JSON state) into a list of validated step states. */
export function preprocessingSteps(pre: unknown): TransformerState[] {
  const json =
    typeof (pre as { toJSON?: unknown }).toJSON === 'function' ? (pre as { toJSON(): unknown }).toJSON() : pre;
  // loadTransformer validates every state with core's own schemas; toJSON() gives the parsed state back.
  const fitted = loadTransformer(json);
  const state = fitted.toJSON();
  const steps = state.kind === 'mlops.core/pipeline' ? (state.steps as TransformerState[]) : [state];
  return steps.flatMap((s) => (s.kind === 'mlops.core/pipeline' ? preprocessingSteps(s) : [s]));
}

/** A matrix input [N, nFeatures] (no preprocessing in the graph), cast to float64. */
export function matrixFeatures(
  b: GraphBuilder,
  inputName: string,
  nFeatures: number,
  type: OnnxInputType,
): FeatureStage {
  const input = b.input(inputName, type === 'float32' ? DT.FLOAT : DT.DOUBLE, ['N', nFeatures]);
  const x = type === 'float32' ? b.op('Cast', [input], { attrs: [attr.int('to', DT.DOUBLE)] }) : input;
  return {
    x,
    nFeatures,
    inputs: [{ name: inputName, type, shape: [nFeatures], description: `Feature vector (${nFeatures} values)` }],
    optionalInputs: [],
  };
}

/** Input names of a sparse-input graph. */
export const SPARSE_INDICES = 'indices';
/** Input names of a sparse-input graph. */
export const SPARSE_VALUES = 'values';

/** The sparse input spec stored with a sparse-input model. */
export function sparseSpec(nFeatures: number): OnnxSparseInput {
  return { indices: SPARSE_INDICES, values: SPARSE_VALUES, nFeatures };
}

/** Sparse rows as padded `indices` (int64 [N, K]) and `values` ([N, K]); `x` is the float64 values tensor. */
export function sparseFeatures(b: GraphBuilder, nFeatures: number, type: OnnxInputType): FeatureStage {
  b.input(SPARSE_INDICES, DT.INT64, ['N', 'K']);
  const values = b.input(SPARSE_VALUES, type === 'float32' ? DT.FLOAT : DT.DOUBLE, ['N', 'K']);
  const x = type === 'float32' ? b.op('Cast', [values], { attrs: [attr.int('to', DT.DOUBLE)] }) : values;
  return {
    x,
    nFeatures,
    inputs: [
      { name: SPARSE_INDICES, type: 'int64', shape: [-1], description: 'Column indices of the non-zeros (pad with 0)' },
      { name: SPARSE_VALUES, type, shape: [-1], description: 'Non-zero values (pad with 0)' },
    ],
    optionalInputs: [],
  };
}

interface NumericColumn {
  kind: 'num';
  /** Column index in the numeric block. */
  index: number;
}

interface StringColumn {
  kind: 'str';
  /** A string tensor [N]. */
  tensor: string;
}

type Column = NumericColumn | StringColumn;

/**
 * Builds the preprocessing part of a graph from fitted step states (imputer, standard scaler, one-hot encoder,
 * column dropper, then a dense-matrix step): one graph input per raw column, a float64 [N, F] tensor out.
 * Numeric columns travel as one float64 block so each step is one or two vectorised nodes whatever the width.
 */
export function tabularFeatures(b: GraphBuilder, steps: TransformerState[], type: OnnxInputType): FeatureStage {
  const text = steps.find((s) => TEXT_KINDS.has(s.kind));
  if (text) {
    unsupported(
      `preprocessing step ${text.kind} cannot go into the ONNX graph: keep text vectorizers in the model package's ` +
        'preprocessing and export the model alone (exportToOnnx({ model })); see the README',
    );
  }
  const last = steps.at(-1);
  if (last?.kind !== 'mlops.core/dense-matrix') {
    unsupported('exported preprocessing must end with a dense-matrix step (the model takes a matrix)');
  }
  const frameSteps = steps.slice(0, -1);
  for (const s of frameSteps) {
    if (
      ![
        'mlops.core/imputer',
        'mlops.core/standard-scaler',
        'mlops.core/one-hot-encoder',
        'mlops.core/column-dropper',
      ].includes(s.kind)
    ) {
      unsupported(`preprocessing step ${s.kind} has no ONNX export (supported: imputer, scaler, one-hot, dropper)`);
    }
  }
  const dense = (last as unknown as DenseMatrixState).columns;

  // Backward pass: which raw columns does the dense matrix need, and which are strings?
  const needed = new Set(dense);
  const stringCols = new Set<string>();
  for (const s of [...frameSteps].reverse()) {
    if (s.kind === 'mlops.core/one-hot-encoder') {
      const st = s as unknown as OneHotEncoderState;
      for (const c of st.columns) {
        const names = oneHotNames(c);
        if (names.some((n) => needed.has(n))) {
          for (const n of names) needed.delete(n);
          needed.add(c.name);
        }
      }
    }
  }
  for (const s of frameSteps) {
    if (s.kind === 'mlops.core/one-hot-encoder') {
      for (const c of (s as unknown as OneHotEncoderState).columns) {
        if ([...c.categories, ...c.infrequent].some((v) => typeof v === 'number')) {
          unsupported(`one-hot column "${c.name}" has numeric categories: only string categories export to ONNX`);
        }
        stringCols.add(c.name);
      }
    }
    if (s.kind === 'mlops.core/imputer') {
      for (const c of (s as unknown as ImputerState).columns) if (c.type === 'string') stringCols.add(c.name);
    }
  }
  const raw = [...needed];
  const optional = new Set<string>();

  // Graph inputs: one [N] tensor per raw column.
  const cols = new Map<string, Column>();
  const numericInputs: string[] = [];
  const inputs: FieldSpecInput[] = [];
  for (const name of raw) {
    if (stringCols.has(name)) {
      cols.set(name, { kind: 'str', tensor: b.input(name, DT.STRING, ['N']) });
      inputs.push({ name, type: 'string' });
    } else {
      cols.set(name, { kind: 'num', index: numericInputs.length });
      numericInputs.push(b.input(name, type === 'float32' ? DT.FLOAT : DT.DOUBLE, ['N']));
      inputs.push({ name, type });
    }
  }
  let width = numericInputs.length;
  // [N] columns → [K·N] → [K, N] → [N, K] in three nodes, whatever K is.
  let block: string | undefined;
  if (width > 0) {
    const stacked = width === 1 ? numericInputs[0]! : b.op('Concat', numericInputs, { attrs: [attr.int('axis', 0)] });
    const kn = b.op('Reshape', [stacked, b.constant('shape', tensor.int64([2], [width, -1]))]);
    const nk = b.op('Transpose', [kn], { attrs: [attr.ints('perm', [1, 0])] });
    block = type === 'float32' ? b.op('Cast', [nk], { attrs: [attr.int('to', DT.DOUBLE)] }) : nk;
  }
  const appendBlock = (t: string, k: number) => {
    block = block === undefined ? t : b.op('Concat', [block, t], { attrs: [attr.int('axis', 1)] });
    width += k;
  };
  const missingStr = () => b.constant('missing', tensor.string([], [ONNX_MISSING_STRING]));

  for (const s of frameSteps) {
    switch (s.kind) {
      case 'mlops.core/imputer': {
        const st = s as unknown as ImputerState;
        const fills = new Float64Array(width).fill(Number.NaN);
        let any = false;
        for (const c of st.columns) {
          const col = cols.get(c.name);
          if (!col) continue;
          optional.add(c.name);
          if (col.kind === 'num') {
            fills[col.index] = c.fill as number;
            any = true;
          } else {
            const isMissing = b.op('Equal', [col.tensor, missingStr()]);
            const fill = b.constant('fill', tensor.string([], [String(c.fill)]));
            cols.set(c.name, { kind: 'str', tensor: b.op('Where', [isMissing, fill, col.tensor]) });
          }
        }
        for (const d of st.dropped) cols.delete(d);
        if (any && block) {
          // Columns the imputer leaves alone get NaN as their "fill": NaN stays NaN, exactly as in core.
          const nan = b.op('IsNaN', [block]);
          block = b.op('Where', [nan, b.constant('fills', tensor.double([1, width], fills)), block]);
        }
        break;
      }
      case 'mlops.core/standard-scaler': {
        const st = s as unknown as StandardScalerState;
        const mean = new Float64Array(width);
        const scale = new Float64Array(width).fill(1);
        let any = false;
        for (const c of st.columns) {
          const col = cols.get(c.name);
          if (!col) continue;
          if (col.kind !== 'num') unsupported(`scaler column "${c.name}" is a string column`);
          mean[col.index] = c.mean;
          scale[col.index] = c.scale;
          any = true;
        }
        if (any && block) {
          // (x - 0) / 1 is exactly x, so unscaled columns pass through unchanged.
          const centred = b.op('Sub', [block, b.constant('mean', tensor.double([1, width], mean))]);
          block = b.op('Div', [centred, b.constant('scale', tensor.double([1, width], scale))]);
        }
        break;
      }
      case 'mlops.core/one-hot-encoder': {
        const st = s as unknown as OneHotEncoderState;
        for (const c of st.columns) {
          const col = cols.get(c.name);
          if (!col) continue;
          if (col.kind !== 'str') unsupported(`one-hot column "${c.name}" is not a string column`);
          if (c.categories.includes(null) || c.infrequent.includes(null)) optional.add(c.name);
          const { tensor: t, width: k } = oneHot(b, col.tensor, c, st.handleUnknown);
          const start = width;
          appendBlock(t, k);
          cols.delete(c.name);
          oneHotNames(c).forEach((n, j) => {
            cols.set(n, { kind: 'num', index: start + j });
          });
        }
        break;
      }
      case 'mlops.core/column-dropper': {
        for (const d of (s as unknown as ColumnDropperState).dropped) cols.delete(d.name);
        break;
      }
    }
  }

  const indices = dense.map((name) => {
    const c = cols.get(name);
    if (!c) unsupported(`dense-matrix column "${name}" is not produced by the exported preprocessing`);
    if (c.kind !== 'num') unsupported(`dense-matrix column "${name}" is a string column (encode it first)`);
    return c.index;
  });
  if (!block) unsupported('the preprocessing produces no numeric column');
  const identity = indices.length === width && indices.every((v, i) => v === i);
  const x = identity
    ? block
    : b.op('Gather', [block, b.constant('columns', tensor.int64([indices.length], indices))], {
        attrs: [attr.int('axis', 1)],
      });
  for (const i of inputs) if (optional.has(i.name)) i.optional = true;
  return { x, nFeatures: dense.length, inputs, optionalInputs: [...optional] };
}

function categoryName(c: string | number | null): string {
  return c === null ? 'null' : String(c);
}

function oneHotNames(c: OneHotEncoderState['columns'][number]): string[] {
  const names = c.categories.map((cat) => `${c.name}_${categoryName(cat)}`);
  if (c.infrequent.length > 0) names.push(`${c.name}_infrequent`);
  return names;
}

/**
 * One-hot encodes a string tensor [N] with ai.onnx.ml OneHotEncoder over every category seen at fit (frequent, then
 * infrequent); the infrequent ones are summed into one column. Returns a float64 [N, K] tensor.
 */
function oneHot(
  b: GraphBuilder,
  input: string,
  c: OneHotEncoderState['columns'][number],
  handleUnknown: OneHotEncoderState['handleUnknown'],
): { tensor: string; width: number } {
  const cats = [...c.categories, ...c.infrequent].map((v) => (v === null ? ONNX_MISSING_STRING : String(v)));
  const nFreq = c.categories.length;
  // zeros=0 makes onnxruntime fail on an unknown category, as core's 'error' does.
  const zeros = handleUnknown === 'error' ? 0 : 1;
  const encoded = b.op('OneHotEncoder', [input], {
    domain: ML_DOMAIN,
    attrs: [attr.strings('cats_strings', cats), attr.int('zeros', zeros)],
  });
  const oh = b.op('Cast', [encoded], { attrs: [attr.int('to', DT.DOUBLE)] });
  if (c.infrequent.length === 0) return { tensor: oh, width: nFreq };
  const idx = (from: number, to: number) =>
    b.constant(
      'idx',
      tensor.int64(
        [to - from],
        Array.from({ length: to - from }, (_, i) => from + i),
      ),
    );
  const freq = nFreq > 0 ? b.op('Gather', [oh, idx(0, nFreq)], { attrs: [attr.int('axis', 1)] }) : undefined;
  let infrequent: string;
  const axes = b.constant('axes', tensor.int64([1], [1]));
  if (handleUnknown === 'infrequent_if_exist') {
    // Known-infrequent or unknown: every frequent column is 0, so the infrequent column is 1 − Σ frequent.
    const one = b.constant('one', tensor.double([1, 1], [1]));
    infrequent = freq ? b.op('Sub', [one, b.op('ReduceSum', [freq, axes], { attrs: [attr.int('keepdims', 1)] })]) : one;
    if (!freq) {
      // No frequent category at all: the column is 1 on every row.
      const zerosLike = b.op('Mul', [
        b.op('ReduceSum', [oh, axes], { attrs: [attr.int('keepdims', 1)] }),
        b.constant('zero', tensor.double([1, 1], [0])),
      ]);
      infrequent = b.op('Add', [zerosLike, one]);
    }
  } else {
    const inf = b.op('Gather', [oh, idx(nFreq, cats.length)], { attrs: [attr.int('axis', 1)] });
    infrequent = b.op('ReduceSum', [inf, axes], { attrs: [attr.int('keepdims', 1)] });
  }
  const t = freq ? b.op('Concat', [freq, infrequent], { attrs: [attr.int('axis', 1)] }) : infrequent;
  return { tensor: t, width: nFreq + 1 };
}
