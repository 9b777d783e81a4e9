import { MONITORING_GAUGE_NAMES, MONITORING_GAUGES, monitoringGauges } from '@mlops/monitoring';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { ModelSlots } from './model-slots.js';
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
  // The monitoring gauges: @mlops/monitoring's, exported from the server's latest evaluation.
  ...MONITORING_GAUGE_NAMES,
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
  /** Requests being processed (read at scrape time: the request path only counts). */
  inFlight?: () => number;
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
  // prom-client's standard names (process_cpu_user_seconds_total, nodejs_eventloop_lag_seconds, …), which stock
  // Node.js dashboards and alerts expect; the server's metrics live on its own registry, so nothing collides.
  if (opts.defaultMetrics) collectDefaultMetrics({ register: registry });
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
    inFlight: new Gauge({
      name: METRIC_NAMES.inFlight,
      help: 'HTTP requests being processed',
      registers,
      ...(sources.inFlight
        ? {
            collect(this: Gauge) {
              this.set(sources.inFlight!());
            },
          }
        : {}),
    }),
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
  // @mlops/monitoring's gauges, computed once per collection of /metrics from the latest evaluation.
  let cached:
    | { snapshot: MonitoringSnapshot; families: Map<string, ReturnType<typeof monitoringGauges>[number]> }
    | undefined;
  const familiesOf = (s: MonitoringSnapshot) => {
    if (cached?.snapshot !== s) {
      cached = { snapshot: s, families: new Map(monitoringGauges(s.versions).map((f) => [f.name, f])) };
    }
    return cached.families;
  };
  for (const def of MONITORING_GAUGES) {
    gauge(def.name, def.help, def.labelNames, (g, s) => {
      for (const sample of familiesOf(s).get(def.name)?.samples ?? []) g.set(sample.labels, sample.value);
    });
  }
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

/** What the server's metrics read: the logger's counters, the monitor's snapshot, the limiter, the slots (internal). */
export function serverMetricsSources(parts: {
  logger: { stats(): ReturnType<NonNullable<MetricsSources['logStats']>> } | undefined;
  monitor: { snapshot(): MonitoringSnapshot } | undefined;
  limiter: { readonly active: number; readonly queued: number };
  slots: ModelSlots;
  inFlight?: () => number;
}): MetricsSources {
  const { logger, monitor, limiter, slots } = parts;
  return {
    ...(parts.inFlight ? { inFlight: parts.inFlight } : {}),
    ...(logger ? { logStats: () => logger.stats() } : {}),
    ...(monitor ? { monitoring: () => monitor.snapshot() } : {}),
    queue: () => ({ active: limiter.active, queued: limiter.queued }),
    models: () =>
      slots.all.map((s) => ({
        name: s.name,
        ready: s.ready,
        versions: s.served.map(({ model, role }) => ({
          version: model.version,
          alias: model.alias ?? '',
          role,
          pendingRows: model.pendingRows,
        })),
      })),
  };
}
