import { z } from 'zod';
import { COLUMN_TYPES } from '../profile/input.js';

/** The envelope `kind` of a drift report. */
export const DRIFT_REPORT_KIND = 'mlops.drift/report';
/**
 * The drift report schema version written by this release. Version 2 added `dataset.status`, the `schema` account
 * of the current data's columns, and made `dataset.drifted` null for a broken feed.
 */
export const DRIFT_REPORT_SCHEMA_VERSION = 2;

/**
 * The dataset verdicts: `ok` (tested, no dataset drift), `drifted` (the share of drifted features reached the
 * threshold) and `broken` (a column the reference has could not be tested because of the current data: missing,
 * type changed or empty, or no rows at all). A broken feed is an alert of its own, never "no drift" and never a
 * reason to retrain.
 */
export const DATASET_STATUSES = ['ok', 'drifted', 'broken'] as const;
/** One of {@link DATASET_STATUSES}. */
export type DatasetStatus = (typeof DATASET_STATUSES)[number];

/** Names of the drift tests `detectDrift` can run on a column. */
export const DRIFT_TEST_NAMES = [
  'ks',
  'wasserstein',
  'psi',
  'chi-square',
  'z-test',
  'jensen-shannon',
  'kl-divergence',
  'hellinger',
  'total-variation',
  'energy',
  'anderson-darling',
  'cramer-von-mises',
  'domain-classifier',
] as const;
/** One of {@link DRIFT_TEST_NAMES}. */
export type DriftTestName = (typeof DRIFT_TEST_NAMES)[number];

const count = z.number().int().nonnegative();

/** Reference and current histograms of one column, as counts over shared bins or categories. */
export const driftHistogramSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('numeric'),
    edges: z.array(z.number()),
    reference: z.array(count),
    current: z.array(count),
  }),
  z.object({
    kind: z.literal('categorical'),
    labels: z.array(z.string()),
    reference: z.array(count),
    current: z.array(count),
  }),
]);

/** Text-specific figures of a free-text column. */
export const textDriftSchema = z.object({
  /** ROC-AUC of the reference-vs-current domain classifier on its held-out half. */
  auc: z.number(),
  /** 95th percentile of the AUC under random permutations of the held-out labels (the no-drift baseline). */
  permutationBaseline: z.number(),
  /** Jensen–Shannon distance (natural log) between the token distributions over the most frequent tokens. */
  tokenDistance: z.number(),
  /** Share of current tokens never seen in the reference. */
  outOfVocabularyRate: z.number(),
  /** Tokens most typical of the current data (highest current-vs-reference weight in the classifier). */
  topCurrentTokens: z.array(z.string()),
});

/** Drift result of one column. */
export const columnDriftSchema = z.object({
  column: z.string(),
  type: z.enum(COLUMN_TYPES),
  role: z.enum(['feature', 'target', 'prediction']),
  test: z.enum(DRIFT_TEST_NAMES),
  /** `p-value`: drift when pValue ≤ threshold; `distance`: drift when score ≥ threshold. */
  testKind: z.enum(['p-value', 'distance']),
  /** The test statistic (KS D, chi-square, z, …) or the distance itself; null when infinite. */
  statistic: z.number().nullable(),
  pValue: z.number().nullable(),
  /** Evidently's drift score: the p-value for p-value tests, the distance otherwise. */
  score: z.number(),
  threshold: z.number(),
  drifted: z.boolean(),
  reference: z.object({ size: count, missing: count }),
  current: z.object({ size: count, missing: count }),
  histogram: driftHistogramSchema,
  text: textDriftSchema.optional(),
});

/**
 * How the current data's columns compare with the reference's (the columns in scope: `include`, minus `exclude`).
 * `missing`, `typeChanged` and `empty` make the feed broken; `new` and `converted` are warnings.
 */
export const schemaCheckSchema = z.object({
  /** Reference columns absent from the current data (a renamed column shows here and in `new`). */
  missing: z.array(z.string()),
  /** Current columns the reference does not have: not tested, and harmless by themselves. */
  new: z.array(z.string()),
  /** Columns with values that cannot be read as the reference type; they are not tested. */
  typeChanged: z.array(
    z.object({
      column: z.string(),
      /** The reference type. */
      expected: z.enum(COLUMN_TYPES),
      /** JavaScript kinds of the unreadable values (`string`, `object`, `array`, `date`, `boolean`, …). */
      found: z.array(z.string()),
      /** Present values that could not be read as `expected`. */
      invalid: count,
      /** Up to three of them, as text. */
      examples: z.array(z.string()),
    }),
  ),
  /** Columns present with no non-missing value (all null/NaN), or every column when the current data has no rows. */
  empty: z.array(z.string()),
  /** Values converted to the reference type and tested (e.g. numbers that arrived as decimal strings), by column and kind. */
  converted: z.array(z.object({ column: z.string(), from: z.string(), to: z.enum(COLUMN_TYPES), count })),
});

/** The versioned result of `detectDrift`: `{ kind: 'mlops.drift/report', schemaVersion: 2, ... }`. */
export const driftReportSchema = z.object({
  kind: z.literal(DRIFT_REPORT_KIND),
  schemaVersion: z.literal(DRIFT_REPORT_SCHEMA_VERSION),
  createdAt: z.string().optional(),
  dataset: z
    .object({
      /** The verdict: `ok`, `drifted` or `broken` (see {@link DATASET_STATUSES}). Read this, not `drifted` alone. */
      status: z.enum(DATASET_STATUSES),
      /** True when `share ≥ threshold`; null when the feed is broken (no verdict on a feed that could not be tested). */
      drifted: z.boolean().nullable(),
      /** Drifted feature columns over tested feature columns. */
      share: z.number(),
      driftedColumns: count,
      /** Feature columns tested. */
      columns: count,
      threshold: z.number(),
    })
    .refine(
      (d) => (d.status === 'broken' ? d.drifted === null : d.drifted === (d.status === 'drifted')),
      'dataset.drifted must be null when broken, true when drifted and false when ok',
    ),
  /** The current data's columns against the reference's: what is missing, new, retyped, empty or converted. */
  schema: schemaCheckSchema,
  /** Drift of the target column, when one is mapped and present in both datasets. */
  targetDrift: z.boolean().nullable(),
  /** Drift of the prediction column, when one is mapped and present in both datasets. */
  predictionDrift: z.boolean().nullable(),
  reference: z.object({ rows: count }),
  current: z.object({ rows: count }),
  columns: z.array(columnDriftSchema),
  /** Columns that were not tested, with the reason (missing from current data, type changed, empty, datetime, too little data). */
  skipped: z.array(z.object({ column: z.string(), reason: z.string() })),
});

/** A drift report (see {@link driftReportSchema}). */
export type DriftReport = z.infer<typeof driftReportSchema>;
/** The current data's columns against the reference's (see {@link schemaCheckSchema}). */
export type SchemaCheck = z.infer<typeof schemaCheckSchema>;
/** Drift result of one column. */
export type ColumnDrift = z.infer<typeof columnDriftSchema>;
/** Reference and current histograms of one column. */
export type DriftHistogram = z.infer<typeof driftHistogramSchema>;
/** Text drift figures of one column. */
export type TextDrift = z.infer<typeof textDriftSchema>;
