import {
  type Columns,
  type FieldIssue,
  type FieldType,
  isMlopsError,
  MlopsError,
  type Signature,
  toJsonValue,
  validateInputs,
} from '@mlops/core';
import { z } from 'zod';

/** The tensor datatypes of the Open Inference Protocol v2. */
export const V2_DATATYPES = [
  'BOOL',
  'UINT8',
  'UINT16',
  'UINT32',
  'UINT64',
  'INT8',
  'INT16',
  'INT32',
  'INT64',
  'FP16',
  'FP32',
  'FP64',
  'BYTES',
] as const;

/** One Open Inference Protocol v2 datatype. */
export type V2Datatype = (typeof V2_DATATYPES)[number];

const parametersSchema = z
  .record(z.string(), z.union([z.string(), z.number(), z.boolean()]))
  .describe('Extension parameters (string, number or boolean values)');

/** An input tensor of an inference request: `{ name, shape, datatype, data }` with row-major data. */
export const v2RequestTensorSchema = z.object({
  name: z.string().min(1).max(200),
  shape: z.array(z.int().nonnegative()).min(1).max(9),
  datatype: z.enum(V2_DATATYPES),
  parameters: parametersSchema.optional(),
  data: z
    .array(z.unknown())
    .describe(
      'Tensor elements in row-major order, flat or nested; `null` is a missing value, accepted only in FP16/FP32/FP64 data of an input the signature marks optional',
    ),
});

/** A tensor of an inference response. */
export const v2ResponseTensorSchema = z.object({
  name: z.string(),
  shape: z.array(z.int()),
  datatype: z.enum(V2_DATATYPES),
  parameters: parametersSchema.optional(),
  data: z.array(z.unknown()),
});

/** The body of `POST /v2/models/{name}[/versions/{v}]/infer`. */
export const v2InferRequestSchema = z.object({
  id: z.string().max(200).optional(),
  parameters: parametersSchema.optional(),
  // One tensor per feature is common (SECOM: 590 sensors); the body size limit bounds the rest.
  inputs: z.array(v2RequestTensorSchema).min(1).max(4096),
  outputs: z
    .array(z.object({ name: z.string().min(1).max(200), parameters: parametersSchema.optional() }))
    .max(256)
    .optional(),
});

/** The response of an inference request. */
export const v2InferResponseSchema = z.object({
  model_name: z.string(),
  model_version: z.string().optional(),
  id: z.string(),
  parameters: parametersSchema.optional(),
  outputs: z.array(v2ResponseTensorSchema),
});

/** An inference request body. */
export type V2InferRequest = z.infer<typeof v2InferRequestSchema>;
/** A tensor of a request or response. */
export type V2Tensor = z.infer<typeof v2ResponseTensorSchema>;

const FIELD_TO_DATATYPE: Record<FieldType, V2Datatype> = {
  float32: 'FP32',
  float64: 'FP64',
  int8: 'INT8',
  int16: 'INT16',
  int32: 'INT32',
  int64: 'INT64',
  uint8: 'UINT8',
  bool: 'BOOL',
  string: 'BYTES',
};

/** The v2 datatype of a signature field type. */
export function datatypeOf(type: FieldType): V2Datatype {
  return FIELD_TO_DATATYPE[type];
}

const INT_RANGES: Partial<Record<V2Datatype, [number, number]>> = {
  INT8: [-128, 127],
  INT16: [-32768, 32767],
  INT32: [-2147483648, 2147483647],
  INT64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  UINT8: [0, 255],
  UINT16: [0, 65535],
  UINT32: [0, 4294967295],
  UINT64: [0, Number.MAX_SAFE_INTEGER],
};
const FLOAT_MAX: Partial<Record<V2Datatype, number>> = {
  FP16: 65504,
  FP32: 3.4028234663852886e38,
  FP64: Number.MAX_VALUE,
};

