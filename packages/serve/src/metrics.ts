import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { MonitoringSnapshot } from './monitoring.js';

/** Names of the Prometheus metrics the server exports (documented in docs/api.md; alert rules use them). */
export const METRIC_NAMES = {
  requests: 'mlops_http_requests_total',
  duration: 'mlops_http_request_duration_seconds',
  errors: 'mlops_http_errors_total',
  inFlight: 'mlops_http_requests_in_flight',
  queueDepth: 'mlops_request_queue_depth',
  concurrency: 'mlops_request_concurrency',
  batchQueueRows: 'mlops_batch_queue_rows',
  batchSize: 'mlops_batch_size_rows',
  predictions: 'mlops_predictions_total',
  logLogged: 'mlops_prediction_log_logged_total',
  logWritten: 'mlops_prediction_log_written_total',
  logDropped: 'mlops_prediction_log_dropped_total',
  logAbandoned: 'mlops_prediction_log_abandoned_total',
  logQuarantined: 'mlops_prediction_log_quarantined_total',
  logPending: 'mlops_prediction_log_pending',
  modelInfo: 'mlops_model_info',
  modelReady: 'mlops_model_ready',
  swaps: 'mlops_model_swaps_total',
  driftScore: 'mlops_drift_score',
  featureDrift: 'mlops_feature_drift_detected',
  datasetDrift: 'mlops_dataset_drift_detected',
  datasetDriftShare: 'mlops_dataset_drift_share',
  feedbackMetric: 'mlops_feedback_metric',
  monitoringSamples: 'mlops_monitoring_window_samples',
  monitoringEvaluated: 'mlops_monitoring_evaluated_timestamp_seconds',
  monitoringWindow: 'mlops_monitoring_window_seconds',
  retrainDecision: 'mlops_retrain_decision',
  retrainDecisionTime: 'mlops_retrain_decision_timestamp_seconds',
} as const;

/** What the metrics read at scrape time. */
export interface MetricsSources {
  logStats?: () => {
    logged: number;
    written: number;
    dropped: number;
    abandoned: number;
    quarantined?: number;
    pending: number;
  };
  queue: () => { active: number; queued: number };
  models: () => {
    name: string;
    ready: boolean;
    versions: { version: string; alias: string; role: string; pendingRows: number }[];
  }[];
  /** The monitor's latest evaluation (refreshed by the `/metrics` route before collecting). */
  monitoring?: () => MonitoringSnapshot;
}

/** The server's metric instruments on its own prom-client registry (internal). */
export interface ServerMetrics {
  registry: Registry;
  requests: Counter<'method' | 'route' | 'status' | 'model' | 'version'>;
  duration: Histogram<'method' | 'route' | 'model' | 'version'>;
  errors: Counter<'code' | 'route'>;
  inFlight: Gauge;
  batchSize: Histogram<'model' | 'version'>;
  predictions: Counter<'model' | 'version'>;
  swaps: Counter<'model'>;
}

function cumulative(registry: Registry, name: string, help: string, read: () => number | undefined): void {
  new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      const v = read();
      this.reset();
      if (v !== undefined) this.inc(v);
    },
  });
}

