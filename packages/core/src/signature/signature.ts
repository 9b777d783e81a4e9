import { z } from 'zod';
import type { Columns, ColumnValues, InputRecord } from '../contracts/columns.js';
import { isPgText, pgText } from '../pg-text.js';
import { invalidInput, zodIssues } from '../validation.js';

/** The element types a signature field may have. */
export const FIELD_TYPES = [
  'float32',
  'float64',
  'int8',
  'int16',
  'int32',
  'int64',
  'uint8',
  'bool',
  'string',
] as const;

/** One element type of {@link FIELD_TYPES}. */
export type FieldType = (typeof FIELD_TYPES)[number];

/** Schema of one named input or output of a {@link Signature}. */
export const fieldSpecSchema = z.object({
  /** Column / record key, e.g. `age`. */
  name: z.string().min(1).max(200),
  /** Element type. */
  type: z.enum(FIELD_TYPES),
  /**
   * Shape of ONE row's value, without the batch dimension: `[]` is a scalar, `[3]` a vector of 3, `[-1]` a vector of
   * any length, `[2, 2]` a 2×2 matrix.
   */
  shape: z
    .array(z.union([z.int().positive(), z.literal(-1)]))
    .max(8)
    .default([]),
  /** The value may be omitted or `null` (a missing value). */
  optional: z.boolean().optional(),
  /** Human description, shown in the OpenAPI docs. */
  description: z.string().max(2000).optional(),
});

/** One named, typed, shaped input or output. */
export type FieldSpec = z.infer<typeof fieldSpecSchema>;

/** A field spec as written by hand (`shape` may be left out). */
export type FieldSpecInput = z.input<typeof fieldSpecSchema>;

const uniqueNames = (fields: { name: string }[], ctx: z.RefinementCtx, part: string) => {
  const seen = new Set<string>();
  fields.forEach((f, i) => {
    if (seen.has(f.name))
      ctx.addIssue({ code: 'custom', path: [part, i, 'name'], message: `Duplicate name "${f.name}"` });
    seen.add(f.name);
  });
};

/** Schema of a {@link Signature}: named inputs (at least one) and outputs, names unique within each list. */
export const signatureSchema = z
  .object({
    inputs: z.array(fieldSpecSchema).min(1),
    outputs: z.array(fieldSpecSchema).default([]),
  })
  .superRefine((s, ctx) => {
    uniqueNames(s.inputs, ctx, 'inputs');
    uniqueNames(s.outputs, ctx, 'outputs');
  });

/** What a model takes and gives: from it come request validation, OpenAPI schemas and OIP metadata. */
export type Signature = z.infer<typeof signatureSchema>;

/** A signature as written by hand (shapes may be left out). */
export type SignatureInput = z.input<typeof signatureSchema>;

/** Validates a signature (zod), throwing `INVALID_INPUT` with field paths. */
export function parseSignature(json: unknown): Signature {
  const r = signatureSchema.safeParse(json);
  if (!r.success) throw invalidInput('invalid signature', zodIssues(r.error));
  return r.data;
}

const F32_MAX = 3.4028234663852886e38;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

function elementSchema(type: FieldType): z.ZodType {
  switch (type) {
    case 'float32':
      return z.number().min(-F32_MAX).max(F32_MAX);
    case 'float64':
      return z.number();
    case 'int8':
      return z.int().min(-128).max(127);
    case 'int16':
      return z.int().min(-32768).max(32767);
    case 'int32':
      return z.int().min(-2147483648).max(2147483647);
    case 'uint8':
      return z.int().min(0).max(255);
    case 'int64':
      // Numbers must be safe integers; larger values travel as decimal strings.
      return z.union([
        z.int(),
        z
          .string()
          .regex(/^-?\d{1,19}$/, { message: 'Expected an integer or a decimal string', abort: true })
          // `abort` above: BigInt() would throw a SyntaxError on anything but digits (a 500 instead of a 400).
          .refine((s) => {
            const b = BigInt(s);
            return b >= INT64_MIN && b <= INT64_MAX;
          }, 'Out of int64 range'),
      ]);
    case 'bool':
      return z.boolean();
    case 'string':
      // Inputs go to the prediction log (jsonb): a string it cannot hold is the client's mistake, refused here.
      return pgText();
  }
}

