import { createHash } from 'node:crypto';
import { z } from 'zod';
import { jsonLogLine, type LogLevel, type OutputStream, outputMode } from '../log.js';
import { invalidInput, zodIssues } from '../validation.js';

/** How urgent an alert is. */
export const alertSeveritySchema = z.enum(['info', 'warning', 'critical']);

/** An alert severity: `'info' | 'warning' | 'critical'`. */
export type AlertSeverity = z.infer<typeof alertSeveritySchema>;

/** Schema of an {@link Alert}, as sinks receive it. */
export const alertSchema = z.object({
  severity: alertSeveritySchema,
  /** One line, e.g. `Drift detected on model tickets v3`. */
  title: z.string().min(1).max(500),
  /** Details for humans (may be several lines). */
  message: z.string().max(20_000),
  /** Routing labels, e.g. `{ model: 'tickets', version: '3', feature: 'age' }`. */
  labels: z.record(z.string(), z.string()),
  /** When the condition was observed. */
  time: z.coerce.date(),
  /** Alerts with the same key describe the same condition: sinks may deduplicate or group on it. */
  dedupeKey: z.string().min(1).max(200),
});

/** An alert sent to an {@link AlertSink}. */
export type Alert = z.infer<typeof alertSchema>;

/** Input of {@link createAlert}: `time`, `labels` and `dedupeKey` may be left out. */
export interface AlertInput {
  severity: AlertSeverity;
  title: string;
  message: string;
  /** @default {} */
  labels?: Record<string, string>;
  /** @default now */
  time?: Date | string | number;
  /** @default a hash of the title and labels */
  dedupeKey?: string;
}

/**
 * Validates an alert and fills defaults: `time` now, `labels` `{}`, `dedupeKey` derived from title and labels.
 * Throws `INVALID_INPUT` with field paths.
 */
export function createAlert(input: AlertInput): Alert {
  const labels = input.labels ?? {};
  const dedupeKey =
    input.dedupeKey ??
    createHash('sha256')
      .update(JSON.stringify([input.title, Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))]))
      .digest('hex')
      .slice(0, 32);
  const r = alertSchema.safeParse({ ...input, labels, dedupeKey, time: input.time ?? new Date() });
  if (!r.success) {
    const details = zodIssues(r.error);
    throw invalidInput('invalid alert', details);
  }
  return r.data;
}

/**
 * Delivers alerts somewhere (console, webhook, Slack). Plugins implement it as a plain object.
 *
 * @example
 * const memorySink: AlertSink = { name: 'memory', send: async (alert) => { sent.push(alert); } };
 */
export interface AlertSink {
  /** Short name for logs, e.g. `'console'`, `'slack'`. */
  readonly name: string;
  /** Delivers one alert; rejects when delivery failed (the caller decides whether to retry). */
  send(alert: Alert): Promise<void>;
}

/** Options of {@link consoleAlertSink}. */
export interface ConsoleAlertSinkOptions {
  /**
   * Where lines go, instead of the console streams.
   * @default critical and warning alerts to `stderr`, info alerts to `stdout`
   */
  write?: (line: string, alert: Alert) => void;
  /**
   * `'json'`: one JSON object per line (`{"time","level","msg",…}`, the keys of core's logger and progress lines,
   * plus `severity`, `title`, `message`, `labels`, `dedupeKey`). `'tty'`: one human-readable line. `'auto'` picks
   * `'json'` when the stream the alert goes to is not a terminal (a pipe, a file, CI; `MLOPS_PROGRESS=json|tty`
   * overrides), and human lines with `write`.
   * @default 'auto'
   */
  mode?: 'auto' | 'tty' | 'json';
  /**
   * Same as `mode: 'json'` (`false`: `mode: 'tty'`).
   * @default undefined
   */
  json?: boolean;
  /**
   * Standard output (info alerts).
   * @default process.stdout
   */
  stdout?: OutputStream;
  /**
   * Standard error (warning and critical alerts).
   * @default process.stderr
   */
  stderr?: OutputStream;
}

const LEVEL_OF: Record<AlertSeverity, LogLevel> = { info: 'info', warning: 'warn', critical: 'error' };

/**
 * The default alert sink: one line per alert on the console, as JSON where the stream is not a terminal, else
 * `[mlops] 2026-03-01T10:00:00.000Z CRITICAL title: message {labels}` (the continuation lines of a multi-line
 * message indented).
 */
export function consoleAlertSink(opts: ConsoleAlertSinkOptions = {}): AlertSink {
  const mode = opts.json === undefined ? (opts.mode ?? 'auto') : opts.json ? 'json' : 'tty';
  const streamOf = (a: Alert): OutputStream =>
    a.severity === 'info' ? (opts.stdout ?? process.stdout) : (opts.stderr ?? process.stderr);
  return {
    name: 'console',
    async send(alert) {
      const a = alertSchema.parse(alert);
      const stream = opts.write ? undefined : streamOf(a);
      const json = mode === 'json' || (mode === 'auto' && stream !== undefined && outputMode(stream) === 'json');
      const labels = Object.entries(a.labels)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ');
      const line = json
        ? jsonLogLine({ time: a.time.getTime(), level: LEVEL_OF[a.severity], msg: a.title, fields: { ...a } })
        : `[mlops] ${a.time.toISOString()} ${a.severity.toUpperCase()} ${a.title}: ${a.message}${labels ? ` {${labels}}` : ''}`.replaceAll(
            '\n',
            '\n  ',
          );
      if (opts.write) opts.write(line, a);
      else stream?.write(`${line}\n`);
    },
  };
}
