import { createAlert, isMlopsError, MlopsError, parseInput, readModelPackageManifest, type Store } from '@mlops/core';
import {
  abandonStaleRetrainDecisions,
  finishRetrainDecision,
  getRetrainDecision,
  latestRetrainDecision,
  listRetrainDecisions,
  type RetrainDecision,
  type RetrainDecisionStatus,
  type RetrainReason,
  recordRetrainDecision,
} from '@mlops/core/retrain-decisions';
import { createTracker, type Run, type Tracker } from '@mlops/core/tracking';
import { isProfile, type Profile, parseProfile } from '@mlops/drift';
import { calibratorFromMetadata, monitorWindow, parseMonitoringSettings, toMonitoringRecord } from '@mlops/monitoring';
import type { Decision, GateComparison } from '@mlops/registry';
import { z } from 'zod';
import { migratePipelines } from '../_internal/migrate.js';
import { compareOnSameData, comparesWithIncumbent, parseEvaluationData } from './gate-comparison.js';
import type {
  ContinuousTrainingOptions,
  ContinuousTrainingPolicy,
  RetrainEvaluation,
  RunOnceOptions,
} from './policy-types.js';
import { acquireRetrainLock, type RetrainLock } from './retrain-lock.js';

// The policy's types live in policy-types.ts; they are exported from here too, as before the split.
export type {
  ContinuousTrainingOptions,
  ContinuousTrainingPolicy,
  RetrainContext,
  RetrainEvaluation,
  RetrainTriggers,
  RunOnceOptions,
} from './policy-types.js';

const optionsSchema = z.object({
  model: z.string().min(1).max(128),
  alias: z.string().min(1).max(128).default('production'),
  triggers: z.strictObject({
    drift: z.boolean().optional(),
    performance: z.boolean().optional(),
    estimatedPerformance: z.boolean().optional(),
    newLabels: z.int().min(1).optional(),
    schedule: z.strictObject({ everyMs: z.int().min(1) }).optional(),
  }),
  principal: z.string().min(1).max(256).default('continuous-training'),
  staleAfterMs: z.int().min(1).default(21_600_000),
  retrain: z.custom<(...a: unknown[]) => unknown>((v) => typeof v === 'function', 'a function'),
});

/** Options that moved to `monitoring` (one name per setting): a clear error instead of a silently ignored field. */
function rejectMovedOptions(options: ContinuousTrainingOptions): void {
  const o = options as unknown as Record<string, unknown>;
  const t = (o.triggers ?? {}) as Record<string, unknown>;
  const moved: { path: string; message: string }[] = [];
  if (o.window !== undefined) {
    moved.push({
      path: 'window',
      message: 'Moved: monitoring.windowMs (was window.durationMs), monitoring.limit, monitoring.minSamples',
    });
  }
  for (const k of ['features', 'predictionOutput']) {
    if (o[k] !== undefined) moved.push({ path: k, message: `Moved: monitoring.${k}` });
  }
  if (t.accuracyBelow !== undefined) {
    moved.push({
      path: 'triggers.accuracyBelow',
      message: 'Moved: monitoring.minimums.accuracy (the threshold) with triggers.performance: true',
    });
  }
  if (typeof t.drift === 'object' && t.drift !== null) {
    moved.push({
      path: 'triggers.drift',
      message: 'Moved: monitoring.driftShare (the threshold) with triggers.drift: true',
    });
  }
  if (moved.length > 0) {
    throw new MlopsError('INVALID_INPUT', {
      message: `invalid continuous training options: ${moved.map((m) => `${m.path}: ${m.message}`).join('; ')}`,
      details: moved,
    });
  }
}

/**
 * True when `value` (a stored decision's `evaluation`) has the shape of this package's {@link RetrainEvaluation}: its
 * top-level fields are checked, not every nested one.
 *
 * @example
 * const [last] = await policy.decisions({ limit: 1 });
 * if (last && isRetrainEvaluation(last.evaluation)) console.log(last.evaluation.monitoring.status);
 */
export function isRetrainEvaluation(value: unknown): value is RetrainEvaluation {
  if (value === null || typeof value !== 'object') return false;
  const e = value as Partial<Record<keyof RetrainEvaluation, unknown>>;
  const isObject = (v: unknown) => v !== null && typeof v === 'object';
  return (
    typeof e.model === 'string' &&
    typeof e.alias === 'string' &&
    typeof e.version === 'number' &&
    isObject(e.window) &&
    isObject(e.monitoring) &&
    isObject(e.counts) &&
    typeof e.since === 'string' &&
    Array.isArray(e.reasons) &&
    typeof e.triggered === 'boolean'
  );
}

