import { type ClassLabel, evaluatePerformance, type PerformanceMetric } from '@mlops/core/metrics';
import type { LabelledPrediction, PredictionRecord } from '@mlops/core/predictions';
import {
  type ColumnProfile,
  type ColumnType,
  type DriftOptions,
  type DriftReport,
  type DriftTestName,
  detectDrift,
  isNumberText,
  MISSING_MARKERS,
  type Profile,
  type SchemaCheck,
} from '@mlops/drift';
import { isProbabilityRow } from './calibration/_probabilities.js';
import type { Calibrator } from './calibration/calibrator.js';
import { estimatePerformance, type PerformanceEstimate } from './estimate/estimate.js';
import type { ResolvedMonitoringSettings } from './settings.js';

/**
 * The verdicts of a monitoring window: `ok` (tested, no dataset drift), `drifted` (the share of drifted features
 * reached `driftShare`), `broken` (the feed cannot be tested: a reference feature is missing from every logged input,
 * arrives with another type, or is empty — including "no input column of the window is in the reference profile";
 * never "no drift", and never a reason to retrain), `insufficient` (fewer than `minSamples` predictions, or no
 * feature in scope could be tested: nothing about drift is claimed) and
 * `no-reference` (the model version has no reference profile).
 */
export const MONITORING_STATUSES = ['ok', 'drifted', 'broken', 'insufficient', 'no-reference'] as const;
/** One of {@link MONITORING_STATUSES}. */
export type MonitoringStatus = (typeof MONITORING_STATUSES)[number];

/** `detectDrift` options a caller may pass (the dataset share and the columns come from the settings). */
export type WindowDriftOptions = Omit<DriftOptions, 'datasetDriftShare' | 'include' | 'onProgress' | 'createdAt'>;

/** One reference feature over the window: its drift verdict and its data quality against the reference. */
export interface FeatureMonitoring {
  feature: string;
  /** The reference type. */
  type: ColumnType;
  /** The drift test run, or null when the column was not tested. */
  test: DriftTestName | null;
  /** Evidently's drift score (the p-value of p-value tests, the distance otherwise), or null when not tested. */
  score: number | null;
  threshold: number | null;
  /** The column's drift verdict, or null when it was not tested. */
  drifted: boolean | null;
  /** What broke the feed for this column, if anything. */
  problem: 'missing' | 'type-changed' | 'empty' | null;
  /** Why the column was not tested (drift's reason). */
  skipped?: string;
  /** Share of the window's rows with no value (null, NaN, ±Infinity, or a missing marker such as "NA" in a numerical column). */
  missingRate: number;
  /** The same share in the reference data. */
  referenceMissingRate: number;
  /**
   * Share of present values outside the reference: below its minimum or above its maximum (numerical), or a category
   * the reference never had (categorical and boolean columns whose reference kept every category). Null when the
   * reference cannot tell (text, datetime, a truncated category list) or nothing was present.
   */
  outOfRange: number | null;
}

/** Drift of one model output against the reference's prediction column. */
export interface PredictionMonitoring {
  output: string;
  type: ColumnType;
  test: DriftTestName | null;
  score: number | null;
  threshold: number | null;
  drifted: boolean | null;
  problem: 'type-changed' | 'empty' | null;
  skipped?: string;
}

/** A threshold the window crossed. */
export type ThresholdCrossing =
  | { kind: 'drift'; share: number; threshold: number; columns: string[] }
  | { kind: 'feed-broken'; problems: string[] }
  | { kind: 'minimum'; metric: string; value: number; threshold: number }
  | { kind: 'estimated-minimum'; metric: 'accuracy' | 'macroF1'; value: number; threshold: number };

/** Metrics from feedback over the window. */
export interface WindowPerformance {
  /** Labelled predictions whose prediction and label could be compared. */
  n: number;
  /** `n ≥ minSamples`: only then are minimums checked (and metrics exported as gauges). */
  sufficient: boolean;
  /** Value per metric; null when undefined on this window (e.g. ROC-AUC with one class). */
  metrics: Record<string, number | null>;
}

