// Inline SVG charts for the example's HTML report (no scripts, no CDN: the page works offline).

/** Escapes text for HTML and SVG. */
export function esc(s: unknown): string {
  return String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * Estimated width in pixels of `text` at `fontSize` in the system sans-serif (a conservative average advance of 0.6 em
 * per character): charts reserve their margins from it so no label is clipped.
 */
export function textWidth(text: string, fontSize = 12): number {
  return [...text].length * fontSize * 0.6;
}

/** The attributes that make a chart shrink with a narrow page instead of overflowing it (its text shrinks with it). */
const fluid = (width: number, height: number) =>
  `width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" style="max-width:100%;height:auto"`;

/**
 * Horizontal bars, one per item, values in [0, max]. The label column and the note column are as wide as their
 * longest text; `width` is the width the chart aims at (the plot takes what the labels leave, at least 120 px).
 */
export function barChart(
  items: { label: string; value: number; note?: string }[],
  opts: { max?: number; width?: number; title?: string; color?: string; noteWidth?: number } = {},
): string {
  const labelW = Math.ceil(Math.max(40, ...items.map((i) => textWidth(i.label))) + 16);
  const noteW = Math.ceil(
    Math.max(opts.noteWidth ?? 70, ...items.map((i) => textWidth(i.note ?? i.value.toFixed(3)) + 12)),
  );
  const plotW = Math.max(120, (opts.width ?? 560) - labelW - noteW);
  const titleW = opts.title ? textWidth(opts.title, 13) + 4 : 0;
  const width = Math.ceil(Math.max(labelW + plotW + noteW, titleW));
  const barH = 20;
  const gap = 6;
  const max = opts.max ?? Math.max(1e-9, ...items.map((i) => i.value));
  const top = opts.title ? 26 : 6;
  const height = top + items.length * (barH + gap) + 4;
  const rows = items
    .map((it, k) => {
      const y = top + k * (barH + gap);
      const w = Math.max(0, (Math.min(it.value, max) / max) * plotW);
      return `<text x="${labelW - 8}" y="${y + 14}" text-anchor="end" font-size="12">${esc(it.label)}</text>
<rect x="${labelW}" y="${y}" width="${w.toFixed(1)}" height="${barH}" fill="${opts.color ?? '#4f7cac'}" rx="2"/>
<text x="${(labelW + w + 6).toFixed(1)}" y="${y + 14}" font-size="12">${esc(it.note ?? it.value.toFixed(3))}</text>`;
    })
    .join('\n');
  const title = opts.title ? `<text x="0" y="16" font-size="13" font-weight="600">${esc(opts.title)}</text>` : '';
  return `<svg xmlns="http://www.w3.org/2000/svg" ${fluid(width, height)} role="img">${title}${rows}</svg>`;
}

/**
 * A confusion matrix as a heatmap: rows are true classes, columns predicted classes. The margins come from the
 * labels' lengths (rotated column labels above, row labels on the left), so a 2 × 2 matrix is as compact as its
 * labels allow and a long label is never cut.
 */
export function confusionHeatmap(labels: readonly string[], matrix: readonly (readonly number[])[]): string {
  const cell = 44;
  const longest = Math.max(0, ...labels.map((l) => textWidth(l)));
  const caption = 'rows: true class · columns: predicted class · shading relative to each row';
  const left = Math.ceil(Math.max(longest + 12, 40));
  // Column labels are rotated 45°: they rise by (width + font height) · sin 45° above the cells.
  const top = Math.ceil(24 + (longest + 12) * Math.SQRT1_2 + 8);
  const size = labels.length * cell;
  const rowMax = matrix.map((r) => Math.max(1, ...r));
  const cells = matrix
    .flatMap((row, i) =>
      row.map((v, j) => {
        const share = v / rowMax[i]!;
        const fill = `rgba(79,124,172,${(0.08 + 0.92 * share).toFixed(3)})`;
        const color = share > 0.55 ? '#fff' : '#222';
        return `<rect x="${left + j * cell}" y="${top + i * cell}" width="${cell - 2}" height="${cell - 2}" fill="${fill}"/>
<text x="${left + j * cell + cell / 2 - 1}" y="${top + i * cell + cell / 2 + 4}" text-anchor="middle" font-size="11" fill="${color}">${v}</text>`;
      }),
    )
    .join('\n');
  const rowLabels = labels
    .map(
      (l, i) =>
        `<text x="${left - 8}" y="${top + i * cell + cell / 2 + 4}" text-anchor="end" font-size="12">${esc(l)}</text>`,
    )
    .join('');
  const colLabels = labels
    .map(
      (l, j) =>
        `<text transform="translate(${left + j * cell + cell / 2 - 4},${top - 6}) rotate(-45)" font-size="12">${esc(l)}</text>`,
    )
    .join('');
  // The last column's label reaches right of the matrix by its width · cos 45°.
  const width = Math.ceil(
    Math.max(left + size + 8, left + size - cell / 2 + (longest + 12) * Math.SQRT1_2 + 4, textWidth(caption) + 4),
  );
  const height = top + size + 8;
  return `<svg xmlns="http://www.w3.org/2000/svg" ${fluid(width, height)} role="img" aria-label="confusion matrix">
<text x="0" y="14" font-size="12" fill="#555">${esc(caption)}</text>
${rowLabels}${colLabels}${cells}</svg>`;
}

/**
 * The figures of one column's drift test for a human: the statistic and the p-value of a p-value test (a p-value
 * below 0.001 in scientific notation, never "0.000"), the distance of a distance test, each with the threshold.
 */
export function driftFigures(c: {
  test: string;
  testKind: 'p-value' | 'distance';
  statistic: number | null;
  pValue: number | null;
  score: number;
  threshold: number;
  drifted: boolean;
}): string {
  const num = (v: number | null) =>
    v === null ? 'n/a' : v !== 0 && Math.abs(v) < 1e-3 ? v.toExponential(1) : String(Number(v.toPrecision(3)));
  const p = c.pValue ?? c.score;
  const text =
    c.testKind === 'p-value'
      ? `${c.test} ${num(c.statistic)}, p ${p === 0 ? '< 1e-300' : `= ${num(p)}`} (drift if p ≤ ${c.threshold})`
      : `${c.test} ${num(c.score)} (drift if ≥ ${c.threshold})`;
  return c.drifted ? `${text} drifted` : text;
}

/** A line chart of one or more curves in the unit square (PR or ROC curves), with axis labels. */
export function curveChart(
  curves: { label: string; points: readonly [number, number][]; color: string }[],
  opts: { xLabel: string; yLabel: string; title?: string; marker?: { x: number; y: number; label: string } },
): string {
  const size = 300;
  const left = 50;
  const top = opts.title ? 30 : 10;
  const sx = (x: number) => (left + x * size).toFixed(1);
  const sy = (y: number) => (top + (1 - y) * size).toFixed(1);
  const grid = [0, 0.25, 0.5, 0.75, 1]
    .map(
      (t) => `<line x1="${sx(0)}" y1="${sy(t)}" x2="${sx(1)}" y2="${sy(t)}" stroke="#eee"/>
<text x="${left - 6}" y="${Number(sy(t)) + 4}" text-anchor="end" font-size="11">${t}</text>
<text x="${sx(t)}" y="${top + size + 16}" text-anchor="middle" font-size="11">${t}</text>`,
    )
    .join('');
  const lines = curves
    .map(
      (c) =>
        `<polyline fill="none" stroke="${c.color}" stroke-width="2" points="${c.points.map(([x, y]) => `${sx(x)},${sy(y)}`).join(' ')}"/>`,
    )
    .join('');
  const legend = curves
    .map(
      (c, k) =>
        `<rect x="${left + size + 16}" y="${top + 10 + k * 20}" width="12" height="12" fill="${c.color}"/><text x="${left + size + 34}" y="${top + 20 + k * 20}" font-size="12">${esc(c.label)}</text>`,
    )
    .join('');
  const m = opts.marker
    ? `<circle cx="${sx(opts.marker.x)}" cy="${sy(opts.marker.y)}" r="5" fill="#c0392b"/><text x="${Number(sx(opts.marker.x)) + 8}" y="${Number(sy(opts.marker.y)) - 8}" font-size="12" fill="#c0392b">${esc(opts.marker.label)}</text>`
    : '';
  const title = opts.title ? `<text x="0" y="16" font-size="13" font-weight="600">${esc(opts.title)}</text>` : '';
  const legendW = Math.max(0, ...curves.map((c) => textWidth(c.label)), opts.marker ? textWidth(opts.marker.label) : 0);
  const width = Math.ceil(Math.max(left + size + 34 + legendW + 8, opts.title ? textWidth(opts.title, 13) + 4 : 0));
  return `<svg xmlns="http://www.w3.org/2000/svg" ${fluid(width, top + size + 40)} role="img">${title}${grid}
<rect x="${left}" y="${top}" width="${size}" height="${size}" fill="none" stroke="#999"/>${lines}${legend}${m}
<text x="${left + size / 2}" y="${top + size + 34}" text-anchor="middle" font-size="12" fill="#555">${esc(opts.xLabel)}</text>
<text transform="translate(12,${top + size / 2}) rotate(-90)" text-anchor="middle" font-size="12" fill="#555">${esc(opts.yLabel)}</text></svg>`;
}

/** One series of {@link lineChart}: a value in [0, max] per x category, `null` where there is none. */
export interface LineSeries {
  label: string;
  values: readonly (number | null)[];
  color: string;
  dashed?: boolean;
}

/**
 * Lines over ordered categories (time windows), values in [0, max]; a gap where a value is null, a dot on every
 * point, a legend, and an optional vertical marker before category `marker.at`.
 */
export function lineChart(
  categories: readonly string[],
  series: readonly LineSeries[],
  opts: { title?: string; yLabel?: string; max?: number; marker?: { at: number; label: string } } = {},
): string {
  const w = 520;
  const h = 240;
  const left = 50;
  const top = opts.title ? 30 : 10;
  const max = opts.max ?? 1;
  const n = Math.max(1, categories.length);
  const sx = (i: number) => left + (n === 1 ? w / 2 : (i * w) / (n - 1));
  const sy = (v: number) => top + (1 - Math.min(Math.max(v / max, 0), 1)) * h;
  const f = (v: number) => v.toFixed(1);
  const grid = [0, 0.25, 0.5, 0.75, 1]
    .map(
      (t) => `<line x1="${left}" y1="${f(sy(t * max))}" x2="${left + w}" y2="${f(sy(t * max))}" stroke="#eee"/>
<text x="${left - 6}" y="${f(sy(t * max) + 4)}" text-anchor="end" font-size="11">${+(t * max).toFixed(2)}</text>`,
    )
    .join('');
  const xLabels = categories
    .map((c, i) => `<text x="${f(sx(i))}" y="${top + h + 16}" text-anchor="middle" font-size="11">${esc(c)}</text>`)
    .join('');
  const lines = series
    .map((s) => {
      // Split into runs of consecutive non-null points, so a missing value leaves a gap.
      const runs: string[][] = [[]];
      s.values.forEach((v, i) => {
        if (v === null || !Number.isFinite(v)) runs.push([]);
        else runs.at(-1)!.push(`${f(sx(i))},${f(sy(v))}`);
      });
      const dash = s.dashed ? ' stroke-dasharray="6 4"' : '';
      const paths = runs
        .filter((r) => r.length > 1)
        .map((r) => `<polyline fill="none" stroke="${s.color}" stroke-width="2"${dash} points="${r.join(' ')}"/>`)
        .join('');
      const dots = s.values
        .map((v, i) =>
          v === null || !Number.isFinite(v)
            ? ''
            : `<circle cx="${f(sx(i))}" cy="${f(sy(v))}" r="3" fill="${s.color}"><title>${esc(`${s.label} ${categories[i]}: ${v.toFixed(3)}`)}</title></circle>`,
        )
        .join('');
      return paths + dots;
    })
    .join('\n');
  const legend = series
    .map(
      (s, k) =>
        `<rect x="${left + w + 16}" y="${top + 4 + k * 20}" width="12" height="12" fill="${s.color}"/><text x="${left + w + 34}" y="${top + 14 + k * 20}" font-size="12">${esc(s.label)}</text>`,
    )
    .join('');
  const m = opts.marker
    ? `<line x1="${f(sx(opts.marker.at - 0.5))}" y1="${top}" x2="${f(sx(opts.marker.at - 0.5))}" y2="${top + h}" stroke="#c0392b" stroke-dasharray="3 3"/><text x="${f(sx(opts.marker.at - 0.5) + 4)}" y="${top + 12}" font-size="11" fill="#c0392b">${esc(opts.marker.label)}</text>`
    : '';
  const title = opts.title ? `<text x="0" y="16" font-size="13" font-weight="600">${esc(opts.title)}</text>` : '';
  const yLabel = opts.yLabel
    ? `<text transform="translate(12,${top + h / 2}) rotate(-90)" text-anchor="middle" font-size="12" fill="#555">${esc(opts.yLabel)}</text>`
    : '';
  const legendW = Math.max(0, ...series.map((s) => textWidth(s.label)));
  const width = Math.ceil(Math.max(left + w + 34 + legendW + 8, opts.title ? textWidth(opts.title, 13) + 4 : 0));
  return `<svg xmlns="http://www.w3.org/2000/svg" ${fluid(width, top + h + 30)} role="img">${title}${grid}
<rect x="${left}" y="${top}" width="${w}" height="${h}" fill="none" stroke="#999"/>${xLabels}${lines}${legend}${m}${yLabel}</svg>`;
}