/** Why an element is not of `datatype`, or undefined when it is. */
function elementProblem(datatype: V2Datatype, v: unknown): string | undefined {
  if (datatype === 'BOOL') return typeof v === 'boolean' ? undefined : 'Expected a boolean (BOOL)';
  if (datatype === 'BYTES') return typeof v === 'string' ? undefined : 'Expected a string (BYTES)';
  if (typeof v !== 'number') return `Expected a number (${datatype})`;
  const range = INT_RANGES[datatype];
  if (range) {
    if (!Number.isInteger(v)) return `Expected an integer (${datatype})`;
    if (v < range[0] || v > range[1]) return `Out of ${datatype} range [${range[0]}, ${range[1]}]`;
    return undefined;
  }
  const max = FLOAT_MAX[datatype]!;
  return Math.abs(v) <= max ? undefined : `Out of ${datatype} range`;
}

const FLOAT_DATATYPES: ReadonlySet<V2Datatype> = new Set(['FP16', 'FP32', 'FP64']);

/**
 * Why a `null` element is refused, or undefined when it is a missing value: only FP16/FP32/FP64 data of an optional
 * input takes `null` (decoded like v1's `null`: `NaN` in a float column); in a tensor-shaped input the whole row must
 * be `null`.
 */
function nullProblem(
  t: { name: string; datatype: V2Datatype },
  field: { optional?: boolean | undefined; shape: readonly number[] },
  nullable: boolean,
  flat: readonly unknown[],
  i: number,
  rowSize: number,
): string | undefined {
  if (!FLOAT_DATATYPES.has(t.datatype)) {
    return `null is not a ${t.datatype} value (a missing value needs an FP16/FP32/FP64 tensor of an optional input)`;
  }
  if (!nullable) return `Input "${t.name}" is required: null (a missing value) is accepted only for optional inputs`;
  if (field.shape.length === 0 || rowSize === 0) return undefined;
  const start = i - (i % rowSize);
  for (let k = start; k < start + rowSize; k++) {
    if (flat[k] !== null) {
      return `Input "${t.name}" has shape [${field.shape.join(', ')}]: a missing value is a whole row of nulls`;
    }
  }
  return undefined;
}

const MAX_NESTING = 32;

/** Flattens nested arrays iteratively (no recursion on client-controlled depth). */
function flattenData(data: readonly unknown[], path: string, issues: FieldIssue[]): unknown[] {
  const out: unknown[] = [];
  const stack: { arr: readonly unknown[]; i: number }[] = [{ arr: data, i: 0 }];
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    if (top.i >= top.arr.length) {
      stack.pop();
      continue;
    }
    const v = top.arr[top.i++];
    if (Array.isArray(v)) {
      if (stack.length >= MAX_NESTING) {
        issues.push({ path, message: `Nested deeper than ${MAX_NESTING} levels` });
        return out;
      }
      stack.push({ arr: v, i: 0 });
    } else out.push(v);
  }
  return out;
}

function compatible(type: FieldType, datatype: V2Datatype): boolean {
  if (type === 'string') return datatype === 'BYTES';
  if (type === 'bool') return datatype === 'BOOL';
  return datatype !== 'BYTES' && datatype !== 'BOOL';
}

function nest(flat: readonly unknown[], offset: number, dims: readonly number[]): unknown {
  if (dims.length === 0) return flat[offset];
  const [d, ...rest] = dims;
  const step = rest.reduce((a, b) => a * b, 1);
  const out: unknown[] = new Array(d);
  for (let j = 0; j < d!; j++) out[j] = nest(flat, offset + j * step, rest);
  return out;
}

function fail(details: FieldIssue[]): never {
  const shown = details
    .slice(0, 5)
    .map((d) => `${d.path}: ${d.message}`)
    .join('; ');
  throw new MlopsError('INVALID_INPUT', {
    message: `invalid inference request: ${shown}${details.length > 5 ? ` (and ${details.length - 5} more)` : ''}`,
    details,
  });
}

/**
 * Decodes v2 input tensors into typed columns for a signature: checks every element against its datatype, the
 * datatype against the field type, the shape against the data length and the field shape (dimension 0 is the batch;
 * a scalar field also takes `[n, 1]`), then validates through core's `validateInputs`. Throws `INVALID_INPUT` with
 * paths like `inputs[0].data[5]`.
 */
