import { outputMode } from './log.js';

/** How a {@link Progress} reports: an updating line on a terminal, JSON log lines elsewhere, or nothing. */
export type ProgressMode = 'auto' | 'tty' | 'json' | 'silent';

/** Where progress is written: any writable with `write(string)`; `isTTY` selects the terminal mode in `auto`. */
export interface ProgressStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/** Options of {@link createProgress}. */
export interface ProgressOptions {
  /** What is being done, e.g. `hash data.csv`. */
  label: string;
  /**
   * Expected final value, for the percentage and ETA. Unknown totals show the count and rate only.
   * @default undefined
   */
  total?: number;
  /**
   * `'bytes'` formats values as KiB/MiB/GiB; `'items'` as plain counts.
   * @default 'items'
   */
  unit?: 'bytes' | 'items';
  /**
   * Destination.
   * @default process.stderr
   */
  stream?: ProgressStream;
  /**
   * `'auto'` picks `'tty'` when the stream is a terminal, else `'json'`; `MLOPS_PROGRESS` (tty|json|silent) overrides
   * `'auto'`.
   * @default 'auto'
   */
  mode?: ProgressMode;
  /**
   * Least time between two redraws of the terminal line (10 per second).
   * @default 100
   */
  redrawMs?: number;
  /**
   * Least time between two JSON progress lines.
   * @default 5000
   */
  logEveryMs?: number;
  /**
   * Clock in milliseconds; tests pass a fake one.
   * @default Date.now
   */
  now?: () => number;
}

/** A handle to report the progress of one long job. After `done` or `fail`, further calls are ignored. */
export interface Progress {
  /** Adds `n` (default 1) to the amount done. */
  tick(n?: number): void;
  /** Sets the amount done. */
  set(done: number): void;
  /** Finishes successfully, with an optional summary (logged in JSON mode, shown in TTY mode). */
  done(summary?: string | Record<string, unknown>): void;
  /** Finishes with an error. */
  fail(err: unknown): void;
  /** The amount done so far. */
  readonly value: number;
}

/** A {@link Progress} that reports nothing. */
export const SILENT_PROGRESS: Progress = Object.freeze({
  tick() {},
  set() {},
  done() {},
  fail() {},
  value: 0,
});

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

