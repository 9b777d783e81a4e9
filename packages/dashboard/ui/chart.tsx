// Line charts drawn as inline SVG by this code (no chart library): axes, ticks, one polyline per series, a legend,
// and the same numbers as a table for screen readers and keyboard users.

/** One line of a chart. */
export interface Series {
  label: string;
  points: { x: number; y: number }[];
}

/** Colours with at least 4.5:1 contrast on white (WCAG AA for text, well above the 3:1 for graphics). */
export const PALETTE = ['#0b5cad', '#b3261e', '#1e6b34', '#7b3fa0', '#8a4b00', '#00616b', '#5c5c5c', '#a3195b'];

function niceTicks(min: number, max: number, count = 5): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [];
  if (min === max) {
    const pad = Math.abs(min) > 0 ? Math.abs(min) * 0.1 : 1;
    min -= pad;
    max += pad;
  }
  const raw = (max - min) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const ticks: number[] = [];
  for (let v = Math.floor(min / step) * step; v <= max + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  if (ticks[ticks.length - 1]! < max) ticks.push(Number((ticks[ticks.length - 1]! + step).toPrecision(12)));
  return ticks;
}

/** Formats a number compactly for axes and tables. */
export function fmt(v: number | null | undefined, digits = 4): string {
  if (v === null || v === undefined || Number.isNaN(v)) return '–';
  if (Number.isInteger(v)) return String(v);
  return Number(v.toPrecision(digits)).toString();
}

/** A line chart with a legend and a data table. */
export function LineChart(props: {
  title: string;
  series: Series[];
  xLabel: string;
  yLabel?: string;
  xFormat?: (x: number) => string;
  /** Evenly spaced ticks over the data's own range (time axes), instead of round numbers. */
  tightX?: boolean;
  id: string;
}) {
  const { series, title } = props;
  const xf = props.xFormat ?? ((x: number) => fmt(x));
  const all = series.flatMap((s) => s.points);
  const W = 640;
  const H = 260;
  const M = { top: 12, right: 40, bottom: 40, left: 56 };
  if (all.length === 0) {
    return (
      <figure class="chart" aria-labelledby={`${props.id}-cap`}>
        <figcaption id={`${props.id}-cap`}>{title}</figcaption>
        <p class="muted">No data.</p>
      </figure>
    );
  }
  const xs = all.map((p) => p.x);
  const ys = all.map((p) => p.y);
  const xMin = Math.min(...xs);
  const xMax = Math.max(...xs);
  const xt = props.tightX
    ? xMin === xMax
      ? [xMin - 1, xMin, xMin + 1]
      : Array.from({ length: 5 }, (_, i) => xMin + ((xMax - xMin) * i) / 4)
    : niceTicks(xMin, xMax);
  const yt = niceTicks(Math.min(...ys), Math.max(...ys));
  const x0 = xt[0]!;
  const x1 = xt[xt.length - 1]!;
  const y0 = yt[0]!;
  const y1 = yt[yt.length - 1]!;
  const sx = (x: number) => M.left + ((x - x0) / (x1 - x0 || 1)) * (W - M.left - M.right);
  const sy = (y: number) => H - M.bottom - ((y - y0) / (y1 - y0 || 1)) * (H - M.top - M.bottom);
  const steps = [...new Set(xs)].sort((a, b) => a - b);
  return (
    <figure class="chart" aria-labelledby={`${props.id}-cap`}>
      <figcaption id={`${props.id}-cap`}>{title}</figcaption>
      <svg
        viewBox={`0 0 ${W} ${H}`}
        role="img"
        aria-label={`${title}: ${series.length} series over ${props.xLabel}`}
        data-testid={`chart-${props.id}`}
      >
        <g class="grid">
          {yt.map((t) => (
            <line key={`y${t}`} x1={M.left} x2={W - M.right} y1={sy(t)} y2={sy(t)} stroke="#d0d0d0" />
          ))}
        </g>
        <g class="axis" fill="#1f1f1f" font-size="11">
          {yt.map((t) => (
            <text key={`yl${t}`} x={M.left - 6} y={sy(t) + 4} text-anchor="end">
              {fmt(t, 3)}
            </text>
          ))}
          {xt.map((t) => (
            <text key={`xl${t}`} x={sx(t)} y={H - M.bottom + 16} text-anchor="middle">
              {xf(t)}
            </text>
          ))}
          <text x={(M.left + W - M.right) / 2} y={H - 6} text-anchor="middle">
            {props.xLabel}
          </text>
          {props.yLabel ? (
            <text
              x={12}
              y={(M.top + H - M.bottom) / 2}
              text-anchor="middle"
              transform={`rotate(-90 12 ${(M.top + H - M.bottom) / 2})`}
            >
              {props.yLabel}
            </text>
          ) : null}
          <line x1={M.left} x2={M.left} y1={M.top} y2={H - M.bottom} stroke="#1f1f1f" />
          <line x1={M.left} x2={W - M.right} y1={H - M.bottom} y2={H - M.bottom} stroke="#1f1f1f" />
        </g>
        {series.map((s, i) => {
          const color = PALETTE[i % PALETTE.length]!;
          const pts = [...s.points].sort((a, b) => a.x - b.x);
          return (
            <g key={s.label} class="series" data-series={s.label}>
              <polyline
                fill="none"
                stroke={color}
                stroke-width="2"
                points={pts.map((p) => `${sx(p.x)},${sy(p.y)}`).join(' ')}
              />
              {pts.map((p) => (
                <circle key={p.x} cx={sx(p.x)} cy={sy(p.y)} r="3" fill={color}>
                  <title>{`${s.label} · ${props.xLabel} ${xf(p.x)}: ${fmt(p.y)}`}</title>
                </circle>
              ))}
            </g>
          );
        })}
      </svg>
      <ul class="legend">
        {series.map((s, i) => (
          <li key={s.label}>
            <svg width="14" height="14" aria-hidden="true">
              <rect width="14" height="14" fill={PALETTE[i % PALETTE.length]} />
            </svg>{' '}
            {s.label}
          </li>
        ))}
      </ul>
      <details>
        <summary>Data table: {title}</summary>
        <table>
          <thead>
            <tr>
              <th scope="col">{props.xLabel}</th>
              {series.map((s) => (
                <th key={s.label} scope="col">
                  {s.label}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {steps.map((x) => (
              <tr key={x}>
                <th scope="row">{xf(x)}</th>
                {series.map((s) => (
                  <td key={s.label}>{fmt(s.points.find((p) => p.x === x)?.y)}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}
