import { z } from 'zod';

/** Longest key of a param, metric or tag (as MLflow). */
export const MAX_KEY_LENGTH = 250;
/** Longest stringified param value (as MLflow). */
export const MAX_PARAM_VALUE_LENGTH = 6000;
/** Longest tag value (as MLflow). */
export const MAX_TAG_VALUE_LENGTH = 8000;

const KEY_RE = /^[A-Za-z0-9_\-. /]+$/;

/** A param, metric or tag key: letters, digits, `_ - . /` and spaces, at most 250 characters. */
export const keySchema = z
  .string()
  .min(1)
  .max(MAX_KEY_LENGTH)
  .regex(KEY_RE, 'may only contain letters, digits, underscores, dashes, periods, spaces and slashes');

/** An experiment or run name. */
export const nameSchema = z.string().trim().min(1).max(256);

/** Status of a run: `running` until it ends as `finished`, `failed` or `killed`. */
export const runStatusSchema = z.enum(['running', 'finished', 'failed', 'killed']);
/** Status of a run. */
export type RunStatus = z.infer<typeof runStatusSchema>;
/** The statuses a run can end with. */
export const endStatusSchema = z.enum(['finished', 'failed', 'killed']);
/** The statuses a run can end with. */
export type EndStatus = z.infer<typeof endStatusSchema>;

/** A param value: any JSON value. It is stored both as text (as MLflow does) and as its original JSON. */
export const paramValueSchema = z.json();
/** A param value: any JSON value. */
export type ParamValue = z.infer<typeof paramValueSchema>;

/** A metric value: a finite number. NaN and ±Infinity are refused (`INVALID_INPUT`): see the README. */
export const metricValueSchema = z.number();

/** A tag value: a string of at most 8000 characters. */
export const tagValueSchema = z.string().max(MAX_TAG_VALUE_LENGTH);

/** Step of a metric value: a non-negative safe integer. */
export const stepSchema = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

/** Timestamp of a metric value: epoch milliseconds or a `Date`. */
export const timestampSchema = z.union([z.number().int().min(0).max(Number.MAX_SAFE_INTEGER), z.date()]);

/** Options of one metric write. */
export const metricOptionsSchema = z
  .object({
    step: stepSchema.optional(),
    timestamp: timestampSchema.optional(),
  })
  .strict();
/** Options of {@link Run.logMetric} and {@link Run.logMetrics}. */
export interface MetricOptions {
  /**
   * Training step (epoch, iteration) the value belongs to.
   * @default 0
   */
  step?: number;
  /**
   * When the value was measured, in epoch milliseconds or as a `Date`.
   * @default Date.now()
   */
  timestamp?: number | Date;
}

/** A dataset version a run used, with its role. */
export const datasetUseSchema = z
  .object({
    name: nameSchema,
    version: z.string().min(1).max(256),
    role: z.string().min(1).max(64).regex(KEY_RE).default('train'),
  })
  .strict();

/** The name of a run artifact: a relative POSIX path without `.` or `..` segments. */
export const artifactNameSchema = z
  .string()
  .min(1)
  .max(1024)
  .refine((s) => !s.startsWith('/') && !s.includes('\\'), 'must be a relative POSIX path')
  .refine((s) => s.split('/').every((seg) => seg !== '' && seg !== '.' && seg !== '..'), {
    message: 'must not contain empty, "." or ".." segments',
  });

/** The text form of a param value, as MLflow stores it: strings as-is, everything else as JSON. */
export function paramText(value: ParamValue): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}
