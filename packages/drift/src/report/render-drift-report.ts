import { invalidDriftInput } from '../_internal/options.js';
import { type ColumnDrift, type DriftReport, driftReportSchema } from '../detect/schema.js';
import { DriftError } from '../errors.js';
import { barChartSvg, COLORS, escapeHtml, formatNumber, formatPercent, htmlPage, legendHtml, shares } from './html.js';

/**
 * How far a column is past its threshold, comparable across tests (1 = exactly at the threshold): score / threshold
 * for distances, log(p) / log(threshold) for p-values.
 */
export function driftStrength(c: ColumnDrift): number {
  if (c.testKind === 'distance') return c.threshold > 0 ? c.score / c.threshold : c.score;
  const p = Math.max(c.score, 1e-300);
  return Math.log(p) / Math.log(c.threshold);
}

/** Columns ordered for display: drifted first, then by {@link driftStrength}, strongest first. */
export function sortByDrift(columns: readonly ColumnDrift[]): ColumnDrift[] {
  if (!Array.isArray(columns))
    throw new DriftError('INVALID_INPUT', 'sortByDrift: expected the columns of a drift report');
  return [...columns].sort(
    (a, b) =>
      Number(b.drifted) - Number(a.drifted) ||
      driftStrength(b) - driftStrength(a) ||
      (a.column < b.column ? -1 : a.column > b.column ? 1 : 0),
  );
}

/** The JSON twin of the HTML report: the validated drift report, pretty-printed. */
export function driftReportJson(result: DriftReport): string {
  return `${JSON.stringify(checkReport(result, 'driftReportJson'), null, 2)}\n`;
}

/** The report validated against {@link driftReportSchema}, or `DriftError('INVALID_INPUT')` with the field paths. */
function checkReport(result: unknown, what: string): DriftReport {
  const parsed = driftReportSchema.safeParse(result);
  if (!parsed.success) throw invalidDriftInput(`${what}: not a drift report`, parsed.error);
  return parsed.data;
}

/** Renders a drift report as one self-contained HTML page: summary, then overlaid histograms per column as inline SVG, sorted by drift. */
export function renderDriftReportHtml(result: DriftReport, options: { title?: string } = {}): string {
  checkReport(result, 'renderDriftReportHtml');
  const title = options.title ?? 'Data drift report';
  const d = result.dataset;
  const card = (label: string, value: string, cls = '') =>
    `<div class="card"><span class="muted">${escapeHtml(label)}</span><b class="${cls}">${escapeHtml(value)}</b></div>`;
  const yesNo = (x: boolean | null) => (x === null ? null : x ? 'drift' : 'no drift');
  const columns = sortByDrift(result.columns);
  // A profile keeps a bounded random sample per column: its tests see fewer values than the reference has rows.
  const refRows = result.reference.rows;
  const sampled = columns.filter((c) => isSampled(c, refRows));
  const sampleNote =
    sampled.length > 0
      ? `<p class="muted">${sampled.length === columns.length ? 'Every column was' : `${sampled.length} of ${columns.length} columns were`} tested on a random sample of the reference (the profile keeps at most ${Math.max(...sampled.map((c) => c.reference.size + c.reference.missing))} values per column); "reference rows" counts all ${refRows} rows.</p>`
      : '';
  const verdictCard =
    d.status === 'broken'
      ? card('dataset drift', 'broken feed', 'bad')
      : card(
          'dataset drift',
          d.status === 'drifted' ? 'detected' : 'not detected',
          d.status === 'drifted' ? 'bad' : 'good',
        );
  const parts = [
    `<h1>${escapeHtml(title)}</h1>`,
    result.createdAt ? `<p class="muted">${escapeHtml(result.createdAt)}</p>` : '',
    schemaHtml(result),
    '<div class="cards">',
    verdictCard,
    d.status === 'broken'
      ? card('drifted columns', `${d.driftedColumns} of ${d.columns} tested`, d.driftedColumns > 0 ? 'bad' : '')
      : card('drifted columns', `${d.driftedColumns} of ${d.columns}`, d.driftedColumns > 0 ? 'bad' : 'good'),
    card('share drifted', `${formatPercent(d.share)} (threshold ${formatPercent(d.threshold)})`),
    card('reference rows', String(result.reference.rows)),
    card('current rows', String(result.current.rows)),
    result.targetDrift !== null
      ? card('target', yesNo(result.targetDrift) ?? '', result.targetDrift ? 'bad' : 'good')
      : '',
    result.predictionDrift !== null
      ? card('prediction', yesNo(result.predictionDrift) ?? '', result.predictionDrift ? 'bad' : 'good')
      : '',
    '</div>',
    sampleNote,
    '<h2>Columns</h2>',
    summaryTable(columns),
    '<h2>Distributions</h2>',
    legendHtml(),
    '<div class="grid">',
    ...columns.map((c) => columnCard(c, refRows)),
    '</div>',
  ];
  if (result.skipped.length > 0) {
    parts.push(
      '<h2>Not tested</h2><ul>',
      ...result.skipped.map((s) => `<li>${escapeHtml(s.column)}: ${escapeHtml(s.reason)}</li>`),
      '</ul>',
    );
  }
  return htmlPage(title, parts.join('\n'));
}

