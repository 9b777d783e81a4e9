/** How output is written: human lines on a terminal, JSON lines elsewhere, or nothing (`'auto'` decides by the stream). */
export type OutputMode = 'auto' | 'tty' | 'json' | 'silent';

/** A writable with `write(string)`; `isTTY` decides the mode in `'auto'`. */
export interface OutputStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/** The severity of a {@link Logger} line. */
export type LogLevel = 'info' | 'warn' | 'error';

/** One line of a {@link Logger}, before it is formatted. */
export interface LogEntry {
  /** When it was logged (ms since the epoch). */
  time: number;
  level: LogLevel;
  msg: string;
  /** Structured details. */
  fields: Record<string, unknown>;
}

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  /**
   * Destination.
   * @default process.stderr
   */
  stream?: OutputStream;
  /**
   * `'auto'` picks `'tty'` (human lines) when the stream is a terminal, else `'json'` (one JSON object per line);
   * `MLOPS_PROGRESS` (tty|json|silent) overrides `'auto'`, as for {@link createProgress}.
   * @default 'auto'
   */
  mode?: OutputMode;
  /**
   * Fields added to every line (a child logger adds its own).
   * @default {}
   */
  fields?: Record<string, unknown>;
  /**
   * Formats a line in `'tty'` mode (without the newline). The JSON format is fixed.
   * @default formatLogLine
   */
  formatHuman?: (entry: LogEntry) => string;
  /**
   * Clock in milliseconds; tests pass a fake one.
   * @default Date.now
   */
  now?: () => number;
}

/**
 * Writes log lines in one format per mode: human-readable lines on a terminal, one JSON object per line otherwise
 * (`{"time","level","msg",…fields}`, the keys of {@link createProgress}'s JSON lines), nothing when silent.
 */
export interface Logger {
  /** The resolved mode. */
  readonly mode: Exclude<OutputMode, 'auto'>;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  /** A logger writing to the same stream in the same mode, with `fields` added to every line. */
  child(fields: Record<string, unknown>): Logger;
}

/**
 * The output mode for a stream: `mode` unless it is `'auto'`; then `MLOPS_PROGRESS` (tty|json|silent) when set, else
 * `'tty'` on a terminal and `'json'` elsewhere (a pipe, a file, CI). Progress, loggers and the console alert sink
 * decide with it, so one process never mixes human and JSON lines on a stream.
 */
export function outputMode(stream: OutputStream, mode: OutputMode = 'auto'): Exclude<OutputMode, 'auto'> {
  if (mode !== 'auto') return mode;
  const env = process.env.MLOPS_PROGRESS;
  if (env === 'tty' || env === 'json' || env === 'silent') return env;
  return stream.isTTY ? 'tty' : 'json';
}

/** A field value for a human line: numbers rounded to 4 decimals, objects as compact JSON. */
export function formatLogValue(v: unknown): string {
  if (typeof v === 'number') {
    if (Number.isInteger(v) || !Number.isFinite(v)) return String(v);
    return Math.abs(v) >= 1e-3 ? String(Number(v.toFixed(4))) : v.toPrecision(3);
  }
  if (v instanceof Date) return v.toISOString();
  if (v !== null && typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/**
 * The default human line: `msg  (key=value …)`, `warning: ` / `error: ` before warnings and errors, continuation lines
 * of a multi-line message indented by two spaces (so one entry never reads as two).
 */
export function formatLogLine(entry: LogEntry): string {
  const prefix = entry.level === 'warn' ? 'warning: ' : entry.level === 'error' ? 'error: ' : '';
  const extra = Object.entries(entry.fields)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${formatLogValue(v)}`)
    .join(' ');
  return `${prefix}${entry.msg}${extra ? `  (${extra})` : ''}`.replaceAll('\n', '\n  ');
}

/** Serialises one JSON log line (no newline): dates as ISO strings, bigints as numbers, typed arrays as arrays. */
export function jsonLogLine(entry: LogEntry): string {
  return JSON.stringify(
    { time: new Date(entry.time).toISOString(), level: entry.level, msg: entry.msg, ...entry.fields },
    (_key, v: unknown) => {
      if (typeof v === 'bigint') return Number(v);
      if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return Array.from(v as unknown as ArrayLike<number>);
      return v;
    },
  );
}

/**
 * Creates a {@link Logger}: human lines on a terminal, JSON lines elsewhere.
 *
 * @example
 * const log = createLogger({ stream: process.stdout });
 * log.info('registered churn v3', { accuracy: 0.91 });
 * // terminal: registered churn v3  (accuracy=0.91)
 * // pipe/CI:  {"time":"…","level":"info","msg":"registered churn v3","accuracy":0.91}
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const stream = options.stream ?? process.stderr;
  const mode = outputMode(stream, options.mode ?? 'auto');
  const now = options.now ?? Date.now;
  const human = options.formatHuman ?? formatLogLine;
  const make = (base: Record<string, unknown>): Logger => {
    const write = (level: LogLevel, msg: string, fields: Record<string, unknown> = {}) => {
      if (mode === 'silent') return;
      const entry: LogEntry = { time: now(), level, msg, fields: { ...base, ...fields } };
      stream.write(`${mode === 'json' ? jsonLogLine(entry) : human(entry)}\n`);
    };
    return {
      mode,
      info: (msg, fields) => write('info', msg, fields),
      warn: (msg, fields) => write('warn', msg, fields),
      error: (msg, fields) => write('error', msg, fields),
      child: (fields) => make({ ...base, ...fields }),
    };
  };
  return make(options.fields ?? {});
}
