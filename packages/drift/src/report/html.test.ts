import { describe, expect, it } from 'vitest';
import { barChartSvg, labelWidth } from './html.js';

/** Where each rotated label starts (its left end) and how far down it reaches, from the SVG's own numbers. */
function labelExtents(svg: string, angle = 30) {
  const cos = Math.cos((angle * Math.PI) / 180);
  const sin = Math.sin((angle * Math.PI) / 180);
  return [...svg.matchAll(/<text x="([\d.]+)" y="([\d.]+)" text-anchor="end" transform="rotate[^"]*">([^<]*)/g)].map(
    (m) => {
      const w = labelWidth(m[3]!);
      return { left: Number(m[1]) - w * cos, bottom: Number(m[2]) + w * sin, text: m[3]! };
    },
  );
}

describe('barChartSvg', () => {
  it('reserves room for rotated category labels: the first label starts inside the chart, none falls off the bottom', () => {
    const svg = barChartSvg({
      title: 'categories',
      labels: ['Hardware', 'Access', 'Miscellaneous', 'HR Support', 'Purchase'],
      series: [{ name: 'share', values: [0.3, 0.2, 0.2, 0.2, 0.1], color: '#000' }],
      showLabels: true,
    });
    const height = Number(svg.match(/height="(\d+)"/)![1]);
    const extents = labelExtents(svg);
    expect(extents.map((e) => e.text)).toEqual(['Hardware', 'Access', 'Miscellan…', 'HR Support', 'Purchase']);
    for (const e of extents) {
      expect(e.left).toBeGreaterThanOrEqual(0);
      expect(e.bottom).toBeLessThanOrEqual(height);
    }
    // the full name of a shortened label is in its tooltip
    expect(svg).toContain('<title>Miscellaneous</title>');
  });

  it('numeric histograms (no rotated labels) keep the full width and their height', () => {
    const svg = barChartSvg({
      title: 'x',
      labels: ['0 – 1', '1 – 2'],
      series: [{ name: 'share', values: [0.5, 0.5], color: '#000' }],
      axis: ['0', '2'],
    });
    expect(svg).toContain('height="150"');
    expect(svg).toContain('<line x1="4"');
  });
});
