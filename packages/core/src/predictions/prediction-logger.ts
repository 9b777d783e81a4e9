import { z } from 'zod';
import type { Columns } from '../contracts/columns.js';
import { isMlopsError, MlopsError } from '../errors.js';
import { timeOrderedId } from '../ids.js';
import { migrate } from '../migrate.js';
import { MAX_JSON_DEPTH } from '../pg-text.js';
import type { Store } from '../store/store.js';
import { invalidInput, zodIssues } from '../validation.js';

const timeSchema = z.union([z.date(), z.iso.datetime({ offset: true }), z.number()]);

/** Schema of one entry given to {@link PredictionLogger.log}. */
export const predictionEntrySchema = z.object({
  /** Prediction id; a random UUID when left out. Clients send it back with feedback. */
  id: z.string().min(1).max(200).optional(),
  /** Groups the predictions of one request. */
  requestId: z.string().min(1).max(200),
  /** Row of this prediction within its request. */
  position: z.int().nonnegative().optional(),
  model: z.string().min(1).max(200),
  version: z.string().max(200).nullish(),
  alias: z.string().max(200).nullish(),
  /** When the prediction was made; now when left out. */
  time: timeSchema.optional(),
  latencyMs: z.number().nonnegative().nullish(),
  /** The inputs of this one prediction (a record); typed arrays and bigints are converted to JSON. */
  inputs: z.record(z.string(), z.unknown()),
  outputs: z.record(z.string(), z.unknown()).nullish(),
});

/** One prediction to log. */
export type PredictionEntry = z.input<typeof predictionEntrySchema>;

/** A request's batch to log as one prediction per row (see {@link PredictionLogger.logBatch}). */
export interface PredictionBatchEntry {
  requestId: string;
  model: string;
  version?: string | null;
  alias?: string | null;
  time?: Date | string | number;
  /** Latency of the whole request, recorded on every row. */
  latencyMs?: number | null;
  inputs: Columns;
  outputs?: Columns | null;
  /** Ids for the rows; random UUIDs when left out. */
  ids?: readonly string[];
}

/**
 * When a prediction handed to the logger counts as kept:
 * - `'buffered'` (default): at once; rows are written in the background every `flushIntervalMs` (or `batchSize`
 *   rows). A clean shutdown (`close()`, SIGTERM) loses nothing; a crash (SIGKILL, OOM kill) loses what was still
 *   buffered: at most about `flushIntervalMs` of predictions (plus any batch still being retried).
 * - `'acknowledged'`: `log`/`logBatch` also return a `committed` promise that resolves once the transaction holding
 *   the rows has committed in the store (group commit: the rows of every caller waiting at that moment share one
 *   write), and rejects when they cannot be written. A process crash then loses no row whose promise resolved.
 */
export type PredictionLogDurability = 'buffered' | 'acknowledged';

/**
 * What the log keeps of each prediction's inputs:
 * - `'full'` (default): the inputs (made JSON-safe);
 * - `'redacted'`: the keys and the JSON type of each value, no value: `{ amount: 'number', text: 'string' }` (types
 *   `'number'`, `'string'`, `'boolean'`, `'array'`, `'object'`; null, a missing value and NaN stay `null`, so the
 *   missing rate per key survives; typed arrays are `'array'`, bigints `'number'`, dates `'string'`);
 * - `'none'`: nothing (the column holds NULL; readers return `{}`).
 *
 * Monitoring needs the values: with `'redacted'` or `'none'` it cannot test the drift nor the data quality of the
 * inputs, and reads the feed as broken (every reference feature retyped, or missing) — see the core README, "The
 * prediction log: retention and inputs". Outputs, latency and feedback are logged as usual.
 */
export type PredictionLogInputs = 'full' | 'redacted' | 'none';

/**
 * Counters of a {@link PredictionLogger}. Every accepted entry ends in exactly one of the outcomes:
 * `logged = written + duplicates + abandoned + quarantined + pending`.
 */
