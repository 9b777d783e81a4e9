import {
  type AlertSink,
  abandonStaleRetrainDecisions,
  listRetrainDecisions as coreListRetrainDecisions,
  createAlert,
  finishRetrainDecision,
  isMlopsError,
  latestRetrainDecision,
  type PerformanceMetric,
  type RetrainDecisionStatus,
  readLabelledWindow,
  readPredictions,
  recordRetrainDecision,
  type Store,
  type WindowSettings,
  windowSettingsFromTags,
} from '@mlops/core';
import { type DriftOptions, isProfile, type Profile, parseProfile } from '@mlops/drift';
import type { Decision, Gate, GateComparison, ModelVersion, Registry } from '@mlops/registry';
import { z } from 'zod';
import { migratePipelines } from '../_internal/migrate.js';
import { parseInput } from '../_internal/validate.js';
import {
  compareOnSameData,
  comparesWithIncumbent,
  type EvaluationData,
  type GateComparisonOptions,
  parseEvaluationData,
} from './gate-comparison.js';
import { evaluateWindow, type WindowEvaluation } from './window.js';

/** What can start a retraining. */
export interface RetrainTriggers {
  /**
   * Retrain on dataset drift of the inputs (`true`), or with the share of drifted features that counts as drift.
   * @default undefined (off)
   */
  drift?: boolean | { share: number };
  /**
   * Retrain when accuracy from feedback falls below this value.
   * @default undefined (off)
   */
  accuracyBelow?: number;
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

/** The window of the prediction log a policy evaluates. */
export interface RetrainWindow {
  /**
   * Length of the window, ending now, in milliseconds.
   * @default 86400000 (one day)
   */
  durationMs?: number;
  /**
   * Most recent predictions read.
   * @default 10000
   */
  limit?: number;
  /**
   * Fewer predictions (drift) or labels (accuracy) than this: that trigger is not evaluated.
   * @default 30
   */
  minSamples?: number;
}

/** One reason a retraining was (or would be) triggered. */
export interface RetrainReason {
  trigger: 'drift' | 'accuracy' | 'new-labels' | 'schedule' | 'manual';
  message: string;
}

/** The result of {@link ContinuousTrainingPolicy.evaluate}: a decision, no side effect. */
export interface RetrainEvaluation {
  model: string;
  alias: string;
  /** The version the alias points at (the incumbent). */
  version: number;
  /**
   * The evaluated window; `settings` says whether the incumbent version's stored window settings (tag
   * `mlops.monitoring`) or this policy's options applied, `settingsError` why a stored tag was ignored.
   */
  window: { from: string; to: string; settings: 'version' | 'policy'; settingsError?: string };
  counts: { predictions: number; labelled: number; newLabels: number };
  drift: { drifted: boolean; share: number; driftedColumns: string[] } | null;
  driftSkipped?: string;
  performance: { metrics: Record<string, number | null>; n: number; sufficient: boolean; degraded: boolean } | null;
  /** When the last retraining finished, or when the incumbent was registered. */
  since: string;
  reasons: RetrainReason[];
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
}

/** A recorded retraining decision (a row of core's `core_retrain_decisions`, with this package's evaluation). */
export interface RetrainDecision {
  id: string;
  model: string;
  alias: string;
  status: 'running' | 'no-action' | 'promoted' | 'rejected' | 'failed' | 'abandoned';
  triggered: boolean;
  reasons: RetrainReason[];
  evaluation: RetrainEvaluation | null;
  incumbentVersion: number | null;
  candidateVersion: number | null;
  /** The registry's promotion decision id (passed or failed gate). */
  promotionDecisionId: number | null;
  error: string | null;
  principal: string;
  startedAt: string;
  finishedAt: string | null;
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
   * The window of the prediction log evaluated.
   * @default { durationMs: 86400000, limit: 10000, minSamples: 30 }
   */
  window?: RetrainWindow;
  /**
   * Input columns tested for drift.
   * @default the reference's feature columns present in the logged inputs
   */
  features?: string[];
  /**
   * Output column holding the predicted class (compared with feedback labels).
   * @default 'label'
   */
  predictionOutput?: string;
  /**
   * `detectDrift` options (tests, thresholds).
   * @default {}
   */
  drift?: DriftOptions;
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
   * Where alerts go (retrained and promoted: info; rejected by the gate: warning; failed: critical).
   * @default []
   */
  alerts?: AlertSink | AlertSink[];
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
}

/** A continuous-training policy for one model alias. */
export interface ContinuousTrainingPolicy {
  readonly model: string;
  readonly alias: string;
  /** Reads the window and decides, without side effects. */
  evaluate(): Promise<RetrainEvaluation>;
  /** Evaluates, then maybe retrains, promotes through the gate, records the decision and alerts. */
  runOnce(options?: RunOnceOptions): Promise<RetrainDecision>;
  /** Recorded decisions of this model alias, newest first. */
  decisions(options?: { limit?: number }): Promise<RetrainDecision[]>;
}

const optionsSchema = z.object({
  model: z.string().min(1).max(128),
  alias: z.string().min(1).max(128).default('production'),
  triggers: z.strictObject({
    drift: z.union([z.boolean(), z.strictObject({ share: z.number().min(0).max(1) })]).optional(),
    accuracyBelow: z.number().min(0).max(1).optional(),
    newLabels: z.int().min(1).optional(),
    schedule: z.strictObject({ everyMs: z.int().min(1) }).optional(),
  }),
  window: z
    .strictObject({
      durationMs: z.int().min(1).default(86_400_000),
      limit: z.int().min(1).max(1_000_000).default(10_000),
      minSamples: z.int().min(1).default(30),
    })
    .default({ durationMs: 86_400_000, limit: 10_000, minSamples: 30 }),
  features: z.array(z.string().min(1)).optional(),
  predictionOutput: z.string().min(1).default('label'),
  principal: z.string().min(1).max(256).default('continuous-training'),
  staleAfterMs: z.int().min(1).default(21_600_000),
  retrain: z.custom<(...a: unknown[]) => unknown>((v) => typeof v === 'function', 'a function'),
});

/** Options of {@link listRetrainDecisions}. */
export interface ListRetrainDecisionsOptions {
  store: Store;
  /** @default every model */
  model?: string;
  /** @default every alias */
  alias?: string;
  /** @default 100 */
  limit?: number;
}

/**
 * Recorded retraining decisions, newest first (what `mlops retrain` lists): core's `listRetrainDecisions`, after the
 * pipelines migrations (which move decisions recorded by older versions into core's table), typed with this
 * package's evaluation.
 */
export async function listRetrainDecisions(options: ListRetrainDecisionsOptions): Promise<RetrainDecision[]> {
  await migratePipelines(options.store);
  const limit = Math.min(Math.max(1, Math.trunc(options.limit ?? 100)), 10_000);
  return (await coreListRetrainDecisions({ ...options, limit })) as unknown as RetrainDecision[];
}

const errorMessage = (err: unknown) => (err instanceof Error ? err.message : String(err));

/**
 * Creates a continuous-training policy for one model alias: `evaluate()` reads a window of the prediction log and
 * feedback and decides (drift against the version's reference profile, accuracy from feedback, new labels,
 * schedule); `runOnce()` also retrains, registers, promotes through the gate, records the decision in
 * core's `core_retrain_decisions` and alerts. One `runOnce` at a time per model alias, across processes.
 *
 * @example
 * const policy = createContinuousTrainingPolicy({ store, registry, model: 'churn', triggers: { drift: true, accuracyBelow: 0.8 },
 *   retrain: async () => ({ version: await trainAndRegister() }), gate: { metric: 'f1', notWorseThanIncumbentBy: 0.01, direction: 'max' } });
 * const decision = await policy.runOnce(); // e.g. a Kubernetes CronJob
 */
export function createContinuousTrainingPolicy(options: ContinuousTrainingOptions): ContinuousTrainingPolicy {
  const o = parseInput(
    optionsSchema,
    {
      model: options.model,
      alias: options.alias,
      triggers: options.triggers,
      window: options.window,
      features: options.features,
      predictionOutput: options.predictionOutput,
      principal: options.principal,
      staleAfterMs: options.staleAfterMs,
      retrain: options.retrain,
    },
    'continuous training options',
  );
  const { store, registry } = options;
  const now = options.now ?? (() => new Date());
  const sinks = options.alerts === undefined ? [] : Array.isArray(options.alerts) ? options.alerts : [options.alerts];
  if (options.reference !== undefined && !isProfile(options.reference)) parseProfile(options.reference);
  if (options.compare?.data !== undefined && options.compare.data !== 'window') {
    parseEvaluationData(options.compare.data, 'compare.data');
  }
  let warnedUnfairGate = false;

  const lastRetrainAt = async (): Promise<Date | undefined> => {
    const last = await latestRetrainDecision({
      store,
      model: o.model,
      alias: o.alias,
      status: ['promoted', 'rejected'],
    });
    return last?.finishedAt ? new Date(last.finishedAt) : undefined;
  };

  const evaluate = async (): Promise<RetrainEvaluation> => {
    await migratePipelines(store);
    const incumbent = await registry.resolve({ model: o.model, alias: o.alias });
    let reference: Profile | null = options.reference ?? null;
    if (!reference) {
      const stored = await registry.getProfile({ model: o.model, version: incumbent.version });
      reference = stored ? parseProfile(stored) : null;
    }
    // The window settings stored with the incumbent version (core's WINDOW_SETTINGS_TAG, the same tag the server's
    // gauges read) win field by field over this policy's options; an invalid tag falls back to the options, and
    // the evaluation says so.
    let stored: WindowSettings | null = null;
    let settingsError: string | undefined;
    try {
      stored = windowSettingsFromTags(incumbent.tags);
    } catch (err) {
      settingsError = err instanceof Error ? err.message : String(err);
    }
    const win = {
      durationMs: stored?.windowMs ?? o.window.durationMs,
      limit: stored?.limit ?? o.window.limit,
      minSamples: stored?.minSamples ?? o.window.minSamples,
    };
    const features = stored?.features ?? o.features;
    const predictionOutput = stored?.predictionOutput ?? o.predictionOutput;
    const to = now();
    const from = new Date(to.getTime() - win.durationMs);
    const read = {
      store,
      model: o.model,
      version: String(incumbent.version),
      from,
      to,
      limit: win.limit,
      order: 'desc' as const,
    };
    const [predictions, labelled] = await Promise.all([readPredictions(read), readLabelledWindow(read)]);
    const accuracyMetric: PerformanceMetric = 'accuracy';
    const w: WindowEvaluation = evaluateWindow({
      reference,
      predictions,
      labelled,
      ...(features ? { features } : {}),
      predictionOutput,
      minSamples: win.minSamples,
      drift: {
        ...(options.drift ?? {}),
        ...(typeof o.triggers.drift === 'object' ? { datasetDriftShare: o.triggers.drift.share } : {}),
      },
      metrics: [accuracyMetric],
      minimums: o.triggers.accuracyBelow === undefined ? {} : { accuracy: o.triggers.accuracyBelow },
    });
    const since = (await lastRetrainAt()) ?? new Date(incumbent.createdAt);
    const newLabels = labelled.filter((l) => l.labelTime > since).length;
    const reasons: RetrainReason[] = [];
    const t = o.triggers;
    if (t.drift && w.drift?.dataset.drifted) {
      const cols = w.drift.columns.filter((c) => c.drifted).map((c) => c.column);
      reasons.push({
        trigger: 'drift',
        message: `data drift: ${cols.length} of ${w.drift.dataset.columns} features drifted (${cols.join(', ')}), share ${w.drift.dataset.share.toFixed(2)} ≥ ${w.drift.dataset.threshold}`,
      });
    }
    if (t.accuracyBelow !== undefined && w.performance?.degraded) {
      const b = w.performance.breaches.find((x) => x.metric === 'accuracy');
      if (b) {
        reasons.push({
          trigger: 'accuracy',
          message: `accuracy ${b.value.toFixed(4)} below ${t.accuracyBelow} on ${w.performance.n} labelled predictions`,
        });
      }
    }
    if (t.newLabels !== undefined && newLabels >= t.newLabels) {
      reasons.push({
        trigger: 'new-labels',
        message: `${newLabels} new labels since ${since.toISOString()} (≥ ${t.newLabels})`,
      });
    }
    if (t.schedule && to.getTime() - since.getTime() >= t.schedule.everyMs) {
      reasons.push({
        trigger: 'schedule',
        message: `last retraining ${since.toISOString()} is older than ${t.schedule.everyMs} ms`,
      });
    }
    return {
      model: o.model,
      alias: o.alias,
      version: incumbent.version,
      window: {
        from: from.toISOString(),
        to: to.toISOString(),
        settings: stored ? 'version' : 'policy',
        ...(settingsError ? { settingsError } : {}),
      },
      counts: { ...w.counts, newLabels },
      drift: w.drift
        ? {
            // null when the feed is broken (@mlops/drift 2): a broken feed is not drift and no reason to retrain
            drifted: w.drift.dataset.drifted === true,
            share: w.drift.dataset.share,
            driftedColumns: w.drift.columns.filter((c) => c.drifted).map((c) => c.column),
          }
        : null,
      ...(w.driftSkipped ? { driftSkipped: w.driftSkipped } : {}),
      performance: w.performance
        ? {
            metrics: w.performance.metrics,
            n: w.performance.n,
            sufficient: w.performance.sufficient,
            degraded: w.performance.degraded,
          }
        : null,
      since: since.toISOString(),
      reasons,
      triggered: reasons.length > 0,
    };
  };

  const alert = async (
    severity: 'info' | 'warning' | 'critical',
    title: string,
    message: string,
    labels: Record<string, string>,
  ) => {
    if (sinks.length === 0) return;
    const a = createAlert({ severity, title, message, labels: { model: o.model, alias: o.alias, ...labels } });
    await Promise.all(
      sinks.map((s) =>
        s.send(a).catch((err: unknown) => {
          console.warn(`[mlops] alert sink ${s.name} failed: ${errorMessage(err)}`);
        }),
      ),
    );
  };

  const finish = async (
    id: string,
    fields: {
      status: Exclude<RetrainDecisionStatus, 'running'>;
      triggered?: boolean;
      reasons?: RetrainReason[];
      evaluation?: RetrainEvaluation | undefined;
      incumbentVersion?: number | null;
      candidateVersion?: number | null;
      promotionDecisionId?: number | null;
      error?: string | null;
    },
  ) => {
    const { evaluation, ...rest } = fields;
    const d = await finishRetrainDecision({
      store,
      id,
      ...rest,
      evaluation: evaluation === undefined ? null : (evaluation as unknown as Record<string, unknown>),
    });
    return d as unknown as RetrainDecision;
  };

  const runOnce = async (run: RunOnceOptions = {}): Promise<RetrainDecision> => {
    await migratePipelines(store);
    const principal = run.principal ?? o.principal;
    await abandonStaleRetrainDecisions({ store, model: o.model, alias: o.alias, olderThanMs: o.staleAfterMs });
    // A second running decision for this model alias (any process) is refused with CONFLICT.
    const { id } = await recordRetrainDecision({
      store,
      model: o.model,
      alias: o.alias,
      status: 'running',
      principal,
    });

    let evaluation: RetrainEvaluation | undefined;
    let candidate: number | undefined;
    try {
      evaluation = await evaluate();
      const reasons = [...evaluation.reasons];
      if (run.force) reasons.push({ trigger: 'manual', message: run.reason ?? `requested by ${principal}` });
      if (reasons.length === 0) {
        return await finish(id, { status: 'no-action', evaluation, incumbentVersion: evaluation.version });
      }
      const incumbent = await registry.getVersion({ model: o.model, version: evaluation.version });
      const result = await options.retrain({
        model: o.model,
        alias: o.alias,
        incumbent,
        reasons,
        evaluation,
        decisionId: id,
      });
      const retrained = parseInput(
        z.object({ version: z.int().positive(), holdout: z.unknown().optional() }),
        result,
        'retrain result',
      );
      candidate = retrained.version;
      // The gate compares candidate and incumbent on the same data: both scored here, the figures sent with the
      // promotion and recorded with the decision.
      let comparison: GateComparison | null = null;
      if (options.compare) {
        const candidateVersion = await registry.getVersion({ model: o.model, version: candidate });
        comparison = await compareOnSameData({
          store,
          model: o.model,
          candidate: candidateVersion,
          incumbent,
          window: { from: evaluation.window.from, to: evaluation.window.to, limit: o.window.limit },
          ...(retrained.holdout === undefined
            ? {}
            : { holdout: parseEvaluationData(retrained.holdout, 'retrain result.holdout') }),
          compare: options.compare,
          predictionOutput: o.predictionOutput,
          minSamples: o.window.minSamples,
        });
      } else if (!warnedUnfairGate && comparesWithIncumbent(options.gate)) {
        warnedUnfairGate = true;
        console.warn(
          `[mlops] continuous training of ${o.model}@${o.alias}: the gate compares the candidate's registered metrics with the incumbent's, measured on different data; pass compare: { objects, flavors } to score both on the same data`,
        );
      }
      evaluation = { ...evaluation, comparison };
      const reasonText = `continuous training: ${reasons.map((r) => r.trigger).join(', ')}`;
      const base = {
        triggered: true,
        reasons,
        evaluation,
        incumbentVersion: evaluation.version,
        candidateVersion: candidate,
      };
      try {
        const promoted = await registry.promote({
          model: o.model,
          alias: o.alias,
          version: candidate,
          ...(options.gate ? { gate: options.gate } : {}),
          ...(comparison ? { comparison } : {}),
          expectedIncumbent: evaluation.version,
          reason: reasonText,
          principal,
        });
        const d = await finish(id, { ...base, status: 'promoted', promotionDecisionId: promoted.decision.id });
        await alert(
          'info',
          `Retrained ${o.model} and promoted v${candidate} to ${o.alias}`,
          `${reasons.map((r) => r.message).join('\n')}\nv${evaluation.version} → v${candidate}`,
          { version: String(candidate), outcome: 'promoted' },
        );
        return d;
      } catch (err) {
        if (!isMlopsError(err, 'GATE_FAILED')) throw err;
        const decision = (err.details as { decision?: Decision } | undefined)?.decision;
        const d = await finish(id, {
          ...base,
          status: 'rejected',
          promotionDecisionId: decision?.id ?? null,
          error: err.message,
        });
        await alert(
          'warning',
          `Retrained ${o.model} v${candidate} was rejected by the gate; ${o.alias} stays on v${evaluation.version}`,
          `${reasons.map((r) => r.message).join('\n')}\n${err.message}`,
          { version: String(candidate), outcome: 'rejected' },
        );
        return d;
      }
    } catch (err) {
      const d = await finish(id, {
        status: 'failed',
        triggered: evaluation?.triggered ?? false,
        reasons: evaluation?.reasons ?? [],
        evaluation,
        incumbentVersion: evaluation?.version ?? null,
        candidateVersion: candidate ?? null,
        error: errorMessage(err).slice(0, 8000),
      }).catch(() => undefined);
      await alert('critical', `Continuous training of ${o.model}@${o.alias} failed`, errorMessage(err), {
        outcome: 'failed',
      });
      if (!d) throw err;
      return d;
    }
  };

  return {
    model: o.model,
    alias: o.alias,
    evaluate,
    runOnce,
    decisions: (opts = {}) => listRetrainDecisions({ store, model: o.model, alias: o.alias, ...opts }),
  };
}
