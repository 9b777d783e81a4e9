import { ESTIMATE_GAUGE_NAMES, ESTIMATE_GAUGES, estimateGauges } from './estimate/gauges.js';
import type { GaugeDefinition, GaugeFamily } from './gauge-types.js';
import type { MonitoringResult } from './monitor.js';

/**
 * Names of the monitoring gauges (Prometheus), every one labelled with `model` and `version`. `@mlops/serve`
 * exports them on `/metrics` from {@link monitoringGauges}; `deploy/prometheus/alerts.yml` compares the values with
 * the threshold gauges, so an alert fires exactly when the evaluator says a threshold was crossed.
 */
export const MONITORING_GAUGE_NAMES = {
  driftScore: 'mlops_drift_score',
  featureDrift: 'mlops_feature_drift_detected',
  predictionDriftScore: 'mlops_prediction_drift_score',
  predictionDrift: 'mlops_prediction_drift_detected',
  datasetDrift: 'mlops_dataset_drift_detected',
  datasetDriftShare: 'mlops_dataset_drift_share',
  status: 'mlops_monitoring_status',
  feedBroken: 'mlops_feed_broken',
  feedProblems: 'mlops_feed_schema_problems',
  missingRate: 'mlops_feature_missing_rate',
  outOfRange: 'mlops_feature_out_of_range_share',
  feedbackMetric: 'mlops_feedback_metric',
  samples: 'mlops_monitoring_window_samples',
  evaluated: 'mlops_monitoring_evaluated_timestamp_seconds',
  window: 'mlops_monitoring_window_seconds',
  driftShareThreshold: 'mlops_monitoring_drift_share_threshold',
  metricMinimum: 'mlops_monitoring_metric_minimum',
  // Estimated performance (CBPE, without labels), beside the realized `mlops_feedback_metric`.
  estimatedAccuracy: ESTIMATE_GAUGE_NAMES.accuracy,
  estimatedAccuracyLower: ESTIMATE_GAUGE_NAMES.accuracyLower,
  estimatedAccuracyUpper: ESTIMATE_GAUGE_NAMES.accuracyUpper,
  estimatedMacroF1: ESTIMATE_GAUGE_NAMES.macroF1,
  estimatedMacroF1Lower: ESTIMATE_GAUGE_NAMES.macroF1Lower,
  estimatedMacroF1Upper: ESTIMATE_GAUGE_NAMES.macroF1Upper,
  estimatedMinimum: 'mlops_monitoring_estimated_minimum',
} as const;

export type { GaugeDefinition, GaugeFamily } from './gauge-types.js';

const N = MONITORING_GAUGE_NAMES;
const mv = ['model', 'version'];

/** The monitoring gauges, in the order they are exported. */
export const MONITORING_GAUGES: readonly GaugeDefinition[] = [
  {
    name: N.driftScore,
    help: 'Drift score per input feature over the monitoring window (@mlops/drift: the p-value for p-value tests, the distance otherwise)',
    labelNames: [...mv, 'feature', 'test'],
  },
  {
    name: N.featureDrift,
    help: '1 when the feature drifted over the monitoring window, else 0 (absent when it could not be tested)',
    labelNames: [...mv, 'feature'],
  },
  {
    name: N.predictionDriftScore,
    help: "Drift score of a model output against the reference profile's prediction column",
    labelNames: [...mv, 'output', 'test'],
  },
  {
    name: N.predictionDrift,
    help: "1 when a model output drifted against the reference profile's prediction column, else 0",
    labelNames: [...mv, 'output'],
  },
  {
    name: N.datasetDrift,
    help: '1 when the dataset drifted (share of drifted features at or above the drift share threshold), 0 when not; absent when the feed is broken or the window too small',
    labelNames: mv,
  },
  {
    name: N.datasetDriftShare,
    help: 'Share of tested features that drifted over the monitoring window (absent when the feed is broken)',
    labelNames: mv,
  },
  {
    name: N.status,
    help: 'The window verdict: 1 for the current status (ok, drifted, broken, insufficient, no-reference)',
    labelNames: [...mv, 'status'],
  },
  {
    name: N.feedBroken,
    help: '1 when the feed is broken (a reference feature missing, retyped or empty in the window), 0 when it was tested',
    labelNames: mv,
  },
  {
    name: N.feedProblems,
    help: 'Columns of the window by schema problem against the reference (missing, type_changed and empty break the feed; new is a warning)',
    labelNames: [...mv, 'problem'],
  },
  {
    name: N.missingRate,
    help: "Share of the window's rows with no value for the feature",
    labelNames: [...mv, 'feature'],
  },
  {
    name: N.outOfRange,
    help: "Share of the feature's present values outside the reference (beyond its min/max, or an unseen category)",
    labelNames: [...mv, 'feature'],
  },
  {
    name: N.feedbackMetric,
    help: 'Metric from feedback over the monitoring window (core evaluatePerformance), with at least minSamples labels',
    labelNames: [...mv, 'metric'],
  },
  {
    name: N.samples,
    help: 'Predictions (kind="predictions") and labelled predictions (kind="labelled") in the monitoring window',
    labelNames: [...mv, 'kind'],
  },
  { name: N.evaluated, help: 'When the monitoring window was last evaluated (Unix seconds)', labelNames: mv },
  {
    name: N.window,
    help: 'Length of the monitoring window in use; source: version (stored with the model version), caller or default',
    labelNames: [...mv, 'source'],
  },
  {
    name: N.driftShareThreshold,
    help: 'The drift share threshold in use: the dataset drifts when the share of drifted features reaches it',
    labelNames: [...mv, 'source'],
  },
  {
    name: N.metricMinimum,
    help: 'The minimum in use per metric from feedback: a value below it is a threshold crossing (alert rules compare with it)',
    labelNames: [...mv, 'metric', 'source'],
  },
  ...ESTIMATE_GAUGES,
  {
    name: N.estimatedMinimum,
    help: 'The minimum in use per estimated metric (accuracy, macroF1): an estimate below it is a threshold crossing',
    labelNames: [...mv, 'metric', 'source'],
  },
];

