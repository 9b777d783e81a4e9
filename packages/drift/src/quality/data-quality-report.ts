import { median, medianAbsoluteDeviation, sampleKurtosis, sampleSkewness } from 'simple-statistics';
import { z } from 'zod';
import { parseOptions } from '../_internal/options.js';
import { type ColumnMapping, type DataInput, resolveColumns, toRawColumns, typeColumn } from '../profile/input.js';
import { countValues, equalEdges, histogram, summarize } from '../profile/summary.js';
import { tokenize } from '../profile/tokenize.js';
import { QUALITY_REPORT_KIND, type QualityColumn, type QualityReport } from './schema.js';

/** Options of {@link dataQualityReport}. */
export interface QualityReportOptions {
  /** Column type overrides and the target/prediction columns. @default types inferred from the values */
  columnMapping?: ColumnMapping;
  /** Bins of numeric histograms. @default 20 */
  bins?: number;
  /** Categories shown in categorical histograms (the rest are summed as "other"). @default 20 */
  topCategories?: number;
  /** Share of the most common value from which a column counts as almost constant. @default 0.95 */
  almostConstantThreshold?: number;
  /** Targets with at most this many distinct numeric values are treated as classes. @default 20 */
  maxNumericClasses?: number;
  /** Timestamp recorded in the report. @default undefined */
  createdAt?: string;
}

const OTHER = '(other)';
/** Iglewicz and Hoaglin's cut-off for the modified z-score. */
const MAD_THRESHOLD = 3.5;

const finiteOrNull = (x: number) => (Number.isFinite(x) ? x : null);

/** Skewness and excess kurtosis, bias-corrected as scipy's `skew`/`kurtosis(bias=False)` (simple-statistics). */
function shapeOf(values: Float64Array): { skewness: number | null; kurtosis: number | null } {
  const x = Array.from(values);
  return {
    skewness: x.length >= 3 ? finiteOrNull(sampleSkewness(x)) : null,
    kurtosis: x.length >= 4 ? finiteOrNull(sampleKurtosis(x)) : null,
  };
}

/** Values whose modified z-score 0.6745 (x − median) / MAD exceeds {@link MAD_THRESHOLD} (simple-statistics). */
function madOutliers(values: Float64Array, present: number) {
  const x = Array.from(values);
  const med = median(x);
  const mad = medianAbsoluteDeviation(x);
  let count = 0;
  if (mad > 0) {
    for (const v of x) if (Math.abs((0.6745 * (v - med)) / mad) > MAD_THRESHOLD) count++;
  }
  return { median: med, mad, threshold: MAD_THRESHOLD, count, share: present > 0 ? count / present : 0 };
}

const qualityOptionsSchema = z.strictObject({
  columnMapping: z.unknown().optional(),
  bins: z.number().int().min(1).max(10_000).optional(),
  topCategories: z.number().int().min(0).max(10_000_000).optional(),
  almostConstantThreshold: z.number().min(0).max(1).optional(),
  maxNumericClasses: z.number().int().min(0).optional(),
  createdAt: z.string().optional(),
});

/**
 * Computes Evidently's data-quality preset: missing and distinct values, constant columns, IQR outliers, distributions,
 * text lengths and class balance; for numeric columns also skewness, excess kurtosis and MAD (modified z-score)
 * outliers, computed with simple-statistics.
 */
