// JSON shapes the API sends and the browser UI (ui/types.ts) reads. Type-only and import-free on purpose: the UI
// imports them with `import type`, which esbuild erases, so no server code reaches the bundle and the UI's
// typecheck (DOM lib, no Node types) does not pull in the server packages.

/** One row of the runs list. */
export interface RunRow {
  id: string;
  name: string | null;
  experiment: string;
  status: string;
  parentRunId: string | null;
  startTime: string;
  endTime: string | null;
  params: Record<string, string>;
  metrics: Record<string, number>;
  tags: Record<string, string>;
}

/** One time bucket of a model's prediction log. */
export interface MonitoringBucket {
  from: string;
  to: string;
  /** Distinct request ids. */
  requests: number;
  predictions: number;
  /** Latency percentiles in milliseconds (null without latencies). */
  latencyP50: number | null;
  latencyP95: number | null;
  /** The version that served most predictions of the bucket. */
  version: string | null;
  /** Predictions with feedback. */
  labelled: number;
  /** Accuracy from feedback (core's `evaluatePerformance`), null when nothing is labelled. */
  accuracy: number | null;
  /**
   * Drift score per input column against the version's reference profile (`@mlops/drift`), with the threshold of
   * its test (a p-value drifts at or below it, a distance at or above it).
   */
  drift: { column: string; score: number; drifted: boolean; test: string; threshold: number | null }[];
  /**
   * `@mlops/monitoring`'s verdict of the bucket: `ok`, `drifted`, `broken` (the feed cannot be tested),
   * `insufficient`, `no-reference`; null without predictions.
   */
  status: string | null;
  /** True when the dataset drifted in this bucket; null when not evaluated or the feed is broken. */
  datasetDrift: boolean | null;
  /** What broke the feed, one line per column (empty unless `status` is `broken`). */
  feedProblems: string[];
  /** Why drift was not evaluated (or why the feed is broken). */
  driftSkipped: string | null;
}

/**
 * The current monitoring window of the model's newest served version: what the server's `/metrics` gauges show
 * for it (`@mlops/monitoring`'s `monitorWindow` with the settings stored with the version).
 */
export interface MonitoringCurrent {
  version: string;
  window: { from: string; to: string };
  status: string;
  statusReason: string | null;
  counts: { predictions: number; labelled: number };
  /** The thresholds crossed, in words. */
  crossings: string[];
  /** What broke the feed, one line per column. */
  feedProblems: string[];
  /** Per feature: the drift verdict and the data quality of the window. */
  features: {
    feature: string;
    drifted: boolean | null;
    problem: string | null;
    missingRate: number;
    outOfRange: number | null;
  }[];
  /** Metrics from feedback, and the minimums in use. */
  metrics: Record<string, number | null>;
  /**
   * Accuracy and macro-F1 estimated without labels from the logged class probabilities (CBPE), with their interval;
   * null when the outputs carry no probabilities (or too few rows do). Shown next to the realized `metrics`.
   */
  estimated: {
    n: number;
    calibration: string;
    accuracy: { estimate: number; lower: number; upper: number };
    macroF1: { estimate: number; lower: number; upper: number };
  } | null;
  minimums: Record<string, number>;
}

/** An alert the monitoring view shows: a broken feed or drift in a bucket, or a retraining decision. */
export interface MonitoringAlert {
  time: string;
  kind: 'feed' | 'drift' | 'retrain';
  severity: 'warning' | 'info' | 'critical';
  message: string;
}

/**
 * What `GET /api/monitoring` returns, over its decision rows: the server's `MonitoringSeries` fills in core's
 * `RetrainDecision`, the UI the fields it reads.
 */
export interface MonitoringSeriesOf<Decision> {
  model: string;
  from: string | null;
  to: string | null;
  total: { requests: number; predictions: number; labelled: number };
  /** The current window of the newest served version (null without predictions). */
  current: MonitoringCurrent | null;
  buckets: MonitoringBucket[];
  columns: string[];
  decisions: Decision[];
  alerts: MonitoringAlert[];
}
