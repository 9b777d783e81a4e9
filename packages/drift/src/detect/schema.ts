import { z } from 'zod';
import { COLUMN_TYPES } from '../profile/input.js';

/** The envelope `kind` of a drift report. */
export const DRIFT_REPORT_KIND = 'mlops.drift/report';
/** The drift report schema version written by this release. */
export const DRIFT_REPORT_SCHEMA_VERSION = 1;

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

/** The versioned result of `detectDrift`: `{ kind: 'mlops.drift/report', schemaVersion: 1, ... }`. */
export const driftReportSchema = z.object({
  kind: z.literal(DRIFT_REPORT_KIND),
  schemaVersion: z.literal(DRIFT_REPORT_SCHEMA_VERSION),
  createdAt: z.string().optional(),
  dataset: z.object({
    /** True when `share ≥ threshold`. */
    drifted: z.boolean(),
    /** Drifted feature columns over tested feature columns. */
    share: z.number(),
    driftedColumns: count,
    columns: count,
    threshold: z.number(),
  }),
  /** Drift of the target column, when one is mapped and present in both datasets. */
  targetDrift: z.boolean().nullable(),
  /** Drift of the prediction column, when one is mapped and present in both datasets. */
  predictionDrift: z.boolean().nullable(),
  reference: z.object({ rows: count }),
  current: z.object({ rows: count }),
  columns: z.array(columnDriftSchema),
  /** Columns that were not tested, with the reason (missing from current data, datetime, empty). */
  skipped: z.array(z.object({ column: z.string(), reason: z.string() })),
});

/** A drift report (see {@link driftReportSchema}). */
export type DriftReport = z.infer<typeof driftReportSchema>;
/** Drift result of one column. */
export type ColumnDrift = z.infer<typeof columnDriftSchema>;
/** Reference and current histograms of one column. */
export type DriftHistogram = z.infer<typeof driftHistogramSchema>;
/** Text drift figures of one column. */
export type TextDrift = z.infer<typeof textDriftSchema>;
