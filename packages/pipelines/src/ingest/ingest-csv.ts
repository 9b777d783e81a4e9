import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { Transform } from 'node:stream';
import {
  createProgress,
  MlopsError,
  type Progress,
  type ProgressOptions,
  SILENT_PROGRESS,
  type Store,
} from '@mlops/core';
import { type CsvError, type Options as CsvOptions, type Info, parse } from 'csv-parse';
import { parse as parseSync } from 'csv-parse/sync';
import { z } from 'zod';
import {
  mapRelation,
  parseRelation,
  quoteIdent,
  quoteRelation,
  type RelationName,
  relationText,
} from '../sql/identifiers.js';
import { dropStatement, relationKind } from '../sql/relations.js';
import { parseOrThrow } from '../validation/_zod.js';
import { migrateValidation } from '../validation/migrations.js';
import {
  CSV_COLUMN_TYPES,
  type CsvColumnType,
  inferCsvColumnType,
  normalizeHeader,
  parseCsvCell,
} from './column-types.js';

/** A declared column: its type, and whether empty cells (NULL) are allowed. */
export interface CsvColumnSpec {
  type: CsvColumnType;
  /**
   * Allow empty cells (loaded as NULL; `text` keeps `''`). A non-nullable column quarantines rows with an empty cell.
   * @default true
   */
  nullable?: boolean;
}

/** Options of {@link ingestCsv}. */
export interface IngestCsvOptions {
  store: Store;
  /** The CSV file (UTF-8, header on the first line). */
  path: string;
  /** The table to load, `schema.table` or `table` (the schema is created if missing and mapped through `schemas`). */
  table: string;
  /**
   * Declared column types by (normalised) column name; columns left out are inferred from the first `inferRows` rows.
   * @default {} (every type inferred)
   */
  schema?: Record<string, CsvColumnType | CsvColumnSpec>;
  /**
   * Logical → physical schema names, as in `runSqlSteps`.
   * @default {}
   */
  schemas?: Readonly<Record<string, string>>;
  /**
   * Rows read before creating the table, to infer the types of undeclared columns.
   * @default 1000
   */
  inferRows?: number;
  /**
   * Rows (loaded or quarantined) written per transaction.
   * @default 1000
   */
  batchSize?: number;
  /**
   * `replace`: the table is swapped for the new load when it completes; `append`: rows are added to it.
   * @default 'replace'
   */
  mode?: 'replace' | 'append';
  /**
   * Field delimiter.
   * @default ','
   */
  delimiter?: string;
  /**
   * Lower-case headers and turn other characters into `_` (`Topic group` → `topic_group`).
   * @default true
   */
  normalizeHeaders?: boolean;
  /**
   * Progress in bytes; `false` turns it off.
   * @default a line on a TTY (stderr), nothing otherwise
   */
  progress?: false | Pick<ProgressOptions, 'mode' | 'stream' | 'now' | 'redrawMs' | 'logEveryMs'>;
  /**
   * Cancels the load (the table is left as it was).
   * @default undefined
   */
  signal?: AbortSignal;
}

/** Why a row was quarantined. */
export type QuarantineCategory = 'column_count' | 'type' | 'quoting' | 'database';

/** The outcome of {@link ingestCsv}. */
export interface IngestCsvResult {
  /** Id of the ingestion (`pipelines_ingestions.id`, `pipelines_quarantine.ingestion_id`). */
  ingestionId: string;
  /** The loaded table (physical name). */
  table: string;
  /** Rows loaded. */
  rows: number;
  /** Rows quarantined (a stretch of text the parser could not split after a quoting error counts once). */
  quarantined: number;
  /** Quarantined rows per category. */
  reasons: Record<QuarantineCategory, number>;
  /** The table's columns and their types. */
  columns: { name: string; type: CsvColumnType; nullable: boolean; declared: boolean }[];
  /** Bytes of the file. */
  bytes: number;
}

/** A quarantined row read back with {@link listQuarantine}. */
export interface QuarantinedRow {
  ingestionId: string;
  table: string;
  /** 1-based line of the file where the row starts. */
  line: number;
  /** The row's text as it was in the file (at most 64 KiB). */
  raw: string;
  reason: string;
}

