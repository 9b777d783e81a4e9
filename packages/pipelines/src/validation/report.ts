import { MlopsError } from '@mlops/core';
import { z } from 'zod';
import { parseOrThrow } from './_zod.js';
import { type Expectation, expectationParams, SEVERITIES } from './expectations.js';

/** The envelope `kind` of a validation report. */
export const VALIDATION_REPORT_KIND = 'mlops.pipelines/validation-report';
/** The validation report schema version written by this release. */
export const VALIDATION_REPORT_SCHEMA_VERSION = 1;

const json: z.ZodType<unknown> = z.unknown();

/** Result of one expectation. */
export const expectationResultSchema = z.object({
  name: z.string(),
  kind: z.string(),
  severity: z.enum(SEVERITIES),
  /** True when the expectation held. */
  success: z.boolean(),
  /** The expectation's parameters (columns, bounds, values). */
  params: z.record(z.string(), json),
  /** What was measured: a count, a share, the newest timestamp, the class shares, the drift summary. */
  observed: json,
  /** Rows (or groups) that broke the expectation; null when the expectation is not about rows. */
  unexpectedCount: z.number().int().nonnegative().nullable(),
  /** `unexpectedCount` over the rows checked; null when unknown. */
  unexpectedShare: z.number().min(0).nullable(),
  /** A bounded sample of offending rows or values. */
  samples: z.array(json),
  /** Why the expectation could not be evaluated (missing column, SQL error); the expectation then fails. */
  error: z.string().optional(),
});

/** Result of one expectation (see {@link expectationResultSchema}). */
export type ExpectationResult = z.infer<typeof expectationResultSchema>;

/** The versioned result of a validation: `{ kind: 'mlops.pipelines/validation-report', schemaVersion: 1, … }`. */
export const validationReportSchema = z.object({
  kind: z.literal(VALIDATION_REPORT_KIND),
  schemaVersion: z.literal(VALIDATION_REPORT_SCHEMA_VERSION),
  /** What was validated: a relation name, `query`, or `data`. */
  target: z.string(),
  createdAt: z.string(),
  /** Rows of the validated data. */
  rows: z.number().int().nonnegative().nullable(),
  /** False when an expectation of severity `error` failed. */
  success: z.boolean(),
  statistics: z.object({
    evaluated: z.number().int().nonnegative(),
    passed: z.number().int().nonnegative(),
    /** Failed expectations of severity `error`. */
    errors: z.number().int().nonnegative(),
    /** Failed expectations of severity `warn`. */
    warnings: z.number().int().nonnegative(),
  }),
  results: z.array(expectationResultSchema),
});

/** A validation report (see {@link validationReportSchema}). */
export type ValidationReport = z.infer<typeof validationReportSchema>;

/** Validates a stored or received report (e.g. JSON read back), throwing `INVALID_INPUT` with field paths. */
export function parseValidationReport(input: unknown): ValidationReport {
  return parseOrThrow(validationReportSchema, input, 'validation report');
}

/** The measured outcome of one expectation, before its definition is attached. */
export interface Outcome {
  success: boolean;
  observed: unknown;
  unexpectedCount?: number | null;
  unexpectedShare?: number | null;
  samples?: unknown[];
  error?: string;
}

/** Builds the result of an expectation from its outcome. */
export function toResult(e: Expectation, o: Outcome): ExpectationResult {
  return {
    name: e.name,
    kind: e.kind,
    severity: e.severity,
    success: o.success,
    params: expectationParams(e),
    observed: toJson(o.observed),
    unexpectedCount: o.unexpectedCount ?? null,
    unexpectedShare: o.unexpectedShare ?? null,
    samples: (o.samples ?? []).map(toJson),
    ...(o.error !== undefined ? { error: o.error } : {}),
  };
}

