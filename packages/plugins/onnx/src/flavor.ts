import {
  type Columns,
  type ColumnValues,
  type FieldSpec,
  type FieldType,
  type Flavor,
  invalidInput,
  isFeatureMatrix,
  MlopsError,
  type ModelInput,
  type Predictor,
  type Signature,
  zodIssues,
} from '@mlops/core';
import type { ClassLabel } from '@mlops/core/metrics';
import type { CsrMatrix, DenseMatrix } from '@mlops/core/preprocessing';
import ort from 'onnxruntime-node';
import { z } from 'zod';
import {
  ONNX_MODEL_FILE,
  type OnnxFlavorConfig,
  type OnnxModel,
  onnxFlavorConfigSchema,
  resolveOnnxConfig,
} from './onnx-model.js';

/** Flavor name stored in model package manifests. */
export const ONNX_FLAVOR_NAME = 'mlops.onnx';

/** Options of {@link onnxFlavor} and {@link loadOnnxModel}: how onnxruntime runs the session. */
export interface OnnxSessionOptions {
  /**
   * Threads used inside one operator (onnxruntime's `intraOpNumThreads`); 0 lets onnxruntime pick (one per core).
   * @default 0
   */
  intraOpNumThreads?: number;
  /**
   * Threads used to run independent operators in parallel (`interOpNumThreads`; only used with parallel execution).
   * @default 0
   */
  interOpNumThreads?: number;
  /**
   * Execution providers, in order of preference (`'cpu'` is bundled; `'cuda'`, `'dml'`, … need their binaries).
   * @default ['cpu']
   */
  executionProviders?: string[];
  /**
   * Rows per `session.run` call: a larger batch is split into runs of at most this many rows, so a dense input
   * (e.g. a 20,000-term TF-IDF vector per row) never needs one huge tensor.
   * @default 1024
   */
  maxBatchRows?: number;
}

const sessionOptionsSchema = z.strictObject({
  intraOpNumThreads: z.int().min(0).max(1024).default(0),
  interOpNumThreads: z.int().min(0).max(1024).default(0),
  executionProviders: z.array(z.string().min(1)).min(1).default(['cpu']),
  maxBatchRows: z.int().min(1).default(1024),
});

type ResolvedSessionOptions = z.output<typeof sessionOptionsSchema>;

function parseSessionOptions(opts: OnnxSessionOptions): ResolvedSessionOptions {
  const r = sessionOptionsSchema.safeParse(opts);
  if (!r.success) {
    const details = zodIssues(r.error);
    throw invalidInput('invalid ONNX session options', details);
  }
  return r.data;
}

const ORT_TO_FIELD: Partial<Record<string, FieldType>> = {
  float32: 'float32',
  float64: 'float64',
  int8: 'int8',
  int16: 'int16',
  int32: 'int32',
  int64: 'int64',
  uint8: 'uint8',
  bool: 'bool',
  string: 'string',
};

interface TensorInfo {
  name: string;
  /** onnxruntime element type (`'float32'`, `'int64'`, `'string'`, …). */
  type: string;
  /** Full shape including the batch dimension; -1 for a dynamic or unknown dimension. */
  dims: number[];
}

function tensorInfos(meta: readonly ort.InferenceSession.ValueMetadata[], what: string): TensorInfo[] {
  const out: TensorInfo[] = [];
  for (const m of meta) {
    if (!m.isTensor) {
      // e.g. skl2onnx's ZipMap output (a sequence of maps): onnxruntime-node cannot return it.
      if (what === 'input') {
        throw new MlopsError('UNSUPPORTED', { message: `ONNX input "${m.name}" is not a tensor` });
      }
      continue;
    }
    out.push({ name: m.name, type: m.type, dims: m.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : -1)) });
  }
  return out;
}

function fieldType(t: TensorInfo, what: string): FieldType {
  const f = ORT_TO_FIELD[t.type];
  if (!f) {
    throw new MlopsError('UNSUPPORTED', {
      message: `ONNX ${what} "${t.name}" has element type ${t.type}, which mlops signatures do not support`,
    });
  }
  return f;
}

function rowShape(t: TensorInfo): (number | -1)[] {
  return t.dims.slice(1).map((d) => (d > 0 ? d : -1));
}

