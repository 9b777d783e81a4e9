// `@mlops/drift/parquet`: Parquet files as drift inputs, read with hyparquet (an optional peer dependency: install
// `hyparquet` to use this entry point; the package root never imports it). Pure JavaScript: works in Node and in
// browsers (pass an AsyncBuffer such as hyparquet's asyncBufferFromUrl, or an ArrayBuffer, instead of a path).

import type { AsyncBuffer, DecodedArray, FileMetaData } from 'hyparquet';
import * as hyparquet from 'hyparquet';
import { DriftError } from '../errors.js';
import { createProfileBuilder, type ProfileOptions } from '../profile/builder.js';
import type { ColumnarData } from '../profile/input.js';
import type { Profile } from '../profile/schema.js';

/** A Parquet file: a path (Node only), its bytes, or a hyparquet AsyncBuffer (ranged reads of a file or a URL). */
export type ParquetSource = string | ArrayBuffer | Uint8Array | AsyncBuffer;

/** Options of {@link parquetBatches} and {@link readParquet}. */
export interface ParquetReadOptions {
  /** Columns to read. @default every column */
  columns?: string[];
  /**
   * Only row groups [from, to) of the file: splits one file among threads or processes, whose profiles
   * `mergeProfiles` then combines (see {@link parquetInfo} for the number of row groups). @default every row group
   */
  rowGroups?: { from?: number; to?: number };
}

/** What a Parquet file holds, from its footer: rows, row groups and leaf column names. */
export async function parquetInfo(
  source: ParquetSource,
): Promise<{ rows: number; rowGroups: number; columns: string[] }> {
  const file = await open(source);
  const scan = await hyparquet.parquetScan({ file });
  return { rows: Number(scan.metadata.num_rows), rowGroups: scan.ranges.length, columns: columnNames(scan, {}) };
}

/** The scan's row ranges selected by `rowGroups`. */
function selectedRanges<T>(ranges: readonly T[], options: ParquetReadOptions): readonly T[] {
  const from = options.rowGroups?.from ?? 0;
  const to = options.rowGroups?.to ?? ranges.length;
  return ranges.slice(from, to);
}

async function open(source: ParquetSource): Promise<AsyncBuffer> {
  if (typeof source === 'string') {
    // hyparquet's Node entry point has it; its browser entry point does not (read via asyncBufferFromUrl there).
    const fromFile = (hyparquet as Record<string, unknown>).asyncBufferFromFile as
      | ((path: string) => Promise<AsyncBuffer>)
      | undefined;
    if (!fromFile) throw new TypeError('reading a Parquet file by path needs Node; pass an AsyncBuffer or bytes');
    return fromFile(source);
  }
  if (source instanceof ArrayBuffer) return { byteLength: source.byteLength, slice: (a, b) => source.slice(a, b) };
  if (source instanceof Uint8Array) {
    const bytes = source;
    return {
      byteLength: bytes.byteLength,
      slice: (a, b) => bytes.slice(a, b).buffer as ArrayBuffer,
    };
  }
  return source;
}

/**
 * A column as detectDrift and profiles read it: DOUBLE columns without nulls stay the Float64Array hyparquet
 * decoded (no copy), INT64 becomes numbers, and nullable columns keep null for a missing value.
 */
function toColumn(values: DecodedArray): ArrayLike<unknown> {
  if (values instanceof BigInt64Array || values instanceof BigUint64Array) {
    const out = new Float64Array(values.length);
    for (let i = 0; i < values.length; i++) out[i] = Number(values[i]);
    return out;
  }
  return values;
}

/** The requested columns, or every leaf column of the file's schema. */
function columnNames(scan: { metadata: FileMetaData }, options: ParquetReadOptions): string[] {
  const all = scan.metadata.schema
    .slice(1)
    .filter((e) => !e.num_children)
    .map((e) => e.name);
  if (!options.columns) return all;
  const known = new Set(all);
  for (const name of options.columns) {
    if (!known.has(name)) {
      throw new DriftError('INVALID_INPUT', `column "${name}" is not in the Parquet file`, {
        details: { column: name },
      });
    }
  }
  return options.columns;
}

/**
 * Reads a Parquet file one row group at a time, as columns: what {@link profileParquet} feeds a profile builder
 * with. Memory holds one row group of the requested columns.
 */
export async function* parquetBatches(
  source: ParquetSource,
  options: ParquetReadOptions = {},
): AsyncGenerator<ColumnarData> {
  const file = await open(source);
  const scan = await hyparquet.parquetScan({ file });
  const names = columnNames(scan, options);
  for (const range of selectedRanges(scan.ranges, options)) {
    const batch: ColumnarData = Object.create(null); // a column named "__proto__" stays an own key
    for (const column of names) batch[column] = toColumn(await scan.readColumn({ column, ...range }));
    yield batch;
  }
}

/**
 * Reads (the chosen columns of) a whole Parquet file into memory, as columns (e.g. a current batch). DOUBLE columns
 * without nulls are filled into one Float64Array of the file's row count, row group by row group, so memory holds
 * the result and one decoded row group, not every row group and then their concatenation.
 */
export async function readParquet(source: ParquetSource, options: ParquetReadOptions = {}): Promise<ColumnarData> {
  const file = await open(source);
  const scan = await hyparquet.parquetScan({ file });
  const ranges = selectedRanges(scan.ranges, options);
  const rows = ranges.reduce((s, r) => s + (r.rowEnd - r.rowStart), 0);
  const out: ColumnarData = Object.create(null); // a column named "__proto__" stays an own key
  for (const column of columnNames(scan, options)) {
    let numbers: Float64Array | null = null;
    let values: unknown[] | null = null;
    let filled = 0;
    for (const range of ranges) {
      const chunk = toColumn(await scan.readColumn({ column, ...range }));
      if (values === null && chunk instanceof Float64Array) {
        numbers ??= new Float64Array(rows);
        numbers.set(chunk, filled);
      } else {
        // a chunk that is not a Float64Array (nulls, strings, dates…): the column becomes a plain array
        values ??= numbers ? Array.from(numbers.subarray(0, filled)) : [];
        numbers = null;
        for (let i = 0; i < chunk.length; i++) values.push(chunk[i]);
      }
      filled += chunk.length;
    }
    out[column] = values ?? numbers ?? new Float64Array(0);
  }
  return out;
}

/**
 * Profiles a Parquet file row group by row group in bounded memory (a quantile sketch, reservoir sample and
 * distinct-count sketch per column; see createProfileBuilder): a reference of any number of rows.
 */
export async function profileParquet(
  source: ParquetSource,
  options: ProfileOptions & ParquetReadOptions = {},
): Promise<Profile> {
  const { columns, rowGroups, ...profileOptions } = options;
  const builder = createProfileBuilder(profileOptions);
  for await (const batch of parquetBatches(source, {
    ...(columns ? { columns } : {}),
    ...(rowGroups ? { rowGroups } : {}),
  })) {
    builder.add(batch);
  }
  return builder.finish();
}
