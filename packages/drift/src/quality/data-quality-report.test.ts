import { describe, expect, it } from 'vitest';
import { dataQualityReport } from './data-quality-report.js';
import { renderQualityReportHtml } from './render-quality-report-html.js';
import { qualityReportSchema } from './schema.js';

const rows = 40;
const data = {
  value: Array.from({ length: rows }, (_, i) => (i === 0 ? 1000 : i === 1 ? null : i % 10)),
  constant: Array.from({ length: rows }, () => 'x'),
  mostlyA: Array.from({ length: rows }, (_, i) => (i === 0 ? 'b' : 'a')),
  label: Array.from({ length: rows }, (_, i) => (i % 4 === 0 ? 1 : 0)),
  note: Array.from(
    { length: rows },
    (_, i) => `ticket number ${i} says the printer is broken${i % 2 ? ' again today' : ''}`,
  ),
};

describe('dataQualityReport', () => {
  const report = dataQualityReport(data, { columnMapping: { target: 'label' } });
  const col = (name: string) => report.columns.find((c) => c.name === name)!;

  it('rejects options out of range with INVALID_INPUT (bins: 1e9 ran the process out of memory)', () => {
    const data = { x: [1, 2, 3, 4], c: ['a', 'b', 'a', 'b'] };
    for (const options of [
      { bins: 0 },
      { bins: Number.NaN },
      { bins: 1e9 },
      { bins: 2.5 },
      { topCategories: -1 },
      { almostConstantThreshold: 2 },
      { almostConstantThreshold: Number.NaN },
      { maxNumericClasses: -1 },
      { bogus: 1 },
    ]) {
      expect(() => dataQualityReport(data, options as never), JSON.stringify(options)).toThrow(
        expect.objectContaining({
          name: 'DriftError',
          code: 'INVALID_INPUT',
          message: expect.stringContaining(Object.keys(options)[0]!),
        }),
      );
    }
  });

  it('validates against its schema and survives JSON', () => {
    expect(qualityReportSchema.parse(JSON.parse(JSON.stringify(report)))).toEqual(report);
  });

  it('counts missing and distinct values', () => {
    expect(col('value').missing).toBe(1);
    expect(col('value').missingShare).toBeCloseTo(1 / rows, 12);
    expect(col('value').distinct).toBe(11); // 0..9 and 1000
    expect(report.summary.missingCells).toBe(1);
  });

  it('flags constant and almost-constant columns', () => {
    expect(report.summary.constantColumns).toEqual(['constant']);
    expect(report.summary.almostConstantColumns).toEqual(['mostlyA']);
    expect(col('mostlyA').mostCommon).toEqual({ value: 'a', count: 39, share: 39 / 40 });
  });

  it('finds IQR outliers', () => {
    const n = col('value').numeric!;
    expect(n.outliers.count).toBe(1);
    expect(n.outliers.upper).toBeCloseTo(n.q75 + 1.5 * (n.q75 - n.q25), 12);
  });

  it('measures the shape (skewness, excess kurtosis) and finds MAD outliers, as scipy does', () => {
    // scipy 1.10: stats.skew(v, bias=False), stats.kurtosis(v, bias=False), stats.median_abs_deviation(v)
    const n = col('value').numeric!;
    expect(n.shape!.skewness).toBeCloseTo(6.2419726581671835, 9);
    expect(n.shape!.kurtosis).toBeCloseTo(38.974168527016985, 9);
    expect(n.madOutliers).toEqual({ median: 5, mad: 2, threshold: 3.5, count: 1, share: 1 / (rows - 1) });
    const html = renderQualityReportHtml(report);
    expect(html).toContain('skewness 6.24');
    expect(html).toMatch(/MAD outliers[^<]*1 \(2\.6 ?%\)/);
  });

  it('builds histograms over all non-missing values', () => {
    const h = col('value').histogram!;
    expect(h.kind).toBe('numeric');
    expect(h.counts.reduce((s, x) => s + x, 0)).toBe(rows - 1);
    if (h.kind === 'numeric') expect(h.edges).toHaveLength(h.counts.length + 1);
  });

  it('reports the class balance of the target', () => {
    expect(report.target).toEqual({
      column: 'label',
      classes: [
        { value: '0', count: 30, share: 0.75 },
        { value: '1', count: 10, share: 0.25 },
      ],
      imbalanceRatio: 3,
    });
  });

  it('measures text lengths', () => {
    const t = col('note');
    expect(t.type).toBe('text');
    expect(t.text!.minLength).toBe('ticket number 0 says the printer is broken'.length);
    expect(t.text!.maxLength).toBe('ticket number 39 says the printer is broken again today'.length);
  });

  it('counts duplicate and empty rows', () => {
    const r = dataQualityReport([{ a: 1, b: 'x' }, { a: 1, b: 'x' }, { a: null }, {}]);
    expect(r.summary.duplicateRows).toBe(2); // one repeat of the first row, and {a: null} equals {}
    expect(r.summary.emptyRows).toBe(2);
  });
});

describe('renderQualityReportHtml', () => {
  it('shows empty columns and an empty dataset as alerts, never as merely "constant"', () => {
    const r = dataQualityReport({ ok: [1, 2, 3], gone: [null, Number.NaN, undefined] });
    expect(r.summary.emptyColumns).toEqual(['gone']);
    const html = renderQualityReportHtml(r);
    expect(html).toMatch(/<div class="alert" role="alert">.*Empty columns.*gone/s);
    expect(html).toMatch(/<tr><td>gone<\/td>.*<td>empty<\/td><\/tr>/);
    expect(html).not.toMatch(/<tr><td>gone<\/td>[^\n]*constant/);
    const none = renderQualityReportHtml(dataQualityReport([]));
    expect(none).toMatch(/role="alert">.*The data has no rows/s);
    expect(renderQualityReportHtml(dataQualityReport(data))).not.toContain('role="alert"');
  });

  it('draws an inline SVG per column, escapes names and links nothing external', () => {
    const html = renderQualityReportHtml(dataQualityReport({ ...data, '<script>alert(1)</script>': [...data.value] }));
    expect(html.match(/<svg /g)?.length).toBe(Object.keys(data).length + 1);
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).not.toMatch(/\b(src|href)=/);
  });
});