export function decodeTensors(
  signature: Signature,
  tensors: V2InferRequest['inputs'],
  opts: {
    maxRows?: number;
    /** A compiled validator of `inputs` (the server's, faster than core's validateInputs). */
    validate?: (inputs: unknown, o: { maxRows: number; path: string }) => Columns;
  } = {},
): Columns {
  const issues: FieldIssue[] = [];
  const fields = new Map(signature.inputs.map((f) => [f.name, f]));
  const seen = new Map<string, number>();
  const columns: Record<string, unknown[]> = {};
  let batch: number | undefined;
  tensors.forEach((t, ti) => {
    const p = `inputs[${ti}]`;
    const field = fields.get(t.name);
    if (!field) {
      issues.push({
        path: `${p}.name`,
        message: `Unknown input "${t.name}" (expected one of: ${[...fields.keys()].join(', ')})`,
      });
      return;
    }
    if (seen.has(t.name)) {
      issues.push({ path: `${p}.name`, message: `Duplicate input "${t.name}" (also inputs[${seen.get(t.name)}])` });
      return;
    }
    seen.set(t.name, ti);
    if (!compatible(field.type, t.datatype)) {
      issues.push({
        path: `${p}.datatype`,
        message: `Input "${t.name}" is ${field.type} (${datatypeOf(field.type)}); ${t.datatype} does not fit`,
      });
      return;
    }
    const n = t.shape[0]!;
    let dims = t.shape.slice(1);
    if (field.shape.length === 0 && dims.length === 1 && dims[0] === 1) dims = [];
    if (dims.length !== field.shape.length) {
      issues.push({
        path: `${p}.shape`,
        message: `Expected [batch${field.shape.map((d) => `, ${d === -1 ? 'any' : d}`).join('')}], got [${t.shape.join(', ')}]`,
      });
      return;
    }
    const bad = dims.findIndex((d, i) => field.shape[i] !== -1 && field.shape[i] !== d);
    if (bad >= 0) {
      issues.push({ path: `${p}.shape[${bad + 1}]`, message: `Expected ${field.shape[bad]}, got ${dims[bad]}` });
      return;
    }
    if (batch === undefined) batch = n;
    else if (n !== batch) {
      issues.push({ path: `${p}.shape[0]`, message: `Batch size ${n} differs from the other inputs' ${batch}` });
      return;
    }
    const flat = flattenData(t.data, `${p}.data`, issues);
    const rowSize = dims.reduce((a, b) => a * b, 1);
    if (flat.length !== n * rowSize) {
      issues.push({
        path: `${p}.data`,
        message: `Shape [${t.shape.join(', ')}] needs ${n * rowSize} elements, got ${flat.length}`,
      });
      return;
    }
    const nullable = field.optional === true && FLOAT_DATATYPES.has(t.datatype);
    for (let i = 0; i < flat.length; i++) {
      const problem =
        flat[i] === null ? nullProblem(t, field, nullable, flat, i, rowSize) : elementProblem(t.datatype, flat[i]);
      if (problem) {
        issues.push({ path: `${p}.data[${i}]`, message: problem });
        if (issues.length >= 20) return;
      }
    }
    const col: unknown[] = new Array(n);
    for (let r = 0; r < n; r++) {
      if (dims.length === 0) col[r] = flat[r];
      // A tensor-shaped optional input: a row of nulls is a missing row (v1's `null`).
      else col[r] = nullable && flat[r * rowSize] === null ? null : nest(flat, r * rowSize, dims);
    }
    columns[t.name] = col;
  });
  for (const f of signature.inputs) {
    if (!f.optional && !seen.has(f.name) && fields.has(f.name)) {
      issues.push({ path: 'inputs', message: `Missing input "${f.name}"` });
    }
  }
  if (issues.length > 0) fail(issues);
  if (batch === 0) fail([{ path: 'inputs[0].shape[0]', message: 'Expected at least one row' }]);
  try {
    if (opts.validate)
      return opts.validate(columns, { maxRows: opts.maxRows ?? Number.POSITIVE_INFINITY, path: 'inputs' });
    return validateInputs(signature, { inputs: columns }, opts.maxRows === undefined ? {} : { maxRows: opts.maxRows });
  } catch (err) {
    if (isMlopsError(err, 'INVALID_INPUT') && Array.isArray(err.details)) {
      // core reports `inputs.age[3]`; point at the tensor instead.
      fail(
        err.details.map((d) => {
          const m = /^inputs(?:\.([A-Za-z_$][\w$]*)|\["((?:[^"\\]|\\.)*)"\])(?:\[(\d+)\])?(.*)$/.exec(d.path);
          const name = m ? (m[1] ?? JSON.parse(`"${m[2]}"`)) : undefined;
          const ti = name === undefined ? undefined : seen.get(name as string);
          if (ti === undefined) return d;
          return { path: `inputs[${ti}].data`, message: `${m![3] === undefined ? '' : `row ${m![3]}: `}${d.message}` };
        }),
      );
    }
    throw err;
  }
}

