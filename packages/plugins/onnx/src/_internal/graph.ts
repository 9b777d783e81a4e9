import onnxProto from 'onnx-proto';

// onnx-proto is CommonJS (`module.exports = $root`): take the namespace off the default export.
const { onnx } = onnxProto;

export { onnx };

/** ONNX `TensorProto.DataType` codes used here. */
export const DT = {
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  INT16: 5,
  INT32: 6,
  INT64: 7,
  STRING: 8,
  BOOL: 9,
  DOUBLE: 11,
} as const;

const ATTR = onnx.AttributeProto.AttributeType;
const enc = new TextEncoder();

/** The ONNX-ML domain (TreeEnsemble*, Imputer, Scaler, OneHotEncoder, …). */
export const ML_DOMAIN = 'ai.onnx.ml';

/** Attribute constructors (the type is explicit: `1` may be an INT or a FLOAT). */
export const attr = {
  int: (name: string, i: number): onnxProto.onnx.IAttributeProto => ({ name, type: ATTR.INT, i }),
  float: (name: string, f: number): onnxProto.onnx.IAttributeProto => ({ name, type: ATTR.FLOAT, f }),
  string: (name: string, s: string): onnxProto.onnx.IAttributeProto => ({ name, type: ATTR.STRING, s: enc.encode(s) }),
  ints: (name: string, ints: ArrayLike<number>): onnxProto.onnx.IAttributeProto => ({
    name,
    type: ATTR.INTS,
    ints: Array.from(ints),
  }),
  floats: (name: string, floats: ArrayLike<number>): onnxProto.onnx.IAttributeProto => ({
    name,
    type: ATTR.FLOATS,
    floats: Array.from(floats),
  }),
  strings: (name: string, strings: readonly string[]): onnxProto.onnx.IAttributeProto => ({
    name,
    type: ATTR.STRINGS,
    strings: strings.map((s) => enc.encode(s)),
  }),
  tensor: (name: string, t: onnxProto.onnx.ITensorProto): onnxProto.onnx.IAttributeProto => ({
    name,
    type: ATTR.TENSOR,
    t,
  }),
};

function rawBytes(a: Float32Array | Float64Array | BigInt64Array | Uint8Array): Uint8Array {
  // ONNX raw_data is little-endian, as every platform Node runs on.
  return new Uint8Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength));
}

/** Tensor constructors (numeric data is written as little-endian `raw_data`). */
export const tensor = {
  float: (dims: number[], values: ArrayLike<number>, name?: string): onnxProto.onnx.ITensorProto => ({
    name: name ?? null,
    dataType: DT.FLOAT,
    dims,
    rawData: rawBytes(Float32Array.from(values)),
  }),
  double: (dims: number[], values: ArrayLike<number>, name?: string): onnxProto.onnx.ITensorProto => ({
    name: name ?? null,
    dataType: DT.DOUBLE,
    dims,
    rawData: rawBytes(Float64Array.from(values)),
  }),
  int64: (dims: number[], values: ArrayLike<number>, name?: string): onnxProto.onnx.ITensorProto => ({
    name: name ?? null,
    dataType: DT.INT64,
    dims,
    rawData: rawBytes(BigInt64Array.from(Array.from(values), (v) => BigInt(v))),
  }),
  string: (dims: number[], values: readonly string[], name?: string): onnxProto.onnx.ITensorProto => ({
    name: name ?? null,
    dataType: DT.STRING,
    dims,
    stringData: values.map((s) => enc.encode(s)),
  }),
};

/** A dimension: a fixed size, or a symbolic name (`'N'`) for a dynamic one. */
export type Dim = number | string;

/** A `ValueInfoProto` for a tensor. */
export function valueInfo(name: string, elemType: number, dims: readonly Dim[]): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) },
      },
    },
  };
}

