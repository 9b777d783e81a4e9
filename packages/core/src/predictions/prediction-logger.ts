import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Columns } from '../contracts/columns.js';
import { columnsLength } from '../contracts/columns.js';
import { MlopsError } from '../errors.js';
import type { Store } from '../store/store.js';
import { migratePredictions } from './migrate.js';

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

/** Counters of a {@link PredictionLogger}. `logged = written + pending + abandoned (+ duplicates skipped)`. */
export interface PredictionLoggerStats {
  /** Entries accepted into the buffer. */
  logged: number;
  /** Rows inserted. */
  written: number;
  /** Entries refused because the buffer was full (or the logger closed): never logged. */
  dropped: number;
  /** Entries accepted but given up after `maxAttempts` failed writes. */
  abandoned: number;
  /** Entries buffered or being written. */
  pending: number;
  /** Failed write attempts (each retried until `maxAttempts`). */
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
   * yielding to the event loop in between. PGlite runs SQL on the calling thread, so one 500-row INSERT would stall
   * every request of a server for its whole duration; small statements bound the stall. Rows are keyed by id
   * (`ON CONFLICT DO NOTHING`), so a retried batch never writes a row twice.
   * @default 50 on PGlite, `batchSize` on PostgreSQL
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
}

/** A batched, bounded writer of the prediction log. */
export interface PredictionLogger {
  /**
   * Buffers one prediction and returns at once (never waits for the database). `accepted` is false when the
   * buffer was full or the logger closed: the entry is dropped and counted. Throws `INVALID_INPUT` for a malformed
   * entry (a programming error).
   */
  log(entry: PredictionEntry): { id: string; accepted: boolean };
  /** Logs each row of a batch as one prediction (position = row index); returns the ids and how many were accepted. */
  logBatch(entry: PredictionBatchEntry): { ids: string[]; accepted: number };
  /** Writes everything logged before the call (with retries). Never throws; see `stats()`. */
  flush(): Promise<PredictionLoggerStats>;
  /** Stops the timer, writes everything still buffered, and refuses further entries. */
  close(): Promise<PredictionLoggerStats>;
  /** Current counters. */
  stats(): PredictionLoggerStats;
}

interface Row {
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

// PostgreSQL's jsonb cannot hold U+0000; a text input containing one would poison its whole batch.
const sanitizeString = (s: string) => (s.includes('\u0000') ? s.replaceAll('\u0000', '\uFFFD') : s);

/** JSON-safe copy for the log: typed arrays → arrays, bigint → number/string, NaN/Infinity → null, no U+0000. */
function logJson(v: unknown): unknown {
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
      if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<unknown>, logJson);
      if (Array.isArray(v)) return v.map(logJson);
      if (v instanceof Date) return v.toISOString();
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) out[sanitizeString(k)] = logJson(x);
      return out;
    }
    default:
      return null;
  }
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

/**
 * Creates the prediction log writer: `log()` appends to a bounded in-memory buffer and returns at once; batches are
 * written with one multi-row INSERT each, in a transaction, when `batchSize` entries are waiting or every
 * `flushIntervalMs`. A full buffer drops (and counts) new entries; a failed write is retried with backoff and
 * never reaches the caller. `close()` drains the buffer, so a clean shutdown loses nothing.
 */