export interface PredictionLoggerStats {
  /** Entries accepted into the buffer. */
  logged: number;
  /** Rows inserted. */
  written: number;
  /**
   * Entries whose id was already in the table (`ON CONFLICT (id) DO NOTHING`): an id logged twice, or a statement
   * retried after its commit went through but its acknowledgement was lost.
   */
  duplicates: number;
  /** Entries refused because the buffer was full (or the logger closed): never logged. */
  dropped: number;
  /**
   * Entries accepted but given up after `maxAttempts` failed writes (the store unreachable or failing), or at the first
   * failure when the store is closed (`STORE_CLOSED`).
   */
  abandoned: number;
  /**
   * Entries the store refused for their own data (SQLSTATE class 22, 23 or 54: a string or a time PostgreSQL cannot
   * hold, …), isolated from their batch by splitting it and set aside, so the other rows are written. Each one is
   * reported to `onQuarantine`.
   */
  quarantined: number;
  /** Entries buffered or being written. */
  pending: number;
  /** Failed write attempts (statements; a transient failure is retried until `maxAttempts`). */
  failures: number;
  /** Message of the last write failure. */
  lastError?: string;
}

/** Options of {@link createPredictionLogger}. */
export interface PredictionLoggerOptions {
  store: Store;
  /**
   * Most entries held in memory; when full, `log` drops and counts.
   * @default 10000
   */
  maxBuffer?: number;
  /**
   * Rows per INSERT. A batch is written as soon as this many entries are buffered.
   * @default 500
   */
  batchSize?: number;
  /**
   * Buffered entries are written at least this often.
   * @default 1000
   */
  flushIntervalMs?: number;
  /**
   * Most rows per INSERT statement: a larger batch is written as several statements, each in its own transaction,
   * yielding to the event loop in between. PGlite on the main thread runs SQL on the calling thread, so one 500-row
   * INSERT would stall every request of a server for its whole duration; small statements bound the stall. Rows are
   * keyed by id (`ON CONFLICT DO NOTHING`), so a retried batch never writes a row twice.
   * @default 50 when the store blocks the event loop (`store.blocksEventLoop`: PGlite on the main thread), else
   * `batchSize` (PostgreSQL, PGlite in a worker thread)
   */
  maxRowsPerStatement?: number;
  /**
   * Write attempts per batch before it is abandoned (counted in `abandoned`).
   * @default 5
   */
  maxAttempts?: number;
  /**
   * Delay before the first retry; doubles at each further attempt, up to 30 s.
   * @default 200
   */
  retryDelayMs?: number;
  /**
   * Called on each failed write (never with inputs or outputs).
   * @default a console warning
   */
  onError?: (err: unknown, info: { attempt: number; batchSize: number; abandoned: boolean }) => void;
  /**
   * Called once for each quarantined entry (see {@link PredictionLoggerStats.quarantined}), with the store's error
   * and the entry's identifiers (never its inputs or outputs).
   * @default a console warning naming the prediction id, request id and model
   */
  onQuarantine?: (err: unknown, entry: QuarantinedPrediction) => void;
  /**
   * When a logged prediction counts as kept: see {@link PredictionLogDurability}.
   * @default 'buffered'
   */
  durability?: PredictionLogDurability;
  /**
   * What is kept of each prediction's inputs: see {@link PredictionLogInputs}.
   * @default 'full'
   */
  inputs?: PredictionLogInputs;
}

/** The identifiers of a quarantined entry, given to {@link PredictionLoggerOptions.onQuarantine}. */
export interface QuarantinedPrediction {
  id: string;
  requestId: string;
  model: string;
}

/** What {@link PredictionLogger.log} returns. */
export interface LoggedPrediction {
  id: string;
  /** False when the buffer was full or the logger closed: the entry is dropped and counted. */
  accepted: boolean;
  /**
   * With `durability: 'acknowledged'` only: resolves once the row is committed in the store; rejects with an
   * `MlopsError` when it never will be (dropped, abandoned, or quarantined: `details.outcome`).
   */
  committed?: Promise<void>;
}

/** What {@link PredictionLogger.logBatch} returns. */
export interface LoggedBatch {
  /** One id per row, accepted or not. */
  ids: string[];
  /** How many rows were accepted (the others were dropped and counted). */
  accepted: number;
  /**
   * With `durability: 'acknowledged'` only: resolves once every row of the batch is committed in the store; rejects
   * with an `MlopsError` as soon as one of them never will be (dropped, abandoned, or quarantined).
   */
  committed?: Promise<void>;
}