/** Reads the signature of a loaded session: inputs and tensor outputs, label outputs as their class labels' type. */
function sessionSignature(inputs: TensorInfo[], outputs: TensorInfo[], config: OnnxFlavorConfig): Signature {
  const optional = new Set(config.optionalInputs);
  const inFields: FieldSpec[] = inputs.map((t) => ({
    name: t.name,
    type: fieldType(t, 'input'),
    shape: rowShape(t),
    ...(optional.has(t.name) ? { optional: true } : {}),
  }));
  const labels = new Set(config.labelOutputs);
  const outFields: FieldSpec[] = outputs.map((t) => {
    if (labels.has(t.name) && t.type === 'int64') {
      const numeric = !config.classLabels || typeof config.classLabels[0] === 'number';
      return { name: t.name, type: numeric ? 'float64' : 'string', shape: rowShape(t), description: 'Class label' };
    }
    const spec: FieldSpec = { name: t.name, type: fieldType(t, 'output'), shape: rowShape(t) };
    if (t.name === 'probabilities' && config.classLabels) {
      spec.description = `Class probabilities in the order ${JSON.stringify(config.classLabels)}`;
    }
    return spec;
  });
  return { inputs: inFields, outputs: outFields };
}

function invalid(message: string, path: string): never {
  throw new MlopsError('INVALID_INPUT', { message, details: [{ path, message }] });
}

type TensorData = Float32Array | Float64Array | Int8Array | Int16Array | Int32Array | Uint8Array | BigInt64Array;

const TYPED: Record<string, new (n: number) => TensorData> = {
  float32: Float32Array,
  float64: Float64Array,
  int8: Int8Array,
  int16: Int16Array,
  int32: Int32Array,
  uint8: Uint8Array,
  bool: Uint8Array,
  int64: BigInt64Array,
};

function rowSizeOf(t: TensorInfo): number | undefined {
  let s = 1;
  for (const d of t.dims.slice(1)) {
    if (d < 0) return undefined;
    s *= d;
  }
  return s;
}

function flattenInto(v: unknown, out: unknown[]): void {
  if (Array.isArray(v)) for (const x of v) flattenInto(x, out);
  else if (ArrayBuffer.isView(v)) {
    const a = v as unknown as ArrayLike<unknown>;
    for (let i = 0; i < a.length; i++) out.push(a[i]);
  } else out.push(v);
}

/** Builds one input tensor from a column (rows `from..to`): scalar rows, or one (nested) array per row. */
function columnTensor(t: TensorInfo, col: ColumnValues, from: number, to: number, missing: string): ort.Tensor {
  const n = to - from;
  const fixed = rowSizeOf(t);
  const values: unknown[] = [];
  let rowSize = -1;
  for (let i = from; i < to; i++) {
    const v = (col as ArrayLike<unknown>)[i];
    const before = values.length;
    flattenInto(v, values);
    const size = values.length - before;
    if (rowSize === -1) rowSize = size;
    else if (size !== rowSize) invalid(`input "${t.name}" row ${i} has ${size} values, expected ${rowSize}`, t.name);
  }
  if (n === 0) rowSize = fixed ?? 0;
  if (fixed !== undefined && rowSize !== fixed) {
    invalid(`input "${t.name}" needs ${fixed} value(s) per row, got ${rowSize}`, t.name);
  }
  const rest = t.dims.slice(1);
  const unknown = rest.filter((d) => d < 0).length;
  if (unknown > 1 && rowSize > 1) {
    throw new MlopsError('UNSUPPORTED', { message: `input "${t.name}" has several dynamic dimensions` });
  }
  const known = rest.reduce((p, d) => (d > 0 ? p * d : p), 1);
  const dims = [n, ...rest.map((d) => (d > 0 ? d : known === 0 ? 0 : rowSize / known))];
  if (t.type === 'string') {
    return new ort.Tensor(
      'string',
      values.map((v, k) => {
        if (v === null || v === undefined) return missing;
        if (typeof v !== 'string') invalid(`input "${t.name}" needs strings (value ${k})`, t.name);
        return v;
      }),
      dims,
    );
  }
  const Ctor = TYPED[t.type];
  if (!Ctor) throw new MlopsError('UNSUPPORTED', { message: `input "${t.name}" has unsupported type ${t.type}` });
  const data = new Ctor(values.length);
  for (let k = 0; k < values.length; k++) {
    const v = values[k];
    if (t.type === 'int64') {
      if (v === null || v === undefined) invalid(`input "${t.name}" row ${from + k} is missing (int64)`, t.name);
      (data as BigInt64Array)[k] = typeof v === 'bigint' ? v : BigInt(v as number | string);
    } else if (t.type === 'bool') {
      data[k] = v ? 1 : 0;
    } else if (v === null || v === undefined) {
      if (t.type !== 'float32' && t.type !== 'float64') invalid(`input "${t.name}" has a missing value`, t.name);
      data[k] = Number.NaN;
    } else {
      const x = typeof v === 'bigint' ? Number(v) : (v as number);
      if (typeof x !== 'number') invalid(`input "${t.name}" needs numbers (value ${k})`, t.name);
      data[k] = x;
    }
  }
  return new ort.Tensor(t.type as 'float32', data as Float32Array, dims);
}