const specSchema = z.union([
  z.enum(Object.keys(CSV_COLUMN_TYPES) as [CsvColumnType, ...CsvColumnType[]]),
  z.object({
    type: z.enum(Object.keys(CSV_COLUMN_TYPES) as [CsvColumnType, ...CsvColumnType[]]),
    nullable: z.boolean().optional(),
  }),
]);
const optionsSchema = z.object({
  path: z.string().min(1),
  table: z.string().min(1),
  schema: z.record(z.string(), specSchema).optional(),
  inferRows: z.number().int().min(1).max(1_000_000).optional(),
  batchSize: z.number().int().min(1).max(100_000).optional(),
  mode: z.enum(['replace', 'append']).optional(),
  delimiter: z.string().min(1).max(4).optional(),
  normalizeHeaders: z.boolean().optional(),
});

const MAX_RAW = 64 * 1024;

interface Column {
  name: string;
  type: CsvColumnType;
  nullable: boolean;
  declared: boolean;
}
interface Row {
  line: number;
  raw: string;
  values: (string | null)[];
}
interface Quarantined {
  line: number;
  raw: string;
  reason: string;
  category: QuarantineCategory;
}
interface Parsed {
  record: string[];
  raw: string;
  line: number;
}

/** Keeps the bytes read but not yet accounted for by a parsed record, addressed by file offset. */
function byteWindow() {
  const chunks: { start: number; data: Buffer }[] = [];
  let end = 0;
  return {
    push(chunk: Buffer) {
      chunks.push({ start: end, data: chunk });
      end += chunk.length;
    },
    get end() {
      return end;
    },
    /** The bytes in [from, to). */
    bytes(from: number, to: number): Buffer {
      const parts: Buffer[] = [];
      for (const c of chunks) {
        const cEnd = c.start + c.data.length;
        if (cEnd <= from || c.start >= to) continue;
        parts.push(c.data.subarray(Math.max(0, from - c.start), Math.min(c.data.length, to - c.start)));
      }
      return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    },
    /** Forgets the chunks that end at or before `offset`. */
    forget(offset: number) {
      while (chunks.length > 0 && chunks[0]!.start + chunks[0]!.data.length <= offset) chunks.shift();
    },
  };
}

function clip(raw: string): string {
  const text = raw.replaceAll('\0', '\uFFFD');
  if (Buffer.byteLength(text) <= MAX_RAW) return text;
  return `${Buffer.from(text).subarray(0, MAX_RAW).toString('utf8')}… (truncated, ${Buffer.byteLength(text)} bytes)`;
}

function stripEol(raw: string): string {
  return raw.replace(/^[\r\n]+/, '').replace(/(?:\r\n|\n|\r)$/, '');
}

/** Number of line feeds in `bytes`. */
function countLines(bytes: Buffer): number {
  let n = 0;
  for (let i = bytes.indexOf(10); i !== -1; i = bytes.indexOf(10, i + 1)) n++;
  return n;
}

/** Line feeds before the first other character (csv-parse's `raw` can start with skipped blank lines). */
function leadingLines(bytes: Buffer): number {
  let n = 0;
  for (const b of bytes) {
    if (b === 10) n++;
    else if (b !== 13) break;
  }
  return n;
}

type GapPart = { kind: 'record'; parsed: Parsed } | { kind: 'bad'; line: number; raw: string; reason: string };

/** Where a parsed record really starts: `raw` may lack the last byte of a CRLF delimiter. */
function recordStart(read: (from: number, to: number) => Buffer, end: number, raw: string, floor: number): number {
  const bytes = Buffer.from(raw);
  for (let k = 0; k <= 2; k++) {
    const at = end - bytes.length - k;
    if (at >= floor && read(at, at + bytes.length).equals(bytes)) return at;
  }
  return end - bytes.length;
}

/**
 * Recovers what it can from text the streaming parser skipped after a quoting error: the first line is quarantined
 * with the parser's reasons, and the following lines are parsed again (recursively), so one stray quote costs one
 * line, not every line up to the next quote.
 */