/**
 * The schema account of the report: a red alert when the feed is broken (missing, retyped or empty columns, no
 * rows), listing every problem; a yellow note for warnings only (new columns, converted values); nothing otherwise.
 */
function schemaHtml(result: DriftReport): string {
  const s = result.schema;
  const list = (label: string, items: string[]) =>
    items.length > 0 ? `<li><b>${escapeHtml(label)}</b>: ${items.map(escapeHtml).join(', ')}</li>` : '';
  const problems = [
    result.current.rows === 0 ? '<li><b>The current data has no rows</b></li>' : '',
    list('Missing columns', s.missing),
    list(
      'Type changed',
      s.typeChanged.map(
        (t) =>
          `${t.column}: expected ${t.expected}, found ${t.found.join('/')} (${t.invalid} of ${result.current.rows} values cannot be read${
            t.examples.length > 0 ? `, e.g. ${t.examples.map((e) => JSON.stringify(e)).join(', ')}` : ''
          })`,
      ),
    ),
    result.current.rows === 0 ? '' : list('Empty columns', s.empty),
  ].join('');
  const warnings = [
    list('New columns', s.new),
    list(
      'Converted to the reference type',
      s.converted.map((c) => `${c.column}: ${c.count} ${c.from} values converted to ${c.to}`),
    ),
  ].join('');
  if (result.dataset.status === 'broken') {
    return (
      '<div class="alert" role="alert"><h2>Broken feed: no drift verdict</h2>' +
      '<p>Columns of the reference could not be tested in the current data, so this report draws no dataset ' +
      'verdict: fix the feed before reading drift. The columns that could be tested are shown below.</p>' +
      `<ul>${problems}${warnings}</ul></div>`
    );
  }
  return warnings ? `<div class="warn"><h2>Schema warnings</h2><ul>${warnings}</ul></div>` : '';
}

function verdict(c: ColumnDrift): string {
  return c.drifted ? '<span class="tag bad">drift</span>' : '<span class="tag good">no drift</span>';
}

/** The figures of a test: the statistic and the p-value (never a bare "0": below double precision it is "< 1e-300"). */
function scoreText(c: ColumnDrift): string {
  if (c.testKind !== 'p-value') return `${formatNumber(c.score)} (drift if ≥ ${formatNumber(c.threshold)})`;
  const p = c.score === 0 ? 'p < 1e-300' : `p = ${formatNumber(c.score)}`;
  const stat = c.statistic === null ? '' : `statistic ${formatNumber(c.statistic)}, `;
  return `${stat}${p} (drift if p ≤ ${formatNumber(c.threshold)})`;
}

function summaryTable(columns: ColumnDrift[]): string {
  const rows = columns.map(
    (c) =>
      `<tr><td>${escapeHtml(c.column)}</td><td>${escapeHtml(c.type)}${c.role !== 'feature' ? ` (${c.role})` : ''}</td>` +
      `<td>${escapeHtml(c.test)}</td><td class="num">${escapeHtml(scoreText(c))}</td><td>${verdict(c)}</td></tr>`,
  );
  return `<table><thead><tr><th>column</th><th>type</th><th>test</th><th>score</th><th></th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function isSampled(c: ColumnDrift, referenceRows: number): boolean {
  return c.reference.size + c.reference.missing < referenceRows;
}

function columnCard(c: ColumnDrift, referenceRows: number): string {
  const h = c.histogram;
  const series = [
    { name: 'reference', values: shares(h.reference), color: COLORS.reference },
    { name: 'current', values: shares(h.current), color: COLORS.current },
  ];
  const chart =
    h.kind === 'numeric'
      ? barChartSvg({
          title: `${c.column}: reference vs current`,
          labels: h.reference.map((_, i) => `${formatNumber(h.edges[i])} – ${formatNumber(h.edges[i + 1])}`),
          series,
          axis: [formatNumber(h.edges[0]), formatNumber(h.edges[h.edges.length - 1])],
        })
      : barChartSvg({ title: `${c.column}: reference vs current`, labels: h.labels, series, showLabels: true });
  const lines = [
    `<p class="muted">${escapeHtml(c.type)} · ${escapeHtml(c.test)} · ${escapeHtml(scoreText(c))}</p>`,
    `<p class="muted">reference ${c.reference.size} (+${c.reference.missing} missing)${isSampled(c, referenceRows) ? `, a random sample of its ${referenceRows} rows` : ''} · current ${c.current.size} (+${c.current.missing} missing)</p>`,
  ];
  if (c.text) {
    lines.push(
      `<p>classifier AUC ${formatNumber(c.text.auc)} (chance ≤ ${formatNumber(c.text.permutationBaseline)}) · token distance ${formatNumber(c.text.tokenDistance)} · out-of-vocabulary ${formatPercent(c.text.outOfVocabularyRate)}</p>`,
    );
    if (c.text.topCurrentTokens.length > 0) {
      lines.push(`<p>typical of current: ${escapeHtml(c.text.topCurrentTokens.join(', '))}</p>`);
    }
  }
  return `<section class="col${c.drifted ? ' drifted' : ''}"><h3>${escapeHtml(c.column)} ${verdict(c)}</h3>${lines.join('')}${chart}</section>`;
}