/** What {@link evaluateWindow} returns: the pure evaluation of one window. */
export interface WindowEvaluation {
  status: MonitoringStatus;
  /** Why the window is `insufficient`, `no-reference` or `broken`, in words. */
  statusReason?: string;
  counts: { predictions: number; labelled: number };
  /** The dataset verdict of the inputs (drift's `dataset`), or null when drift was not evaluated. */
  dataset: { share: number; driftedColumns: number; columns: number; threshold: number } | null;
  /** The window's columns against the reference's (drift's schema account), or null when not evaluated. */
  schema: SchemaCheck | null;
  /** Every reference feature in scope, in the reference's order. Empty when drift was not evaluated. */
  features: FeatureMonitoring[];
  /** The reference's prediction columns found in the logged outputs. */
  predictions: PredictionMonitoring[];
  performance: WindowPerformance | null;
  /**
   * Accuracy and macro-F1 estimated without labels from the logged class probabilities (CBPE,
   * {@link estimatePerformance}), calibrated first when the model package stores a calibrator; null when fewer than
   * `minSamples` predictions carry probabilities (`probabilitiesOutput`).
   */
  estimate: PerformanceEstimate | null;
  /** Thresholds crossed: dataset drift, a broken feed, a metric below its minimum, an estimate below its minimum. */
  crossings: ThresholdCrossing[];
  /** Settings problems that did not stop the evaluation (e.g. a `features` entry the reference does not have). */
  warnings: string[];
  /** The full drift report (histograms included); not meant to be stored with every decision. */
  drift: DriftReport | null;
}

/** Input of {@link evaluateWindow}. */
export interface EvaluateWindowInput {
  /** The model version's reference profile, or null. */
  reference: Profile | null;
  /** The window's logged predictions (shadow predictions already left out). */
  predictions: readonly PredictionRecord[];
  /** The window's predictions with their latest feedback. */
  labelled: readonly LabelledPrediction[];
  /** The resolved settings (`resolveMonitoringSettings`). */
  settings: ResolvedMonitoringSettings;
  /** Tests and thresholds of `detectDrift`. @default {} */
  drift?: WindowDriftOptions;
  /**
   * The model's calibrator (`calibratorFromMetadata` of its package): the estimate uses calibrated probabilities
   * and its classes (without one the probabilities are used as given, their columns as the classes).
   * @default undefined
   */
  calibrator?: Calibrator;
}

/**
 * The window's estimated performance from the logged probabilities, or null (too few rows, none logged). Rows that
 * are not k probabilities summing to 1 (k: the calibrator's classes, else the most common row length) are skipped
 * and counted in a warning: one malformed row does not take the estimate of the whole window with it.
 */
function estimateOf(input: EvaluateWindowInput, warnings: string[]): PerformanceEstimate | null {
  const s = input.settings;
  const candidates: { row: unknown[]; predicted: unknown }[] = [];
  const lengths = new Map<number, number>();
  for (const p of input.predictions) {
    const v = p.outputs?.[s.probabilitiesOutput];
    if (!Array.isArray(v)) continue;
    candidates.push({ row: v, predicted: p.outputs?.[s.predictionOutput] });
    if (v.length >= 2) lengths.set(v.length, (lengths.get(v.length) ?? 0) + 1);
  }
  let k = input.calibrator?.nClasses;
  if (k === undefined) {
    let most = 0;
    for (const [length, count] of lengths) {
      if (count > most) {
        most = count;
        k = length;
      }
    }
  }
  if (k === undefined) return null;
  const rows: number[][] = [];
  const predicted: unknown[] = [];
  for (const c of candidates) {
    if (!isProbabilityRow(c.row, k)) continue;
    rows.push(c.row as number[]);
    predicted.push(c.predicted);
  }
  const skipped = candidates.length - rows.length;
  if (skipped > 0) {
    warnings.push(
      `estimated performance: ${skipped} of ${candidates.length} rows of "${s.probabilitiesOutput}" skipped (not ${k} probabilities in [0, 1] summing to 1)`,
    );
  }
  if (rows.length < s.minSamples) return null;
  const classes = input.calibrator?.classes ?? Array.from({ length: k }, (_, i) => i);
  const known = new Set<unknown>(classes);
  const usePredictions = input.calibrator?.classes !== undefined && predicted.every((x) => known.has(x));
  try {
    return estimatePerformance({
      probabilities: rows,
      classes,
      ...(usePredictions ? { predictions: predicted as ClassLabel[] } : {}),
      ...(input.calibrator ? { calibrator: input.calibrator } : {}),
      draws: 400,
    });
  } catch (err) {
    warnings.push(`estimated performance: ${err instanceof Error ? err.message : String(err)}`);
    return null;
  }
}

