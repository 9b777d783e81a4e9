import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { MlopsError } from '@mlops/core';
import { parse } from 'csv-parse/sync';

/** Column-oriented data as read from a file: one array per column, `null` for a missing value. */
export type TabularColumns = Record<string, unknown[]>;

/** Cells read as missing in CSV/TSV. */
const MISSING = new Set(['', 'NA', 'N/A', 'NaN', 'nan', 'null', 'NULL', 'None']);
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** Types the string cells of one CSV column: numbers when every present cell is a number, booleans likewise. */
export function typeCsvColumn(cells: readonly string[]): unknown[] {
  const present = cells.filter((c) => !MISSING.has(c.trim()));
  const missing = (c: string) => MISSING.has(c.trim());
  if (present.length > 0 && present.every((c) => NUMBER.test(c.trim()))) {
    return cells.map((c) => (missing(c) ? null : Number(c)));
  }
  if (present.length > 0 && present.every((c) => /^(true|false)$/i.test(c.trim()))) {
    return cells.map((c) => (missing(c) ? null : c.trim().toLowerCase() === 'true'));
  }
  return cells.map((c) => (missing(c) ? null : c));
}

function fromRecords(records: unknown[], file: string): TabularColumns {
  const names: string[] = [];
  const seen = new Set<string>();
  records.forEach((r, i) => {
    if (typeof r !== 'object' || r === null || Array.isArray(r)) {
      throw new MlopsError('INVALID_INPUT', {
        message: `${file}: row ${i + 1} is not an object`,
        details: [{ path: `${i}`, message: 'expected an object' }],
      });
    }
    for (const k of Object.keys(r)) {
      if (!seen.has(k)) {
        seen.add(k);
        names.push(k);
      }
    }
  });
  const out: TabularColumns = {};
  for (const n of names) out[n] = records.map((r) => (r as Record<string, unknown>)[n] ?? null);
  return out;
}

/** Parses CSV/TSV text with a header row into typed columns. */
export function parseDelimited(text: string, delimiter = ','): TabularColumns {
  const rows = parse(text, { delimiter, bom: true, skip_empty_lines: true, relax_column_count: false }) as string[][];
  const [header, ...body] = rows;
  if (!header) return {};
  const out: TabularColumns = {};
  header.forEach((name, j) => {
    out[name] = typeCsvColumn(body.map((r) => r[j] ?? ''));
  });
  return out;
}

/** Parses JSON: an array of row objects, or an object of equal-length column arrays. */
export function parseJsonData(text: string, file = 'input'): TabularColumns {
  const value: unknown = JSON.parse(text);
  if (Array.isArray(value)) return fromRecords(value, file);
  if (typeof value === 'object' && value !== null && Object.values(value).every(Array.isArray)) {
    const cols = value as Record<string, unknown[]>;
    const lengths = new Set(Object.values(cols).map((c) => c.length));
    if (lengths.size > 1) {
      throw new MlopsError('INVALID_INPUT', {
        message: `${file}: columns have different lengths (${[...lengths].join(', ')})`,
        details: [{ path: '(root)', message: 'columns must have the same length' }],
      });
    }
    return cols;
  }
  throw new MlopsError('INVALID_INPUT', {
    message: `${file}: expected an array of rows or an object of columns`,
    details: [{ path: '(root)', message: 'expected an array of rows or an object of columns' }],
  });
}

/**
 * Reads a data file into columns, by extension: `.csv`, `.tsv`, `.json` (rows or columns), `.jsonl`/`.ndjson`.
 * A missing file is `NOT_FOUND`; unparsable content is `INVALID_INPUT` naming the file.
 */
export async function readTabularFile(path: string): Promise<TabularColumns> {
  const text = await readFile(path, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') {
      throw new MlopsError('NOT_FOUND', { message: `${path} does not exist`, details: { path } });
    }
    throw err;
  });
  const ext = extname(path).toLowerCase();
  try {
    switch (ext) {
      case '.csv':
        return parseDelimited(text, ',');
      case '.tsv':
        return parseDelimited(text, '\t');
      case '.json':
        return parseJsonData(text, path);
      case '.jsonl':
      case '.ndjson':
        return fromRecords(
          text
            .split(/\r?\n/)
            .filter((l) => l.trim() !== '')
            .map((l) => JSON.parse(l) as unknown),
          path,
        );
      default:
        throw new MlopsError('INVALID_INPUT', {
          message: `${path}: unsupported format "${ext || '(none)'}"; expected .csv, .tsv, .json, .jsonl or .ndjson`,
          details: [{ path: 'file', message: 'unsupported extension' }],
        });
    }
  } catch (err) {
    if (err instanceof MlopsError) throw err;
    throw new MlopsError('INVALID_INPUT', {
      message: `${path}: cannot parse (${(err as Error).message})`,
      details: [{ path: 'file', message: (err as Error).message }],
      cause: err,
    });
  }
}