/** A batched, bounded writer of the prediction log. */
export interface PredictionLogger {
  /**
   * Buffers one prediction and returns at once (never waits for the database). `accepted` is false when the
   * buffer was full or the logger closed: the entry is dropped and counted. Throws `INVALID_INPUT` for a malformed
   * entry (a programming error). With `durability: 'acknowledged'`, `committed` settles when the row is committed.
   */
  log(entry: PredictionEntry): LoggedPrediction;
  /**
   * Logs each row of a batch as one prediction (position = row index); returns the ids and how many were accepted,
   * and with `durability: 'acknowledged'` a `committed` promise for the whole batch.
   */
  logBatch(entry: PredictionBatchEntry): LoggedBatch;
  /** Writes everything logged before the call (with retries). Never throws; see `stats()`. */
  flush(): Promise<PredictionLoggerStats>;
  /** Stops the timer, writes everything still buffered, and refuses further entries. */
  close(): Promise<PredictionLoggerStats>;
  /** Current counters. */
  stats(): PredictionLoggerStats;
}

/** Settles the `committed` promise of one `log`/`logBatch` call (acknowledged mode). */
interface Ack {
  /** Rows of the call not yet committed. */
  remaining: number;
  done: boolean;
  resolve: () => void;
  reject: (err: MlopsError) => void;
}

// A symbol key: JSON.stringify leaves it out of the rows sent to the database.
const ACK: unique symbol = Symbol('ack');

interface Row {
  [ACK]?: Ack;
  id: string;
  request_id: string;
  position: number;
  model: string;
  version: string | null;
  alias: string | null;
  time: string;
  latency_ms: number | null;
  inputs: unknown;
  outputs: unknown;
}

type WellFormed = { isWellFormed(): boolean; toWellFormed(): string };

/**
 * PostgreSQL's text and jsonb cannot hold U+0000 nor a lone UTF-16 surrogate (half of an emoji cut by a `slice`,
 * say); either would make the store refuse the value. Both become U+FFFD, as UTF-8 encoders do for surrogates.
 */
function sanitizeString(s: string): string {
  const t = s.includes('\u0000') ? s.replaceAll('\u0000', '\uFFFD') : s;
  return (t as unknown as WellFormed).isWellFormed() ? t : (t as unknown as WellFormed).toWellFormed();
}

/**
 * True for errors caused by the data of the rows written (SQLSTATE class 22 data exception, 23 integrity constraint
 * violation, 54 program limit exceeded): writing the same rows again fails again, so the statement is split instead
 * of retried. Everything else (connection lost, server restarting, lock timeout, …) is retried as a whole.
 */
function isRowDataError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('22') || code.startsWith('23') || code.startsWith('54'));
}

/** True for `STORE_CLOSED` (also as the cause of another error, such as a migration's). */
const isStoreClosed = (err: unknown): boolean =>
  isMlopsError(err, 'STORE_CLOSED') || isMlopsError((err as { cause?: unknown } | null)?.cause, 'STORE_CLOSED');

const errorMessage = (err: unknown) => (err as Error)?.message ?? String(err);

/** Thrown by {@link logJson} for a value nested deeper than {@link MAX_JSON_DEPTH} (or circular); carries the path. */
class TooDeep {
  constructor(readonly path: (string | number)[]) {}
}

/**
 * Sets `o[k] = v` as an own property, even for the key `__proto__` (whose assignment would set the prototype and
 * lose the value).
 */
function setKey(o: Record<string, unknown>, k: string, v: unknown): void {
  if (k === '__proto__')
    Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  else o[k] = v;
}

/**
 * JSON-safe copy for the log: typed arrays → arrays, bigint → number/string, NaN/Infinity → null, U+0000 and lone
 * surrogates → U+FFFD. A value nested deeper than {@link MAX_JSON_DEPTH} levels below `depth` (a circular one is
 * infinitely deep) throws {@link TooDeep} instead of overflowing the stack.
 */
function logJson(v: unknown, depth = 0): unknown {
  if (v === null || v === undefined) return null;
  switch (typeof v) {
    case 'number':
      return Number.isFinite(v) ? v : null;
    case 'bigint':
      return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
    case 'string':
      return sanitizeString(v);
    case 'boolean':
      return v;
    case 'object': {
      if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<unknown>, (x) => logJson(x, depth + 1));
      if (v instanceof Date) return v.toISOString();
      if (depth >= MAX_JSON_DEPTH) throw new TooDeep([]);
      const inner = (key: string | number, x: unknown): unknown => {
        try {
          return logJson(x, depth + 1);
        } catch (err) {
          if (err instanceof TooDeep && err.path.length < 8) err.path.unshift(key);
          throw err;
        }
      };
      if (Array.isArray(v)) return v.map((x, i) => inner(i, x));
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) setKey(out, sanitizeString(k), inner(k, x));
      return out;
    }
    default:
      return null;
  }
}

