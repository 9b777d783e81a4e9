const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => ESCAPES[c] as string);
}

/** Formats a number for display: up to 4 significant digits, exponent for very small or large values. */
export function formatNumber(x: number | null | undefined): string {
  if (x === null || x === undefined || Number.isNaN(x)) return '–';
  if (!Number.isFinite(x)) return x > 0 ? '∞' : '−∞';
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a >= 1e6 || a < 1e-3) return x.toExponential(2);
  if (Number.isInteger(x)) return String(x);
  return String(Number(x.toPrecision(4)));
}

/** Formats a share in [0, 1] as a percentage. */
export function formatPercent(x: number): string {
  return `${(x * 100).toFixed(x > 0 && x < 0.01 ? 2 : 1)}%`;
}

const STYLE = `
*{box-sizing:border-box}body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1f2933;background:#f5f7fa}
main{max-width:1120px;margin:0 auto;padding:24px}h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 10px}
.muted{color:#616e7c}.cards{display:flex;flex-wrap:wrap;gap:12px;margin:16px 0}
.card{background:#fff;border:1px solid #e4e7eb;border-radius:8px;padding:12px 16px;min-width:150px}
.card b{display:block;font-size:20px}.bad{color:#c62828}.good{color:#2e7d32}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(340px,1fr));gap:12px}
.col{background:#fff;border:1px solid #e4e7eb;border-radius:8px;padding:12px}
.col.drifted{border-color:#ef9a9a;box-shadow:inset 4px 0 0 #e53935}
.col h3{font-size:15px;margin:0 0 4px;word-break:break-all}.col p{margin:2px 0;font-size:12.5px}
.tag{display:inline-block;border-radius:10px;padding:0 8px;font-size:12px;background:#e4e7eb;margin-left:6px}
.tag.bad{background:#ffebee}.tag.good{background:#e8f5e9}
table{border-collapse:collapse;background:#fff;width:100%;font-size:13px}th,td{border-bottom:1px solid #e4e7eb;padding:5px 8px;text-align:left}
th{background:#f0f4f8}td.num{text-align:right;font-variant-numeric:tabular-nums}
.alert,.warn{border-radius:8px;padding:12px 16px;margin:16px 0}.alert h2,.warn h2{margin:0 0 6px}
.alert{background:#ffebee;border:2px solid #c62828;color:#7f1d1d}.warn{background:#fff8e1;border:1px solid #f9a825}
.alert ul,.warn ul{margin:4px 0 0;padding-left:20px}.alert li,.warn li{margin:2px 0}
.legend span{display:inline-block;width:10px;height:10px;border-radius:2px;margin:0 4px 0 10px;vertical-align:middle}
svg{display:block;max-width:100%;height:auto}svg text{font:10px system-ui,sans-serif;fill:#616e7c}
`;