function valueSchema(field: FieldSpec): z.ZodType {
  let s = elementSchema(field.type);
  for (let k = field.shape.length - 1; k >= 0; k--) {
    const d = field.shape[k]!;
    s = d > 0 ? z.array(s).length(d) : z.array(s);
  }
  if (field.description) s = s.describe(field.description);
  return field.optional ? s.nullable() : s;
}

/** The zod validators derived from one side of a signature. */
export interface SignatureSchemas {
  /** One record: `{ age: 31, city: 'Paris' }`. Unknown fields are rejected. */
  record: z.ZodType;
  /** A non-empty array of records. */
  records: z.ZodType;
  /** Columns of equal, non-zero length: `{ age: [31, 45], city: ['Paris', 'Lyon'] }`. */
  columns: z.ZodType;
  /** Records or columns. */
  batch: z.ZodType;
  /** The request body `{ inputs: batch }` (or `{ outputs: batch }` for the outputs side). */
  request: z.ZodType;
}

/** Options of {@link signatureToZod} and {@link signatureToJsonSchema}. */
export interface SignatureSchemaOptions {
  /**
   * Which side of the signature to describe.
   * @default 'inputs'
   */
  part?: 'inputs' | 'outputs';
}

/**
 * Builds the zod validators of a signature's inputs (or outputs): one record, a batch of records, a batch of
 * columns, either, and the `{ inputs }` request body. Issues carry field paths (`inputs[3].age`).
 */
export function signatureToZod(sig: SignatureInput, opts: SignatureSchemaOptions = {}): SignatureSchemas {
  const s = parseSignature(sig);
  const part = opts.part ?? 'inputs';
  const fields = s[part];
  const recordShape: Record<string, z.ZodType> = {};
  const columnShape: Record<string, z.ZodType> = {};
  for (const f of fields) {
    const v = valueSchema(f);
    recordShape[f.name] = f.optional ? v.optional() : v;
    const col = z.array(v);
    columnShape[f.name] = f.optional ? col.optional() : col;
  }
  const record = z.strictObject(recordShape);
  const records = z.array(record).min(1, 'Expected at least one record');
  const columns = z.strictObject(columnShape).superRefine((obj, ctx) => {
    let n: number | undefined;
    let first = '';
    for (const [name, col] of Object.entries(obj as Record<string, unknown[] | undefined>)) {
      if (!col) continue;
      if (n === undefined) {
        n = col.length;
        first = name;
        if (n === 0) ctx.addIssue({ code: 'custom', path: [name], message: 'Expected at least one row' });
      } else if (col.length !== n) {
        ctx.addIssue({
          code: 'custom',
          path: [name],
          message: `Expected ${n} rows (as "${first}"), got ${col.length}`,
        });
      }
    }
    if (n === undefined) ctx.addIssue({ code: 'custom', path: [], message: 'Expected at least one column' });
  });
  const batch = z.union([records, columns]);
  const request = z.object({ [part]: batch });
  return { record, records, columns, batch, request };
}

/** JSON Schemas (draft 2020-12) of one side of a signature, for OpenAPI docs and OIP metadata. */
export interface SignatureJsonSchemas {
  record: Record<string, unknown>;
  records: Record<string, unknown>;
  columns: Record<string, unknown>;
  batch: Record<string, unknown>;
  request: Record<string, unknown>;
}

