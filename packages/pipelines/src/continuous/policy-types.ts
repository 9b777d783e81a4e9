// The public types of the continuous-training policy (what can trigger a retraining, what an evaluation records, the
// options and the policy's interface), apart from its implementation in policy.ts.
import type { AlertSink, ObjectStore, Store } from '@mlops/core';
import type { RetrainDecision, RetrainReason } from '@mlops/core/retrain-decisions';
import type { Run, Tracker } from '@mlops/core/tracking';
import type { Profile } from '@mlops/drift';
import type { MonitoringRecord, MonitoringSettings, WindowDriftOptions } from '@mlops/monitoring';
import type { Gate, GateComparison, ModelVersion, Registry } from '@mlops/registry';
import type { EvaluationData, GateComparisonOptions } from './gate-comparison.js';
/**
 * What can start a retraining. The thresholds are `@mlops/monitoring` settings (`driftShare`, `minimums`), stored with
 * the model version or given in the policy's `monitoring` option, so the policy and the server's alerts cross them
 * together. A broken feed starts nothing: the decision is recorded as `blocked` and an alert is sent.
 */
export interface RetrainTriggers {
  /**
   * Retrain when the inputs drifted: the share of drifted features reached the `driftShare` threshold.
   * @default undefined (off)
   */
  drift?: boolean;
  /**
   * Retrain when a metric from feedback is below its minimum (the `minimums` threshold, e.g. `{ accuracy: 0.8 }`),
   * with at least `minSamples` labels.
   * @default undefined (off)
   */
  performance?: boolean;
  /**
   * Retrain when the accuracy or macro-F1 estimated without labels (CBPE over the window's logged class
   * probabilities, `@mlops/monitoring`'s estimate) is below its `estimatedMinimums` threshold while labels are
   * missing (fewer than `minSamples` labelled predictions; with enough labels `performance` decides). The incumbent's
   * calibrator is read from its model package when `objects` (or `compare.objects`) is given.
   * @default undefined (off)
   */
  estimatedPerformance?: boolean;
  /**
   * Retrain once this many predictions got feedback since the last retraining (or since the version was registered).
   * @default undefined (off)
   */
  newLabels?: number;
  /**
   * Retrain when the last retraining (or the version's registration) is older than this.
   * @default undefined (off)
   */
  schedule?: { everyMs: number };
}

/** The result of {@link ContinuousTrainingPolicy.evaluate}: a decision, no side effect. */
export interface RetrainEvaluation {
  model: string;
  alias: string;
  /** The version the alias points at (the incumbent). */
  version: number;
  /** The evaluated window, `[from, to)`. */
  window: { from: string; to: string };
  /**
   * `@mlops/monitoring`'s result for the window (without the drift report's histograms): the verdict (`status`),
   * per-feature drift and data quality, metrics, the thresholds crossed, and the settings in use with their source
   * (`settingsError` when the stored tag was invalid) — what the server's gauges export for the same window.
   */
  monitoring: MonitoringRecord;
  counts: { predictions: number; labelled: number; newLabels: number };
  /** The dataset drift summary (from `monitoring`), or null when drift was not evaluated. */
  drift: {
    status: 'ok' | 'drifted' | 'broken';
    /** null when the feed is broken. */
    drifted: boolean | null;
    share: number;
    driftedColumns: string[];
  } | null;
  /** Metrics from feedback (from `monitoring`), with the metrics below their minimum. */
  performance: { metrics: Record<string, number | null>; n: number; sufficient: boolean; below: string[] } | null;
  /** When the last retraining finished, or when the incumbent was registered. */
  since: string;
  /** Why a retraining is (or would be, when `blocked`) triggered. */
  reasons: RetrainReason[];
  /** Why nothing may be retrained although reasons may exist: the feed is broken. */
  blocked?: string;
  triggered: boolean;
  /**
   * Set by `runOnce` once a candidate was trained: the candidate's and the incumbent's figures on the same data
   * (which data: name, rows, time range, dataset version), what the gate compared; `null` when the policy has no
   * `compare` option and the gate read the versions' registered metrics.
   */
  comparison?: GateComparison | null;
}

/** What the `retrain` callback receives. */
export interface RetrainContext {
  model: string;
  alias: string;
  /** The incumbent version. */
  incumbent: ModelVersion;
  /** Why it runs. */
  reasons: RetrainReason[];
  evaluation: RetrainEvaluation;
  /** The id of the decision row being written. */
  decisionId: string;
  /**
   * The tracked run of this retraining (core's tracking; the decision's `runId`): log params and metrics on it, and
   * register the new version with `sourceRunId: ctx.run.id` so the registry shows where it came from. Undefined when
   * the policy's `tracking` is `false`.
   */
  run?: Run;
}

