// Line charts drawn as inline SVG by this code (no chart library): axes, ticks, one polyline per run of values of a
// series (a gap breaks the line), threshold lines, a legend, and the same numbers as a table for screen readers and
// keyboard users. The arithmetic lives in chart-scale.ts (unit-tested).
import type { Ref } from 'preact';
import { useLayoutEffect, useRef, useState } from 'preact/hooks';
import { type ChartPoint, lineRuns, numberAxis, tickLabels, timeAxis, timeFormat, valueRange } from './chart-scale.js';

/** One line of a chart; a point whose `y` is null is a gap (the line breaks there). */
export interface Series {
  label: string;
  points: ChartPoint[];
}

/** A horizontal reference line: a drift threshold, a metric's minimum. */
export interface Threshold {
  y: number;
  label: string;
}

/** Colours with at least 4.5:1 contrast on white (WCAG AA for text, well above the 3:1 for graphics). */
export const PALETTE = ['#0b5cad', '#b3261e', '#1e6b34', '#7b3fa0', '#8a4b00', '#00616b', '#5c5c5c', '#a3195b'];

/** Formats a number compactly for axes and tables. */
export function fmt(v: number | null | undefined, digits = 4): string {
  if (v === null || v === undefined || Number.isNaN(v)) return '–';
  if (Number.isInteger(v)) return String(v);
  return Number(v.toPrecision(digits)).toString();
}

/** The width of the element in CSS pixels, followed as it resizes (`fallback` before the first layout). */
function useWidth(fallback: number): [Ref<HTMLElement>, number] {
  const ref = useRef<HTMLElement>(null);
  const [width, setWidth] = useState(fallback);
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    const read = () => setWidth(Math.round(el.getBoundingClientRect().width) || fallback);
    read();
    if (typeof ResizeObserver === 'undefined') return;
    const ro = new ResizeObserver(read);
    ro.observe(el);
    return () => ro.disconnect();
  }, [fallback]);
  return [ref, width];
}

/** Approximate width of `text` at the axes' 11 px font (no layout needed). */
const textWidth = (text: string) => text.length * 6.6;

/**
 * A line chart with a legend and a data table, as wide as its container (the SVG is drawn at its pixel size, so
 * the text keeps its size). Lines break at null values; thresholds are dashed horizontal lines.
 */
export function LineChart(props: {
  title: string;
  series: Series[];
  xLabel: string;
  yLabel?: string;
  xFormat?: (x: number) => string;
  /** A time axis (epoch milliseconds): round-time ticks, tight to the data, labelled in 24-hour time. */
  time?: boolean;
  /** Reference lines drawn across the plot. @default none */
  thresholds?: Threshold[];
  /** Start the y axis at zero (counts, latencies), not at the smallest value. @default false */
  fromZero?: boolean;
  id: string;
}) {
  const { series, title } = props;
  const thresholds = props.thresholds ?? [];
  const [ref, measured] = useWidth(640);
  const all = series.flatMap((s) => s.points);
  const range = valueRange(all, []);
  if (all.length === 0 || range === null) {
    return (
      <figure class="chart" aria-labelledby={`${props.id}-cap`}>
        <figcaption id={`${props.id}-cap`}>{title}</figcaption>
        <p class="muted">No data.</p>
      </figure>
    );
  }
  const yRange = valueRange(all, [...thresholds.map((t) => t.y), ...(props.fromZero ? [0] : [])])!;
  const xs = all.map((p) => p.x);
  const xMin = Math.min(...xs);
  const xMax = Math.max(...xs);
  const xAxis = props.time ? timeAxis(xMin, xMax, 5, -new Date().getTimezoneOffset()) : numberAxis(xMin, xMax);
  const xf = props.xFormat ?? (props.time ? timeFormat(xMax - xMin) : (x: number) => fmt(x));
  const yAxis = numberAxis(yRange.min, yRange.max);
  const yTicks = tickLabels(yAxis.ticks, (t) => fmt(t, 3));
  const W = Math.max(320, measured);
  const H = 260;
  const yLabelRoom = props.yLabel ? 20 : 0;
  const left = Math.ceil(Math.max(40, ...yTicks.map((t) => textWidth(t.label) + 12)) + yLabelRoom);
  const M = { top: 14, right: 24, bottom: 40, left };
  const [x0, x1] = xAxis.domain;
  const [y0, y1] = yAxis.domain;
  const sx = (x: number) => M.left + ((x - x0) / (x1 - x0 || 1)) * (W - M.left - M.right);
  const sy = (y: number) => H - M.bottom - ((y - y0) / (y1 - y0 || 1)) * (H - M.top - M.bottom);
  // x labels that would overlap their neighbour are dropped (a narrow chart keeps every other one).
  const xTicks: { value: number; label: string }[] = [];
  for (const t of tickLabels(xAxis.ticks, xf)) {
    const prev = xTicks[xTicks.length - 1];
    if (prev && sx(t.value) - sx(prev.value) < (textWidth(prev.label) + textWidth(t.label)) / 2 + 8) continue;
    xTicks.push(t);
  }
  const steps = [...new Set(xs)].sort((a, b) => a - b);
  return (
    <figure class="chart" aria-labelledby={`${props.id}-cap`} ref={ref}>
      <figcaption id={`${props.id}-cap`}>{title}</figcaption>
      <svg
        viewBox={`0 0 ${W} ${H}`}
        width={W}
        height={H}
        role="img"
        aria-label={`${title}: ${series.length} series over ${props.xLabel}`}
        data-testid={`chart-${props.id}`}
      >
        <g class="grid">
          {yTicks.map((t) => (
            <line key={`y${t.value}`} x1={M.left} x2={W - M.right} y1={sy(t.value)} y2={sy(t.value)} stroke="#d0d0d0" />
          ))}
        </g>
        <g class="axis" fill="#1f1f1f" font-size="11">
          {yTicks.map((t) => (
            <text key={`yl${t.value}`} x={M.left - 6} y={sy(t.value) + 4} text-anchor="end">
              {t.label}
            </text>
          ))}
          {xTicks.map((t) => (
            <text key={`xl${t.value}`} x={sx(t.value)} y={H - M.bottom + 16} text-anchor="middle">
              {t.label}
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
        {thresholds.map((t) => (
          <g key={`t${t.y}${t.label}`} class="threshold" data-threshold={t.y}>
            <line
              x1={M.left}
              x2={W - M.right}
              y1={sy(t.y)}
              y2={sy(t.y)}
              stroke="#8a4b00"
              stroke-width="1.5"
              stroke-dasharray="6 4"
            />
            <text x={W - M.right - 4} y={sy(t.y) - 4} text-anchor="end" font-size="11" fill="#8a4b00">
              {t.label}
            </text>
          </g>
        ))}
        {series.map((s, i) => {
          const color = PALETTE[i % PALETTE.length]!;
          const runs = lineRuns(s.points);
          return (
            <g key={s.label} class="series" data-series={s.label}>
              {runs
                .filter((run) => run.length > 1)
                .map((run) => (
                  <polyline
                    key={run[0]!.x}
                    fill="none"
                    stroke={color}
                    stroke-width="2"
                    points={run.map((p) => `${sx(p.x)},${sy(p.y)}`).join(' ')}
                  />
                ))}
              {runs.flat().map((p) => (
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