/** Converts a signature side to JSON Schema with zod's `z.toJSONSchema`, so docs and validation cannot disagree. */
export function signatureToJsonSchema(sig: SignatureInput, opts: SignatureSchemaOptions = {}): SignatureJsonSchemas {
  const z4 = signatureToZod(sig, opts);
  const conv = (t: z.ZodType) => z.toJSONSchema(t, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return {
    record: conv(z4.record),
    records: conv(z4.records),
    columns: conv(z4.columns),
    batch: conv(z4.batch),
    request: conv(z4.request),
  };
}

const TYPED_CTORS = {
  float32: Float32Array,
  float64: Float64Array,
  int8: Int8Array,
  int16: Int16Array,
  int32: Int32Array,
  uint8: Uint8Array,
} as const;

function flatten(v: unknown, out: unknown[]): unknown[] {
  if (Array.isArray(v)) for (const x of v) flatten(x, out);
  else out.push(v);
  return out;
}

function toTypedRow(field: FieldSpec, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  const flat = flatten(value, []);
  if (field.type === 'int64') return BigInt64Array.from(flat, (x) => BigInt(x as number | string));
  if (field.type === 'bool' || field.type === 'string') return value;
  return TYPED_CTORS[field.type].from(flat as number[]);
}

/** Builds one typed column from validated values (see {@link validateInputs} for the mapping). */
function toTypedColumn(field: FieldSpec, values: readonly unknown[]): ColumnValues {
  if (field.shape.length > 0) return values.map((v) => toTypedRow(field, v));
  const hasNull = values.some((v) => v === null || v === undefined);
  switch (field.type) {
    case 'float32':
    case 'float64':
      return (TYPED_CTORS[field.type] as typeof Float64Array).from(values, (v: unknown) =>
        v === null || v === undefined ? Number.NaN : (v as number),
      );
    case 'int8':
    case 'int16':
    case 'int32':
    case 'uint8':
      return hasNull
        ? values.map((v) => (v ?? null) as number | null)
        : TYPED_CTORS[field.type].from(values as number[]);
    case 'int64':
      return hasNull
        ? values.map((v) => (v === null || v === undefined ? null : BigInt(v as number | string)))
        : BigInt64Array.from(values, (v) => BigInt(v as number | string));
    default:
      return values.map((v) => (v === undefined ? null : v));
  }
}

/** Options of {@link validateInputs}. */
export interface ValidateInputsOptions {
  /**
   * Most rows accepted in one request; more gives `INVALID_INPUT`.
   * @default Infinity
   */
  maxRows?: number;
}

/**
 * Validates a request body `{ inputs: records[] | columns }` against a signature and returns typed columns:
 * float32/float64 → `Float32Array`/`Float64Array` (a missing value is `NaN`), int8/int16/int32/uint8 → typed arrays
 * (plain arrays with `null` when values are missing), int64 → `BigInt64Array`, bool/string → arrays; a tensor-shaped
 * field gives one flattened typed array (numbers) or nested array (bool/string) per row. Optional fields absent from
 * the body come back filled with missing values. Failures throw `MlopsError('INVALID_INPUT')` whose `details` are
 * `[{ path: 'inputs[3].age', message }]`.
 */
export function validateInputs(sig: SignatureInput, body: unknown, opts: ValidateInputsOptions = {}): Columns {
  return createInputValidator(sig, opts)(body);
}

/** Options of {@link createInputValidator}. */
export interface InputValidatorOptions extends ValidateInputsOptions {
  /**
   * The validator takes the inputs themselves (records or columns, e.g. a request's `instances`) instead of a body
   * `{ inputs: … }`.
   * @default false
   */
  raw?: boolean;
  /**
   * Where the inputs sit, as the start of every issue's field path (`instances` gives `instances[3].age`); dots
   * separate segments (`body.inputs`).
   * @default 'inputs'
   */
  path?: string;
}

/** Per-call overrides of an {@link InputValidator}: a server may validate `instances` and `inputs` with one. */
export type InputValidatorCallOptions = Pick<InputValidatorOptions, 'maxRows' | 'path'>;

/** A compiled {@link validateInputs}: typed columns out, or `MlopsError('INVALID_INPUT')` with field paths. */
export type InputValidator = (body: unknown, overrides?: InputValidatorCallOptions) => Columns;

/**
 * Compiles {@link validateInputs} for one signature: the signature is parsed and its zod schemas are built once, so a
 * server validates each request without rebuilding them (about 100× faster per call). With `raw` it takes the
 * inputs without the `{ inputs }` wrapper; `path` sets where issues' field paths start; both `maxRows` and `path`
 * may be overridden per call.
 *
 * @example
 * const validate = createInputValidator(signature, { maxRows: 1000 });
 * const columns = validate(req.body); // typed columns, or MlopsError('INVALID_INPUT') with field paths
 * const rows = createInputValidator(signature, { raw: true, path: 'instances' })(req.body.instances);
 */
export function createInputValidator(sig: SignatureInput, opts: InputValidatorOptions = {}): InputValidator {
  return buildInputValidator(sig, opts, true);
}

/**
 * @internal For tests only (not exported from the package index): {@link createInputValidator} without its fast path,
 * so every request goes through zod.
 */
export function createZodInputValidator(sig: SignatureInput, opts: InputValidatorOptions = {}): InputValidator {
  return buildInputValidator(sig, opts, false);
}

function buildInputValidator(sig: SignatureInput, opts: InputValidatorOptions, withFastPath: boolean): InputValidator {
  const s = parseSignature(sig);
  const schemas = signatureToZod(s);
  const fast = withFastPath ? compileFastInputCheck(s) : undefined;
  const raw = opts.raw ?? false;
  return (body, overrides) => {
    const inputs = raw
      ? body
      : body !== null && typeof body === 'object'
        ? (body as { inputs?: unknown }).inputs
        : undefined;
    return convertInputs(s, schemas, fast, inputs, {
      maxRows: overrides?.maxRows ?? opts.maxRows ?? Number.POSITIVE_INFINITY,
      path: overrides?.path ?? opts.path ?? 'inputs',
    });
  };
}

/** Accepts an element of one scalar field's type only when its zod schema ({@link elementSchema}) certainly would. */
type FastElementCheck = (v: unknown) => boolean;

const intIn =
  (min: number, max: number): FastElementCheck =>
  (v) =>
    Number.isSafeInteger(v) && (v as number) >= min && (v as number) <= max;

function fastElementCheck(type: FieldType): FastElementCheck | undefined {
  switch (type) {
    case 'float32':
      return (v) => Number.isFinite(v) && (v as number) >= -F32_MAX && (v as number) <= F32_MAX;
    case 'float64':
      // zod 4's z.number() refuses NaN and ±Infinity, as Number.isFinite does (and it is false for non-numbers).
      return Number.isFinite as FastElementCheck;
    case 'int8':
      return intIn(-128, 127);
    case 'int16':
      return intIn(-32768, 32767);
    case 'int32':
      return intIn(-2147483648, 2147483647);
    case 'uint8':
      return intIn(0, 255);
    case 'int64':
      // Decimal strings are left to zod (regex + BigInt range).
      return Number.isSafeInteger as FastElementCheck;
    case 'bool':
      return (v) => typeof v === 'boolean';
    case 'string':
      return (v) => typeof v === 'string' && isPgText(v);
    default:
      return undefined;
  }
}

const isPlainObjectValue = (v: unknown): v is Record<string, unknown> => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
};

