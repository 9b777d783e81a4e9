import { MlopsError, type Store } from '@mlops/core';
import { z } from 'zod';
import { parseOrThrow } from './_zod.js';
import { migrateValidation } from './migrations.js';
import { parseValidationReport, type ValidationReport } from './report.js';

/** A dataset version a validation report belongs to: a name and a version (content hash) — as in core's versions. */
export interface DatasetRef {
  name: string;
  version: string;
}

/** Options of {@link saveValidationReport}. */
export interface SaveValidationReportOptions {
  /** The dataset version that was validated (e.g. `versionDataset()`'s `{ name, version }`, or a step's output). */
  dataset: DatasetRef;
  report: ValidationReport;
  /**
   * Name of the expectation suite, so one version can hold several reports; saving again replaces it.
   * @default 'default'
   */
  suite?: string;
}

/** A saved validation report with its keys. */
export interface StoredValidationReport {
  dataset: DatasetRef;
  suite: string;
  report: ValidationReport;
  createdAt: Date;
}

const refSchema = z.object({ name: z.string().min(1).max(500), version: z.string().min(1).max(500) });
const suiteSchema = z.string().min(1).max(200);

/** Saves a report with the dataset version it validated (replacing the previous report of the same suite). */
export async function saveValidationReport(store: Store, options: SaveValidationReportOptions): Promise<void> {
  await migrateValidation(store);
  await writeValidationReport(store, options);
}

/** {@link saveValidationReport} without the migration check, for callers that already ran it. */
export async function writeValidationReport(store: Store, options: SaveValidationReportOptions): Promise<void> {
  const dataset = parseOrThrow(refSchema, options.dataset, 'dataset');
  const suite = parseOrThrow(suiteSchema, options.suite ?? 'default', 'suite');
  const report = parseValidationReport(options.report);
  await store.query(
    `INSERT INTO pipelines_validation_results
       (dataset_name, dataset_version, suite, target, success, errors, warnings, report, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, now())
     ON CONFLICT (dataset_name, dataset_version, suite) DO UPDATE SET
       target = EXCLUDED.target, success = EXCLUDED.success, errors = EXCLUDED.errors,
       warnings = EXCLUDED.warnings, report = EXCLUDED.report, created_at = EXCLUDED.created_at`,
    [
      dataset.name,
      dataset.version,
      suite,
      report.target,
      report.success,
      report.statistics.errors,
      report.statistics.warnings,
      JSON.stringify(report),
    ],
  );
}

interface Row {
  dataset_name: string;
  dataset_version: string;
  suite: string;
  report: unknown;
  created_at: Date | string;
}

function fromRow(r: Row): StoredValidationReport {
  const report = typeof r.report === 'string' ? JSON.parse(r.report) : r.report;
  return {
    dataset: { name: r.dataset_name, version: r.dataset_version },
    suite: r.suite,
    report: parseValidationReport(report),
    createdAt: new Date(r.created_at),
  };
}

/** The saved report of a dataset version and suite; `NOT_FOUND` when there is none. */
export async function getValidationReport(
  store: Store,
  dataset: DatasetRef,
  suite = 'default',
): Promise<StoredValidationReport> {
  await migrateValidation(store);
  const [row] = await store.query<Row>(
    `SELECT dataset_name, dataset_version, suite, report, created_at FROM pipelines_validation_results
     WHERE dataset_name = $1 AND dataset_version = $2 AND suite = $3`,
    [dataset.name, dataset.version, suite],
  );
  if (!row) {
    throw new MlopsError('NOT_FOUND', {
      message: `No validation report for ${dataset.name}@${dataset.version} (suite ${suite})`,
      details: { ...dataset, suite },
    });
  }
  return fromRow(row);
}

/** Options of {@link listValidationReports}. */
export interface ListValidationReportsOptions {
  /**
   * Only this version.
   * @default every version
   */
  version?: string;
  /**
   * Most reports returned, newest first.
   * @default 100
   */
  limit?: number;
}

/** Saved reports of a dataset, newest first. */
export async function listValidationReports(
  store: Store,
  name: string,
  options: ListValidationReportsOptions = {},
): Promise<StoredValidationReport[]> {
  await migrateValidation(store);
  const limit = parseOrThrow(z.number().int().min(1).max(10_000), options.limit ?? 100, 'limit');
  const rows = await store.query<Row>(
    `SELECT dataset_name, dataset_version, suite, report, created_at FROM pipelines_validation_results
     WHERE dataset_name = $1 AND ($2::text IS NULL OR dataset_version = $2)
     ORDER BY created_at DESC, dataset_version, suite LIMIT $3`,
    [name, options.version ?? null, limit],
  );
  return rows.map(fromRow);
}