export function createPredictionLogger(opts: PredictionLoggerOptions): PredictionLogger {
  const store = opts.store;
  const maxBuffer = opts.maxBuffer ?? 10_000;
  const batchSize = opts.batchSize ?? 500;
  const flushIntervalMs = opts.flushIntervalMs ?? 1000;
  const maxAttempts = opts.maxAttempts ?? 5;
  const retryDelayMs = opts.retryDelayMs ?? 200;
  const maxRowsPerStatement = opts.maxRowsPerStatement ?? (store.driver === 'pglite' ? 50 : batchSize);
  for (const [k, v] of Object.entries({ maxBuffer, batchSize, maxAttempts, maxRowsPerStatement })) {
    if (!Number.isInteger(v) || v < 1) throw new MlopsError('INVALID_INPUT', `${k} must be a positive integer`);
  }
  const onError =
    opts.onError ??
    ((err: unknown, info: { attempt: number; batchSize: number; abandoned: boolean }) => {
      console.warn(
        `[mlops] prediction log: writing ${info.batchSize} rows failed (attempt ${info.attempt}/${maxAttempts}${
          info.abandoned ? ', abandoned' : ', will retry'
        }): ${(err as Error)?.message ?? String(err)}`,
      );
    });

  let buffer: Row[] = [];
  let inFlight = 0;
  let logged = 0;
  let written = 0;
  let dropped = 0;
  let abandoned = 0;
  let settled = 0; // entries whose batch finished: written, skipped as duplicates, or abandoned
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
    dropped,
    abandoned,
    pending: buffer.length + inFlight,
    failures,
    ...(lastError === undefined ? {} : { lastError }),
  });

  const wake = () => {
    for (let i = waiters.length - 1; i >= 0; i--) {
      if (settled >= waiters[i]!.target) waiters.splice(i, 1)[0]!.resolve();
    }
  };

  /** Writes a batch in statements of at most `maxRowsPerStatement` rows; `written` grows as each one commits. */
  async function writeBatch(batch: Row[]): Promise<void> {
    await migratePredictions(store);
    for (let i = 0; i < batch.length; i += maxRowsPerStatement) {
      if (i > 0) await new Promise<void>((r) => setImmediate(r)); // let requests run between statements
      const part = batch.length <= maxRowsPerStatement ? batch : batch.slice(i, i + maxRowsPerStatement);
      written += await store.transaction(async (tx) => {
        const rows = await tx.query<{ n: number }>(INSERT_SQL, [JSON.stringify(part)]);
        return Number(rows[0]?.n ?? 0);
      });
    }
  }

  async function drainLoop(): Promise<void> {
    while (buffer.length > 0) {
      const batch = buffer.length <= batchSize ? buffer : buffer.slice(0, batchSize);
      buffer = batch === buffer ? [] : buffer.slice(batchSize);
      inFlight = batch.length;
      for (let attempt = 1; ; attempt++) {
        try {
          await writeBatch(batch);
          break;
        } catch (err) {
          failures++;
          lastError = (err as Error)?.message ?? String(err);
          const giveUp = attempt >= maxAttempts;
          try {
            onError(err, { attempt, batchSize: batch.length, abandoned: giveUp });
          } catch {
            // A failing error callback must not stop the writer.
          }
          if (giveUp) {
            abandoned += batch.length;
            break;
          }
          await new Promise((r) => setTimeout(r, Math.min(retryDelayMs * 2 ** (attempt - 1), MAX_RETRY_DELAY_MS)));
        }
      }
      inFlight = 0;
      settled += batch.length;
      wake();
    }
  }

  function drain(): Promise<void> {
    if (!draining) {
      draining = drainLoop().finally(() => {
        draining = undefined;
        // Entries may have arrived between the loop's last check and this callback: don't leave a flush waiting.
        if (buffer.length > 0 && (waiters.length > 0 || buffer.length >= batchSize)) void drain();
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
    if (buffer.length >= batchSize && !draining && !scheduled) {
      scheduled = true;
      setImmediate(() => {
        scheduled = false;
        void drain();
      });
    }
    return true;
  }

  function parseEntry(entry: PredictionEntry): z.output<typeof predictionEntrySchema> {
    const r = predictionEntrySchema.safeParse(entry);
    if (!r.success) {
      const details = r.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message }));
      throw new MlopsError('INVALID_INPUT', {
        message: `invalid prediction log entry: ${details.map((d) => `${d.path}: ${d.message}`).join('; ')}`,
        details,
      });
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
      const id = e.id ?? randomUUID();
      const accepted = accept({
        id,
        request_id: e.requestId,
        position: e.position ?? 0,
        model: e.model,
        version: e.version ?? null,
        alias: e.alias ?? null,
        time: isoTime(e.time),
        latency_ms: e.latencyMs ?? null,
        inputs: logJson(e.inputs),
        outputs: e.outputs == null ? null : logJson(e.outputs),
      });
      return { id, accepted };
    },
    logBatch(b) {
      const head = parseEntry({ ...b, inputs: {}, outputs: null, time: b.time ?? new Date() });
      const n = columnsLength(b.inputs);
      if (b.outputs && columnsLength(b.outputs) !== n) {
        throw new MlopsError('INVALID_INPUT', {
          message: `outputs have ${columnsLength(b.outputs)} rows, inputs ${n}`,
          details: [{ path: 'outputs', message: `Expected ${n} rows` }],
        });
      }
      if (b.ids && b.ids.length !== n) {
        throw new MlopsError('INVALID_INPUT', {
          message: `${b.ids.length} ids for ${n} rows`,
          details: [{ path: 'ids', message: `Expected ${n} ids` }],
        });
      }
      const time = isoTime(head.time);
      const inNames = Object.keys(b.inputs);
      const outNames = b.outputs ? Object.keys(b.outputs) : [];
      const ids: string[] = new Array(n);
      let accepted = 0;
      for (let i = 0; i < n; i++) {
        const inputs: Record<string, unknown> = {};
        for (const k of inNames) inputs[k] = (b.inputs[k] as ArrayLike<unknown>)[i];
        let outputs: Record<string, unknown> | null = null;
        if (b.outputs) {
          outputs = {};
          for (const k of outNames) outputs[k] = (b.outputs[k] as ArrayLike<unknown>)[i];
        }
        const id = b.ids?.[i] ?? randomUUID();
        ids[i] = id;
        const ok = accept({
          id,
          request_id: head.requestId,
          position: i,
          model: head.model,
          version: head.version ?? null,
          alias: head.alias ?? null,
          time,
          latency_ms: head.latencyMs ?? null,
          inputs: logJson(inputs),
          outputs: outputs === null ? null : logJson(outputs),
        });
        if (ok) accepted++;
      }
      return { ids, accepted };
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
