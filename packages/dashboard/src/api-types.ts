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
  /** Drift score per input column against the version's reference profile (`@mlops/drift`). */
  drift: { column: string; score: number; drifted: boolean; test: string }[];
  /** True when the dataset drifted in this bucket. */
  datasetDrift: boolean | null;
  /** Why drift was not evaluated. */
  driftSkipped: string | null;
}

/** An alert the monitoring view shows: drift or an accuracy breach in a bucket, or a retraining decision. */
export interface MonitoringAlert {
  time: string;
  kind: 'drift' | 'retrain';
  severity: 'warning' | 'info' | 'critical';
  message: string;
}

/**
 * What `GET /api/monitoring` returns, over its decision rows: the server's `MonitoringSeries` fills in pipelines'
 * `RetrainDecision`, the UI the fields it reads.
 */
export interface MonitoringSeriesOf<Decision> {
  model: string;
  from: string | null;
  to: string | null;
  total: { requests: number; predictions: number; labelled: number };
  buckets: MonitoringBucket[];
  columns: string[];
  decisions: Decision[];
  alerts: MonitoringAlert[];
}
