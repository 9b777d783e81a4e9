import { once } from 'node:events';
import { extname } from 'node:path';
import { parse as parseCsv } from 'csv-parse';
import { z } from 'zod';

/**
 * The value type inferred for a column of a dataset file (its storage type, not its meaning: `@mlops/drift`'s
 * `ColumnType` says whether a column is numerical, categorical, text…). `empty`: every value missing; `mixed`: JSON
 * values of several kinds.
 */
export const DatasetColumnTypeSchema = z.enum(['integer', 'number', 'boolean', 'string', 'json', 'mixed', 'empty']);
/** The value type inferred for a column of a dataset file: see {@link DatasetColumnTypeSchema}. */
export type DatasetColumnType = z.infer<typeof DatasetColumnTypeSchema>;

/** Summary statistics of one column. */
export const ColumnStatsSchema = z.object({
  name: z.string(),
  type: DatasetColumnTypeSchema,
  /** Rows with a value. */
  count: z.number().int().nonnegative(),
  /** Rows without one (empty CSV field; JSON null or absent key). */
  missing: z.number().int().nonnegative(),
  min: z.number().optional(),
  max: z.number().optional(),
  mean: z.number().optional(),
  /** Distinct values (string and boolean columns), exact up to `distinctCap`. */
  distinct: z.number().int().nonnegative().optional(),
  /** True when there were more distinct values than the cap: `distinct` is then a lower bound. */
  distinctCapped: z.boolean().optional(),
});
/** Summary statistics of one column. */
export type ColumnStats = z.infer<typeof ColumnStatsSchema>;

/** The schema and statistics snapshot of one file. */
export const FileStatsSchema = z.object({
  format: z.enum(['csv', 'tsv', 'jsonl', 'binary']),
  size: z.number().int().nonnegative(),
  digest: z.string(),
  rows: z.number().int().nonnegative().optional(),
  columns: z.array(ColumnStatsSchema).optional(),
  /** Set when a tabular file could not be parsed: the version is still recorded, without columns. */
  error: z.string().optional(),
});
/** The schema and statistics snapshot of one file. */
export type FileStats = z.infer<typeof FileStatsSchema>;

/** The tabular format of a file, from its extension, or `undefined` when it is not tabular. */
export function tabularFormat(path: string): 'csv' | 'tsv' | 'jsonl' | undefined {
  const ext = extname(path).toLowerCase();
  if (ext === '.csv') return 'csv';
  if (ext === '.tsv') return 'tsv';
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl';
  return undefined;
}

const INT_RE = /^[+-]?\d+$/;
const NUM_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const BOOL_RE = /^(?:true|false)$/i;

interface ColumnAcc {
  name: string;
  count: number;
  numeric: boolean;
  integer: boolean;
  boolean: boolean;
  kinds: Set<string>;
  min: number;
  max: number;
  mean: number;
  distinct: Set<string> | undefined;
  distinctCapped: boolean;
}

function newColumn(name: string): ColumnAcc {
  return {
    name,
    count: 0,
    numeric: true,
    integer: true,
    boolean: true,
    kinds: new Set(),
    min: Number.POSITIVE_INFINITY,
    max: Number.NEGATIVE_INFINITY,
    mean: 0,
    distinct: new Set(),
    distinctCapped: false,
  };
}

function addNumber(c: ColumnAcc, x: number, isInt: boolean) {
  if (!isInt) c.integer = false;
  if (x < c.min) c.min = x;
  if (x > c.max) c.max = x;
  c.mean += (x - c.mean) / c.count;
}

function addDistinct(c: ColumnAcc, key: string, cap: number) {
  if (!c.distinct) return;
  c.distinct.add(key);
  if (c.distinct.size > cap) {
    c.distinct = undefined;
    c.distinctCapped = true;
  }
}

/** Streaming statistics over the rows of a CSV/TSV/JSONL file: feed it chunks, then `finish()`. */
export interface TabularStatsSink {
  write(chunk: Buffer): Promise<void>;
  finish(): Promise<{ rows: number; columns: ColumnStats[] } | { error: string }>;
}

/**
 * Creates a {@link TabularStatsSink}: CSV parsed with csv-parse (RFC 4180: quotes, embedded newlines, CRLF, BOM; the
 * first row is the header), JSONL one object per line. Memory stays bounded: per column a few numbers plus at most
 * `distinctCap` distinct values.
 */