/** Assembles a report from results. */
export function buildReport(
  target: string,
  rows: number | null,
  results: ExpectationResult[],
  now: Date,
): ValidationReport {
  const errors = results.filter((r) => !r.success && r.severity === 'error').length;
  const warnings = results.filter((r) => !r.success && r.severity === 'warn').length;
  return {
    kind: VALIDATION_REPORT_KIND,
    schemaVersion: VALIDATION_REPORT_SCHEMA_VERSION,
    target,
    createdAt: now.toISOString(),
    rows,
    success: errors === 0,
    statistics: { evaluated: results.length, passed: results.filter((r) => r.success).length, errors, warnings },
    results,
  };
}

/** Converts values to plain JSON: Dates to ISO strings, bigints to strings or numbers, non-finite numbers to null. */
export function toJson(value: unknown): unknown {
  if (value === undefined || value === null) return null;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value !== 'object') return value;
  if (ArrayBuffer.isView(value)) return Array.from(value as unknown as ArrayLike<number>, (x) => toJson(x));
  if (Array.isArray(value)) return value.map(toJson);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = toJson(v);
  return out;
}

function short(value: unknown, max = 160): string {
  const s = JSON.stringify(value) ?? 'null';
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/** One line per expectation: what failed, what was observed, an offending sample. */
export function formatResult(r: ExpectationResult): string {
  const mark = r.success ? 'ok' : r.severity === 'error' ? 'FAIL' : 'WARN';
  const parts = [`${mark.padEnd(4)} ${r.name} [${r.severity}]`];
  if (r.error) parts.push(`could not run: ${r.error}`);
  else {
    if (r.unexpectedCount !== null) {
      const share = r.unexpectedShare !== null ? ` (${(r.unexpectedShare * 100).toFixed(2)}%)` : '';
      parts.push(`${r.unexpectedCount} unexpected${share}`);
    }
    parts.push(`observed ${short(r.observed, 200)}`);
    if (!r.success && r.samples.length > 0) parts.push(`e.g. ${short(r.samples[0])}`);
  }
  return parts.join(': ');
}

/** A plain-text summary of a report, failures first, as used in error messages and logs. */
export function formatValidationReport(report: ValidationReport): string {
  const s = report.statistics;
  const head =
    `Validation of ${report.target}: ${s.passed}/${s.evaluated} expectations passed, ` +
    `${s.errors} error${s.errors === 1 ? '' : 's'}, ${s.warnings} warning${s.warnings === 1 ? '' : 's'}` +
    (report.rows !== null ? ` (${report.rows} rows)` : '');
  const order = (r: ExpectationResult) => (r.success ? 2 : r.severity === 'error' ? 0 : 1);
  const lines = [...report.results].sort((a, b) => order(a) - order(b)).map((r) => `  ${formatResult(r)}`);
  return [head, ...lines].join('\n');
}

/**
 * Thrown when an expectation of severity `error` fails. Its `code` is `VALIDATION_FAILED`; `report` holds the full
 * report and the message lists the failures.
 */
export class ValidationFailedError extends MlopsError {
  /** The report with the failed expectations. */
  readonly report: ValidationReport;

  constructor(report: ValidationReport, context: { step?: string } = {}) {
    const failed = report.results.filter((r) => !r.success && r.severity === 'error');
    super('VALIDATION_FAILED', {
      message:
        `${context.step ? `Step ${context.step}: ` : ''}validation failed, ` +
        `${failed.length} expectation${failed.length === 1 ? '' : 's'} of severity error failed\n` +
        formatValidationReport(report),
      details: {
        ...(context.step ? { step: context.step } : {}),
        target: report.target,
        failed: failed.map((r) => ({ name: r.name, unexpectedCount: r.unexpectedCount, error: r.error ?? null })),
      },
    });
    this.name = 'ValidationFailedError';
    this.report = report;
  }
}

/** True when `err` is a {@link ValidationFailedError}. */
export function isValidationFailedError(err: unknown): err is ValidationFailedError {
  return err instanceof ValidationFailedError;
}

/** Throws {@link ValidationFailedError} when an expectation of severity `error` failed; returns the report otherwise. */
export function assertValid(report: ValidationReport, context: { step?: string } = {}): ValidationReport {
  if (!report.success) throw new ValidationFailedError(report, context);
  return report;
}