/** Creates the server's metrics on a fresh registry (never prom-client's global one). */
export function createServerMetrics(sources: MetricsSources, opts: { defaultMetrics: boolean }): ServerMetrics {
  const registry = new Registry();
  if (opts.defaultMetrics) collectDefaultMetrics({ register: registry, prefix: 'mlops_process_' });
  const registers = [registry];
  const m: ServerMetrics = {
    registry,
    requests: new Counter({
      name: METRIC_NAMES.requests,
      help: 'HTTP requests by method, route pattern, status, model and version',
      labelNames: ['method', 'route', 'status', 'model', 'version'],
      registers,
    }),
    duration: new Histogram({
      name: METRIC_NAMES.duration,
      help: 'HTTP request latency in seconds by method, route pattern, model and version',
      labelNames: ['method', 'route', 'model', 'version'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    errors: new Counter({
      name: METRIC_NAMES.errors,
      help: 'Error responses by error code and route pattern',
      labelNames: ['code', 'route'],
      registers,
    }),
    inFlight: new Gauge({ name: METRIC_NAMES.inFlight, help: 'HTTP requests being processed', registers }),
    batchSize: new Histogram({
      name: METRIC_NAMES.batchSize,
      help: 'Rows per predictor call (micro-batch size)',
      labelNames: ['model', 'version'],
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024],
      registers,
    }),
    predictions: new Counter({
      name: METRIC_NAMES.predictions,
      help: 'Rows predicted by model and version',
      labelNames: ['model', 'version'],
      registers,
    }),
    swaps: new Counter({
      name: METRIC_NAMES.swaps,
      help: 'Hot-swaps of the version served for a model',
      labelNames: ['model'],
      registers,
    }),
  };
  new Gauge({
    name: METRIC_NAMES.queueDepth,
    help: 'Prediction requests waiting for a concurrency slot',
    registers,
    collect() {
      this.set(sources.queue().queued);
    },
  });
  new Gauge({
    name: METRIC_NAMES.concurrency,
    help: 'Prediction requests holding a concurrency slot',
    registers,
    collect() {
      this.set(sources.queue().active);
    },
  });
  new Gauge({
    name: METRIC_NAMES.batchQueueRows,
    help: 'Rows waiting in the micro-batcher by model and version',
    labelNames: ['model', 'version'],
    registers,
    collect() {
      this.reset();
      for (const model of sources.models()) {
        for (const v of model.versions) this.set({ model: model.name, version: v.version }, v.pendingRows);
      }
    },
  });
  new Gauge({
    name: METRIC_NAMES.modelInfo,
    help: 'The version served for each model, with the alias it follows and its role (primary, canary, shadow)',
    labelNames: ['model', 'version', 'alias', 'role'],
    registers,
    collect() {
      this.reset();
      for (const model of sources.models()) {
        for (const v of model.versions) {
          this.set({ model: model.name, version: v.version, alias: v.alias, role: v.role }, 1);
        }
      }
    },
  });
  new Gauge({
    name: METRIC_NAMES.modelReady,
    help: '1 when the model has a loaded version',
    labelNames: ['model'],
    registers,
    collect() {
      this.reset();
      for (const model of sources.models()) this.set({ model: model.name }, model.ready ? 1 : 0);
    },
  });
  const log = sources.logStats;
  cumulative(registry, METRIC_NAMES.logLogged, 'Predictions accepted by the prediction log', () => log?.().logged);
  cumulative(registry, METRIC_NAMES.logWritten, 'Prediction log rows written', () => log?.().written);
  cumulative(
    registry,
    METRIC_NAMES.logDropped,
    'Prediction log records dropped (buffer full or log closed)',
    () => log?.().dropped,
  );
  cumulative(
    registry,
    METRIC_NAMES.logAbandoned,
    'Prediction log records given up after repeated write failures',
    () => log?.().abandoned,
  );
  cumulative(
    registry,
    METRIC_NAMES.logQuarantined,
    'Prediction log records the store refused for their own data, set aside so the rest of their batch was written',
    () => log?.().quarantined,
  );
  new Gauge({
    name: METRIC_NAMES.logPending,
    help: 'Prediction log records buffered or being written',
    registers,
    collect() {
      this.set(log?.().pending ?? 0);
    },
  });
  if (sources.monitoring) addMonitoringGauges(registry, sources.monitoring);
  return m;
}

function addMonitoringGauges(registry: Registry, read: () => MonitoringSnapshot): void {
  const registers = [registry];
  const gauge = <L extends string>(
    name: string,
    help: string,
    labelNames: L[],
    fill: (g: Gauge<L>, s: MonitoringSnapshot) => void,
  ) =>
    new Gauge<L>({
      name,
      help,
      labelNames,
      registers,
      collect() {
        this.reset();
        fill(this, read());
      },
    });
  gauge(
    METRIC_NAMES.driftScore,
    'Drift score per input feature over the monitoring window (@mlops/drift: the p-value for p-value tests, the distance otherwise)',
    ['model', 'version', 'feature', 'test'],
    (g, s) => {
      for (const v of s.versions) {
        for (const c of v.drift?.columns ?? []) {
          if (c.role === 'feature')
            g.set({ model: v.model, version: v.version, feature: c.column, test: c.test }, c.score);
        }
      }
    },
  );
  gauge(
    METRIC_NAMES.featureDrift,
    '1 when the feature drifted over the monitoring window, else 0',
    ['model', 'version', 'feature'],
    (g, s) => {
      for (const v of s.versions) {
        for (const c of v.drift?.columns ?? []) {
          if (c.role === 'feature') g.set({ model: v.model, version: v.version, feature: c.column }, c.drifted ? 1 : 0);
        }
      }
    },
  );
  gauge(
    METRIC_NAMES.datasetDrift,
    '1 when the dataset drifted (share of drifted features at or above the threshold), else 0',
    ['model', 'version'],
    (g, s) => {
      for (const v of s.versions) {
        if (v.drift) g.set({ model: v.model, version: v.version }, v.drift.dataset.drifted ? 1 : 0);
      }
    },
  );
  gauge(
    METRIC_NAMES.datasetDriftShare,
    'Share of tested features that drifted over the monitoring window',
    ['model', 'version'],
    (g, s) => {
      for (const v of s.versions) if (v.drift) g.set({ model: v.model, version: v.version }, v.drift.dataset.share);
    },
  );
  gauge(
    METRIC_NAMES.feedbackMetric,
    'Metric from feedback over the monitoring window (core evaluatePerformance), with at least minSamples labels',
    ['model', 'version', 'metric'],
    (g, s) => {
      for (const v of s.versions) {
        if (!v.performance?.sufficient) continue;
        for (const [metric, value] of Object.entries(v.performance.metrics)) {
          if (value !== null) g.set({ model: v.model, version: v.version, metric }, value);
        }
      }
    },
  );
  gauge(
    METRIC_NAMES.monitoringSamples,
    'Predictions (kind="predictions") and labelled predictions (kind="labelled") in the monitoring window',
    ['model', 'version', 'kind'],
    (g, s) => {
      for (const v of s.versions) {
        g.set({ model: v.model, version: v.version, kind: 'predictions' }, v.counts.predictions);
        g.set({ model: v.model, version: v.version, kind: 'labelled' }, v.counts.labelled);
      }
    },
  );
  gauge(
    METRIC_NAMES.monitoringEvaluated,
    'When the monitoring window was last evaluated (Unix seconds)',
    ['model', 'version'],
    (g, s) => {
      for (const v of s.versions) g.set({ model: v.model, version: v.version }, v.evaluatedAt / 1000);
    },
  );
  gauge(
    METRIC_NAMES.monitoringWindow,
    'Length of the monitoring window in use; source="version" when the model version stores its window settings',
    ['model', 'version', 'source'],
    (g, s) => {
      for (const v of s.versions)
        g.set({ model: v.model, version: v.version, source: v.settingsFrom }, v.windowMs / 1000);
    },
  );
  gauge(
    METRIC_NAMES.retrainDecision,
    'The latest retraining decision per model alias (core_retrain_decisions): 1 with its status and triggered',
    ['model', 'alias', 'status', 'triggered'],
    (g, s) => {
      for (const d of s.decisions) {
        g.set({ model: d.model, alias: d.alias, status: d.status, triggered: String(d.triggered) }, 1);
      }
    },
  );
  gauge(
    METRIC_NAMES.retrainDecisionTime,
    'When the latest retraining decision started (Unix seconds)',
    ['model', 'alias'],
    (g, s) => {
      for (const d of s.decisions) g.set({ model: d.model, alias: d.alias }, d.startedAt / 1000);
    },
  );
}
