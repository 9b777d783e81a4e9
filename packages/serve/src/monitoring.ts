import {
  evaluatePerformance,
  type LabelledPrediction,
  latestRetrainDecision,
  type PerformanceEvaluation,
  type PerformanceMetric,
  type PredictionRecord,
  readLabelledWindow,
  readPredictions,
  type Store,
  type WindowSettings,
  windowSettingsFromTags,
} from '@mlops/core';
import { type DriftOptions, type DriftReport, detectDrift, type Profile, parseProfile } from '@mlops/drift';

/** The alias prefix marking shadow predictions in the prediction log (`shadow:<alias>`). */
export const SHADOW_ALIAS_PREFIX = 'shadow:';

/**
 * Monitoring gauges on `/metrics`: a window of the server's own prediction log evaluated against the served
 * version's reference profile, with the same functions as the continuous-training policy (SPEC: one evaluator).
 * The window settings stored with the model version (the registry version tag `mlops.monitoring`, core's
 * `WINDOW_SETTINGS_TAG`: `windowMs`, `limit`, `minSamples`, `metrics`, `predictionOutput`, `features`) win field by
 * field; these options are the fallback for versions without them.
 */
export interface MonitoringOptions {
  /**
   * Length of the window, ending at evaluation time, in milliseconds (the policy's `window.durationMs`).
   * @default 86400000 (one day)
   */
  windowMs?: number;
  /**
   * Most recent predictions read (the policy's `window.limit`).
   * @default 10000
   */
  limit?: number;
  /**
   * Fewer predictions (drift) or labelled predictions (metrics) than this: that part is not exported.
   * @default 30
   */
  minSamples?: number;
  /**
   * Least time between two evaluations: a scrape within it serves the previous values.
   * @default 60000
   */
  refreshMs?: number;
  /**
   * Metrics computed from feedback (core's `evaluatePerformance`).
   * @default ['accuracy', 'macroF1']
   */
  metrics?: PerformanceMetric[];
  /**
   * Output column holding the predicted class.
   * @default 'label'
   */
  predictionOutput?: string;
  /**
   * Input columns tested for drift.
   * @default the reference's feature columns present in the logged inputs
   */
  features?: string[];
  /**
   * Options of `detectDrift` (tests, thresholds, `datasetDriftShare`).
   * @default {}
   */
  drift?: DriftOptions;
  /**
   * Export the latest retraining decision per model alias (core's `latestRetrainDecision`, table `core_retrain_decisions`).
   * @default true
   */
  retrainDecisions?: boolean;
  /**
   * The clock, in milliseconds.
   * @default Date.now
   */
  now?: () => number;
}

/** A served version to monitor (internal). */
export interface MonitorTarget {
  /** The served model name (as logged). */
  model: string;
  version: string;
  /** Loads the version's reference profile (any JSON; validated with `parseProfile`), or null. */
  profile: () => Promise<unknown>;
  /** Loads the version's tags (window settings under `mlops.monitoring`), or null. */
  tags?: () => Promise<Readonly<Record<string, string>> | null>;
}

/** A model alias whose retraining decisions are exported (internal). */
export interface DecisionTarget {
  /** The served model name (the gauge's `model` label). */
  model: string;
  /** The registered model name (the table's `model`). */
  registryModel: string;
  alias: string;
}

/** The evaluation of one served version's window (internal). */
export interface VersionMonitoring {
  model: string;
  version: string;
  counts: { predictions: number; labelled: number };
  drift: DriftReport | null;
  driftSkipped?: string;
  performance: PerformanceEvaluation | null;
  evaluatedAt: number;
  /** The window length used, in milliseconds. */
  windowMs: number;
  /** Where the settings came from: the version's tags, or the server's options alone. */
  settingsFrom: 'version' | 'server';
}

/** The latest retraining decision of a model alias (internal). */
export interface DecisionSnapshot {
  model: string;
  alias: string;
  status: string;
  triggered: boolean;
  startedAt: number;
}