/** Copies rows `from..to` of a dense or CSR matrix into a row-major tensor of the input's float type. */
function matrixTensor(t: TensorInfo, m: DenseMatrix | CsrMatrix, from: number, to: number): ort.Tensor {
  const f = m.nCols;
  const want = t.dims.at(-1);
  if (t.dims.length !== 2) invalid(`input "${t.name}" is not a matrix [rows, features]`, t.name);
  if (want !== undefined && want > 0 && want !== f) {
    invalid(`input "${t.name}" needs ${want} features per row, got a matrix with ${f} columns`, t.name);
  }
  if (t.type !== 'float32' && t.type !== 'float64') {
    throw new MlopsError('UNSUPPORTED', { message: `input "${t.name}" is ${t.type}; a matrix feeds float inputs` });
  }
  const out = t.type === 'float32' ? new Float32Array((to - from) * f) : new Float64Array((to - from) * f);
  if ('data' in m) {
    out.set(m.data.subarray(from * f, to * f));
  } else {
    for (let i = from; i < to; i++) {
      const base = (i - from) * f;
      for (let p = m.indptr[i]!; p < m.indptr[i + 1]!; p++) out[base + m.indices[p]!] = m.values[p]!;
    }
  }
  return new ort.Tensor(t.type, out, [to - from, f]);
}

/** Rows `from..to` of a matrix as padded sparse inputs: int64 indices and values [n, K], K = most non-zeros in a row. */
function sparseTensors(
  idx: TensorInfo,
  val: TensorInfo,
  m: DenseMatrix | CsrMatrix,
  nFeatures: number,
  from: number,
  to: number,
): Record<string, ort.Tensor> {
  if (m.nCols !== nFeatures) {
    invalid(`the model takes ${nFeatures} features per row, got a matrix with ${m.nCols} columns`, idx.name);
  }
  const n = to - from;
  const rows: { j: number[]; v: number[] }[] = [];
  let k = 1;
  for (let i = from; i < to; i++) {
    const r = { j: [] as number[], v: [] as number[] };
    if ('data' in m) {
      for (let j = 0; j < m.nCols; j++) {
        const v = m.data[i * m.nCols + j]!;
        if (v !== 0) {
          r.j.push(j);
          r.v.push(v);
        }
      }
    } else {
      for (let p = m.indptr[i]!; p < m.indptr[i + 1]!; p++) {
        r.j.push(m.indices[p]!);
        r.v.push(m.values[p]!);
      }
    }
    k = Math.max(k, r.j.length);
    rows.push(r);
  }
  const indices = new BigInt64Array(n * k);
  const values = val.type === 'float32' ? new Float32Array(n * k) : new Float64Array(n * k);
  rows.forEach((r, i) => {
    for (let p = 0; p < r.j.length; p++) {
      indices[i * k + p] = BigInt(r.j[p]!);
      values[i * k + p] = r.v[p]!;
    }
  });
  return {
    [idx.name]: new ort.Tensor('int64', indices, [n, k]),
    [val.name]: new ort.Tensor(val.type as 'float32', values as Float32Array, [n, k]),
  };
}

type OutColumn = ColumnValues;