const typedMissing = (type: ColumnType) => type === 'numerical' || type === 'datetime' || type === 'boolean';

function isMissingValue(v: unknown, type: ColumnType): boolean {
  if (v === null || v === undefined) return true;
  if (typeof v === 'number') return !Number.isFinite(v);
  if (typeof v === 'string' && typedMissing(type)) return MISSING_MARKERS.has(v.trim());
  return false;
}

/**
 * A present value of a boolean column as drift reads it: booleans, "true"/"false" in any case (trimmed) and 1/0 are
 * `'true'`/`'false'`; anything else is null (unreadable).
 */
function booleanLabel(v: unknown): 'true' | 'false' | null {
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (v === 1 || v === 0) return v === 1 ? 'true' : 'false';
  if (typeof v === 'string') {
    const t = v.trim().toLowerCase();
    if (t === 'true' || t === 'false') return t;
  }
  return null;
}

/** A present value of a categorical column as drift reads it (scalars as text); null for objects (a type change). */
function categoryLabel(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return null;
}

/** Missing rate and out-of-range share of one feature over the window's values (`undefined`: key absent). */
function quality(
  ref: ColumnProfile,
  values: readonly unknown[],
): Pick<FeatureMonitoring, 'missingRate' | 'outOfRange'> {
  let missing = 0;
  let present = 0;
  let outside = 0;
  const numeric = ref.type === 'numerical' && ref.numeric ? ref.numeric : null;
  const categories =
    (ref.type === 'categorical' || ref.type === 'boolean') && ref.categories && ref.categories.otherCount === 0
      ? new Set(ref.categories.top.map((c) => c.value))
      : null;
  for (const v of values) {
    if (isMissingValue(v, ref.type)) {
      missing++;
      continue;
    }
    if (numeric) {
      const x = typeof v === 'number' ? v : typeof v === 'string' && isNumberText(v.trim()) ? Number(v) : null;
      if (x === null) continue; // unreadable: a type change, counted by drift's schema account
      present++;
      if (x < numeric.min || x > numeric.max) outside++;
    } else if (categories) {
      const label = ref.type === 'boolean' ? booleanLabel(v) : categoryLabel(v);
      if (label === null) continue; // unreadable as the column's type: a type change, counted by drift's schema account
      present++;
      if (!categories.has(label)) outside++;
    }
  }
  return {
    missingRate: values.length === 0 ? 0 : missing / values.length,
    outOfRange: (numeric || categories) && present > 0 ? outside / present : null,
  };
}

type Pair = { prediction: ClassLabel; label: ClassLabel };

/** Pairs of predicted class and feedback label that can be compared (both a string or a number). */
export function feedbackPairs(labelled: readonly LabelledPrediction[], predictionOutput: string): Pair[] {
  const pairs: Pair[] = [];
  for (const l of labelled) {
    const prediction = l.prediction.outputs?.[predictionOutput];
    const label = l.label;
    if (
      (typeof prediction === 'string' || typeof prediction === 'number') &&
      (typeof label === 'string' || typeof label === 'number')
    ) {
      pairs.push({ prediction, label });
    }
  }
  return pairs;
}

