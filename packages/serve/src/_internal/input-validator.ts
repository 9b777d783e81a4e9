import {
  type Columns,
  type ColumnValues,
  type FieldIssue,
  type FieldSpec,
  MlopsError,
  type Signature,
  signatureToZod,
} from '@mlops/core';
import { issuesOf, summarize } from './issues.js';

// core's validateInputs() rebuilds the signature's zod schemas on every call (~0.5-1 ms), which dominated the
// server's per-request cost. This validator compiles them once per model version and converts with the same
// mapping as validateInputs (documented there): drop it once core exposes a compiled validator.

const TYPED = {
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

function typedRow(field: FieldSpec, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (field.type === 'bool' || field.type === 'string') return value;
  const flat = flatten(value, []);
  if (field.type === 'int64') return BigInt64Array.from(flat, (x) => BigInt(x as number | string));
  return TYPED[field.type].from(flat as number[]);
}

function typedColumn(field: FieldSpec, values: readonly unknown[]): ColumnValues {
  if (field.shape.length > 0) return values.map((v) => typedRow(field, v));
  const hasNull = values.some((v) => v === null || v === undefined);
  switch (field.type) {
    case 'float32':
    case 'float64':
      return (TYPED[field.type] as typeof Float64Array).from(values, (v: unknown) =>
        v === null || v === undefined ? Number.NaN : (v as number),
      );
    case 'int8':
    case 'int16':
    case 'int32':
    case 'uint8':
      return hasNull ? values.map((v) => (v ?? null) as number | null) : TYPED[field.type].from(values as number[]);
    case 'int64':
      return hasNull
        ? values.map((v) => (v === null || v === undefined ? null : BigInt(v as number | string)))
        : BigInt64Array.from(values, (v) => BigInt(v as number | string));
    default:
      return values.map((v) => (v === undefined ? null : v));
  }
}

/** Validates `inputs` (records or columns) against a signature compiled once; returns typed columns (internal). */
export type InputValidator = (inputs: unknown, opts: { maxRows: number; path: string }) => Columns;

function fail(what: string, details: FieldIssue[]): never {
  throw new MlopsError('INVALID_INPUT', { message: summarize(what, details), details });
}

/** Compiles a signature's input validation (internal). */
export function compileInputValidator(signature: Signature): InputValidator {
  const schemas = signatureToZod(signature);
  return (inputs, { maxRows, path }) => {
    if (inputs === null || typeof inputs !== 'object') {
      fail('invalid request', [{ path, message: 'Required: an array of records or an object of columns' }]);
    }
    const isRecords = Array.isArray(inputs);
    const r = (isRecords ? schemas.records : schemas.columns).safeParse(inputs);
    if (!r.success) fail(`invalid ${path}`, issuesOf(r.error, [path]));
    const out: Columns = {};
    if (isRecords) {
      const recs = r.data as Record<string, unknown>[];
      if (recs.length > maxRows) fail('too many rows', [{ path, message: `At most ${maxRows} rows per request` }]);
      for (const f of signature.inputs) {
        out[f.name] = typedColumn(
          f,
          recs.map((rec) => rec[f.name]),
        );
      }
    } else {
      const cols = r.data as Record<string, unknown[] | undefined>;
      const n = Object.values(cols).find((c) => c !== undefined)?.length ?? 0;
      if (n > maxRows) fail('too many rows', [{ path, message: `At most ${maxRows} rows per request` }]);
      for (const f of signature.inputs) out[f.name] = typedColumn(f, cols[f.name] ?? new Array(n).fill(null));
    }
    return out;
  };
}