function convertOutput(t: TensorInfo, v: ort.Tensor, n: number, config: OnnxFlavorConfig): OutColumn {
  if (v.dims[0] !== n) {
    throw new MlopsError('UNSUPPORTED', {
      message: `ONNX output "${t.name}" has shape [${v.dims.join(', ')}]: its first dimension is not the batch (${n} rows)`,
    });
  }
  const size = v.dims.slice(1).reduce((p, d) => p * d, 1);
  const isLabel = config.labelOutputs.includes(t.name) && v.type === 'int64';
  if (isLabel) {
    const data = v.data as BigInt64Array;
    const labels = config.classLabels;
    if (size !== 1)
      throw new MlopsError('UNSUPPORTED', { message: `label output "${t.name}" has several values per row` });
    if (!labels) return Float64Array.from(data, (x) => Number(x));
    const out = new Array<ClassLabel>(n);
    for (let i = 0; i < n; i++) {
      const k = Number(data[i]!);
      const l = labels[k];
      if (l === undefined) {
        throw new MlopsError('INTERNAL', {
          message: `label output "${t.name}" gave class index ${k} (${labels.length} classes)`,
        });
      }
      out[i] = l;
    }
    return typeof labels[0] === 'number' ? Float64Array.from(out as number[]) : (out as string[]);
  }
  const data = v.data as ArrayLike<unknown> & { slice?: (a: number, b: number) => unknown };
  if (v.dims.length === 1) {
    if (v.type === 'bool') return Array.from(data as Uint8Array, (x) => x !== 0);
    return (ArrayBuffer.isView(data) ? data : Array.from(data)) as OutColumn;
  }
  const rows = new Array<unknown>(n);
  for (let i = 0; i < n; i++) {
    if (v.type === 'bool')
      rows[i] = Array.from((data as Uint8Array).subarray(i * size, (i + 1) * size), (x) => x !== 0);
    else if (v.type === 'string') rows[i] = (data as string[]).slice(i * size, (i + 1) * size);
    else rows[i] = (data as Float32Array).slice(i * size, (i + 1) * size);
  }
  return rows;
}

function concatColumns(parts: OutColumn[]): OutColumn {
  if (parts.length === 1) return parts[0]!;
  const first = parts[0]!;
  if (ArrayBuffer.isView(first)) {
    const total = parts.reduce((s, p) => s + p.length, 0);
    const Ctor = (first as Float32Array).constructor as new (n: number) => Float32Array;
    const out = new Ctor(total);
    let o = 0;
    for (const p of parts) {
      out.set(p as Float32Array, o);
      o += p.length;
    }
    return out as unknown as OutColumn;
  }
  return parts.flatMap((p) => Array.from(p as ArrayLike<unknown>));
}

/** A predictor backed by an onnxruntime session (what {@link loadOnnxModel} and the flavor's `load` return). */
export interface OnnxPredictor extends Predictor<ModelInput> {
  /** The signature read from the model: its inputs and tensor outputs (with -1 for dynamic dimensions). */
  readonly signature: Signature;
  /** The resolved flavor config (class labels, label outputs). */
  readonly config: OnnxFlavorConfig;
  /** Releases the onnxruntime session; predicting afterwards throws. */
  close(): Promise<void>;
}