const errorMessage = (err: unknown) => (err instanceof Error ? err.message : String(err));

/**
 * Takes the retrain lock of a model alias ({@link acquireRetrainLock}) and opens a `running` decision under it, or
 * throws `CONFLICT` naming the running decision (`details.decisionId`). With the lock held, a `running` decision left
 * by a process that died is marked `abandoned` at once: every live retraining holds the lock. Release the returned
 * lock once the decision is finished.
 */
export async function openRetrainDecision(
  store: Store,
  model: string,
  alias: string,
  principal: string,
  staleAfterMs = 21_600_000,
): Promise<{ decisionId: string; lock: RetrainLock; release: () => Promise<void> }> {
  await abandonStaleRetrainDecisions({ store, model, alias, olderThanMs: staleAfterMs });
  const lock = await acquireRetrainLock(store, model, alias);
  if (!lock) {
    const running = await latestRetrainDecision({ store, model, alias, status: 'running' });
    throw new MlopsError('CONFLICT', {
      message: `A retraining of ${model}@${alias} is already running${running ? ` (decision ${running.id})` : ''}`,
      details: { model, alias, decisionId: running?.id ?? null },
    });
  }
  try {
    // Nobody holds the lock, so a running decision is an orphan of a dead process (or of a version without the lock).
    const orphans = await listRetrainDecisions({ store, model, alias, status: 'running', limit: 100 });
    for (const d of orphans) {
      await finishRetrainDecision({
        store,
        id: d.id,
        status: 'abandoned',
        triggered: d.triggered,
        reasons: d.reasons,
        evaluation: d.evaluation,
        incumbentVersion: d.incumbentVersion,
        candidateVersion: d.candidateVersion,
        runId: d.runId,
        error: 'abandoned: its process is gone (the retrain lock was free)',
      });
    }
    const { id } = await recordRetrainDecision({ store, model, alias, status: 'running', principal });
    return { decisionId: id, lock, release: () => lock.release() };
  } catch (err) {
    await lock.release();
    throw err;
  }
}

/**
 * Creates a continuous-training policy for one model alias: `evaluate()` evaluates a window of the prediction log
 * and feedback with `@mlops/monitoring` (the evaluator of the server's gauges) and decides (drift against the
 * version's reference profile, a metric below its minimum, new labels, schedule; never on a broken feed);
 * `runOnce()` also retrains, registers, promotes through the gate, records the decision in core's
 * `core_retrain_decisions` and alerts. One `runOnce` at a time per model alias, across processes.
 *
 * @example
 * const policy = createContinuousTrainingPolicy({ store, registry, model: 'churn', triggers: { drift: true, performance: true },
 *   monitoring: { minimums: { accuracy: 0.8 } },
 *   retrain: async () => ({ version: await trainAndRegister() }), gate: { metric: 'f1', notWorseThanIncumbentBy: 0.01, direction: 'max' } });
 * const decision = await policy.runOnce(); // e.g. a Kubernetes CronJob
 */
