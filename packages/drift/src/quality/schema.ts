import { z } from 'zod';
import { COLUMN_TYPES } from '../profile/input.js';
import { numericSummarySchema } from '../profile/schema.js';

/** The envelope `kind` of a data-quality report. */
export const QUALITY_REPORT_KIND = 'mlops.drift/quality-report';

const count = z.number().int().nonnegative();
const share = z.number().min(0).max(1);

/** A histogram: numeric (bin edges, `counts.length + 1` of them) or categorical (labels, one per count). */
export const qualityHistogramSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('numeric'), edges: z.array(z.number()), counts: z.array(count) }),
  z.object({ kind: z.literal('categorical'), labels: z.array(z.string()), counts: z.array(count) }),
]);

/** Quality figures of one column. */
export const qualityColumnSchema = z.object({
  name: z.string(),
  type: z.enum(COLUMN_TYPES),
  role: z.enum(['feature', 'target', 'prediction']),
  count,
  missing: count,
  missingShare: share,
  distinct: count,
  distinctShare: share,
  /** At most one distinct non-missing value. */
  constant: z.boolean(),
  /** The most common value covers at least `almostConstantThreshold` of the non-missing values. */
  almostConstant: z.boolean(),
  mostCommon: z.object({ value: z.string(), count, share }).nullable(),
  numeric: numericSummarySchema
    .extend({
      iqr: z.number(),
      outliers: z.object({ count, share, lower: z.number(), upper: z.number() }),
      /**
       * Skewness (adjusted Fisher–Pearson, scipy's `skew(bias=False)`) and excess kurtosis (scipy's
       * `kurtosis(bias=False)`); `null` with too few values (3 and 4) or no spread. Absent in older stored reports.
       */
      shape: z.object({ skewness: z.number().nullable(), kurtosis: z.number().nullable() }).optional(),
      /**
       * Robust outliers: |0.6745 (x − median) / MAD| > `threshold` (Iglewicz–Hoaglin modified z-score). None when the
       * MAD is 0 (more than half the values are equal). Absent in older stored reports.
       */
      madOutliers: z.object({ median: z.number(), mad: z.number(), threshold: z.number(), count, share }).optional(),
    })
    .nullable()
    .optional(),
  text: z
    .object({
      meanLength: z.number(),
      minLength: count,
      maxLength: count,
      meanTokens: z.number(),
      vocabularySize: count,
      lengthHistogram: qualityHistogramSchema,
    })
    .optional(),
  histogram: qualityHistogramSchema.nullable(),
});

/** Evidently-style data-quality report: dataset summary, per-column quality and the target's class balance. */
export const qualityReportSchema = z.object({
  kind: z.literal(QUALITY_REPORT_KIND),
  schemaVersion: z.literal(1),
  createdAt: z.string().optional(),
  summary: z.object({
    rows: count,
    columns: count,
    columnsByType: z.record(z.string(), count),
    missingCells: count,
    missingShare: share,
    duplicateRows: count,
    emptyRows: count,
    constantColumns: z.array(z.string()),
    almostConstantColumns: z.array(z.string()),
    emptyColumns: z.array(z.string()),
  }),
  target: z
    .object({
      column: z.string(),
      classes: z.array(z.object({ value: z.string(), count, share })).nullable(),
      /** Most frequent class count over least frequent class count. */
      imbalanceRatio: z.number().nullable(),
    })
    .nullable(),
  columns: z.array(qualityColumnSchema),
});

/** A data-quality report (see {@link qualityReportSchema}). */
export type QualityReport = z.infer<typeof qualityReportSchema>;
/** Quality figures of one column. */
export type QualityColumn = z.infer<typeof qualityColumnSchema>;
/** A numeric or categorical histogram. */
export type QualityHistogram = z.infer<typeof qualityHistogramSchema>;