/** Accumulates nodes, initializers, inputs and outputs, and encodes the model. */
export interface GraphBuilder {
  /** A fresh tensor name starting with `prefix`. */
  name(prefix: string): string;
  /** Adds a node; returns its output names (`outputs` defaults to one fresh name). */
  node(
    opType: string,
    inputs: readonly string[],
    opts?: { outputs?: string[] | number; attrs?: onnxProto.onnx.IAttributeProto[]; domain?: string },
  ): string[];
  /** Adds a node with one output and returns that output's name. */
  op(
    opType: string,
    inputs: readonly string[],
    opts?: { output?: string; attrs?: onnxProto.onnx.IAttributeProto[]; domain?: string },
  ): string;
  /** Adds an initializer (a constant) and returns its name. */
  constant(prefix: string, t: onnxProto.onnx.ITensorProto): string;
  input(name: string, elemType: number, dims: readonly Dim[]): string;
  output(name: string, elemType: number, dims: readonly Dim[]): void;
  /** Encodes the model (IR 8) with the given opsets and string metadata. */
  encode(opts: { opsets: Record<string, number>; metadata?: Record<string, string>; docString?: string }): Uint8Array;
}

/** Creates a {@link GraphBuilder}. */
export function graphBuilder(graphName: string): GraphBuilder {
  const nodes: onnxProto.onnx.INodeProto[] = [];
  const inits: onnxProto.onnx.ITensorProto[] = [];
  const inputs: onnxProto.onnx.IValueInfoProto[] = [];
  const outputs: onnxProto.onnx.IValueInfoProto[] = [];
  const used = new Set<string>();
  const counters = new Map<string, number>();
  const name = (prefix: string) => {
    let k = counters.get(prefix) ?? 0;
    let n = `${prefix}_${k}`;
    while (used.has(n)) n = `${prefix}_${++k}`;
    counters.set(prefix, k + 1);
    used.add(n);
    return n;
  };
  const b: GraphBuilder = {
    name,
    node(opType, ins, opts = {}) {
      const o = opts.outputs ?? 1;
      const outs = typeof o === 'number' ? Array.from({ length: o }, () => name(opType.toLowerCase())) : o;
      for (const n of outs) used.add(n);
      nodes.push({
        opType,
        input: [...ins],
        output: outs,
        name: name(`node_${opType}`),
        attribute: opts.attrs ?? [],
        domain: opts.domain ?? '',
      });
      return outs;
    },
    op(opType, ins, opts = {}) {
      return b.node(opType, ins, { ...opts, outputs: opts.output ? [opts.output] : 1 })[0]!;
    },
    constant(prefix, t) {
      const n = name(prefix);
      inits.push({ ...t, name: n });
      return n;
    },
    input(n, elemType, dims) {
      used.add(n);
      inputs.push(valueInfo(n, elemType, dims));
      return n;
    },
    output(n, elemType, dims) {
      outputs.push(valueInfo(n, elemType, dims));
    },
    encode(opts) {
      const model = onnx.ModelProto.create({
        irVersion: 8,
        producerName: '@mlops/plugin-onnx',
        producerVersion: '0',
        docString: opts.docString ?? '',
        opsetImport: Object.entries(opts.opsets).map(([domain, version]) => ({ domain, version })),
        metadataProps: Object.entries(opts.metadata ?? {}).map(([key, value]) => ({ key, value })),
        graph: { name: graphName, node: nodes, initializer: inits, input: inputs, output: outputs },
      });
      return onnx.ModelProto.encode(model).finish();
    },
  };
  return b;
}

/** Reads a model's `metadata_props` (key → value), or `{}` when the bytes are not an ONNX model. */
export function readMetadataProps(bytes: Uint8Array): Record<string, string> {
  const out: Record<string, string> = {};
  try {
    const m = onnx.ModelProto.decode(bytes);
    for (const p of m.metadataProps ?? []) if (p.key) out[p.key] = p.value ?? '';
  } catch {
    // Not decodable here: the runtime reports the real error when it loads the bytes.
  }
  return out;
}