/**
 * The gauges' samples for a set of monitoring results (one per model version), keyed like
 * {@link MONITORING_GAUGES}. Pure: serve's `/metrics` is this function over its latest evaluation.
 */
export function monitoringGauges(
  results: readonly MonitoringResult[],
  options: { evaluatedAt?: (r: MonitoringResult) => number } = {},
): GaugeFamily[] {
  const families = new Map(MONITORING_GAUGES.map((d) => [d.name, { ...d, samples: [] } as GaugeFamily]));
  const set = (name: string, labels: Record<string, string>, value: number) =>
    families.get(name)!.samples.push({ labels, value });
  for (const r of results) {
    const base = { model: r.model, version: r.version };
    for (const f of r.features) {
      if (f.score !== null && f.test !== null)
        set(N.driftScore, { ...base, feature: f.feature, test: f.test }, f.score);
      if (f.drifted !== null) set(N.featureDrift, { ...base, feature: f.feature }, f.drifted ? 1 : 0);
      set(N.missingRate, { ...base, feature: f.feature }, f.missingRate);
      if (f.outOfRange !== null) set(N.outOfRange, { ...base, feature: f.feature }, f.outOfRange);
    }
    for (const p of r.predictions) {
      if (p.score !== null && p.test !== null) {
        set(N.predictionDriftScore, { ...base, output: p.output, test: p.test }, p.score);
      }
      if (p.drifted !== null) set(N.predictionDrift, { ...base, output: p.output }, p.drifted ? 1 : 0);
    }
    if ((r.status === 'ok' || r.status === 'drifted') && r.dataset) {
      set(N.datasetDrift, base, r.status === 'drifted' ? 1 : 0);
      set(N.datasetDriftShare, base, r.dataset.share);
    }
    set(N.status, { ...base, status: r.status }, 1);
    if (r.status === 'ok' || r.status === 'drifted' || r.status === 'broken') {
      set(N.feedBroken, base, r.status === 'broken' ? 1 : 0);
    }
    if (r.schema) {
      set(N.feedProblems, { ...base, problem: 'missing' }, r.schema.missing.length);
      set(N.feedProblems, { ...base, problem: 'type_changed' }, r.schema.typeChanged.length);
      set(N.feedProblems, { ...base, problem: 'empty' }, r.schema.empty.length);
      set(N.feedProblems, { ...base, problem: 'new' }, r.schema.new.length);
    }
    if (r.performance?.sufficient) {
      for (const [metric, value] of Object.entries(r.performance.metrics)) {
        if (value !== null) set(N.feedbackMetric, { ...base, metric }, value);
      }
    }
    set(N.samples, { ...base, kind: 'predictions' }, r.counts.predictions);
    set(N.samples, { ...base, kind: 'labelled' }, r.counts.labelled);
    set(N.evaluated, base, (options.evaluatedAt?.(r) ?? Date.parse(r.window.to)) / 1000);
    set(N.window, { ...base, source: r.sources.windowMs }, r.settings.windowMs / 1000);
    set(N.driftShareThreshold, { ...base, source: r.sources.driftShare }, r.settings.driftShare);
    for (const [metric, value] of Object.entries(r.settings.minimums)) {
      set(N.metricMinimum, { ...base, metric, source: r.sources.minimums[metric] ?? 'default' }, value);
    }
    if (r.estimate) {
      for (const f of estimateGauges([{ model: r.model, version: r.version, estimate: r.estimate }])) {
        for (const sample of f.samples) set(f.name, sample.labels, sample.value);
      }
    }
    for (const [metric, value] of Object.entries(r.settings.estimatedMinimums)) {
      if (value !== undefined) set(N.estimatedMinimum, { ...base, metric, source: r.sources.estimatedMinimums }, value);
    }
  }
  return [...families.values()];
}