/** Formats a byte count with binary units, e.g. `1.5 GiB`. */
export function formatBytes(n: number): string {
  let v = n;
  let i = 0;
  while (Math.abs(v) >= 1024 && i < UNITS.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${v} B` : `${v.toFixed(1)} ${UNITS[i]}`;
}

/** Formats a duration in milliseconds as `1h02m`, `3m05s` or `4.2s`. */
export function formatDuration(ms: number): string {
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(Math.floor(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

function resolveMode(mode: ProgressMode, stream: ProgressStream): Exclude<ProgressMode, 'auto'> {
  return outputMode(stream, mode);
}

function errorInfo(err: unknown): { message: string; code?: string } {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return typeof code === 'string' ? { message: err.message, code } : { message: err.message };
  }
  return { message: String(err) };
}

/**
 * Reports the progress of a long job: on a terminal, one line redrawn at most 10 times a second with percentage,
 * rate and ETA; otherwise JSON lines (`progress.start`, a `progress` line every few seconds, `progress.end` or
 * `progress.fail`).
 *
 * @example
 * const p = createProgress({ label: 'hash data.csv', total: size, unit: 'bytes' });
 * for await (const chunk of stream) p.tick(chunk.length);
 * p.done();
 */
export function createProgress(opts: ProgressOptions): Progress {
  const stream = opts.stream ?? process.stderr;
  const mode = resolveMode(opts.mode ?? 'auto', stream);
  if (mode === 'silent') {
    let value = 0;
    return {
      tick: (n = 1) => {
        value += n;
      },
      set: (d) => {
        value = d;
      },
      done: () => {},
      fail: () => {},
      get value() {
        return value;
      },
    };
  }
  const now = opts.now ?? Date.now;
  const redrawMs = opts.redrawMs ?? 100;
  const logEveryMs = opts.logEveryMs ?? 5000;
  const unit = opts.unit ?? 'items';
  const { label, total } = opts;
  const started = now();
  let value = 0;
  let finished = false;
  let lastEmit = Number.NEGATIVE_INFINITY;
  const fmt = (n: number) => (unit === 'bytes' ? formatBytes(n) : String(Math.round(n)));
  const rateOf = (elapsed: number) => (elapsed > 0 ? (value * 1000) / elapsed : 0);
  // Whole units from 100/s up; below, three significant digits, so a slow job (a trial every few seconds) does not
  // read as stalled at 0/s.
  const roundRate = (r: number) => (r >= 100 || r === 0 ? Math.round(r) : Number(r.toPrecision(3)));

  const json = (level: 'info' | 'error', msg: string, fields: Record<string, unknown>) => {
    stream.write(`${JSON.stringify({ time: new Date(now()).toISOString(), level, msg, label, ...fields })}\n`);
  };

  const ttyLine = (text: string, final: boolean) => {
    const width = stream.columns && stream.columns > 10 ? stream.columns - 1 : 0;
    const shown = width && text.length > width ? text.slice(0, width) : text;
    stream.write(`\r\x1b[2K${shown}${final ? '\n' : ''}`);
  };

  const status = () => {
    const elapsed = now() - started;
    const rate = rateOf(elapsed);
    const parts = [label];
    if (total !== undefined && total > 0) {
      parts.push(`${((100 * value) / total).toFixed(1).padStart(5)}%`, `${fmt(value)} / ${fmt(total)}`);
    } else {
      parts.push(fmt(value));
    }
    parts.push(`${unit === 'bytes' ? formatBytes(rate) : String(roundRate(rate))}/s`);
    if (total !== undefined && rate > 0 && value < total)
      parts.push(`ETA ${formatDuration(((total - value) / rate) * 1000)}`);
    return parts.join('  ');
  };

  const emit = (force = false) => {
    const t = now();
    if (mode === 'tty') {
      if (!force && t - lastEmit < redrawMs) return;
      lastEmit = t;
      ttyLine(status(), false);
    } else {
      if (!force && t - lastEmit < logEveryMs) return;
      lastEmit = t;
      const elapsed = t - started;
      const rate = rateOf(elapsed);
      json('info', 'progress', {
        done: value,
        ...(total !== undefined ? { total, percent: total > 0 ? Math.round((1000 * value) / total) / 10 : 100 } : {}),
        rate: roundRate(rate),
        ...(total !== undefined && rate > 0 ? { etaMs: Math.round(((total - value) / rate) * 1000) } : {}),
      });
    }
  };

  if (mode === 'json') {
    json('info', 'progress.start', { ...(total !== undefined ? { total } : {}), unit });
    lastEmit = started;
  } else {
    emit(true);
  }

  return {
    tick(n = 1) {
      if (finished) return;
      value += n;
      emit();
    },
    set(d) {
      if (finished) return;
      value = d;
      emit();
    },
    done(summary) {
      if (finished) return;
      finished = true;
      const elapsed = now() - started;
      if (mode === 'tty') {
        const extra = typeof summary === 'string' ? `  ${summary}` : '';
        ttyLine(`${label}  done ${fmt(value)} in ${formatDuration(elapsed)} (${fmt(rateOf(elapsed))}/s)${extra}`, true);
      } else {
        json('info', 'progress.end', {
          done: value,
          ...(total !== undefined ? { total } : {}),
          elapsedMs: elapsed,
          rate: roundRate(rateOf(elapsed)),
          ...(summary !== undefined ? { summary } : {}),
        });
      }
    },
    fail(err) {
      if (finished) return;
      finished = true;
      const info = errorInfo(err);
      if (mode === 'tty') {
        ttyLine(`${label}  failed after ${fmt(value)}: ${info.code ? `${info.code}: ` : ''}${info.message}`, true);
      } else {
        json('error', 'progress.fail', { done: value, elapsedMs: now() - started, error: info });
      }
    },
    get value() {
      return value;
    },
  };
}