function leafDatatype(v: unknown): V2Datatype | undefined {
  if (typeof v === 'boolean') return 'BOOL';
  if (typeof v === 'string') return 'BYTES';
  if (typeof v === 'bigint') return 'INT64';
  if (typeof v === 'number') return 'FP64';
  if (v instanceof Float32Array) return 'FP32';
  if (v instanceof Float64Array) return 'FP64';
  if (v instanceof Int8Array) return 'INT8';
  if (v instanceof Int16Array) return 'INT16';
  if (v instanceof Int32Array) return 'INT32';
  if (v instanceof Uint8Array) return 'UINT8';
  if (v instanceof BigInt64Array) return 'INT64';
  return undefined;
}

function rowShape(v: unknown): number[] {
  const shape: number[] = [];
  let cur = v;
  while (Array.isArray(cur) || (ArrayBuffer.isView(cur) && !(cur instanceof DataView))) {
    const arr = cur as ArrayLike<unknown>;
    shape.push(arr.length);
    cur = arr.length > 0 ? arr[0] : undefined;
  }
  return shape;
}

/** A row's dimensions: the signature's (core hands tensor rows over flattened), with one `-1` resolved. */
function rowDims(fieldShape: readonly number[] | undefined, first: unknown): number[] {
  const seen = rowShape(first);
  if (!fieldShape || fieldShape.length === 0 || fieldShape.length === seen.length) return seen;
  const count: number[] = [];
  pushFlat(first, count);
  const known = fieldShape.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
  const free = fieldShape.filter((d) => d === -1).length;
  if (free > 1) return seen;
  const dims = fieldShape.map((d) => (d === -1 ? count.length / known : d));
  return dims.reduce((a, b) => a * b, 1) === count.length ? dims : seen;
}

function pushFlat(v: unknown, out: unknown[]): void {
  if (Array.isArray(v) || (ArrayBuffer.isView(v) && !(v instanceof DataView))) {
    const arr = v as ArrayLike<unknown>;
    for (let i = 0; i < arr.length; i++) pushFlat(arr[i], out);
  } else out.push(toJsonValue(v));
}

/**
 * Encodes predictor outputs as v2 tensors: the datatype comes from the signature's output field when there is one,
 * else from the values; the shape is `[rows, ...row shape]` and data is flattened row-major.
 */
export function encodeTensors(signature: Signature, outputs: Columns, names?: readonly string[]): V2Tensor[] {
  const fields = new Map(signature.outputs.map((f) => [f.name, f]));
  return (names ?? Object.keys(outputs)).map((name) => {
    const col = outputs[name]!;
    const n = col.length;
    const first = n > 0 ? (col as ArrayLike<unknown>)[0] : undefined;
    const field = fields.get(name);
    const shape = ArrayBuffer.isView(col) ? [n] : [n, ...rowDims(field?.shape, first)];
    const data: unknown[] = [];
    for (let i = 0; i < n; i++) {
      const row = (col as ArrayLike<unknown>)[i];
      const before = data.length;
      pushFlat(row, data);
      const expected = shape.slice(1).reduce((a, b) => a * b, 1);
      if (data.length - before !== expected) throw new Error(`output "${name}" has rows of different shapes`);
    }
    let datatype: V2Datatype | undefined = field ? datatypeOf(field.type) : leafDatatype(col);
    if (!datatype) {
      let leaf: unknown = first;
      while (Array.isArray(leaf) || (ArrayBuffer.isView(leaf) && !(leaf instanceof DataView))) {
        const t = leafDatatype(leaf);
        if (t && !Array.isArray(leaf)) {
          datatype = t;
          break;
        }
        leaf = (leaf as ArrayLike<unknown>)[0];
      }
      datatype ??= leafDatatype(leaf) ?? 'FP64';
    }
    return { name, shape, datatype, data };
  });
}
