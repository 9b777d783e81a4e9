import { type QualityReport, renderQualityReportHtml } from '@mlops/drift';
import type { ExpectationResult, ValidationReport } from './report.js';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML element content and quoted attribute values. */
function esc(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => ESCAPES[c] as string);
}

const STYLE = `
*{box-sizing:border-box}body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1f2933;background:#f5f7fa}
main{max-width:1120px;margin:0 auto;padding:24px}h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 10px}
.muted{color:#616e7c}.cards{display:flex;flex-wrap:wrap;gap:12px;margin:16px 0}
.card{background:#fff;border:1px solid #e4e7eb;border-radius:8px;padding:12px 16px;min-width:150px}
.card b{display:block;font-size:20px}.bad{color:#c62828}.warn{color:#b26a00}.good{color:#2e7d32}
table{border-collapse:collapse;background:#fff;width:100%;font-size:13px}th,td{border-bottom:1px solid #e4e7eb;padding:5px 8px;text-align:left;vertical-align:top}
th{background:#f0f4f8}td.num{text-align:right;font-variant-numeric:tabular-nums}
tr.fail td:first-child{box-shadow:inset 4px 0 0 #e53935}tr.warn td:first-child{box-shadow:inset 4px 0 0 #fb8c00}
pre{margin:4px 0;white-space:pre-wrap;word-break:break-all;font-size:12px;max-height:240px;overflow:auto}
.status{font-weight:600}section.quality{margin-top:36px;border-top:2px solid #e4e7eb}
iframe{width:100%;height:80vh;border:1px solid #e4e7eb;background:#fff}
`;

function status(r: ExpectationResult): { text: string; cls: string; row: string } {
  if (r.success) return { text: 'passed', cls: 'good', row: '' };
  return r.severity === 'error'
    ? { text: 'failed', cls: 'bad', row: 'fail' }
    : { text: 'warning', cls: 'warn', row: 'warn' };
}

function json(value: unknown): string {
  return esc(JSON.stringify(value, null, 2));
}

function resultRow(r: ExpectationResult): string {
  const s = status(r);
  const unexpected =
    r.unexpectedCount === null
      ? '–'
      : `${r.unexpectedCount}${r.unexpectedShare !== null ? ` (${(r.unexpectedShare * 100).toFixed(2)}%)` : ''}`;
  const observed = r.error
    ? `<span class="bad">could not run: ${esc(r.error)}</span>`
    : `<pre>${json(r.observed)}</pre>`;
  const samples =
    r.samples.length > 0
      ? `<details><summary>${r.samples.length} sample${r.samples.length === 1 ? '' : 's'}</summary><pre>${json(r.samples)}</pre></details>`
      : '';
  return (
    `<tr class="${s.row}"><td class="status ${s.cls}">${s.text}</td><td>${esc(r.name)}<br><span class="muted">${esc(r.kind)}</span>` +
    `<details><summary class="muted">parameters</summary><pre>${json(r.params)}</pre></details></td>` +
    `<td>${esc(r.severity)}</td><td>${observed}</td><td class="num">${esc(unexpected)}</td><td>${samples}</td></tr>`
  );
}

/** The inner parts of drift's quality page, to embed it; falls back to an isolated frame if its shape changes. */
function qualitySection(quality: QualityReport, title: string): { style: string; body: string } {
  const page = renderQualityReportHtml(quality, { title });
  const style = /<style>([\s\S]*?)<\/style>/.exec(page)?.[1];
  const main = /<main>([\s\S]*)<\/main>/.exec(page)?.[1];
  if (style !== undefined && main !== undefined) return { style, body: main };
  return { style: '', body: `<iframe title="${esc(title)}" srcdoc="${esc(page)}"></iframe>` };
}

/** Options of {@link renderValidationReportHtml}. */
export interface ValidationHtmlOptions {
  /**
   * Page title.
   * @default `Data validation: <target>`
   */
  title?: string;
  /**
   * A data-quality report of the same data (from `dataQualityReport` of `@mlops/drift`), shown below the expectations.
   * @default undefined
   */
  quality?: QualityReport;
}

/**
 * Renders a validation report as a self-contained HTML page (inline CSS, no scripts, no external URLs, every value
 * escaped), with drift's data-quality report of the same data below it when given.
 */
export function renderValidationReportHtml(report: ValidationReport, options: ValidationHtmlOptions = {}): string {
  const title = options.title ?? `Data validation: ${report.target}`;
  const s = report.statistics;
  const card = (label: string, value: string, cls = '') =>
    `<div class="card"><span class="muted">${esc(label)}</span><b class="${cls}">${esc(value)}</b></div>`;
  const quality = options.quality ? qualitySection(options.quality, `Data quality: ${report.target}`) : undefined;
  const body = [
    `<h1>${esc(title)}</h1>`,
    `<p class="muted">${esc(report.createdAt)}</p>`,
    '<div class="cards">',
    card('result', report.success ? 'passed' : 'failed', report.success ? 'good' : 'bad'),
    card('expectations', `${s.passed} / ${s.evaluated} passed`),
    card('errors', String(s.errors), s.errors > 0 ? 'bad' : 'good'),
    card('warnings', String(s.warnings), s.warnings > 0 ? 'warn' : 'good'),
    card('rows', report.rows === null ? '–' : String(report.rows)),
    '</div>',
    '<h2>Expectations</h2>',
    '<table><thead><tr><th>status</th><th>expectation</th><th>severity</th><th>observed</th><th>unexpected</th><th>samples</th></tr></thead><tbody>',
    ...report.results.map(resultRow),
    '</tbody></table>',
    quality ? `<section class="quality">${quality.body}</section>` : '',
  ].join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${quality?.style ?? ''}${STYLE}</style>
</head>
<body><main>
${body}
</main></body>
</html>
`;
}

/** The report as indented JSON, with the data-quality report beside it when given: `{ validation, quality? }`. */
export function validationReportJson(report: ValidationReport, options: { quality?: QualityReport } = {}): string {
  return JSON.stringify({ validation: report, ...(options.quality ? { quality: options.quality } : {}) }, null, 2);
}