/**
 * @internal Exported for tests only (not from the package index). Compiles the accept-only fast path of
 * {@link createInputValidator}: a function of the inputs (records or columns, without the `{ inputs }` wrapper) that
 * returns `true` only when `signatureToZod(s).records` (for an array) or `.columns` (otherwise) certainly accepts them
 * and gives back the same values, so they can be converted without zod. `false` means "ask zod", which words the
 * errors. `undefined` when the signature has a field the fast path does not cover (a tensor shape, or a name
 * inherited from `Object.prototype` such as `__proto__`): then every request goes through zod. Accepted inputs are
 * read again to convert them, which assumes plain data (as `JSON.parse` gives), not getters that change their answer.
 */
export function compileFastInputCheck(s: Pick<Signature, 'inputs'>): ((inputs: unknown) => boolean) | undefined {
  const fields: { name: string; optional: boolean; check: FastElementCheck }[] = [];
  for (const f of s.inputs) {
    if (f.shape.length !== 0 || f.name in Object.prototype) return undefined;
    const check = fastElementCheck(f.type);
    if (!check) return undefined;
    fields.push({ name: f.name, optional: f.optional === true, check });
  }
  const known = new Set(fields.map((f) => f.name));
  // zod's strictObject lists unknown keys with for…in (inherited enumerable keys included): so does this.
  const onlyKnownKeys = (o: Record<string, unknown>): boolean => {
    for (const k in o) if (!known.has(k)) return false;
    return true;
  };
  const checkRecord = (rec: unknown): boolean => {
    if (!isPlainObjectValue(rec) || !onlyKnownKeys(rec)) return false;
    for (const f of fields) {
      const v = rec[f.name];
      if (v === undefined || v === null) {
        if (!f.optional) return false;
      } else if (!f.check(v)) return false;
    }
    return true;
  };
  const checkColumns = (cols: unknown): boolean => {
    if (!isPlainObjectValue(cols) || !onlyKnownKeys(cols)) return false;
    let n = 0;
    for (const f of fields) {
      const col = cols[f.name];
      if (col === undefined) {
        if (!f.optional) return false;
        continue;
      }
      if (!Array.isArray(col) || col.length === 0 || (n > 0 && col.length !== n)) return false;
      n = col.length;
      for (let i = 0; i < n; i++) {
        const v: unknown = col[i];
        if (v === null) {
          if (!f.optional) return false;
        } else if (!f.check(v)) return false;
      }
    }
    return n > 0;
  };
  return (inputs) => {
    if (!Array.isArray(inputs)) return checkColumns(inputs);
    if (inputs.length === 0) return false;
    for (let i = 0; i < inputs.length; i++) if (!checkRecord(inputs[i])) return false;
    return true;
  };
}

