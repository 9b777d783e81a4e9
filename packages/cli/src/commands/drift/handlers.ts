import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { createProgress, SILENT_PROGRESS } from '@mlops/core';
import { type DriftOptions, type DriftReport, detectDrift, renderDriftReportHtml, sortByDrift } from '@mlops/drift';
import type { CliContext } from '../../context.js';
import { EXIT_CODES } from '../../exit-codes.js';
import { formatTable, type Output } from '../../output.js';
import { readTabularFile } from '../../tabular.js';

/** Options of {@link driftCommand}. */
export interface DriftCommandOptions {
  /** Reference data file (CSV, TSV, JSON, JSONL). */
  reference: string;
  /** Current data file. */
  current: string;
  /**
   * Write the HTML report (overlaid histograms per column) here.
   * @default undefined
   */
  html?: string;
  /**
   * The target (label) column.
   * @default undefined
   */
  target?: string;
  /**
   * The prediction column.
   * @default undefined
   */
  prediction?: string;
  /**
   * Columns to leave out (ids, timestamps).
   * @default []
   */
  exclude?: string[];
  /**
   * Share of drifted feature columns from which the dataset counts as drifted.
   * @default 0.5
   */
  share?: number;
  /**
   * Exit with code 8 when the dataset drifted, and 9 when the feed is broken (a reference column missing, retyped
   * or empty, or no rows), for CI jobs and CronJobs. A broken feed is not drift: retrain on 8, fix the feed on 9.
   * @default false
   */
  failOnDrift?: boolean;
}

/**
 * The summary line of `mlops drift`. The dataset verdict counts feature columns only (as `report.dataset` does); the
 * target and prediction columns, when mapped, get their own verdicts: `yes`, `no`, or `not tested` (skipped). A
 * broken feed (`report.dataset.status === 'broken'`) says so first and draws no verdict.
 */
function driftSummary(report: DriftReport, opts: DriftCommandOptions): string {
  const d = report.dataset;
  const verdict = (x: boolean | null) => (x === null ? 'not tested' : x ? 'yes' : 'no');
  const s = report.schema;
  const untested = new Set([...s.missing, ...s.empty, ...s.typeChanged.map((t) => t.column)]).size;
  return [
    d.status === 'broken'
      ? `Dataset drift: BROKEN FEED, no verdict (${untested} ${untested === 1 ? 'column' : 'columns'} could not be tested; ${d.driftedColumns} of ${d.columns} tested feature columns drifted)`
      : `Dataset drift: ${d.status === 'drifted' ? 'DETECTED' : 'not detected'} (${d.driftedColumns} of ${d.columns} feature columns drifted, share ${d.share.toFixed(2)}, threshold ${d.threshold})`,
    ...(opts.target ? [`target drift: ${verdict(report.targetDrift)}`] : []),
    ...(opts.prediction ? [`prediction drift: ${verdict(report.predictionDrift)}`] : []),
  ].join('; ');
}

/** One line per schema problem (`broken: …`) and warning (`warning: …`), then the other untested columns. */
function schemaLines(report: DriftReport): string[] {
  const s = report.schema;
  const lines = [
    ...(report.current.rows === 0 ? ['broken: the current data has no rows'] : []),
    ...s.missing.map((c) => `broken: column ${c} is missing from the current data`),
    ...s.typeChanged.map(
      (t) =>
        `broken: column ${t.column} changed type: expected ${t.expected}, found ${t.found.join('/')} (${t.invalid} of ${report.current.rows} values cannot be read${
          t.examples.length > 0 ? `, e.g. ${t.examples.map((e) => JSON.stringify(e)).join(', ')}` : ''
        })`,
    ),
    ...(report.current.rows === 0 ? [] : s.empty.map((c) => `broken: column ${c} is empty (no non-missing value)`)),
    ...s.new.map((c) => `warning: column ${c} is not in the reference (not tested)`),
    ...s.converted.map((c) => `warning: column ${c.column}: ${c.count} ${c.from} values converted to ${c.to}`),
  ];
  const covered = new Set([...s.missing, ...s.empty, ...s.typeChanged.map((t) => t.column)]);
  return [
    ...lines,
    ...report.skipped.filter((x) => !covered.has(x.column)).map((x) => `skipped ${x.column}: ${x.reason}`),
  ];
}

/**
 * `mlops drift`: per-column drift between two data files with the test Evidently would pick, a dataset verdict,
 * an optional self-contained HTML report and the JSON report with `--json`. Returns the exit code.
 */
export async function driftCommand(opts: DriftCommandOptions, ctx: CliContext, out: Output): Promise<number> {
  const [reference, current] = await Promise.all([
    readTabularFile(resolve(ctx.cwd, opts.reference)),
    readTabularFile(resolve(ctx.cwd, opts.current)),
  ]);
  const columns = Object.keys(reference).length;
  const progress =
    columns >= 20 ? createProgress({ label: 'drift', total: columns, stream: out.progress }) : SILENT_PROGRESS;
  const mapping: DriftOptions['columnMapping'] = {
    ...(opts.target ? { target: opts.target } : {}),
    ...(opts.prediction ? { prediction: opts.prediction } : {}),
    ...(opts.exclude?.length ? { exclude: opts.exclude } : {}),
  };
  let report: DriftReport;
  try {
    report = detectDrift(reference, current, {
      columnMapping: mapping,
      ...(opts.share !== undefined ? { datasetDriftShare: opts.share } : {}),
      onProgress: (done) => progress.set(done),
      createdAt: new Date().toISOString(),
    });
    progress.done();
  } catch (err) {
    progress.fail(err);
    throw err;
  }
  if (opts.html) {
    await writeFile(
      resolve(ctx.cwd, opts.html),
      renderDriftReportHtml(report, { title: `Data drift: ${opts.current} vs ${opts.reference}` }),
    );
    if (out.json) out.note(`HTML report written to ${opts.html}`);
  }
  out.result(report, () =>
    [
      driftSummary(report, opts),
      formatTable(
        ['COLUMN', 'ROLE', 'TYPE', 'TEST', 'SCORE', 'THRESHOLD', 'DRIFT'],
        sortByDrift(report.columns).map((c) => [
          c.column,
          c.role,
          c.type,
          c.test,
          Number.isFinite(c.score) ? String(Number(c.score.toPrecision(4))) : String(c.score),
          c.threshold,
          c.drifted ? 'yes' : 'no',
        ]),
      ),
      ...schemaLines(report),
      ...(opts.html ? [`HTML report: ${opts.html}`] : []),
    ].join('\n'),
  );
  if (!opts.failOnDrift) return EXIT_CODES.OK;
  if (report.dataset.status === 'broken') return EXIT_CODES.FEED_BROKEN;
  return report.dataset.status === 'drifted' ? EXIT_CODES.DRIFT_DETECTED : EXIT_CODES.OK;
}