/** What the gauges read (internal). */
export interface MonitoringSnapshot {
  versions: VersionMonitoring[];
  decisions: DecisionSnapshot[];
}

/** The server's monitor: evaluates lazily, at most once per `refreshMs` (internal). */
export interface Monitor {
  /** Re-evaluates when the last evaluation is older than `refreshMs`; never rejects. */
  refresh(): Promise<void>;
  snapshot(): MonitoringSnapshot;
}

/**
 * Evaluates one window: `detectDrift` on the inputs against the reference, `evaluatePerformance` on the feedback.
 * Mirrors the continuous-training policy's `evaluateWindow` (features, minimum samples, prediction pairs).
 */
export function evaluateMonitoringWindow(o: {
  reference: Profile | null;
  predictions: readonly PredictionRecord[];
  labelled: readonly LabelledPrediction[];
  features?: string[];
  predictionOutput: string;
  minSamples: number;
  drift: DriftOptions;
  metrics: PerformanceMetric[];
}): Pick<VersionMonitoring, 'counts' | 'drift' | 'driftSkipped' | 'performance'> {
  const counts = { predictions: o.predictions.length, labelled: o.labelled.length };
  let drift: DriftReport | null = null;
  let driftSkipped: string | undefined;
  if (!o.reference) driftSkipped = 'the model version has no reference profile';
  else if (o.predictions.length < o.minSamples) {
    driftSkipped = `${o.predictions.length} predictions in the window, fewer than ${o.minSamples}`;
  } else {
    const seen = new Set<string>();
    for (const p of o.predictions) for (const k of Object.keys(p.inputs)) seen.add(k);
    const features =
      o.features ?? o.reference.columns.filter((c) => c.role === 'feature' && seen.has(c.name)).map((c) => c.name);
    if (features.length === 0) driftSkipped = 'no input column of the window is in the reference profile';
    else {
      const current: Record<string, unknown[]> = Object.fromEntries(features.map((f) => [f, []]));
      for (const p of o.predictions) for (const f of features) current[f]!.push(p.inputs[f] ?? null);
      drift = detectDrift(o.reference, current, { ...o.drift, include: features });
    }
  }
  const pairs = o.labelled
    .map((l) => ({ prediction: l.prediction.outputs?.[o.predictionOutput], label: l.label }))
    .filter(
      (p): p is { prediction: string | number; label: string | number } =>
        (typeof p.prediction === 'string' || typeof p.prediction === 'number') &&
        (typeof p.label === 'string' || typeof p.label === 'number'),
    );
  const performance =
    pairs.length === 0 ? null : evaluatePerformance(pairs, { metrics: o.metrics, minSamples: o.minSamples });
  return { counts, drift, ...(driftSkipped ? { driftSkipped } : {}), performance };
}

const isShadow = (alias: string | null) => alias?.startsWith(SHADOW_ALIAS_PREFIX) ?? false;