function convertInputs(
  s: Signature,
  schemas: SignatureSchemas,
  fast: ((inputs: unknown) => boolean) | undefined,
  inputs: unknown,
  opts: { maxRows: number; path: string },
): Columns {
  const { maxRows, path } = opts;
  if (inputs === null || typeof inputs !== 'object') {
    throw invalidInput('invalid request', [{ path, message: 'Required: an array of records or an object of columns' }]);
  }
  const isRecords = Array.isArray(inputs);
  let data: unknown;
  // A request the fast path accepts is one zod accepts, and zod's output for these schemas holds the same values.
  if (fast?.(inputs)) data = inputs;
  else {
    const r = (isRecords ? schemas.records : schemas.columns).safeParse(inputs);
    if (!r.success) throw invalidInput(`invalid ${path}`, zodIssues(r.error, path ? path.split('.') : []));
    data = r.data;
  }
  const out: Columns = {};
  if (isRecords) {
    const recs = data as InputRecord[];
    if (recs.length > maxRows) {
      throw invalidInput('too many rows', [{ path, message: `At most ${maxRows} rows per request` }]);
    }
    for (const f of s.inputs)
      out[f.name] = toTypedColumn(
        f,
        recs.map((rec) => rec[f.name]),
      );
  } else {
    const cols = data as Record<string, unknown[] | undefined>;
    const n = Object.values(cols).find((c) => c !== undefined)?.length ?? 0;
    if (n > maxRows) {
      throw invalidInput('too many rows', [{ path, message: `At most ${maxRows} rows per request` }]);
    }
    for (const f of s.inputs) out[f.name] = toTypedColumn(f, cols[f.name] ?? new Array(n).fill(null));
  }
  return out;
}