export function dataQualityReport(data: DataInput, options: QualityReportOptions = {}): QualityReport {
  parseOptions(qualityOptionsSchema, options, 'dataQualityReport');
  const bins = options.bins ?? 20;
  const topCategories = options.topCategories ?? 20;
  const almost = options.almostConstantThreshold ?? 0.95;
  const maxClasses = options.maxNumericClasses ?? 20;
  const { rows, columns: raw } = toRawColumns(data);
  const resolved = resolveColumns(raw, options.columnMapping);

  const rowKeys = new Map<string, number>();
  let emptyRows = 0;
  for (let r = 0; r < rows; r++) {
    const cells = resolved.map((c) => normalizeCell(c.values[r]));
    if (cells.every((v) => v === null)) emptyRows++;
    const key = JSON.stringify(cells);
    rowKeys.set(key, (rowKeys.get(key) ?? 0) + 1);
  }
  let duplicateRows = 0;
  for (const n of rowKeys.values()) duplicateRows += n - 1;

  const columns: QualityColumn[] = [];
  let missingCells = 0;
  const byType: Record<string, number> = {};
  let target: QualityReport['target'] = null;
  for (const r of resolved) {
    const c = typeColumn(r.name, r.type, r.role, r.values);
    missingCells += c.missing;
    byType[c.type] = (byType[c.type] ?? 0) + 1;
    const present = c.rows - c.missing;
    const valueCounts = c.numbers ? countValues(Array.from(c.numbers, String)) : countValues(c.strings ?? []);
    const top = valueCounts[0];
    const col: QualityColumn = {
      name: c.name,
      type: c.type,
      role: c.role,
      count: c.rows,
      missing: c.missing,
      missingShare: c.rows > 0 ? c.missing / c.rows : 0,
      distinct: valueCounts.length,
      distinctShare: present > 0 ? valueCounts.length / present : 0,
      constant: valueCounts.length <= 1,
      almostConstant: top !== undefined && top.count / present >= almost,
      mostCommon: top ? { value: top.value, count: top.count, share: top.count / present } : null,
      histogram: null,
    };
    if (c.numbers) {
      const s = summarize(c.numbers);
      if (s) {
        const iqr = s.q75 - s.q25;
        const lower = s.q25 - 1.5 * iqr;
        const upper = s.q75 + 1.5 * iqr;
        let outliers = 0;
        for (let i = 0; i < c.numbers.length; i++) {
          const x = c.numbers[i] as number;
          if (x < lower || x > upper) outliers++;
        }
        col.numeric = {
          ...s,
          iqr,
          outliers: { count: outliers, share: outliers / present, lower, upper },
          shape: shapeOf(c.numbers),
          madOutliers: madOutliers(c.numbers, present),
        };
        const edges = equalEdges(s.min, s.max, bins);
        col.histogram = {
          kind: 'numeric',
          edges,
          counts: histogram(c.numbers, edges[0] as number, edges[bins] as number, bins),
        };
      } else col.numeric = null;
    } else if (c.type === 'text') {
      const texts = c.strings ?? [];
      const lengths = Float64Array.from(texts, (t) => t.length);
      const vocabulary = new Set<string>();
      let tokens = 0;
      for (const t of texts) {
        const words = tokenize(t);
        tokens += words.length;
        for (const w of words) vocabulary.add(w);
      }
      const s = summarize(lengths);
      const edges = equalEdges(s?.min ?? 0, s?.max ?? 0, bins);
      col.text = {
        meanLength: s?.mean ?? 0,
        minLength: s?.min ?? 0,
        maxLength: s?.max ?? 0,
        meanTokens: texts.length > 0 ? tokens / texts.length : 0,
        vocabularySize: vocabulary.size,
        lengthHistogram: {
          kind: 'numeric',
          edges,
          counts: histogram(lengths, edges[0] as number, edges[bins] as number, bins),
        },
      };
      col.histogram = col.text.lengthHistogram;
    } else {
      const shown = valueCounts.slice(0, topCategories);
      const rest = valueCounts.slice(topCategories).reduce((s, x) => s + x.count, 0);
      col.histogram = {
        kind: 'categorical',
        labels: [...shown.map((x) => x.value), ...(rest > 0 ? [OTHER] : [])],
        counts: [...shown.map((x) => x.count), ...(rest > 0 ? [rest] : [])],
      };
    }
    if (c.role === 'target') {
      const isClasses = c.type !== 'text' && (!c.numbers || valueCounts.length <= maxClasses);
      const classes = isClasses
        ? valueCounts.map((x) => ({ value: x.value, count: x.count, share: present > 0 ? x.count / present : 0 }))
        : null;
      const counts = classes?.map((x) => x.count) ?? [];
      target = {
        column: c.name,
        classes,
        imbalanceRatio: counts.length > 0 ? Math.max(...counts) / Math.min(...counts) : null,
      };
    }
    columns.push(col);
  }
  const cells = rows * columns.length;
  const report: QualityReport = {
    kind: QUALITY_REPORT_KIND,
    schemaVersion: 1,
    summary: {
      rows,
      columns: columns.length,
      columnsByType: byType,
      missingCells,
      missingShare: cells > 0 ? missingCells / cells : 0,
      duplicateRows,
      emptyRows,
      constantColumns: columns.filter((c) => c.constant).map((c) => c.name),
      almostConstantColumns: columns.filter((c) => c.almostConstant && !c.constant).map((c) => c.name),
      emptyColumns: columns.filter((c) => c.count > 0 && c.missing === c.count).map((c) => c.name),
    },
    target,
    columns,
  };
  if (options.createdAt !== undefined) report.createdAt = options.createdAt;
  return report;
}

function normalizeCell(v: unknown): unknown {
  if (v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v))) return null;
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'bigint') return String(v);
  return v;
}