async function createPredictor(
  bytes: Uint8Array,
  config: OnnxFlavorConfig,
  opts: ResolvedSessionOptions,
): Promise<OnnxPredictor> {
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(bytes, {
      intraOpNumThreads: opts.intraOpNumThreads,
      interOpNumThreads: opts.interOpNumThreads,
      executionProviders: opts.executionProviders as ort.InferenceSession.ExecutionProviderConfig[],
      graphOptimizationLevel: 'all',
    });
  } catch (cause) {
    throw new MlopsError('INVALID_INPUT', {
      message: `onnxruntime could not load the model: ${(cause as Error).message}`,
      cause,
    });
  }
  const inputs = tensorInfos(session.inputMetadata, 'input');
  const outputs = tensorInfos(session.outputMetadata, 'output');
  const signature = sessionSignature(inputs, outputs, config);
  let closed = false;

  const runChunk = async (feeds: Record<string, ort.Tensor>, n: number): Promise<Record<string, OutColumn>> => {
    let result: ort.InferenceSession.ReturnType;
    try {
      result = await session.run(
        feeds,
        outputs.map((o) => o.name),
      );
    } catch (cause) {
      throw new MlopsError('INVALID_INPUT', {
        message: `onnxruntime failed to run: ${(cause as Error).message}`,
        cause,
      });
    }
    const out: Record<string, OutColumn> = {};
    for (const o of outputs) {
      const v = result[o.name] as ort.Tensor;
      out[o.name] = convertOutput(o, v, n, config);
      v.dispose?.();
    }
    return out;
  };

  return {
    signature,
    config,
    batchable: true,
    async predict(input: ModelInput): Promise<Columns> {
      if (closed)
        throw new MlopsError('UNSUPPORTED', { message: 'predict() after close(): the ONNX session was released' });
      let nRows: number;
      let feedsFor: (from: number, to: number) => Record<string, ort.Tensor>;
      const sparse = config.sparseInput;
      if (isFeatureMatrix(input) && sparse) {
        const idx = inputs.find((t) => t.name === sparse.indices);
        const val = inputs.find((t) => t.name === sparse.values);
        if (!idx || !val) throw new MlopsError('INVALID_INPUT', { message: 'the model lacks its sparse inputs' });
        nRows = input.nRows;
        feedsFor = (from, to) => sparseTensors(idx, val, input, sparse.nFeatures, from, to);
      } else if (isFeatureMatrix(input)) {
        if (inputs.length !== 1) {
          invalid(
            `the model has ${inputs.length} inputs (${inputs.map((i) => i.name).join(', ')}); a matrix feeds exactly one`,
            '',
          );
        }
        const t = inputs[0]!;
        nRows = input.nRows;
        feedsFor = (from, to) => ({ [t.name]: matrixTensor(t, input, from, to) });
      } else {
        const cols = input as Columns;
        for (const t of inputs) if (cols[t.name] === undefined) invalid(`missing input "${t.name}"`, t.name);
        const lengths = new Set(inputs.map((t) => cols[t.name]!.length));
        if (lengths.size > 1) invalid('inputs have different numbers of rows', inputs[0]!.name);
        nRows = inputs.length ? cols[inputs[0]!.name]!.length : 0;
        feedsFor = (from, to) =>
          Object.fromEntries(
            inputs.map((t) => [t.name, columnTensor(t, cols[t.name]!, from, to, config.missingString)]),
          );
      }
      const parts: Record<string, OutColumn[]> = Object.fromEntries(outputs.map((o) => [o.name, []]));
      for (let from = 0; from < nRows || (from === 0 && nRows === 0); from += opts.maxBatchRows) {
        if (nRows === 0) break;
        const to = Math.min(nRows, from + opts.maxBatchRows);
        const chunk = await runChunk(feedsFor(from, to), to - from);
        for (const o of outputs) parts[o.name]!.push(chunk[o.name]!);
      }
      const out: Columns = {};
      for (const o of outputs) out[o.name] = nRows === 0 ? [] : concatColumns(parts[o.name]!);
      return out;
    },
    async close() {
      if (closed) return;
      closed = true;
      await session.release();
    },
  };
}

/**
 * Loads any ONNX model (e.g. exported from scikit-learn with skl2onnx, or by {@link exportToOnnx}) as a predictor:
 * its signature is read from the model, inputs are batched, int64 label outputs are mapped through the class labels.
 *
 * @example
 * const p = await loadOnnxModel(await readFile('model.onnx'), { intraOpNumThreads: 2 });
 * const out = await p.predict({ X: [[5.1, 3.5, 1.4, 0.2]] });
 * await p.close();
 */
export async function loadOnnxModel(
  model: Uint8Array | OnnxModel,
  options: OnnxSessionOptions = {},
): Promise<OnnxPredictor> {
  const opts = parseSessionOptions(options);
  const config = resolveOnnxConfig(model);
  return createPredictor(model instanceof Uint8Array ? model : model.bytes, config, opts);
}

/**
 * The ONNX flavor: `save` stores the `.onnx` bytes (plus class labels in the config), `load` opens an onnxruntime
 * session on the verified bytes. Session threads and execution providers are set here, at load time.
 *
 * @example
 * const { digest } = await saveModelPackage({ objects, flavor: onnxFlavor(), model: exported, signature, lineage: {} });
 * const { predictor } = await loadModelPackage({ objects, digest, flavors: [onnxFlavor({ intraOpNumThreads: 1 })] });
 */
export function onnxFlavor(options: OnnxSessionOptions = {}): Flavor<OnnxModel | Uint8Array> {
  const opts = parseSessionOptions(options);
  return {
    name: ONNX_FLAVOR_NAME,
    async save(model) {
      const config = resolveOnnxConfig(model);
      const bytes = model instanceof Uint8Array ? model : model.bytes;
      return { files: { [ONNX_MODEL_FILE]: bytes }, config: { ...config } };
    },
    async load(files) {
      const r = onnxFlavorConfigSchema.safeParse(files.config ?? {});
      if (!r.success) {
        const details = r.error.issues.map((i) => ({
          path: `config.${i.path.map(String).join('.')}`,
          message: i.message,
        }));
        throw new MlopsError('INVALID_INPUT', { message: 'invalid ONNX flavor config', details });
      }
      const bytes = files.files[r.data.file];
      if (!bytes) throw new MlopsError('NOT_FOUND', { message: `ONNX model file "${r.data.file}" is missing` });
      return createPredictor(bytes, r.data, opts);
    },
  };
}