const TYPED_TYPES: [new (...a: never[]) => unknown, FieldType][] = [
  [Float32Array, 'float32'],
  [Float64Array, 'float64'],
  [Int8Array, 'int8'],
  [Int16Array, 'int16'],
  [Int32Array, 'int32'],
  [Uint8Array, 'uint8'],
  [BigInt64Array, 'int64'],
];

function typedType(v: unknown): FieldType | undefined {
  for (const [ctor, t] of TYPED_TYPES) if (v instanceof ctor) return t;
  return undefined;
}

interface Inferred {
  type?: FieldType;
  shape?: (number | -1)[];
  optional: boolean;
}

function mergeType(name: string, a: FieldType | undefined, b: FieldType): FieldType {
  if (a === undefined || a === b) return b;
  const num = (t: FieldType) => t !== 'bool' && t !== 'string';
  if (num(a) && num(b)) return a === 'float32' && b === 'float32' ? 'float32' : 'float64';
  throw invalidInput('cannot infer signature', [{ path: name, message: `Mixes ${a} and ${b} values` }]);
}

function scalarType(v: unknown): FieldType | undefined {
  if (typeof v === 'number') return 'float64';
  if (typeof v === 'bigint') return 'int64';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'string') return 'string';
  return undefined;
}

function inferValue(name: string, v: unknown, acc: Inferred): void {
  if (v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v))) {
    acc.optional = true;
    return;
  }
  let shape: (number | -1)[] = [];
  let leafType: FieldType | undefined;
  const tt = typedType(v);
  if (tt) {
    shape = [(v as ArrayLike<unknown>).length];
    leafType = tt;
  } else if (Array.isArray(v)) {
    // Nested arrays: the shape is read along the first element, the leaf type from every leaf.
    let cur: unknown = v;
    while (Array.isArray(cur)) {
      shape.push(cur.length);
      cur = cur[0];
    }
    for (const leaf of flatten(v, [])) {
      const lt = typedType(leaf) ?? scalarType(leaf);
      if (lt) leafType = mergeType(name, leafType, lt);
    }
  } else {
    leafType = scalarType(v);
    if (!leafType)
      throw invalidInput('cannot infer signature', [{ path: name, message: `Unsupported ${typeof v} value` }]);
  }
  if (leafType) acc.type = mergeType(name, acc.type, leafType);
  if (acc.shape === undefined) acc.shape = shape;
  else if (acc.shape.length !== shape.length) {
    throw invalidInput('cannot infer signature', [
      { path: name, message: 'Rows have different numbers of dimensions' },
    ]);
  } else acc.shape = acc.shape.map((d, i) => (d === shape[i] ? d : -1));
}

function inferFields(columns: Columns): FieldSpec[] {
  return Object.entries(columns).map(([name, col]) => {
    const tt = typedType(col);
    if (tt) return { name, type: tt, shape: [] };
    const acc: Inferred = { optional: false };
    for (const v of col as readonly unknown[]) inferValue(name, v, acc);
    if (!acc.type)
      throw invalidInput('cannot infer signature', [{ path: name, message: 'No non-missing value to infer from' }]);
    const f: FieldSpec = { name, type: acc.type, shape: acc.shape ?? [] };
    if (acc.optional) f.optional = true;
    return f;
  });
}

/**
 * Infers a signature from sample columns (and outputs): typed arrays give their type, JS numbers `float64`,
 * bigints `int64`; `null`/`NaN` makes a field optional; nested arrays give a shape (`-1` where rows differ).
 */
export function inferSignature(inputs: Columns, outputs: Columns = {}): Signature {
  return parseSignature({ inputs: inferFields(inputs), outputs: inferFields(outputs) });
}