function splitGap(text: Buffer, firstLine: number, reasons: string[], csv: CsvOptions): GapPart[] {
  const str = text.toString('utf8');
  const lead = /^\s*/.exec(str)![0];
  const line = firstLine + (lead.match(/\n/g)?.length ?? 0);
  const body = str.slice(lead.length);
  const nl = body.indexOf('\n');
  const head = nl === -1 ? body : body.slice(0, nl + 1);
  const reason = reasons.length > 0 ? reasons.join('; ') : 'text the CSV parser could not read (after a quoting error)';
  const parts: GapPart[] = [{ kind: 'bad', line, raw: stripEol(head), reason }];
  const rest = Buffer.from(body.slice(head.length));
  if (rest.toString('utf8').trim() === '') return parts;
  const skips: { line: number; message: string }[] = [];
  const records = parseSync(rest, {
    ...csv,
    info: true,
    raw: true,
    on_skip: (err: CsvError | undefined) => {
      if (err) skips.push({ line: Number((err as CsvError & { lines?: number }).lines ?? 0), message: err.message });
      return undefined;
    },
  }) as unknown as { record: string[]; raw: string; info: Info }[];
  const read = (from: number, to: number) => rest.subarray(from, to);
  let accounted = 0;
  let next = line + 1; // line number at offset `accounted` of `rest`
  const gap = (upto: number, beforeParserLine: number) => {
    const chunk = rest.subarray(accounted, upto);
    const mine = skips.filter((k) => k.line < beforeParserLine);
    skips.splice(0, mine.length);
    if (chunk.toString('utf8').trim() !== '' || mine.length > 0) {
      parts.push(
        ...splitGap(
          chunk,
          next,
          mine.map((k) => k.message),
          csv,
        ),
      );
    }
    next += countLines(chunk);
  };
  for (const r of records) {
    const start = recordStart(read, r.info.bytes, r.raw, accounted);
    gap(start, r.info.lines);
    const own = rest.subarray(start, r.info.bytes);
    parts.push({ kind: 'record', parsed: { record: r.record, raw: stripEol(r.raw), line: next + leadingLines(own) } });
    next += countLines(own);
    accounted = r.info.bytes;
  }
  gap(rest.length, Number.MAX_SAFE_INTEGER);
  return parts;
}

function makeProgress(option: IngestCsvOptions['progress'], label: string, total: number): Progress {
  if (option === false) return SILENT_PROGRESS;
  if (option === undefined && !process.stderr.isTTY) return SILENT_PROGRESS;
  return createProgress({ mode: 'auto', ...option, label, total, unit: 'bytes' });
}

function loadingName(rel: RelationName): RelationName {
  const suffix = '__mlops_loading';
  return { schema: rel.schema, name: `${rel.name.slice(0, 63 - suffix.length)}${suffix}` };
}

/**
 * Streams a CSV file of any size into a table, in batched multi-row INSERTs (`INSERT … SELECT FROM unnest(…)`), one
 * transaction per batch, into a loading table that replaces (or is appended to) the target only once the whole file
 * is read, so readers never see half a load. Column types are declared or inferred from the first rows. Malformed
 * rows — wrong number of fields, a cell that does not parse as its column's type, quoting errors — are counted and
 * written to `pipelines_quarantine` with their line number, raw text and reason; none is dropped silently.
 *
 * @example
 * const r = await ingestCsv({ store, path: 'tickets.csv', table: 'raw.tickets', schema: { urgency: 'integer' } });
 * console.log(`${r.rows} loaded, ${r.quarantined} quarantined`);
 */