/** {@link logJson} of the value at `path` of an entry, with `INVALID_INPUT` at that path when it is nested too deep. */
function logJsonAt(v: unknown, path: string): unknown {
  try {
    return logJson(v, 1);
  } catch (err) {
    if (!(err instanceof TooDeep)) throw err;
    throw invalidInput('invalid prediction log entry', [
      {
        path,
        message: `Nested deeper than ${MAX_JSON_DEPTH} levels${err.path.length > 0 ? ` (at ${err.path.join('.')}…)` : ''}, or circular`,
      },
    ]);
  }
}

/** {@link logJson} of a record (inputs, outputs): each value checked at `<what>.<key>`. */
function logRecord(record: Record<string, unknown>, what: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(record)) setKey(out, sanitizeString(k), logJsonAt(x, `${what}.${k}`));
  return out;
}

/** The JSON type of each value of `inputs`, without the value (see {@link PredictionLogInputs}). */
function redactInputs(inputs: Record<string, unknown>): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const [k, v] of Object.entries(inputs)) {
    let type: string | null;
    if (v === null || v === undefined) type = null;
    else if (typeof v === 'number') type = Number.isFinite(v) ? 'number' : null;
    else if (typeof v === 'bigint') type = 'number';
    else if (typeof v === 'string' || typeof v === 'boolean') type = typeof v;
    else if (Array.isArray(v) || ArrayBuffer.isView(v)) type = 'array';
    else if (v instanceof Date) type = 'string';
    else if (typeof v === 'object') type = 'object';
    else type = null;
    setKey(out, sanitizeString(k), type);
  }
  return out;
}

/**
 * The number of rows of a batch's columns (0 without a column); `INVALID_INPUT` at the column that is not an array or
 * typed array, or whose length differs from the others'.
 */
function rowsOf(columns: Columns, what: string): number {
  let n: number | undefined;
  let first = '';
  if (typeof columns !== 'object' || columns === null) {
    throw invalidInput('invalid prediction log entry', [{ path: what, message: 'Expected a record of columns' }]);
  }
  for (const [name, col] of Object.entries(columns)) {
    if (!Array.isArray(col) && !ArrayBuffer.isView(col)) {
      throw invalidInput('invalid prediction log entry', [
        { path: `${what}.${name}`, message: 'Expected a column: an array or a typed array' },
      ]);
    }
    const length = (col as ArrayLike<unknown>).length;
    if (n === undefined) {
      n = length;
      first = name;
    } else if (length !== n) {
      throw invalidInput('invalid prediction log entry', [
        { path: `${what}.${name}`, message: `Expected ${n} rows (as column "${first}"), got ${length}` },
      ]);
    }
  }
  return n ?? 0;
}

function isoTime(t: Date | string | number | undefined): string {
  if (t === undefined) return new Date().toISOString();
  const d = t instanceof Date ? t : new Date(t);
  if (Number.isNaN(d.getTime())) {
    throw new MlopsError('INVALID_INPUT', {
      message: 'invalid time',
      details: [{ path: 'time', message: 'Invalid date' }],
    });
  }
  return d.toISOString();
}

const INSERT_SQL = `WITH ins AS (
  INSERT INTO core_predictions (id, request_id, position, model, version, alias, time, latency_ms, inputs, outputs)
  SELECT x.id, x.request_id, x.position, x.model, x.version, x.alias, x.time, x.latency_ms, x.inputs, x.outputs
  FROM jsonb_to_recordset($1::jsonb) AS x(id text, request_id text, position integer, model text, version text,
    alias text, time timestamptz, latency_ms double precision, inputs jsonb, outputs jsonb)
  ON CONFLICT (id) DO NOTHING
  RETURNING 1
) SELECT count(*)::int AS n FROM ins`;

const MAX_RETRY_DELAY_MS = 30_000;

const yieldToEventLoop = () => new Promise<void>((r) => setImmediate(r));

/**
 * Creates the prediction log writer: `log()` appends to a bounded in-memory buffer and returns at once; batches are
 * written with multi-row INSERTs (each statement its own transaction), when `batchSize` entries are waiting or every
 * `flushIntervalMs` (in `acknowledged` mode, as soon as the writer is free). A full buffer drops (and counts) new
 * entries; a failed write is retried with backoff and never reaches the caller; a statement the store refuses for
 * its data is split until the refused rows are isolated and quarantined, so they cost no other row. `close()` drains
 * the buffer, so a clean shutdown loses nothing.
 */
