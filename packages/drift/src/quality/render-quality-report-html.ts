import { invalidDriftInput } from '../_internal/options.js';
import { barChartSvg, COLORS, escapeHtml, formatNumber, formatPercent, htmlPage, shares } from '../report/html.js';
import { type QualityColumn, type QualityHistogram, type QualityReport, qualityReportSchema } from './schema.js';

/** Renders a data-quality report as a self-contained HTML page (inline CSS and SVG, no scripts, no external URLs). */
export function renderQualityReportHtml(report: QualityReport, options: { title?: string } = {}): string {
  const parsed = qualityReportSchema.safeParse(report);
  if (!parsed.success) throw invalidDriftInput('renderQualityReportHtml: not a data-quality report', parsed.error);
  const title = options.title ?? 'Data quality report';
  const s = report.summary;
  const card = (label: string, value: string, cls = '') =>
    `<div class="card"><span class="muted">${escapeHtml(label)}</span><b class="${cls}">${escapeHtml(value)}</b></div>`;
  // Data that cannot be profiled (no rows, columns of nulls only) is what breaks a feed: say it first.
  const alerts = [
    s.rows === 0 ? '<li><b>The data has no rows</b></li>' : '',
    s.rows > 0 && s.emptyColumns.length > 0
      ? `<li><b>Empty columns</b> (every value missing): ${s.emptyColumns.map(escapeHtml).join(', ')}</li>`
      : '',
  ].join('');
  const parts = [
    `<h1>${escapeHtml(title)}</h1>`,
    report.createdAt ? `<p class="muted">${escapeHtml(report.createdAt)}</p>` : '',
    alerts ? `<div class="alert" role="alert"><h2>Unusable data</h2><ul>${alerts}</ul></div>` : '',
    '<div class="cards">',
    card('rows', String(s.rows)),
    card('columns', String(s.columns)),
    card('missing cells', formatPercent(s.missingShare), s.missingCells > 0 ? 'bad' : 'good'),
    card('duplicate rows', String(s.duplicateRows), s.duplicateRows > 0 ? 'bad' : 'good'),
    card('empty rows', String(s.emptyRows)),
    card('empty columns', String(s.emptyColumns.length), s.emptyColumns.length > 0 ? 'bad' : 'good'),
    card('constant columns', String(s.constantColumns.length), s.constantColumns.length > 0 ? 'bad' : 'good'),
    card('almost constant', String(s.almostConstantColumns.length)),
    '</div>',
    `<p class="muted">Columns by type: ${Object.entries(s.columnsByType)
      .map(([t, n]) => `${escapeHtml(t)} ${n}`)
      .join(' · ')}</p>`,
  ];
  if (report.target) {
    const t = report.target;
    parts.push(`<h2>Target: ${escapeHtml(t.column)}</h2>`);
    if (t.classes) {
      parts.push(
        barChartSvg({
          title: `class balance of ${t.column}`,
          labels: t.classes.map((c) => c.value),
          series: [{ name: t.column, values: t.classes.map((c) => c.share), color: COLORS.reference }],
          showLabels: true,
          width: 480,
          height: 170,
        }),
        `<p>${t.classes.map((c) => `${escapeHtml(c.value)}: ${c.count} (${formatPercent(c.share)})`).join(' · ')}` +
          (t.imbalanceRatio !== null ? ` · imbalance ratio ${formatNumber(t.imbalanceRatio)}` : '') +
          '</p>',
      );
    }
  }
  parts.push('<h2>Columns</h2>', columnTable(report.columns), '<h2>Distributions</h2>', '<div class="grid">');
  for (const c of report.columns) parts.push(columnCard(c));
  parts.push('</div>');
  return htmlPage(title, parts.join('\n'));
}

function columnTable(columns: QualityColumn[]): string {
  const rows = columns.map((c) => {
    const flags = [
      c.count > 0 && c.missing === c.count
        ? 'empty'
        : c.constant
          ? 'constant'
          : c.almostConstant
            ? 'almost constant'
            : '',
      c.numeric && c.numeric.outliers.count > 0 ? `${c.numeric.outliers.count} outliers` : '',
    ].filter(Boolean);
    return (
      `<tr><td>${escapeHtml(c.name)}</td><td>${escapeHtml(c.type)}${c.role !== 'feature' ? ` (${c.role})` : ''}</td>` +
      `<td class="num">${c.missing} (${formatPercent(c.missingShare)})</td><td class="num">${c.distinct}</td>` +
      `<td>${escapeHtml(flags.join(', '))}</td></tr>`
    );
  });
  return `<table><thead><tr><th>column</th><th>type</th><th>missing</th><th>distinct</th><th>flags</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function histogramChart(h: QualityHistogram, title: string): string {
  if (h.kind === 'numeric') {
    return barChartSvg({
      title,
      labels: h.counts.map((_, i) => `${formatNumber(h.edges[i])} – ${formatNumber(h.edges[i + 1])}`),
      series: [{ name: 'share', values: shares(h.counts), color: COLORS.reference }],
      axis: [formatNumber(h.edges[0]), formatNumber(h.edges[h.edges.length - 1])],
    });
  }
  return barChartSvg({
    title,
    labels: h.labels,
    series: [{ name: 'share', values: shares(h.counts), color: COLORS.reference }],
    showLabels: true,
  });
}

function columnCard(c: QualityColumn): string {
  const lines: string[] = [
    `<p class="muted">${escapeHtml(c.type)} · missing ${formatPercent(c.missingShare)} · distinct ${c.distinct}</p>`,
  ];
  if (c.numeric) {
    const n = c.numeric;
    lines.push(
      `<p>mean ${formatNumber(n.mean)} · std ${formatNumber(n.std)} · min ${formatNumber(n.min)} · median ${formatNumber(n.q50)} · max ${formatNumber(n.max)}</p>`,
      `<p>IQR outliers: ${n.outliers.count} (${formatPercent(n.outliers.share)}) outside [${formatNumber(n.outliers.lower)}, ${formatNumber(n.outliers.upper)}]</p>`,
      n.madOutliers
        ? `<p>MAD outliers (|modified z| &gt; ${n.madOutliers.threshold}): ${n.madOutliers.count} (${formatPercent(n.madOutliers.share)}), median ${formatNumber(n.madOutliers.median)}, MAD ${formatNumber(n.madOutliers.mad)}</p>`
        : '',
      n.shape
        ? `<p>skewness ${n.shape.skewness === null ? '–' : formatNumber(n.shape.skewness)} · excess kurtosis ${n.shape.kurtosis === null ? '–' : formatNumber(n.shape.kurtosis)}</p>`
        : '',
    );
  }
  if (c.text) {
    lines.push(
      `<p>length mean ${formatNumber(c.text.meanLength)} (min ${c.text.minLength}, max ${c.text.maxLength}) · ${formatNumber(c.text.meanTokens)} tokens · vocabulary ${c.text.vocabularySize}</p>`,
    );
  }
  if (c.mostCommon && !c.text) {
    lines.push(
      `<p>most common: ${escapeHtml(c.mostCommon.value)} (${formatPercent(c.mostCommon.share)})${c.almostConstant ? ' <span class="tag bad">almost constant</span>' : ''}</p>`,
    );
  }
  const chart = c.histogram
    ? histogramChart(c.histogram, c.text ? `text length of ${c.name}` : `distribution of ${c.name}`)
    : '';
  return `<section class="col"><h3>${escapeHtml(c.name)}</h3>${lines.join('')}${chart}</section>`;
}