/** Wraps a body in a self-contained HTML page: inline CSS, no scripts, no external resources. */
export function htmlPage(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body><main>
${body}
</main></body>
</html>
`;
}

/** One series of a bar chart: values already normalised (e.g. shares) so series are comparable. */
export interface ChartSeries {
  name: string;
  values: readonly number[];
  color: string;
}

/** Options of {@link barChartSvg}. */
export interface BarChartOptions {
  /** One label per bar position (shown in tooltips, and under the bars when `showLabels`). */
  labels: readonly string[];
  series: readonly ChartSeries[];
  /** Accessible name of the chart. */
  title: string;
  /** Text under the left and right ends of the x axis (numeric ranges). @default none */
  axis?: [string, string];
  /** Print each label under its bar (categories). @default false */
  showLabels?: boolean;
  /** @default 340 */
  width?: number;
  /** @default 150 */
  height?: number;
}

/** Colours of the reference and current series. */
export const COLORS = { reference: '#5c6bc0', current: '#ef6c00' } as const;

/** Estimated width in pixels of `text` in the reports' 10 px chart font (0.6 em per character, conservative). */
export function labelWidth(text: string, fontSize = 10): number {
  return [...text].length * fontSize * 0.6;
}

/** Rotation of category labels, degrees counter-clockwise. */
const LABEL_ANGLE = 30;

/**
 * Renders overlaid bars (one semi-transparent layer per series) as an inline SVG element. Rotated category labels
 * get the room they need: the plot starts right of the longest label's horizontal extent and the chart grows
 * downwards by its vertical extent, so no label is cut at the left or bottom edge.
 */
export function barChartSvg(o: BarChartOptions): string {
  const width = o.width ?? 340;
  const n = Math.max(o.labels.length, 1);
  const shown = (label: string) => (label.length > 10 ? `${label.slice(0, 9)}…` : label);
  const cos = Math.cos((LABEL_ANGLE * Math.PI) / 180);
  const sin = Math.sin((LABEL_ANGLE * Math.PI) / 180);
  // A label anchored at its end under its bar's centre reaches left by its width · cos and down by width · sin.
  let left = 4;
  let labelDrop = 0;
  if (o.showLabels) {
    const slot0 = (width - 8) / n;
    for (let i = 0; i < o.labels.length; i++) {
      const w = labelWidth(shown(o.labels[i] ?? '')) + 4;
      left = Math.max(left, w * cos - (i * slot0 + slot0 / 2) + 4);
      labelDrop = Math.max(labelDrop, w * sin);
    }
    left = Math.min(Math.ceil(left), Math.floor(width / 2));
  }
  const height = Math.max(o.height ?? 150, o.showLabels ? 110 + Math.ceil(labelDrop) : 0);
  const bottom = o.showLabels ? 18 + Math.ceil(labelDrop) : 16;
  const plotH = height - bottom - 6;
  const slot = (width - left - 4) / n;
  let max = 0;
  for (const s of o.series) for (const v of s.values) if (Number.isFinite(v) && v > max) max = v;
  const parts: string[] = [
    `<svg width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeHtml(o.title)}">`,
    `<title>${escapeHtml(o.title)}</title>`,
    `<line x1="${left}" y1="${plotH + 6}" x2="${width - 4}" y2="${plotH + 6}" stroke="#9aa5b1"/>`,
  ];
  for (const s of o.series) {
    parts.push(`<g fill="${escapeHtml(s.color)}" fill-opacity="0.55">`);
    for (let i = 0; i < s.values.length; i++) {
      const v = s.values[i] as number;
      if (!(v > 0) || max === 0) continue;
      const h = Math.max((v / max) * plotH, 0.5);
      const x = left + i * slot + (slot > 3 ? 0.5 : 0);
      const w = Math.max(slot - (slot > 3 ? 1 : 0), 0.5);
      parts.push(
        `<rect x="${x.toFixed(1)}" y="${(plotH + 6 - h).toFixed(1)}" width="${w.toFixed(1)}" height="${h.toFixed(1)}">` +
          `<title>${escapeHtml(s.name)} · ${escapeHtml(o.labels[i] ?? '')}: ${escapeHtml(formatPercent(v))}</title></rect>`,
      );
    }
    parts.push('</g>');
  }
  if (o.axis) {
    parts.push(`<text x="${left}" y="${height - 3}">${escapeHtml(o.axis[0])}</text>`);
    parts.push(`<text x="${width - 4}" y="${height - 3}" text-anchor="end">${escapeHtml(o.axis[1])}</text>`);
  }
  if (o.showLabels) {
    // Thin the labels so rotated text never overlaps (every k-th label when slots are narrow).
    const every = Math.max(1, Math.ceil(24 / slot));
    const y = plotH + 18;
    for (let i = 0; i < o.labels.length; i += every) {
      const label = o.labels[i] ?? '';
      const x = left + i * slot + slot / 2;
      parts.push(
        `<text x="${x.toFixed(1)}" y="${y}" text-anchor="end" transform="rotate(-${LABEL_ANGLE} ${x.toFixed(1)} ${y})">` +
          `${escapeHtml(shown(label))}${shown(label) === label ? '' : `<title>${escapeHtml(label)}</title>`}</text>`,
      );
    }
  }
  parts.push('</svg>');
  return parts.join('');
}

/** A legend line for the reference/current colours. */
export function legendHtml(): string {
  return `<p class="legend muted"><span style="background:${COLORS.reference}"></span>reference<span style="background:${COLORS.current}"></span>current</p>`;
}

/** Turns counts into shares of their total (all zeros when the total is zero). */
export function shares(counts: readonly number[]): number[] {
  const total = counts.reduce((s, x) => s + x, 0);
  return counts.map((c) => (total > 0 ? c / total : 0));
}
