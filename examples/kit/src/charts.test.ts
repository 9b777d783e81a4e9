import { describe, expect, it } from 'vitest';
import { barChart, confusionHeatmap, curveChart, driftFigures, esc, lineChart, textWidth } from './charts.js';

const count = (s: string, re: RegExp) => (s.match(re) ?? []).length;

describe('inline SVG charts', () => {
  it('esc escapes markup', () => {
    expect(esc('<a href="x">&\'</a>')).toBe('&#60;a href=&#34;x&#34;&#62;&#38;&#39;&#60;/a&#62;');
  });

  it('barChart draws one bar per item, widths proportional to the value, labels escaped', () => {
    const svg = barChart(
      [
        { label: 'full <b>', value: 1 },
        { label: 'half', value: 0.5 },
      ],
      { max: 1, width: 400, noteWidth: 60 },
    );
    const widths = [...svg.matchAll(/<rect [^>]*width="([\d.]+)"/g)].map((m) => Number(m[1]));
    expect(widths).toHaveLength(2);
    expect(widths[0]! / widths[1]!).toBeCloseTo(2, 5);
    expect(svg).toContain('full &#60;b&#62;');
    expect(svg).not.toContain('<b>');
  });

  it('confusionHeatmap has a cell per pair with its count', () => {
    const svg = confusionHeatmap(
      ['pass', 'fail'],
      [
        [90, 3],
        [4, 7],
      ],
    );
    expect(count(svg, /<rect /g)).toBe(4);
    for (const v of [90, 3, 4, 7]) expect(svg).toContain(`>${v}</text>`);
  });

  it('confusionHeatmap: a small matrix has no blank band above and its caption fits the width', () => {
    const svg = confusionHeatmap(
      ['pass', 'fail'],
      [
        [90, 3],
        [4, 7],
      ],
    );
    const width = Number(svg.match(/width="(\d+)"/)![1]);
    const firstCellY = Number(svg.match(/<rect x="[\d.]+" y="([\d.]+)"/)![1]);
    // caption line + the rotated 4-letter labels, not a fixed 120 px
    expect(firstCellY).toBeLessThan(80);
    const caption = svg.match(/<text x="0" y="14"[^>]*>([^<]+)</)![1]!;
    expect(caption).toContain('rows: true class');
    expect(textWidth(caption)).toBeLessThanOrEqual(width);
    // long labels push the cells down and right rather than leaving the chart
    const long = confusionHeatmap(
      ['Administrative rights', 'x'],
      [
        [1, 0],
        [0, 1],
      ],
    );
    const longTop = Number(long.match(/<rect x="[\d.]+" y="([\d.]+)"/)![1]);
    expect(longTop).toBeGreaterThan(firstCellY + textWidth('Administrative rights') * Math.SQRT1_2 - textWidth('pass'));
    const left = Number(long.match(/<rect x="([\d.]+)"/)![1]);
    expect(left).toBeGreaterThanOrEqual(textWidth('Administrative rights') + 8);
  });

  it('barChart makes its label and note columns as wide as their longest text', () => {
    const label = 'a very long sensor name (shifted)';
    const note = 'ks 0.912, p = 3.1e-20 (drift if p ≤ 0.05) drifted';
    const svg = barChart([{ label, value: 0.9, note }], { max: 1, width: 300, noteWidth: 40 });
    const width = Number(svg.match(/width="(\d+)"/)![1]);
    const barX = Number(svg.match(/<rect x="([\d.]+)"/)![1]);
    expect(barX - 8 - textWidth(label)).toBeGreaterThanOrEqual(0);
    const noteX = Number(svg.match(/<text x="([\d.]+)" y="[\d.]+" font-size="12">ks/)![1]);
    expect(noteX + textWidth(note)).toBeLessThanOrEqual(width);
    expect(svg).toContain(`viewBox="0 0 ${width} `);
  });

  it('driftFigures shows the statistic and a readable p-value, never "0.000"', () => {
    const base = { test: 'ks', testKind: 'p-value' as const, threshold: 0.05, drifted: true };
    expect(driftFigures({ ...base, statistic: 0.4123, pValue: 3.1e-20, score: 3.1e-20 })).toBe(
      'ks 0.412, p = 3.1e-20 (drift if p ≤ 0.05) drifted',
    );
    expect(driftFigures({ ...base, statistic: 0.9, pValue: 0, score: 0 })).toBe(
      'ks 0.9, p < 1e-300 (drift if p ≤ 0.05) drifted',
    );
    expect(
      driftFigures({
        test: 'wasserstein',
        testKind: 'distance',
        statistic: 0.2,
        pValue: null,
        score: 0.2,
        threshold: 0.1,
        drifted: true,
      }),
    ).toBe('wasserstein 0.2 (drift if ≥ 0.1) drifted');
  });

  it('curveChart maps the unit square to the plot (0,0 bottom left, 1,1 top right) and draws the marker', () => {
    const svg = curveChart(
      [
        {
          label: 'roc',
          points: [
            [0, 0],
            [1, 1],
          ],
          color: '#000',
        },
      ],
      { xLabel: 'fpr', yLabel: 'tpr', marker: { x: 0.5, y: 0.5, label: 'here' } },
    );
    expect(svg).toContain('points="50.0,310.0 350.0,10.0"');
    expect(svg).toContain('<circle cx="200.0" cy="160.0"');
    expect(svg).toContain('here');
  });

  it('lineChart draws a line per series, leaves a gap at null values, and places the marker between categories', () => {
    const svg = lineChart(
      ['w1', 'w2', 'w3', 'w4'],
      [
        { label: 'recall', values: [0, 0.5, 1, 1], color: '#111' },
        { label: 'precision', values: [0.2, null, 0.4, 0.6], color: '#222', dashed: true },
      ],
      { title: 'metrics over time', marker: { at: 2, label: 'drift' } },
    );
    // recall: one polyline through all four points; precision: the gap leaves only w3–w4 as a line.
    const lines = [...svg.matchAll(/<polyline [^>]*points="([^"]+)"/g)].map((m) => m[1]!.split(' '));
    expect(lines.map((l) => l.length)).toEqual([4, 2]);
    // y = 0 is the bottom of the plot (top 30 + height 240), y = 1 the top.
    expect(lines[0]![0]).toBe('50.0,270.0');
    expect(lines[0]![2]).toBe(`${(50 + (2 * 520) / 3).toFixed(1)},30.0`);
    expect(count(svg, /<circle /g)).toBe(7);
    expect(svg).toContain('stroke-dasharray="6 4"');
    // The marker sits halfway between w2 and w3.
    expect(svg).toContain(`x1="${(50 + (1.5 * 520) / 3).toFixed(1)}"`);
    expect(svg).toContain('metrics over time');
  });
});
