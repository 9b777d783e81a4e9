// `@mlops/drift/arrow`: Apache Arrow tables and IPC streams as drift inputs (apache-arrow is an optional peer
// dependency: install it to use this entry point; the package root never imports it).

import type { Data, RecordBatch, Table, Vector } from 'apache-arrow';
import { RecordBatchReader, Type } from 'apache-arrow';
import { DriftError } from '../errors.js';
import { createProfileBuilder, type ProfileOptions } from '../profile/builder.js';
import type { ColumnarData } from '../profile/input.js';
import type { Profile } from '../profile/schema.js';

/** Arrow IPC bytes (stream or file format), in one piece or in chunks (a Node stream, a fetch body reader…). */
export type ArrowIpcSource =
  | Uint8Array
  | ArrayBuffer
  | Iterable<Uint8Array>
  | AsyncIterable<Uint8Array>
  | PromiseLike<Uint8Array>;
/** What {@link arrowBatches} and {@link profileArrow} read: IPC bytes, a table, a record batch, or a list of them. */
export type ArrowSource = ArrowIpcSource | Table | RecordBatch | (Table | RecordBatch)[];

/** Options of {@link fromArrow} and {@link arrowBatches}. */
export interface ArrowReadOptions {
  /** Columns to read. @default every column */
  columns?: string[];
}

const NUMERIC = new Set<Type>([Type.Float, Type.Int]);

function isValid(data: Data, i: number): boolean {
  const bitmap = data.nullBitmap;
  if (data.nullCount === 0 || !bitmap || bitmap.length === 0) return true;
  const j = data.offset + i;
  return ((bitmap[j >> 3] as number) & (1 << (j & 7))) !== 0;
}

/**
 * One Arrow column as drift reads it. A Float64 column without nulls in a single chunk is its Float64Array, no copy;
 * other numeric columns (several chunks, nulls, Int/Float32/Int64) become a Float64Array with NaN for null;
 * timestamps and dates become `Date`s (datetime columns); everything else (strings, dictionaries, booleans) the
 * values with null for a missing one.
 */
export function arrowColumn(vector: Vector): ArrayLike<unknown> {
  const typeId = vector.type.typeId as Type;
  if (NUMERIC.has(typeId)) {
    const chunks = vector.data;
    const first = chunks[0];
    // Float16 is stored as raw 16-bit words: read it through the vector below
    const half = typeId === Type.Float && first?.values instanceof Uint16Array;
    if (half)
      return Float64Array.from({ length: vector.length }, (_, i) => (vector.get(i) as number | null) ?? Number.NaN);
    if (
      chunks.length === 1 &&
      first &&
      first.nullCount === 0 &&
      first.values instanceof Float64Array &&
      first.values.length >= first.offset + first.length
    ) {
      return first.values.subarray(first.offset, first.offset + first.length);
    }
    const out = new Float64Array(vector.length);
    let o = 0;
    for (const data of chunks) {
      const values = data.values as ArrayLike<number | bigint>;
      const stride = data.stride || 1;
      for (let i = 0; i < data.length; i++) {
        out[o++] = isValid(data, i) ? Number(values[(data.offset + i) * stride] as number | bigint) : Number.NaN;
      }
    }
    return out;
  }
  const out = new Array<unknown>(vector.length);
  const temporal = typeId === Type.Timestamp || typeId === Type.Date;
  for (let i = 0; i < vector.length; i++) {
    const v = vector.get(i);
    if (v === null || v === undefined) out[i] = null;
    else if (temporal) out[i] = v instanceof Date ? v : new Date(Number(v));
    else out[i] = typeof v === 'bigint' ? Number(v) : v;
  }
  return out;
}

/** An Arrow table or record batch as columns (Float64 columns without nulls are not copied). */
export function fromArrow(table: Table | RecordBatch, options: ArrowReadOptions = {}): ColumnarData {
  // no prototype: a column named "__proto__" is an own key, as in records and profiles
  const out: ColumnarData = Object.create(null);
  const names = options.columns ?? table.schema.fields.map((f) => f.name);
  for (const name of names) {
    const vector = table.getChild(name);
    if (!vector) {
      throw new DriftError('INVALID_INPUT', `column "${name}" is not in the Arrow table`, {
        details: { column: name },
      });
    }
    out[name] = arrowColumn(vector);
  }
  return out;
}

function isTableLike(source: unknown): source is Table | RecordBatch {
  return (
    typeof source === 'object' &&
    source !== null &&
    'schema' in source &&
    typeof (source as { getChild?: unknown }).getChild === 'function'
  );
}

/**
 * Reads an Arrow IPC stream or file (or iterates tables / record batches) one record batch at a time, as columns:
 * what {@link profileArrow} feeds a profile builder with. Memory holds one record batch.
 */
export async function* arrowBatches(source: ArrowSource, options: ArrowReadOptions = {}): AsyncGenerator<ColumnarData> {
  if (isTableLike(source)) {
    yield fromArrow(source, options);
    return;
  }
  if (Array.isArray(source) && source.every(isTableLike)) {
    for (const batch of source) yield fromArrow(batch, options);
    return;
  }
  const reader = await RecordBatchReader.from(
    source as Parameters<typeof RecordBatchReader.from>[0] & Iterable<Uint8Array>,
  );
  for await (const batch of reader as AsyncIterable<RecordBatch>) yield fromArrow(batch, options);
}

/**
 * Profiles an Arrow IPC stream or file record batch by record batch in bounded memory (see createProfileBuilder):
 * a reference of any number of rows.
 */
export async function profileArrow(
  source: ArrowSource,
  options: ProfileOptions & ArrowReadOptions = {},
): Promise<Profile> {
  const { columns, ...profileOptions } = options;
  const builder = createProfileBuilder(profileOptions);
  for await (const batch of arrowBatches(source, columns ? { columns } : {})) builder.add(batch);
  return builder.finish();
}