export function createContinuousTrainingPolicy(options: ContinuousTrainingOptions): ContinuousTrainingPolicy {
  rejectMovedOptions(options);
  const o = parseInput(
    optionsSchema,
    {
      model: options.model,
      alias: options.alias,
      triggers: options.triggers,
      principal: options.principal,
      staleAfterMs: options.staleAfterMs,
      retrain: options.retrain,
    },
    'continuous training options',
  );
  const defaults = parseMonitoringSettings(options.monitoring ?? {}, 'monitoring');
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
    const since = (await lastRetrainAt()) ?? new Date(incumbent.createdAt);
    const to = now();
    // The one evaluator (@mlops/monitoring): the settings stored with the incumbent version (tag mlops.monitoring,
    // the tag the server's gauges read) win field by field over this policy's `monitoring` option.
    const packages = options.objects ?? options.compare?.objects;
    // A package that cannot be read (or a damaged calibrator) leaves the estimate uncalibrated; it never stops the
    // evaluation (the gate's comparison reports an unreadable package itself).
    const calibrator = packages
      ? await readModelPackageManifest(packages, incumbent.packageDigest)
          .then((m) => calibratorFromMetadata(m.metadata))
          .catch(() => undefined)
      : undefined;
    const m = await monitorWindow({
      store,
      model: o.model,
      version: String(incumbent.version),
      reference,
      ...(calibrator ? { calibrator } : {}),
      tags: incumbent.tags ?? null,
      defaults,
      ...(options.drift ? { drift: options.drift } : {}),
      at: to,
      labelsSince: since,
    });
    const newLabels = m.counts.newLabels ?? 0;
    const reasons: RetrainReason[] = [];
    const t = o.triggers;
    for (const c of m.crossings) {
      if (c.kind === 'drift' && t.drift) {
        reasons.push({
          trigger: 'drift',
          message: `data drift: ${c.columns.length} of ${m.dataset?.columns ?? 0} features drifted (${c.columns.join(', ')}), share ${c.share.toFixed(2)} ≥ ${c.threshold}`,
        });
      }
      if (c.kind === 'minimum' && t.performance) {
        reasons.push({
          trigger: 'performance',
          message: `${c.metric} ${c.value.toFixed(4)} below ${c.threshold} on ${m.performance?.n ?? 0} labelled predictions`,
        });
      }
    }
    const labelsMissing = !m.performance?.sufficient;
    for (const c of m.crossings) {
      if (c.kind === 'estimated-minimum' && t.estimatedPerformance && labelsMissing) {
        reasons.push({
          trigger: 'estimated-performance',
          message: `estimated ${c.metric} ${c.value.toFixed(4)} below ${c.threshold} on ${m.estimate?.n ?? 0} predictions without enough labels (${m.performance?.n ?? 0})`,
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
    const blocked = m.status === 'broken' ? (m.statusReason ?? 'broken feed') : undefined;
    return {
      model: o.model,
      alias: o.alias,
      version: incumbent.version,
      window: m.window,
      monitoring: toMonitoringRecord(m),
      counts: { predictions: m.counts.predictions, labelled: m.counts.labelled, newLabels },
      drift:
        m.dataset && (m.status === 'ok' || m.status === 'drifted' || m.status === 'broken')
          ? {
              status: m.status,
              drifted: m.status === 'broken' ? null : m.status === 'drifted',
              share: m.dataset.share,
              driftedColumns: m.features.filter((f) => f.drifted).map((f) => f.feature),
            }
          : null,
      performance: m.performance
        ? {
            metrics: m.performance.metrics,
            n: m.performance.n,
            sufficient: m.performance.sufficient,
            below: m.crossings.flatMap((c) => (c.kind === 'minimum' ? [c.metric] : [])),
          }
        : null,
      since: since.toISOString(),
      reasons,
      ...(blocked ? { blocked } : {}),
      // A broken feed is never a reason to retrain (it would learn garbage): nothing is triggered.
      triggered: !blocked && reasons.length > 0,
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
      runId?: string | null;
      error?: string | null;
    },
  ) => {
    const { evaluation, ...rest } = fields;
    const d = await finishRetrainDecision({
      store,
      id,
      ...rest,
      evaluation: evaluation ?? null,
    });
    return { ...d, evaluation: evaluation ?? null };
  };

  const runOnce = async (run: RunOnceOptions = {}): Promise<RetrainDecision<RetrainEvaluation>> => {
    await migratePipelines(store);
    if (run.decisionId !== undefined) {
      const open = await getRetrainDecision({ store, id: run.decisionId });
      if (!open || open.model !== o.model || open.alias !== o.alias || open.status !== 'running') {
        throw new MlopsError('CONFLICT', {
          message: `Retrain decision ${run.decisionId} is not a running decision of ${o.model}@${o.alias}`,
          details: { decisionId: run.decisionId, model: o.model, alias: o.alias, status: open?.status ?? null },
        });
      }
      return decide(run, open.id, open.principal);
    }
    const lock = await openRetrainDecision(store, o.model, o.alias, run.principal ?? o.principal, o.staleAfterMs);
    try {
      return await decide(run, lock.decisionId, run.principal ?? o.principal);
    } finally {
      await lock.release();
    }
  };

  const tracking = options.tracking === false ? undefined : options.tracking;
  let tracker: Tracker | undefined = tracking?.tracker;
  const startRun = async (id: string, principal: string, reasons: RetrainReason[], incumbent: number) => {
    if (options.tracking === false) return undefined;
    const packages = options.objects ?? options.compare?.objects;
    tracker ??= createTracker({ store, ...(packages ? { objects: packages } : {}), captureGit: false });
    return tracker.startRun({
      experiment: tracking?.experiment ?? `retrain/${o.model}`,
      name: `retrain ${o.model}@${o.alias} decision ${id}`,
      params: { model: o.model, alias: o.alias, incumbentVersion: incumbent, decisionId: id },
      tags: {
        'mlops.retrain.decision': id,
        'mlops.retrain.principal': principal,
        'mlops.retrain.triggers': reasons.map((r) => r.trigger).join(','),
      },
    });
  };

  const decide = async (
    run: RunOnceOptions,
    id: string,
    principal: string,
  ): Promise<RetrainDecision<RetrainEvaluation>> => {
    let evaluation: RetrainEvaluation | undefined;
    let candidate: number | undefined;
    let tracked: Run | undefined;
    const endRun = async (status: 'finished' | 'failed', fields: Record<string, string> = {}) => {
      if (tracked?.status !== 'running') return;
      await tracked.setTags(fields).catch(() => undefined);
      await tracked.end({ status }).catch((err: unknown) => {
        console.warn(`[mlops] retrain run ${tracked?.id} of ${o.model}: ending it failed: ${errorMessage(err)}`);
      });
    };
    try {
      evaluation = await evaluate();
      const reasons = [...evaluation.reasons];
      if (run.force) {
        reasons.push({ trigger: run.trigger ?? 'manual', message: run.reason ?? `requested by ${principal}` });
      }
      if (evaluation.blocked) {
        // A broken feed: an alert, never a retrain (not even a forced one), and the decision says so.
        const d = await finish(id, {
          status: 'blocked',
          triggered: false,
          reasons,
          evaluation,
          incumbentVersion: evaluation.version,
          error: evaluation.blocked.slice(0, 8000),
        });
        await alert(
          'critical',
          `The input feed of ${o.model}@${o.alias} is broken: retraining blocked`,
          `${evaluation.blocked}${reasons.length > 0 ? `\nBlocked: ${reasons.map((r) => r.message).join('; ')}` : ''}`,
          { version: String(evaluation.version), outcome: 'blocked' },
        );
        return d;
      }
      if (reasons.length === 0) {
        return await finish(id, { status: 'no-action', evaluation, incumbentVersion: evaluation.version });
      }
      const incumbent = await registry.getVersion({ model: o.model, version: evaluation.version });
      tracked = await startRun(id, principal, reasons, evaluation.version);
      const result = await options.retrain({
        model: o.model,
        alias: o.alias,
        incumbent,
        reasons,
        evaluation,
        decisionId: id,
        ...(tracked ? { run: tracked } : {}),
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
          window: {
            from: evaluation.window.from,
            to: evaluation.window.to,
            limit: evaluation.monitoring.settings.limit,
          },
          ...(retrained.holdout === undefined
            ? {}
            : { holdout: parseEvaluationData(retrained.holdout, 'retrain result.holdout') }),
          compare: options.compare,
          predictionOutput: evaluation.monitoring.settings.predictionOutput,
          minSamples: evaluation.monitoring.settings.minSamples,
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
        runId: tracked?.id ?? null,
      };
      if (tracked && comparison) {
        const figures: Record<string, number> = {};
        for (const [k, v] of Object.entries(comparison.candidate.metrics)) figures[`candidate_${k}`] = v;
        for (const [k, v] of Object.entries(comparison.incumbent?.metrics ?? {})) figures[`incumbent_${k}`] = v;
        await tracked.logMetrics(figures).catch(() => undefined);
      }
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
        await endRun('finished', { 'mlops.retrain.outcome': 'promoted', 'mlops.retrain.candidate': String(candidate) });
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
        await endRun('finished', { 'mlops.retrain.outcome': 'rejected', 'mlops.retrain.candidate': String(candidate) });
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
        runId: tracked?.id ?? null,
        error: errorMessage(err).slice(0, 8000),
      }).catch(() => undefined);
      await endRun('failed', { 'mlops.retrain.outcome': 'failed' });
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
    decisions: async (opts = {}) => {
      await migratePipelines(store);
      return listRetrainDecisions({ store, model: o.model, alias: o.alias, ...opts });
    },
  };
}
