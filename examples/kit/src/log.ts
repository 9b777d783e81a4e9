// Console output of the examples: readable lines on a terminal, one JSON object per line otherwise (CI, log
// collectors), through core's logger, the one format every mlops-ts job uses (progress lines and console alerts too).
import { type AlertSink, createLogger, formatLogValue, type LogEntry, type Logger } from '@mlops/core';

const started = Date.now();

/** On a terminal: `  12.3s  stage      message  (key=value …)`. */
function human(entry: LogEntry): string {
  const { stage, ...fields } = entry.fields;
  const secs = ((entry.time - started) / 1000).toFixed(1).padStart(6);
  const extra = Object.entries(fields)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${formatLogValue(v)}`)
    .join(' ');
  const level = entry.level === 'info' ? '' : `${entry.level}: `;
  return `${secs}s  ${String(stage ?? '').padEnd(10)} ${level}${entry.msg}${extra ? `  (${extra})` : ''}`.replaceAll(
    '\n',
    '\n                    ',
  );
}

/** The examples' logger (stdout): JSON lines are `{"time","level","msg","stage",…fields}`. */
export const logger: Logger = createLogger({ stream: process.stdout, formatHuman: human });

/** Logs one step of the run: `stage` is the lifecycle step, `fields` structured details. */
export function log(stage: string, message: string, fields: Record<string, unknown> = {}): void {
  logger.info(message, { stage, ...fields });
}

const LEVEL = { info: 'info', warning: 'warn', critical: 'error' } as const;

/** An alert sink that writes each alert as one line of the examples' logger (stage `alert`). */
export const logAlertSink: AlertSink = {
  name: 'log',
  async send(alert) {
    logger[LEVEL[alert.severity]](alert.title, { stage: 'alert', message: alert.message, labels: alert.labels });
  },
};