export async function ingestCsv(options: IngestCsvOptions): Promise<IngestCsvResult> {
  const o = parseOrThrow(optionsSchema, options, 'ingestCsv options');
  const { store } = options;
  const target = mapRelation(parseRelation(o.table, 'table'), options.schemas ?? {});
  const loading = loadingName(target);
  const batchSize = o.batchSize ?? 1000;
  const inferRows = o.inferRows ?? 1000;
  const declared = new Map(
    Object.entries(o.schema ?? {}).map(([k, v]) => [k, typeof v === 'string' ? { type: v } : v] as const),
  );
  let size: number;
  try {
    const st = await stat(o.path);
    if (!st.isFile()) throw new Error('not a file');
    size = st.size;
  } catch (cause) {
    throw new MlopsError('NOT_FOUND', { message: `CSV file ${o.path} not found or not a file`, cause });
  }
  await migrateValidation(store);
  const ingestionId = randomUUID();
  const tableText = relationText(target);
  await store.query('INSERT INTO pipelines_ingestions (id, target, source, status) VALUES ($1, $2, $3, $4)', [
    ingestionId,
    tableText,
    o.path,
    'running',
  ]);

  const progress = makeProgress(options.progress, `ingest ${basename(o.path)}`, size);
  const reasons: Record<QuarantineCategory, number> = { column_count: 0, type: 0, quoting: 0, database: 0 };
  let loaded = 0;
  let quarantinedCount = 0;
  let columns: Column[] | undefined;
  let pendingRows: Row[] = [];
  let pendingQuarantine: Quarantined[] = [];
  const buffered: Parsed[] = [];
  let headerLength = 0;

  const quarantine = (q: Quarantined) => {
    pendingQuarantine.push({ ...q, raw: clip(q.raw) });
    reasons[q.category]++;
    quarantinedCount++;
  };

  const insertRows = async (tx: Store, rows: Row[]) => {
    const cols = columns!;
    const aliases = cols.map((_, i) => `v${i}`);
    await tx.query(
      `INSERT INTO ${quoteRelation(loading)} (${cols.map((c) => quoteIdent(c.name, 'column')).join(', ')})
       SELECT ${cols.map((c, i) => `u.${aliases[i]}::${CSV_COLUMN_TYPES[c.type]}`).join(', ')}
       FROM unnest(${cols.map((_, i) => `$${i + 1}::text[]`).join(', ')}) AS u(${aliases.join(', ')})`,
      cols.map((_, i) => rows.map((r) => r.values[i])),
    );
  };
  const insertQuarantine = async (tx: Store, qs: Quarantined[]) => {
    if (qs.length === 0) return;
    await tx.query(
      `INSERT INTO pipelines_quarantine (ingestion_id, target, line, raw, reason)
       SELECT $1, $2, u.line, u.raw, u.reason FROM unnest($3::integer[], $4::text[], $5::text[]) AS u(line, raw, reason)`,
      [ingestionId, tableText, qs.map((q) => q.line), qs.map((q) => q.raw), qs.map((q) => q.reason)],
    );
  };
  const flush = async () => {
    const rows = pendingRows;
    const qs = pendingQuarantine;
    pendingRows = [];
    pendingQuarantine = [];
    if (rows.length === 0 && qs.length === 0) return;
    try {
      await store.transaction(async (tx) => {
        if (rows.length > 0) await insertRows(tx, rows);
        await insertQuarantine(tx, qs);
      });
      loaded += rows.length;
      return;
    } catch {
      // The database refused the batch although every cell passed the JavaScript checks: find the rows it refuses
      // one by one, so the others still load and those are quarantined with the database's reason.
    }
    for (const row of rows) {
      try {
        await store.transaction((tx) => insertRows(tx, [row]));
        loaded++;
      } catch (err) {
        const q: Quarantined = {
          line: row.line,
          raw: clip(row.raw),
          reason: `rejected by the database: ${(err as Error).message}`,
          category: 'database',
        };
        qs.push(q);
        reasons.database++;
        quarantinedCount++;
      }
    }
    await store.transaction((tx) => insertQuarantine(tx, qs));
  };

  const accept = async (p: Parsed) => {
    const cols = columns!;
    if (p.record.length !== headerLength) {
      quarantine({
        line: p.line,
        raw: p.raw,
        reason: `expected ${headerLength} fields, got ${p.record.length}`,
        category: 'column_count',
      });
    } else {
      const values: (string | null)[] = new Array(cols.length);
      let bad: string | undefined;
      for (let i = 0; i < cols.length; i++) {
        const c = cols[i]!;
        const cell = parseCsvCell(p.record[i]!, c.type, c.nullable);
        if (!cell.ok) {
          bad = `column "${c.name}" (${c.type}): ${cell.reason}`;
          break;
        }
        values[i] = cell.value;
      }
      if (bad !== undefined) quarantine({ line: p.line, raw: p.raw, reason: bad, category: 'type' });
      else pendingRows.push({ line: p.line, raw: p.raw, values });
    }
    if (pendingRows.length + pendingQuarantine.length >= batchSize) await flush();
  };

  const createLoadingTable = async (header: string[]) => {
    const sample = buffered.filter((b) => b.record.length === headerLength);
    columns = header.map((name, i) => {
      const spec = declared.get(name);
      return spec
        ? { name, type: spec.type, nullable: spec.nullable ?? true, declared: true }
        : { name, type: inferCsvColumnType(sample.map((b) => b.record[i]!)), nullable: true, declared: false };
    });
    await store.transaction(async (tx) => {
      if (loading.schema !== undefined)
        await tx.exec(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(loading.schema, 'schema')}`);
      await tx.exec(`DROP TABLE IF EXISTS ${quoteRelation(loading)}`);
      await tx.exec(
        `CREATE TABLE ${quoteRelation(loading)} (${columns!
          .map((c) => `${quoteIdent(c.name, 'column')} ${CSV_COLUMN_TYPES[c.type]}${c.nullable ? '' : ' NOT NULL'}`)
          .join(', ')})`,
      );
    });
  };

  try {
    const window = byteWindow();
    const tap = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        window.push(chunk);
        progress.tick(chunk.length);
        cb(null, chunk);
      },
    });
    const skips: { line: number; message: string }[] = [];
    const csvOptions: CsvOptions = {
      delimiter: o.delimiter ?? ',',
      relax_column_count: true,
      skip_empty_lines: true,
      skip_records_with_error: true,
    };
    const parser = parse({ ...csvOptions, bom: true, info: true, raw: true });
    parser.on('skip', (err: CsvError & { lines?: number }) => {
      skips.push({ line: err.lines ?? 0, message: err.message });
    });
    const input = createReadStream(o.path);
    input.on('error', (err) => parser.destroy(err));
    input.pipe(tap).pipe(parser);

    let accounted = 0; // bytes of the file explained by a parsed record or a quarantined stretch
    let nextLine = 1;
    let header: string[] | undefined;
    // A data record: buffered until the column types are inferred, then loaded or quarantined.
    const take = async (parsed: Parsed) => {
      if (columns) return accept(parsed);
      buffered.push(parsed);
      if (buffered.length >= inferRows) {
        await createLoadingTable(header!);
        for (const b of buffered.splice(0)) await accept(b);
      }
    };

    // Text between two parsed records is either blank lines or what the parser skipped after a quoting error.
    const settleGap = async (start: number, beforeParserLine: number) => {
      const text = window.bytes(accounted, start);
      const mine = skips.filter((s) => s.line < beforeParserLine);
      skips.splice(0, mine.length);
      const firstLine = nextLine;
      nextLine += countLines(text);
      if (text.toString('utf8').trim() === '' && mine.length === 0) return;
      const parts = splitGap(
        text,
        firstLine,
        mine.map((s) => s.message),
        csvOptions,
      );
      if (!header) {
        throw new MlopsError('INVALID_INPUT', {
          message: `${o.path}: cannot read the header: ${parts[0]?.kind === 'bad' ? parts[0].reason : 'unreadable'}`,
        });
      }
      for (const part of parts) {
        if (part.kind === 'bad') {
          quarantine({ line: part.line, raw: part.raw, reason: part.reason, category: 'quoting' });
          if (columns && pendingRows.length + pendingQuarantine.length >= batchSize) await flush();
        } else await take(part.parsed);
      }
    };

    for await (const item of parser as AsyncIterable<{ record: string[]; raw: string; info: Info }>) {
      if (options.signal?.aborted) throw new MlopsError('ABORTED', { message: `Ingestion of ${o.path} aborted` });
      const end = item.info.bytes;
      const start = recordStart((a, b) => window.bytes(a, b), end, item.raw, accounted);
      await settleGap(start, item.info.lines);
      const own = window.bytes(start, end);
      const line = nextLine + leadingLines(own);
      const body = stripEol(item.raw);
      nextLine += countLines(own);
      accounted = end;
      window.forget(end);
      if (!header) {
        header = item.record.map((h, i) => {
          const name = o.normalizeHeaders === false ? h : normalizeHeader(h);
          return name === '' ? `column_${i + 1}` : name;
        });
        headerLength = header.length;
        const dup = header.find((h, i) => header!.indexOf(h) !== i);
        if (dup !== undefined) {
          throw new MlopsError('INVALID_INPUT', { message: `${o.path}: column "${dup}" appears twice in the header` });
        }
        for (const h of header) quoteIdent(h, 'column');
        for (const name of declared.keys()) {
          if (!header.includes(name)) {
            throw new MlopsError('INVALID_INPUT', {
              message: `${o.path}: declared column "${name}" is not in the header (${header.join(', ')})`,
              details: [{ path: `schema.${name}`, message: 'not in the header' }],
            });
          }
        }
        continue;
      }
      await take({ record: item.record, raw: body, line });
    }
    if (!header) throw new MlopsError('INVALID_INPUT', { message: `${o.path} is empty: no header line` });
    if (!columns) {
      await createLoadingTable(header);
      for (const b of buffered.splice(0)) await accept(b);
    }
    await settleGap(window.end, Number.MAX_SAFE_INTEGER);
    await flush();

    await store.transaction(async (tx) => {
      const kind = await relationKind(tx, target);
      if (kind !== undefined && kind !== 'r' && kind !== 'p') {
        throw new MlopsError('CONFLICT', { message: `${tableText} exists and is not a table; refusing to replace it` });
      }
      if (o.mode === 'append' && kind !== undefined) {
        const names = columns!.map((c) => quoteIdent(c.name)).join(', ');
        await tx.exec(`INSERT INTO ${quoteRelation(target)} (${names}) SELECT ${names} FROM ${quoteRelation(loading)}`);
        await tx.exec(`DROP TABLE ${quoteRelation(loading)}`);
      } else {
        if (kind !== undefined) await tx.exec(dropStatement(kind, target)!);
        await tx.exec(`ALTER TABLE ${quoteRelation(loading)} RENAME TO ${quoteIdent(target.name)}`);
      }
      await tx.query(
        `UPDATE pipelines_ingestions SET status = 'succeeded', rows_loaded = $2, rows_quarantined = $3, columns = $4::jsonb,
           finished_at = now() WHERE id = $1`,
        [ingestionId, loaded, quarantinedCount, JSON.stringify(columns)],
      );
    });
    progress.done({ rows: loaded, quarantined: quarantinedCount });
    return {
      ingestionId,
      table: tableText,
      rows: loaded,
      quarantined: quarantinedCount,
      reasons,
      columns: columns!,
      bytes: size,
    };
  } catch (err) {
    progress.fail(err);
    await store.exec(`DROP TABLE IF EXISTS ${quoteRelation(loading)}`).catch(() => {});
    await store
      .query(`UPDATE pipelines_ingestions SET status = 'failed', error = $2, finished_at = now() WHERE id = $1`, [
        ingestionId,
        (err as Error).message ?? String(err),
      ])
      .catch(() => {});
    if (err instanceof MlopsError) throw err;
    throw new MlopsError('INVALID_INPUT', {
      message: `Ingestion of ${o.path} into ${tableText} failed: ${(err as Error).message}`,
      cause: err,
    });
  }
}

/** Options of {@link listQuarantine}. */
export interface ListQuarantineOptions {
  /**
   * Only rows of this ingestion.
   * @default undefined
   */
  ingestionId?: string;
  /**
   * Only rows of this table (physical `schema.table`).
   * @default undefined
   */
  table?: string;
  /**
   * Most rows returned, by ingestion then line.
   * @default 1000
   */
  limit?: number;
}

/** Quarantined rows, by ingestion and line number. */
export async function listQuarantine(store: Store, options: ListQuarantineOptions = {}): Promise<QuarantinedRow[]> {
  await migrateValidation(store);
  const limit = parseOrThrow(z.number().int().min(1).max(1_000_000), options.limit ?? 1000, 'limit');
  const rows = await store.query<{ ingestion_id: string; target: string; line: number; raw: string; reason: string }>(
    `SELECT q.ingestion_id, q.target, q.line, q.raw, q.reason FROM pipelines_quarantine q
     JOIN pipelines_ingestions i ON i.id = q.ingestion_id
     WHERE ($1::text IS NULL OR q.ingestion_id = $1) AND ($2::text IS NULL OR q.target = $2)
     ORDER BY i.started_at, q.ingestion_id, q.line, q.id LIMIT $3`,
    [options.ingestionId ?? null, options.table ?? null, limit],
  );
  return rows.map((r) => ({
    ingestionId: r.ingestion_id,
    table: r.target,
    line: Number(r.line),
    raw: r.raw,
    reason: r.reason,
  }));
}