function problemOf(column: string, schema: SchemaCheck): FeatureMonitoring['problem'] {
  if (schema.missing.includes(column)) return 'missing';
  if (schema.typeChanged.some((t) => t.column === column)) return 'type-changed';
  if (schema.empty.includes(column)) return 'empty';
  return null;
}

/** The schema problems that break a feed, one line each. */
export function feedProblems(schema: SchemaCheck): string[] {
  return [
    ...schema.missing.map((c) => `${c}: missing from the logged inputs`),
    ...schema.typeChanged.map(
      (t) => `${t.column}: type changed (expected ${t.expected}, found ${t.found.join('/')}; ${t.invalid} values)`,
    ),
    ...schema.empty.map((c) => `${c}: no value in the window`),
  ];
}

/**
 * Evaluates one window of the prediction log against a model version's reference profile and its feedback: drift
 * of the inputs and of the predictions (`@mlops/drift`'s `detectDrift`, with every reference feature passed so a
 * missing, retyped or empty column makes the feed `broken`), data quality per feature (missing rate, out-of-range
 * share), metrics from feedback (core's `evaluatePerformance`) and the thresholds crossed. Pure: the same window and
 * settings always give the same answer, which is what keeps serve's gauges, the continuous-training policy, the
 * dashboard and `mlops monitor` in agreement.
 */