/** Creates the server's monitor over the prediction log in `store` (internal). */
export function createMonitor(args: {
  store: Store;
  options: MonitoringOptions;
  targets: () => MonitorTarget[];
  decisions: () => DecisionTarget[];
  onError: (err: unknown, where: string) => void;
}): Monitor {
  const o = args.options;
  const now = o.now ?? Date.now;
  const windowMs = o.windowMs ?? 86_400_000;
  const limit = o.limit ?? 10_000;
  const minSamples = o.minSamples ?? 30;
  const refreshMs = o.refreshMs ?? 60_000;
  const metrics = o.metrics ?? ['accuracy', 'macroF1'];
  const predictionOutput = o.predictionOutput ?? 'label';
  // Profiles never change for a version: cache them (a failed load is retried next time).
  const profiles = new Map<string, Promise<Profile | null>>();
  let snapshot: MonitoringSnapshot = { versions: [], decisions: [] };
  let last: number | undefined;
  let running: Promise<void> | undefined;

  const profileOf = (t: MonitorTarget): Promise<Profile | null> => {
    const key = `${t.model}\u0000${t.version}`;
    let p = profiles.get(key);
    if (!p) {
      p = t.profile().then((raw) => (raw === null || raw === undefined ? null : parseProfile(raw)));
      p.catch(() => profiles.delete(key));
      profiles.set(key, p);
    }
    return p;
  };

  // Tags may change (updateVersion): read them at every evaluation, at most once per refreshMs.
  const settingsOf = async (t: MonitorTarget): Promise<WindowSettings | null> => {
    if (!t.tags) return null;
    try {
      return windowSettingsFromTags((await t.tags()) ?? undefined);
    } catch (err) {
      args.onError(err, `monitoring settings of ${t.model}@${t.version} (using the server's)`);
      return null;
    }
  };

  const evaluateTarget = async (t: MonitorTarget): Promise<VersionMonitoring> => {
    const to = now();
    const v = await settingsOf(t);
    const w = {
      windowMs: v?.windowMs ?? windowMs,
      limit: v?.limit ?? limit,
      minSamples: v?.minSamples ?? minSamples,
      metrics: v?.metrics ?? metrics,
      predictionOutput: v?.predictionOutput ?? predictionOutput,
      features: v?.features ?? o.features,
    };
    const read = {
      store: args.store,
      model: t.model,
      version: t.version,
      from: new Date(to - w.windowMs),
      to: new Date(to),
      limit: w.limit,
      order: 'desc' as const,
    };
    const [reference, predictions, labelled] = await Promise.all([
      profileOf(t).catch((err) => {
        args.onError(err, `reference profile of ${t.model}@${t.version}`);
        return null;
      }),
      readPredictions(read),
      readLabelledWindow(read),
    ]);
    const r = evaluateMonitoringWindow({
      reference,
      predictions: predictions.filter((p) => !isShadow(p.alias)),
      labelled: labelled.filter((l) => !isShadow(l.prediction.alias)),
      ...(w.features ? { features: w.features } : {}),
      predictionOutput: w.predictionOutput,
      minSamples: w.minSamples,
      drift: o.drift ?? {},
      metrics: w.metrics,
    });
    return {
      model: t.model,
      version: t.version,
      ...r,
      evaluatedAt: to,
      windowMs: w.windowMs,
      settingsFrom: v ? 'version' : 'server',
    };
  };

  const readDecisions = async (): Promise<DecisionSnapshot[]> => {
    const targets = args.decisions();
    if (o.retrainDecisions === false || targets.length === 0) return [];
    const out: DecisionSnapshot[] = [];
    for (const d of targets) {
      // Core's reader: empty until a policy has recorded a decision in this store (it creates no table).
      const row = await latestRetrainDecision({ store: args.store, model: d.registryModel, alias: d.alias });
      if (row) {
        out.push({
          model: d.model,
          alias: d.alias,
          status: row.status,
          triggered: row.triggered,
          startedAt: Date.parse(row.startedAt),
        });
      }
    }
    return out;
  };

  const evaluate = async () => {
    const versions: VersionMonitoring[] = [];
    for (const t of args.targets()) {
      try {
        versions.push(await evaluateTarget(t));
      } catch (err) {
        args.onError(err, `monitoring ${t.model}@${t.version}`);
        const previous = snapshot.versions.find((v) => v.model === t.model && v.version === t.version);
        if (previous) versions.push(previous);
      }
    }
    let decisions = snapshot.decisions;
    try {
      decisions = await readDecisions();
    } catch (err) {
      args.onError(err, 'reading retraining decisions');
    }
    snapshot = { versions, decisions };
  };

  return {
    refresh() {
      if (running) return running;
      const t = now();
      if (last !== undefined && t - last < refreshMs) return Promise.resolve();
      last = t;
      running = evaluate().finally(() => {
        running = undefined;
      });
      return running;
    },
    snapshot: () => snapshot,
  };
}