export function createPredictionLogger(opts: PredictionLoggerOptions): PredictionLogger {
  const store = opts.store;
  const maxBuffer = opts.maxBuffer ?? 10_000;
  const batchSize = opts.batchSize ?? 500;
  const flushIntervalMs = opts.flushIntervalMs ?? 1000;
  const maxAttempts = opts.maxAttempts ?? 5;
  const retryDelayMs = opts.retryDelayMs ?? 200;
  const blocking = store.blocksEventLoop ?? store.driver === 'pglite';
  const maxRowsPerStatement = opts.maxRowsPerStatement ?? (blocking ? 50 : batchSize);
  const durability = opts.durability ?? 'buffered';
  for (const [k, v] of Object.entries({ maxBuffer, batchSize, maxAttempts, maxRowsPerStatement })) {
    if (!Number.isInteger(v) || v < 1) throw new MlopsError('INVALID_INPUT', `${k} must be a positive integer`);
  }
  if (durability !== 'buffered' && durability !== 'acknowledged') {
    throw new MlopsError('INVALID_INPUT', {
      message: `durability must be 'buffered' or 'acknowledged', got ${JSON.stringify(durability)}`,
      details: [{ path: 'durability', message: "Expected 'buffered' or 'acknowledged'" }],
    });
  }
  const acknowledged = durability === 'acknowledged';
  const inputsMode = opts.inputs ?? 'full';
  if (inputsMode !== 'full' && inputsMode !== 'redacted' && inputsMode !== 'none') {
    throw invalidInput('invalid prediction logger options', [
      { path: 'inputs', message: `Expected 'full', 'redacted' or 'none', got ${JSON.stringify(inputsMode)}` },
    ]);
  }
  const keepInputs = (inputs: Record<string, unknown>): unknown =>
    inputsMode === 'full' ? logRecord(inputs, 'inputs') : inputsMode === 'redacted' ? redactInputs(inputs) : null;
  const onError =
    opts.onError ??
    ((err: unknown, info: { attempt: number; batchSize: number; abandoned: boolean }) => {
      console.warn(
        `[mlops] prediction log: writing ${info.batchSize} rows failed (attempt ${info.attempt}/${maxAttempts}${
          info.abandoned ? ', abandoned' : ', will retry'
        }): ${errorMessage(err)}`,
      );
    });
  const onQuarantine =
    opts.onQuarantine ??
    ((err: unknown, e: QuarantinedPrediction) => {
      const code = (err as { code?: unknown } | null)?.code;
      // Identifiers are JSON-quoted: they may hold the very characters the store refused, or line breaks.
      console.warn(
        `[mlops] prediction log: prediction ${JSON.stringify(e.id)} of request ${JSON.stringify(e.requestId)} ` +
          `(model ${JSON.stringify(e.model)}) quarantined: the store refused it (${
            typeof code === 'string' ? `${code} ` : ''
          }${errorMessage(err)}); the other rows of its batch were written`,
      );
    });

  let buffer: Row[] = [];
  let inFlight = 0;
  let logged = 0;
  let written = 0;
  let duplicates = 0;
  let dropped = 0;
  let abandoned = 0;
  let quarantined = 0;
  let settled = 0; // entries whose write finished: written, skipped as duplicates, abandoned or quarantined
  let failures = 0;
  let lastError: string | undefined;
  let closed = false;
  let draining: Promise<void> | undefined;
  let scheduled = false;
  const waiters: { target: number; resolve: () => void }[] = [];

  const timer = setInterval(() => void drain(), flushIntervalMs);
  timer.unref?.();

  const stats = (): PredictionLoggerStats => ({
    logged,
    written,
    duplicates,
    dropped,
    abandoned,
    quarantined,
    pending: buffer.length + inFlight,
    failures,
    ...(lastError === undefined ? {} : { lastError }),
  });

  const wake = () => {
    for (let i = waiters.length - 1; i >= 0; i--) {
      if (settled >= waiters[i]!.target) waiters.splice(i, 1)[0]!.resolve();
    }
  };

  const fail = (ack: Ack | undefined, err: MlopsError) => {
    if (!ack || ack.done) return;
    ack.done = true;
    ack.reject(err);
  };

  /** Marks the rows of a finished statement (or of a single row given up) as settled. */
  const settle = (rows: readonly Row[]) => {
    settled += rows.length;
    inFlight -= rows.length;
  };

  const committed = (rows: readonly Row[], inserted: number) => {
    written += inserted;
    duplicates += rows.length - inserted;
    settle(rows);
    if (!acknowledged) return;
    for (const row of rows) {
      const ack = row[ACK];
      if (ack && !ack.done && --ack.remaining === 0) {
        ack.done = true;
        ack.resolve();
      }
    }
  };

  const quarantine = (row: Row, err: unknown) => {
    quarantined++;
    settle([row]);
    try {
      onQuarantine(err, { id: row.id, requestId: row.request_id, model: row.model });
    } catch {
      // A failing callback must not stop the writer.
    }
    fail(
      row[ACK],
      new MlopsError('INVALID_INPUT', {
        message: `prediction ${row.id} was refused by the store and quarantined: ${errorMessage(err)}`,
        cause: err,
        details: { outcome: 'quarantined', id: row.id, requestId: row.request_id },
      }),
    );
  };

  const abandon = (rows: readonly Row[], err: unknown) => {
    abandoned += rows.length;
    settle(rows);
    if (!acknowledged) return;
    const e = new MlopsError('UPSTREAM_ERROR', {
      message: `the prediction log gave up writing after ${maxAttempts} attempts: ${errorMessage(err)}`,
      cause: err,
      details: { outcome: 'abandoned' },
    });
    for (const row of rows) fail(row[ACK], e);
  };

  /**
   * One INSERT (one statement is one transaction: it commits whole or not at all, so no BEGIN/COMMIT around it, which
   * on PGlite cost as much as the INSERT of 50 rows); returns the rows inserted. Marks errors caused by the rows' data.
   */
  async function insert(rows: readonly Row[]): Promise<{ n: number } | { error: unknown; rowData: boolean }> {
    try {
      await migrate(store, { areas: ['predictions'] });
    } catch (error) {
      return { error, rowData: false };
    }
    try {
      const res = await store.query<{ n: number }>(INSERT_SQL, [JSON.stringify(rows)]);
      return { n: Number(res[0]?.n ?? 0) };
    } catch (error) {
      return { error, rowData: isRowDataError(error) };
    }
  }

  /**
   * Writes a batch as statements of at most `maxRowsPerStatement` rows, in order; the counters move as each one
   * commits, and a retry resumes at the first statement not committed. A statement refused for its rows' data is
   * replaced by its two halves (bisection), down to the single rows at fault, which are quarantined: k bad rows
   * among n cost about 2·k·log2(n) extra statements, and no good row is lost. Other failures are retried with
   * backoff; after `maxAttempts` failures in the batch, its rows not yet written are abandoned.
   */
  async function writeBatch(batch: Row[]): Promise<void> {
    const todo: Row[][] = [];
    for (let i = 0; i < batch.length; i += maxRowsPerStatement) {
      todo.push(batch.length <= maxRowsPerStatement ? batch : batch.slice(i, i + maxRowsPerStatement));
    }
    let attempt = 1;
    for (let first = true; todo.length > 0; first = false) {
      if (!first) await yieldToEventLoop(); // let requests run between statements
      const rows = todo[0]!;
      const r = await insert(rows);
      if ('n' in r) {
        todo.shift();
        committed(rows, r.n);
        wake();
        continue;
      }
      failures++;
      lastError = errorMessage(r.error);
      if (r.rowData) {
        todo.shift();
        if (rows.length === 1) quarantine(rows[0]!, r.error);
        else todo.unshift(rows.slice(0, rows.length >>> 1), rows.slice(rows.length >>> 1));
        continue;
      }
      // a closed store never comes back: retrying it would only hold close() for the whole backoff of every batch
      const giveUp = attempt >= maxAttempts || isStoreClosed(r.error);
      try {
        onError(r.error, {
          attempt,
          batchSize: todo.reduce((n, t) => n + t.length, 0),
          abandoned: giveUp,
        });
      } catch {
        // A failing error callback must not stop the writer.
      }
      if (giveUp) {
        for (const t of todo.splice(0)) abandon(t, r.error);
        break;
      }
      await new Promise((res) => setTimeout(res, Math.min(retryDelayMs * 2 ** (attempt - 1), MAX_RETRY_DELAY_MS)));
      attempt++;
    }
    wake();
  }

  async function drainLoop(): Promise<void> {
    while (buffer.length > 0) {
      const batch = buffer.length <= batchSize ? buffer : buffer.slice(0, batchSize);
      buffer = batch === buffer ? [] : buffer.slice(batchSize);
      inFlight += batch.length;
      await writeBatch(batch);
    }
  }

  function drain(): Promise<void> {
    if (!draining) {
      draining = drainLoop().finally(() => {
        draining = undefined;
        // Entries may have arrived between the loop's last check and this callback: don't leave them waiting.
        if (buffer.length > 0 && (acknowledged || waiters.length > 0 || buffer.length >= batchSize)) void drain();
        wake();
      });
    }
    return draining;
  }

  function accept(row: Row): boolean {
    if (closed || buffer.length >= maxBuffer) {
      dropped++;
      return false;
    }
    buffer.push(row);
    logged++;
    // Group commit: in acknowledged mode every entry wakes the writer; entries arriving while it writes share its
    // next statement.
    if ((acknowledged || buffer.length >= batchSize) && !draining && !scheduled) {
      scheduled = true;
      setImmediate(() => {
        scheduled = false;
        void drain();
      });
    }
    return true;
  }

  /** The `committed` promise of one call in acknowledged mode, or undefined. Never an unhandled rejection. */
  function newAck(rows: number, accepted: number): { ack?: Ack; promise?: Promise<void> } {
    if (!acknowledged) return {};
    let ack: Ack | undefined;
    const promise = new Promise<void>((resolve, reject) => {
      ack = { remaining: rows, done: false, resolve, reject };
    });
    promise.catch(() => {}); // the caller may not await it; a rejection must not crash the process
    if (accepted < rows) {
      fail(
        ack,
        new MlopsError('UPSTREAM_ERROR', {
          message: closed
            ? 'the prediction log is closed'
            : `the prediction log's buffer is full (${maxBuffer} entries): the store is not keeping up`,
          details: { outcome: 'dropped' },
        }),
      );
    } else if (rows === 0) {
      ack!.done = true;
      ack!.resolve();
    }
    return { ack, promise };
  }

  /**
   * The head of a batch (request id, model, version, alias, time, latency) when every field is of the plain kind a
   * server passes, checked by hand: a strict subset of what predictionEntrySchema accepts, so the serving path skips
   * zod's ~10 µs per request. Anything else returns undefined, and zod decides (and words the error).
   */
  function plainHead(b: PredictionBatchEntry): z.output<typeof predictionEntrySchema> | undefined {
    const short = (v: unknown, min: number) => typeof v === 'string' && v.length >= min && v.length <= 200;
    const time = b.time ?? new Date();
    if (
      !short(b.requestId, 1) ||
      !short(b.model, 1) ||
      !(b.version == null || short(b.version, 0)) ||
      !(b.alias == null || short(b.alias, 0)) ||
      !(b.latencyMs == null || (Number.isFinite(b.latencyMs) && b.latencyMs >= 0)) ||
      !((time instanceof Date && !Number.isNaN(time.getTime())) || Number.isFinite(time))
    ) {
      return undefined;
    }
    return {
      requestId: b.requestId,
      model: b.model,
      version: b.version,
      alias: b.alias,
      time: time as Date | number,
      latencyMs: b.latencyMs,
      inputs: {},
      outputs: null,
    };
  }

  function parseEntry(entry: PredictionEntry): z.output<typeof predictionEntrySchema> {
    const r = predictionEntrySchema.safeParse(entry);
    if (!r.success) {
      const details = zodIssues(r.error);
      throw invalidInput('invalid prediction log entry', details);
    }
    return r.data;
  }

  async function flush(): Promise<PredictionLoggerStats> {
    const target = logged;
    if (settled < target) {
      const done = new Promise<void>((resolve) => waiters.push({ target, resolve }));
      void drain();
      await done;
    }
    return stats();
  }

  return {
    log(entry) {
      const e = parseEntry(entry);
      const id = e.id ?? timeOrderedId();
      const row: Row = {
        id,
        request_id: e.requestId,
        position: e.position ?? 0,
        model: e.model,
        version: e.version ?? null,
        alias: e.alias ?? null,
        time: isoTime(e.time),
        latency_ms: e.latencyMs ?? null,
        // the caller's records, not zod's copies of them (which lose a key `__proto__`)
        inputs: keepInputs(entry.inputs),
        outputs: entry.outputs == null ? null : logRecord(entry.outputs, 'outputs'),
      };
      if (!acknowledged) return { id, accepted: accept(row) };
      const willAccept = !closed && buffer.length < maxBuffer;
      const { ack, promise } = newAck(1, willAccept ? 1 : 0);
      if (willAccept) row[ACK] = ack;
      const accepted = accept(row);
      return { id, accepted, committed: promise! };
    },
    logBatch(b) {
      const head = plainHead(b) ?? parseEntry({ ...b, inputs: {}, outputs: null, time: b.time ?? new Date() });
      const n = rowsOf(b.inputs, 'inputs');
      const outRows = b.outputs ? rowsOf(b.outputs, 'outputs') : n;
      if (outRows !== n) {
        throw new MlopsError('INVALID_INPUT', {
          message: `outputs have ${outRows} rows, inputs ${n}`,
          details: [{ path: 'outputs', message: `Expected ${n} rows` }],
        });
      }
      if (b.ids && b.ids.length !== n) {
        throw new MlopsError('INVALID_INPUT', {
          message: `${b.ids.length} ids for ${n} rows`,
          details: [{ path: 'ids', message: `Expected ${n} ids` }],
        });
      }
      if (b.ids) {
        for (let i = 0; i < n; i++) {
          const id = b.ids[i];
          if (id !== undefined && id !== null && !(typeof id === 'string' && id.length >= 1 && id.length <= 200)) {
            throw invalidInput('invalid prediction log entry', [
              { path: `ids.${i}`, message: 'Expected a string of 1 to 200 characters' },
            ]);
          }
        }
      }
      const time = isoTime(head.time);
      const inNames = Object.keys(b.inputs);
      const outNames = b.outputs ? Object.keys(b.outputs) : [];
      const ids: string[] = new Array(n);
      // One pass per row: the JSON-safe row values are built straight from the columns (keys sanitized once per
      // call), not as a record then copied by logJson, on the serving thread's path. Every row is built before any
      // is accepted, so a value refused (nested too deep) refuses the whole call and leaves nothing half logged.
      const inCols = inNames.map((k) => b.inputs[k] as ArrayLike<unknown>);
      const inKeys = inNames.map(sanitizeString);
      const outCols = outNames.map((k) => (b.outputs as Record<string, ArrayLike<unknown>>)[k]!);
      const outKeys = outNames.map(sanitizeString);
      // a key `__proto__` must be set as an own property (an assignment would set the prototype)
      const plainIn = !inKeys.includes('__proto__');
      const plainOut = !outKeys.includes('__proto__');
      const rows: Row[] = new Array(n);
      let i = 0;
      try {
        for (; i < n; i++) {
          let inputs: unknown = null;
          if (inputsMode === 'full') {
            const o: Record<string, unknown> = {};
            for (let j = 0; j < inCols.length; j++) {
              if (plainIn) o[inKeys[j]!] = logJson(inCols[j]![i], 1);
              else setKey(o, inKeys[j]!, logJson(inCols[j]![i], 1));
            }
            inputs = o;
          } else if (inputsMode === 'redacted') {
            const o: Record<string, unknown> = {};
            for (let j = 0; j < inCols.length; j++) setKey(o, inNames[j]!, inCols[j]![i]);
            inputs = redactInputs(o);
          }
          let outputs: Record<string, unknown> | null = null;
          if (b.outputs) {
            outputs = {};
            for (let j = 0; j < outCols.length; j++) {
              if (plainOut) outputs[outKeys[j]!] = logJson(outCols[j]![i], 1);
              else setKey(outputs, outKeys[j]!, logJson(outCols[j]![i], 1));
            }
          }
          const id = b.ids?.[i] ?? timeOrderedId();
          ids[i] = id;
          rows[i] = {
            id,
            request_id: head.requestId,
            position: i,
            model: head.model,
            version: head.version ?? null,
            alias: head.alias ?? null,
            time,
            latency_ms: head.latencyMs ?? null,
            inputs,
            outputs,
          };
        }
      } catch (err) {
        if (!(err instanceof TooDeep)) throw err;
        // the slow path, once: find the cell of row i at fault, for the error's path
        for (const [j, k] of inNames.entries()) logJsonAt(inCols[j]![i], `inputs.${k}.${i}`);
        for (const [j, k] of outNames.entries()) logJsonAt(outCols[j]![i], `outputs.${k}.${i}`);
        throw err;
      }
      // Acknowledged mode: the rows that fit share one promise; a row that does not fit fails it at once.
      const room = closed ? 0 : Math.max(0, Math.min(n, maxBuffer - buffer.length));
      const { ack, promise } = newAck(n, room);
      let accepted = 0;
      for (const row of rows) {
        if (ack) row[ACK] = ack;
        if (accept(row)) accepted++;
      }
      return promise ? { ids, accepted, committed: promise } : { ids, accepted };
    },
    flush,
    async close() {
      closed = true;
      clearInterval(timer);
      return flush();
    },
    stats,
  };
}
