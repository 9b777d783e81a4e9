import { createHash } from 'node:crypto';
import { z } from 'zod';
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
   * Where lines go.
   * @default console.error for critical, console.warn for warning, console.info for info
   */
  write?: (line: string, alert: Alert) => void;
  /**
   * One JSON object per line instead of a human-readable line.
   * @default false
   */
  json?: boolean;
}

/** The default alert sink: one line per alert on the console (`[mlops] CRITICAL title: message {labels}`). */
export function consoleAlertSink(opts: ConsoleAlertSinkOptions = {}): AlertSink {
  const write =
    opts.write ??
    ((line: string, alert: Alert) => {
      if (alert.severity === 'critical') console.error(line);
      else if (alert.severity === 'warning') console.warn(line);
      else console.info(line);
    });
  return {
    name: 'console',
    async send(alert) {
      const a = alertSchema.parse(alert);
      const labels = Object.entries(a.labels)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ');
      const line = opts.json
        ? JSON.stringify({ ...a, time: a.time.toISOString() })
        : `[mlops] ${a.time.toISOString()} ${a.severity.toUpperCase()} ${a.title}: ${a.message}${labels ? ` {${labels}}` : ''}`;
      write(line, a);
    },
  };
}