export function createTabularStats(format: 'csv' | 'tsv' | 'jsonl', distinctCap = 10_000): TabularStatsSink {
  const columns: ColumnAcc[] = [];
  const byName = new Map<string, ColumnAcc>();
  let rows = 0;
  let error: string | undefined;

  const column = (name: string) => {
    let c = byName.get(name);
    if (!c) {
      c = newColumn(name);
      byName.set(name, c);
      columns.push(c);
    }
    return c;
  };

  const addCsvValue = (c: ColumnAcc, v: string) => {
    if (v === '') return;
    c.count++;
    if (c.numeric) {
      if (NUM_RE.test(v.trim())) addNumber(c, Number(v), INT_RE.test(v.trim()));
      else c.numeric = false;
    }
    if (c.boolean && !BOOL_RE.test(v)) c.boolean = false;
    addDistinct(c, c.boolean ? v.toLowerCase() : v, distinctCap);
  };

  const addJsonValue = (c: ColumnAcc, v: unknown) => {
    if (v === null || v === undefined) return;
    c.count++;
    const kind =
      typeof v === 'number' ? 'number' : typeof v === 'boolean' ? 'boolean' : typeof v === 'string' ? 'string' : 'json';
    c.kinds.add(kind);
    if (kind === 'number') addNumber(c, v as number, Number.isInteger(v));
    else if (kind === 'string' || kind === 'boolean') addDistinct(c, String(v), distinctCap);
  };

  const finishColumn = (c: ColumnAcc): ColumnStats => {
    let type: DatasetColumnType;
    if (c.count === 0) type = 'empty';
    else if (format === 'jsonl') {
      const kind = c.kinds.size === 1 ? [...c.kinds][0] : 'mixed';
      type = kind === 'number' ? (c.integer ? 'integer' : 'number') : (kind as DatasetColumnType);
    } else if (c.numeric) type = c.integer ? 'integer' : 'number';
    else if (c.boolean) type = 'boolean';
    else type = 'string';
    const out: ColumnStats = { name: c.name, type, count: c.count, missing: rows - c.count };
    if (type === 'integer' || type === 'number') {
      out.min = c.min;
      out.max = c.max;
      out.mean = c.mean;
    } else if (type === 'string' || type === 'boolean' || (type === 'mixed' && c.distinct)) {
      out.distinct = c.distinctCapped ? distinctCap : (c.distinct?.size ?? 0);
      if (c.distinctCapped) out.distinctCapped = true;
    }
    return out;
  };

  if (format === 'jsonl') {
    let rest = '';
    const decoder = new TextDecoder('utf-8');
    const line = (text: string) => {
      if (error || text.trim() === '') return;
      let obj: unknown;
      try {
        obj = JSON.parse(text);
      } catch (err) {
        error = `line ${rows + 1}: ${(err as Error).message}`;
        return;
      }
      if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
        error = `line ${rows + 1}: expected a JSON object`;
        return;
      }
      rows++;
      for (const [k, v] of Object.entries(obj)) addJsonValue(column(k), v);
    };
    return {
      async write(chunk) {
        if (error) return;
        const text = rest + decoder.decode(chunk, { stream: true });
        const lines = text.split('\n');
        rest = lines.pop() ?? '';
        for (const l of lines) line(l);
      },
      async finish() {
        line(rest + decoder.decode());
        return error ? { error } : { rows, columns: columns.map(finishColumn) };
      },
    };
  }

  const parser = parseCsv({ bom: true, delimiter: format === 'tsv' ? '\t' : ',', skip_empty_lines: true });
  let header: ColumnAcc[] | undefined;
  parser.on('data', (record: string[]) => {
    if (!header) {
      header = record.map((name, i) => column(name === '' || byName.has(name) ? `${name || 'column'}_${i + 1}` : name));
      return;
    }
    rows++;
    for (let i = 0; i < header.length; i++) addCsvValue(header[i] as ColumnAcc, record[i] ?? '');
  });
  const ended = new Promise<void>((resolve) => {
    parser.on('end', resolve);
    parser.on('error', (err) => {
      error ??= err.message;
      resolve();
    });
  });
  return {
    async write(chunk) {
      if (error) return;
      if (!parser.write(chunk)) await Promise.race([once(parser, 'drain'), ended]);
    },
    async finish() {
      if (!error) parser.end();
      await ended;
      return error ? { error } : { rows, columns: columns.map(finishColumn) };
    },
  };
}