/** Options of {@link createContinuousTrainingPolicy}. */
export interface ContinuousTrainingOptions {
  /** The store holding the prediction log and the decisions table. */
  store: Store;
  /** The registry holding the model (in-process or `registryClient`). */
  registry: Registry;
  /** The registered model's name. */
  model: string;
  /**
   * The alias that is served and promoted.
   * @default 'production'
   */
  alias?: string;
  /**
   * The reference profile inputs are compared with.
   * @default the incumbent version's profile in the registry
   */
  reference?: Profile;
  /** What triggers a retraining. */
  triggers: RetrainTriggers;
  /**
   * The monitoring settings and thresholds (`@mlops/monitoring`: `windowMs`, `limit`, `minSamples`, `metrics`,
   * `predictionOutput`, `features`, `driftShare`, `minimums`). Those stored with the incumbent version (tag
   * `mlops.monitoring`) win field by field, as they do for the server's gauges.
   * @default {} (the built-in defaults: one day, 10000 predictions, 30 samples, drift share 0.5, no minimums)
   */
  monitoring?: MonitoringSettings;
  /**
   * `detectDrift` options (tests, per-test thresholds; the dataset share is the `driftShare` setting).
   * @default {}
   */
  drift?: WindowDriftOptions;
  /**
   * Trains and registers a new version (e.g. by running a pipeline); returns its number, and optionally the
   * held-out set it kept aside, on which `compare` then scores both models.
   */
  retrain: (ctx: RetrainContext) => Promise<{ version: number; holdout?: EvaluationData }>;
  /**
   * The promotion gate the new version must pass against the incumbent.
   * @default undefined (promoted without a gate; the decision is still recorded)
   */
  gate?: Gate;
  /**
   * Scores the candidate and the incumbent (each loaded through its flavor) on the same labelled data — the
   * window's labelled predictions, or a held-out set — and the gate compares those figures.
   * @default undefined (the gate reads the versions' registered metrics, measured on different data: a warning)
   */
  compare?: GateComparisonOptions;
  /**
   * The object store of the model packages: the incumbent's calibrator (`mlops.calibrator` in its package metadata)
   * calibrates the estimated performance.
   * @default `compare.objects`, else none (probabilities used as given)
   */
  objects?: ObjectStore;
  /**
   * Where alerts go (retrained and promoted: info; rejected by the gate: warning; failed or blocked by a broken
   * feed: critical).
   * @default []
   */
  alerts?: AlertSink | AlertSink[];
  /**
   * Every retraining is a tracked run (core's tracking) in the experiment `retrain/<model>`, linked from its decision
   * (`runId`) and handed to `retrain` as `ctx.run`; `false` records none.
   * @default { experiment: 'retrain/<model>' } with a tracker over `store` (and `objects`, without git capture)
   */
  tracking?: false | { tracker?: Tracker; experiment?: string };
  /**
   * Recorded as who decided.
   * @default 'continuous-training'
   */
  principal?: string;
  /**
   * A `running` decision older than this is taken as abandoned by a dead process.
   * @default 21600000 (6 hours)
   */
  staleAfterMs?: number;
  /**
   * The clock.
   * @default () => new Date()
   */
  now?: () => Date;
}

/** Options of {@link ContinuousTrainingPolicy.runOnce}. */
export interface RunOnceOptions {
  /**
   * Retrain even if no trigger fires (recorded as a `manual` reason).
   * @default false
   */
  force?: boolean;
  /**
   * Why, for a manual run.
   * @default undefined
   */
  reason?: string;
  /**
   * Overrides the policy's principal (e.g. the API key that called the route).
   * @default the policy's principal
   */
  principal?: string;
  /**
   * The trigger recorded with `reason` for a forced run: `'alert'` when a firing alert (Alertmanager) asked for it.
   * @default 'manual'
   */
  trigger?: 'manual' | 'alert';
  /**
   * Continue a `running` decision the caller opened (core's `recordRetrainDecision`) while holding the model alias's
   * retrain lock (`acquireRetrainLock`): what the retrain runner does to answer a decision id before the work starts.
   * Without it, `runOnce` takes the lock and opens the decision itself.
   * @default undefined
   */
  decisionId?: string;
}

/** A continuous-training policy for one model alias. */
export interface ContinuousTrainingPolicy {
  readonly model: string;
  readonly alias: string;
  /** Reads the window and decides, without side effects. */
  evaluate(): Promise<RetrainEvaluation>;
  /**
   * Evaluates, then maybe retrains, promotes through the gate, records the decision and alerts. Returns the recorded
   * decision with this run's {@link RetrainEvaluation}.
   */
  runOnce(options?: RunOnceOptions): Promise<RetrainDecision<RetrainEvaluation>>;
  /**
   * Recorded decisions of this model alias, newest first (core's `listRetrainDecisions`, after this package's
   * migrations, which move decisions recorded by older versions into core's table). Their `evaluation` is the stored
   * JSON: {@link isRetrainEvaluation} tells whether it is this package's {@link RetrainEvaluation}.
   */
  decisions(options?: { limit?: number }): Promise<RetrainDecision[]>;
}
