// The pure parts of the dashboard's line charts: axis ticks (round numbers, round times), where a line breaks, and
// the y domain a threshold line widens. No DOM: unit-tested in chart-scale.test.ts.

/** A point of a series; `y: null` is a gap (a bucket with no value): the line breaks there. */
export interface ChartPoint {
  x: number;
  y: number | null;
}

/** An axis: the domain it spans and the ticks to label (always inside the domain, never repeated). */
export interface Axis {
  domain: [number, number];
  ticks: number[];
}

const round = (v: number) => Number(v.toPrecision(12));

/**
 * Round-number ticks covering [min, max] (about `count` of them). A degenerate domain (one value) gets ONE tick at
 * that value and a domain padded around it, so a single point is labelled once, in the middle.
 */
export function numberAxis(min: number, max: number, count = 5): Axis {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return { domain: [0, 1], ticks: [] };
  if (min === max) {
    const pad = Math.abs(min) > 0 ? Math.abs(min) * 0.1 : 1;
    return { domain: [min - pad, max + pad], ticks: [min] };
  }
  const raw = (max - min) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw * (1 - 1e-9)) ?? raw;
  const lo = round(Math.floor(min / step + 1e-9) * step);
  const hi = round(Math.ceil(max / step - 1e-9) * step);
  const ticks: number[] = [];
  for (let i = 0; lo + i * step <= hi + step * 1e-9; i++) ticks.push(round(lo + i * step));
  return { domain: [lo, hi], ticks };
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** Steps a time axis may use: round seconds, minutes, hours and days. */
const TIME_STEPS = [
  1,
  2,
  5,
  10,
  20,
  50,
  100,
  200,
  500,
  SECOND,
  2 * SECOND,
  5 * SECOND,
  10 * SECOND,
  15 * SECOND,
  30 * SECOND,
  MINUTE,
  2 * MINUTE,
  5 * MINUTE,
  10 * MINUTE,
  15 * MINUTE,
  30 * MINUTE,
  HOUR,
  2 * HOUR,
  3 * HOUR,
  6 * HOUR,
  12 * HOUR,
  DAY,
  2 * DAY,
  7 * DAY,
];

/**
 * Ticks of a time axis (epoch milliseconds) at round times (every 5 minutes, every hour, …) inside [min, max],
 * with the domain tight to the data. Round steps are aligned on the local clock (`offsetMinutes` east of UTC, as
 * `-new Date().getTimezoneOffset()` gives; 0 in tests). A degenerate domain gets one tick at the value and a
 * domain of ± one minute around it.
 */
export function timeAxis(min: number, max: number, count = 5, offsetMinutes = 0): Axis {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return { domain: [0, 1], ticks: [] };
  if (min === max) return { domain: [min - MINUTE, max + MINUTE], ticks: [min] };
  const raw = (max - min) / count;
  const step = TIME_STEPS.find((s) => s >= raw) ?? Math.ceil(raw / DAY) * DAY;
  const offset = offsetMinutes * MINUTE;
  const first = Math.ceil((min + offset) / step) * step - offset;
  const ticks: number[] = [];
  for (let t = first; t <= max; t += step) ticks.push(t);
  // A short span between two round times: label both ends rather than nothing.
  if (ticks.length < 2) return { domain: [min, max], ticks: [min, max] };
  return { domain: [min, max], ticks };
}

/**
 * The label of each tick, dropping a tick whose label repeats the previous one (a format coarser than the step
 * must not print "12:35" three times).
 */
export function tickLabels(
  ticks: readonly number[],
  format: (v: number) => string,
): { value: number; label: string }[] {
  const out: { value: number; label: string }[] = [];
  for (const value of ticks) {
    const label = format(value);
    if (out.some((t) => t.label === label)) continue;
    out.push({ value, label });
  }
  return out;
}

/**
 * The runs of consecutive non-null points, in x order: one polyline each, so a line never crosses a gap (a bucket
 * without a value). A run of one point is drawn as a dot only.
 */
export function lineRuns(points: readonly ChartPoint[]): { x: number; y: number }[][] {
  const sorted = [...points].sort((a, b) => a.x - b.x);
  const runs: { x: number; y: number }[][] = [];
  let open: { x: number; y: number }[] | null = null;
  for (const p of sorted) {
    if (p.y === null || !Number.isFinite(p.y)) {
      open = null;
      continue;
    }
    if (!open) {
      open = [];
      runs.push(open);
    }
    open.push({ x: p.x, y: p.y });
  }
  return runs;
}

/** The range of the values to plot: the points' y values and the thresholds drawn as lines (so they are on the chart). */
export function valueRange(
  points: readonly ChartPoint[],
  thresholds: readonly number[] = [],
): { min: number; max: number } | null {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const v of [...points.map((p) => p.y), ...thresholds]) {
    if (v === null || !Number.isFinite(v)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return min <= max ? { min, max } : null;
}

const pad2 = (n: number) => String(n).padStart(2, '0');

/** 24-hour local time, `HH:MM:SS` (the time axes). */
export function clockTime(ms: number): string {
  const d = new Date(ms);
  return `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
}

/** 24-hour local date and time, `YYYY-MM-DD HH:MM:SS` (tables, windows): the same clock as the time axes. */
export function dateTime(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${clockTime(ms)}`;
}

/** The time format of an axis spanning `spanMs`: the clock within a day, the day and the minute beyond. */
export function timeFormat(spanMs: number): (ms: number) => string {
  if (spanMs < DAY) return clockTime;
  return (ms) => {
    const d = new Date(ms);
    return `${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${pad2(d.getHours())}:${pad2(d.getMinutes())}`;
  };
}
