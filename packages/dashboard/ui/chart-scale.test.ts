import { describe, expect, it } from 'vitest';
import { lineRuns, numberAxis, tickLabels, timeAxis, timeFormat, valueRange } from './chart-scale.js';

const MIN = 60_000;
const T0 = Date.UTC(2026, 11, 6, 0, 35, 16);

describe('line runs (gaps)', () => {
  it('breaks the line at a null value instead of bridging the gap: 1 → (none) → 1 is two runs', () => {
    const runs = lineRuns([
      { x: 3, y: 1 },
      { x: 1, y: 1 },
      { x: 2, y: 12 },
      { x: 4, y: null },
      { x: 5, y: null },
      { x: 6, y: 1 },
    ]);
    expect(runs).toEqual([
      [
        { x: 1, y: 1 },
        { x: 2, y: 12 },
        { x: 3, y: 1 },
      ],
      [{ x: 6, y: 1 }],
    ]);
  });

  it('zero is a value (counts), not a gap; NaN is a gap', () => {
    expect(
      lineRuns([
        { x: 1, y: 0 },
        { x: 2, y: Number.NaN },
        { x: 3, y: 0 },
        { x: 4, y: 2 },
      ]),
    ).toEqual([
      [{ x: 1, y: 0 }],
      [
        { x: 3, y: 0 },
        { x: 4, y: 2 },
      ],
    ]);
    expect(lineRuns([{ x: 1, y: null }])).toEqual([]);
  });
});

describe('axes', () => {
  it('one point: one tick, labelled once, inside a padded domain', () => {
    const x = timeAxis(T0, T0);
    expect(x.ticks).toEqual([T0]);
    expect(x.domain[0]).toBeLessThan(T0);
    expect(x.domain[1]).toBeGreaterThan(T0);
    const y = numberAxis(12, 12);
    expect(y.ticks).toEqual([12]);
    expect(y.domain[0]).toBeLessThan(12);
    expect(y.domain[1]).toBeGreaterThan(12);
    expect(numberAxis(0, 0).ticks).toEqual([0]);
  });

  it('round-number ticks cover the data and the domain is exactly the outer ticks', () => {
    const a = numberAxis(0.13, 0.87);
    expect(a.ticks).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(a.domain).toEqual([0, 1]);
    expect(numberAxis(1, 12).ticks).toEqual([0, 2.5, 5, 7.5, 10, 12.5]);
  });

  it('time ticks fall on round times inside the data, on the local clock', () => {
    const a = timeAxis(T0, T0 + 50 * MIN);
    expect(a.domain).toEqual([T0, T0 + 50 * MIN]);
    // 10-minute steps from 00:40 UTC
    expect(a.ticks.map((t) => new Date(t).toISOString().slice(11, 16))).toEqual([
      '00:40',
      '00:50',
      '01:00',
      '01:10',
      '01:20',
    ]);
    // UTC+1 (offset 60 minutes): still round on the local clock
    const b = timeAxis(T0, T0 + 5 * 60 * MIN, 5, 60);
    expect(b.ticks.every((t) => (t + 60 * MIN) % (60 * MIN) === 0)).toBe(true);
  });

  it('a span shorter than any round step still gets its two ends', () => {
    const a = timeAxis(T0 + 1, T0 + 3);
    expect(a.ticks.length).toBeGreaterThanOrEqual(2);
  });

  it('labels that repeat are dropped (never the same text twice on an axis)', () => {
    const fmt = (ms: number) => new Date(ms).toISOString().slice(11, 19);
    expect(tickLabels([T0, T0 + 1, T0 + 2], fmt)).toEqual([{ value: T0, label: '00:35:16' }]);
    expect(tickLabels([T0, T0 + 1000], fmt).map((t) => t.label)).toEqual(['00:35:16', '00:35:17']);
  });

  it('time labels are 24-hour: the clock within a day, the date beyond', () => {
    const local = new Date(2026, 11, 6, 15, 5, 9).getTime();
    expect(timeFormat(MIN)(local)).toBe('15:05:09');
    expect(timeFormat(3 * 24 * 60 * MIN)(local)).toBe('12-06 15:05');
  });
});

describe('threshold lines', () => {
  it('widen the value range so the line is on the chart', () => {
    const pts = [
      { x: 1, y: 0.4 },
      { x: 2, y: 0.9 },
      { x: 3, y: null },
    ];
    expect(valueRange(pts)).toEqual({ min: 0.4, max: 0.9 });
    expect(valueRange(pts, [0.05])).toEqual({ min: 0.05, max: 0.9 });
    expect(valueRange([{ x: 1, y: null }], [])).toBeNull();
    const axis = numberAxis(0.05, 0.9);
    expect(axis.domain[0]).toBeLessThanOrEqual(0.05);
  });
});