export function evaluateWindow(input: EvaluateWindowInput): WindowEvaluation {
  const s = input.settings;
  const counts = { predictions: input.predictions.length, labelled: input.labelled.length };
  const warnings: string[] = [];
  let status: MonitoringStatus;
  let statusReason: string | undefined;
  let drift: DriftReport | null = null;
  let features: FeatureMonitoring[] = [];
  let predictions: PredictionMonitoring[] = [];
  const reference = input.reference;

  if (!reference) {
    status = 'no-reference';
    statusReason = 'the model version has no reference profile';
  } else if (input.predictions.length < s.minSamples) {
    status = 'insufficient';
    statusReason = `${input.predictions.length} predictions in the window, fewer than ${s.minSamples}`;
  } else {
    const referenceFeatures = reference.columns.filter((c) => c.role === 'feature');
    let scope = referenceFeatures;
    if (s.features) {
      const known = new Set(referenceFeatures.map((c) => c.name));
      for (const f of s.features) {
        if (!known.has(f)) warnings.push(`features: "${f}" is not a feature of the reference profile (ignored)`);
      }
      const wanted = new Set(s.features);
      scope = referenceFeatures.filter((c) => wanted.has(c.name));
    }
    // Every reference feature in scope is passed (a key absent from every logged input is left out, so drift reports
    // it as missing), plus the window's own input keys (reported as new) and the prediction columns found in the
    // outputs (drift of the predictions).
    // No prototype: a feature named "__proto__" (an own key in JSON) must be a column here too, not the prototype.
    const current: Record<string, unknown[]> = Object.create(null);
    const seenInputs = new Set<string>();
    for (const p of input.predictions) for (const k of Object.keys(p.inputs)) seenInputs.add(k);
    for (const k of seenInputs) current[k] = input.predictions.map((p) => p.inputs[k] ?? null);
    const outputColumns = reference.columns.filter(
      (c) => c.role === 'prediction' && input.predictions.some((p) => p.outputs && c.name in p.outputs),
    );
    for (const c of outputColumns) {
      // An output column shadows an input of the same name only for the drift of the predictions.
      current[c.name] = input.predictions.map((p) => p.outputs?.[c.name] ?? null);
    }
    const include = [...scope.map((c) => c.name), ...outputColumns.map((c) => c.name)];
    drift = detectDrift(reference, current, { ...(input.drift ?? {}), include, datasetDriftShare: s.driftShare });
    const byColumn = new Map(drift.columns.map((c) => [c.column, c]));
    const skippedOf = new Map(drift.skipped.map((x) => [x.column, x.reason]));
    features = scope.map((ref) => {
      const c = byColumn.get(ref.name);
      const skipped = skippedOf.get(ref.name);
      const values = seenInputs.has(ref.name) ? input.predictions.map((p) => p.inputs[ref.name]) : [];
      const q = seenInputs.has(ref.name) ? quality(ref, values) : { missingRate: 1, outOfRange: null };
      return {
        feature: ref.name,
        type: ref.type,
        test: c?.test ?? null,
        score: c?.score ?? null,
        threshold: c?.threshold ?? null,
        drifted: c ? c.drifted : null,
        problem: problemOf(ref.name, drift!.schema),
        ...(skipped ? { skipped } : {}),
        ...q,
        referenceMissingRate: ref.count === 0 ? 0 : ref.missing / ref.count,
      };
    });
    predictions = outputColumns.map((ref) => {
      const c = byColumn.get(ref.name);
      const skipped = skippedOf.get(ref.name);
      const problem = problemOf(ref.name, drift!.schema);
      return {
        output: ref.name,
        type: ref.type,
        test: c?.test ?? null,
        score: c?.score ?? null,
        threshold: c?.threshold ?? null,
        drifted: c ? c.drifted : null,
        problem: problem === 'missing' ? null : problem,
        ...(skipped ? { skipped } : {}),
      };
    });
    status = drift.dataset.status;
    if (status === 'broken') statusReason = `broken feed: ${feedProblems(drift.schema).join('; ')}`;
    else if (scope.length > 0 && drift.dataset.columns === 0) {
      // Every feature in scope was skipped (datetime, no reference values, too little data for its test): a share of
      // 0 of 0 is no evidence of "no drift", so nothing is claimed.
      status = 'insufficient';
      const reasons = features.filter((f) => f.skipped).map((f) => `${f.feature}: ${f.skipped}`);
      statusReason = `no feature could be tested (${reasons.join('; ')})`;
    }
  }

  const pairs = feedbackPairs(input.labelled, s.predictionOutput);
  const evaluated =
    pairs.length === 0 ? null : evaluatePerformance(pairs, { metrics: s.metrics, minSamples: s.minSamples });
  const performance: WindowPerformance | null = evaluated
    ? { n: evaluated.n, sufficient: evaluated.sufficient, metrics: evaluated.metrics }
    : null;

  const crossings: ThresholdCrossing[] = [];
  if (status === 'broken' && drift) crossings.push({ kind: 'feed-broken', problems: feedProblems(drift.schema) });
  if (status === 'drifted' && drift) {
    crossings.push({
      kind: 'drift',
      share: drift.dataset.share,
      threshold: drift.dataset.threshold,
      columns: features.filter((f) => f.drifted).map((f) => f.feature),
    });
  }
  const estimate = estimateOf(input, warnings);
  if (estimate) {
    for (const metric of ['accuracy', 'macroF1'] as const) {
      const threshold = s.estimatedMinimums[metric];
      const value = estimate[metric].estimate;
      if (threshold !== undefined && value < threshold) {
        crossings.push({ kind: 'estimated-minimum', metric, value, threshold });
      }
    }
  }
  if (performance?.sufficient) {
    for (const [metric, threshold] of Object.entries(s.minimums)) {
      const value = performance.metrics[metric as PerformanceMetric];
      if (value !== null && value !== undefined && value < threshold) {
        crossings.push({ kind: 'minimum', metric, value, threshold });
      }
    }
  }

  return {
    status,
    ...(statusReason ? { statusReason } : {}),
    counts,
    dataset: drift
      ? {
          share: drift.dataset.share,
          driftedColumns: drift.dataset.driftedColumns,
          columns: drift.dataset.columns,
          threshold: drift.dataset.threshold,
        }
      : null,
    schema: drift ? drift.schema : null,
    features,
    predictions,
    performance,
    estimate,
    crossings,
    warnings,
    drift,
  };
}
