import type { Store } from '@mlops/core';
import { latestRetrainDecision } from '@mlops/core/retrain-decisions';
import {
  type Calibrator,
  calibratorFromMetadata,
  type MonitoringResult,
  type MonitoringSettings,
  monitorWindow,
  parseMonitoringSettings,
  parseReference,
  SHADOW_ALIAS_PREFIX,
  type WindowDriftOptions,
} from '@mlops/monitoring';

import type { ModelSlots } from './model-slots.js';

/** The alias prefix marking shadow predictions in the prediction log (`shadow:<alias>`), from `@mlops/monitoring`. */
export { SHADOW_ALIAS_PREFIX };

/**
 * Monitoring gauges on `/metrics`: a window of the server's own prediction log evaluated against the served
 * version's reference profile by `@mlops/monitoring`'s `monitorWindow` — the evaluator the continuous-training
 * policy, the dashboard and `mlops monitor` call too. The settings and thresholds (`windowMs`, `limit`,
 * `minSamples`, `metrics`, `predictionOutput`, `features`, `driftShare`, `minimums`) stored with the model version
 * (tag `mlops.monitoring`) win field by field; these options are the caller's defaults for versions without them.
 */
export interface MonitoringOptions extends MonitoringSettings {
  /**
   * Least time between two evaluations: a scrape within it serves the previous values.
   * @default 60000
   */
  refreshMs?: number;
  /**
   * Tests and thresholds of `detectDrift` (the dataset share is the `driftShare` setting).
   * @default {}
   */
  drift?: WindowDriftOptions;
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
  /** Loads the version's tags (monitoring settings under `mlops.monitoring`), or null. */
  tags?: () => Promise<Readonly<Record<string, string>> | null>;
  /** Loads the version's model-package metadata (the calibrator of the estimated performance), or null. */
  metadata?: () => Promise<Readonly<Record<string, unknown>> | null>;
}

/** A model alias whose retraining decisions are exported (internal). */
export interface DecisionTarget {
  /** The served model name (the gauge's `model` label). */
  model: string;
  /** The registered model name (the table's `model`). */
  registryModel: string;
  alias: string;
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
  versions: MonitoringResult[];
  decisions: DecisionSnapshot[];
}

/** The server's monitor: evaluates lazily, at most once per `refreshMs` (internal). */
export interface Monitor {
  /** Re-evaluates when the last evaluation is older than `refreshMs`; never rejects. */
  refresh(): Promise<void>;
  snapshot(): MonitoringSnapshot;
}

/** Creates the server's monitor over the prediction log in `store` (internal). */
export function createMonitor(args: {
  store: Store;
  options: MonitoringOptions;
  targets: () => MonitorTarget[];
  decisions: () => DecisionTarget[];
  onError: (err: unknown, where: string) => void;
  /** Runs before each evaluation: the server writes the prediction log's buffered rows, so a window counts them. */
  beforeEvaluate?: () => Promise<void>;
}): Monitor {
  const { refreshMs: refreshOption, drift, retrainDecisions, now: clock, ...settings } = args.options;
  // Invalid defaults are a configuration error: thrown by createModelServer, with field paths.
  const defaults = parseMonitoringSettings(settings, 'monitoring');
  const now = clock ?? Date.now;
  const refreshMs = refreshOption ?? 60_000;
  // Profiles never change for a version: cache them, validated (a failed load is retried next time).
  const profiles = new Map<string, Promise<unknown>>();
  let snapshot: MonitoringSnapshot = { versions: [], decisions: [] };
  let last: number | undefined;
  let running: Promise<void> | undefined;

  const profileOf = (t: MonitorTarget): Promise<unknown> => {
    const key = `${t.model}\u0000${t.version}`;
    let p = profiles.get(key);
    if (!p) {
      p = t.profile().then(parseReference);
      p.catch(() => profiles.delete(key));
      profiles.set(key, p);
    }
    return p;
  };

  // A version's calibrator never changes either (undefined: none stored; a damaged one is reported once per load).
  const calibrators = new Map<string, Promise<Calibrator | undefined>>();
  const calibratorOf = (t: MonitorTarget): Promise<Calibrator | undefined> => {
    const key = `${t.model}\u0000${t.version}`;
    let c = calibrators.get(key);
    if (!c) {
      c = (t.metadata ? t.metadata() : Promise.resolve(null)).then((m) => calibratorFromMetadata(m ?? undefined));
      c.catch(() => calibrators.delete(key));
      calibrators.set(key, c);
    }
    return c;
  };

  const evaluateTarget = async (t: MonitorTarget): Promise<MonitoringResult> => {
    const at = now();
    // Tags may change (updateVersion): read them at every evaluation, at most once per refreshMs.
    const [reference, tags] = await Promise.all([
      profileOf(t).catch((err) => {
        args.onError(err, `reference profile of ${t.model}@${t.version}`);
        return null;
      }),
      t.tags
        ? t.tags().catch((err) => {
            args.onError(err, `monitoring settings of ${t.model}@${t.version} (using the server's)`);
            return null;
          })
        : null,
    ]);
    const calibrator = await calibratorOf(t).catch((err) => {
      args.onError(err, `calibrator of ${t.model}@${t.version} (estimating with uncalibrated probabilities)`);
      return undefined;
    });
    const result = await monitorWindow({
      store: args.store,
      model: t.model,
      version: t.version,
      reference,
      tags,
      defaults,
      ...(drift ? { drift } : {}),
      ...(calibrator ? { calibrator } : {}),
      at,
    });
    if (result.settingsError) {
      args.onError(
        new Error(result.settingsError),
        `monitoring settings of ${t.model}@${t.version} (using the server's)`,
      );
    }
    return result;
  };

  const readDecisions = async (): Promise<DecisionSnapshot[]> => {
    const targets = args.decisions();
    if (retrainDecisions === false || targets.length === 0) return [];
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
    if (args.beforeEvaluate) {
      try {
        await args.beforeEvaluate();
      } catch (err) {
        args.onError(err, 'writing the prediction log before monitoring');
      }
    }
    const versions: MonitoringResult[] = [];
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

/** The server's monitor over its served (non-shadow) versions and the registry aliases they follow (internal). */
export function createSlotsMonitor(args: {
  store: Store;
  options: MonitoringOptions;
  slots: ModelSlots;
  onError: (err: unknown, where: string) => void;
  beforeEvaluate?: () => Promise<void>;
}): Monitor {
  const { slots } = args;
  return createMonitor({
    ...(args.beforeEvaluate ? { beforeEvaluate: args.beforeEvaluate } : {}),
    store: args.store,
    options: args.options,
    targets: () =>
      slots.all.flatMap((s) =>
        s.served
          .filter((v) => v.role !== 'shadow')
          .map((v) => ({
            model: s.name,
            version: v.model.version,
            profile: () => s.profile(v.model.version),
            tags: () => s.tags(v.model.version),
            metadata: () => s.metadata(v.model.version),
          })),
      ),
    decisions: () =>
      slots.all.flatMap((s) =>
        s.registryRef ? [{ model: s.name, registryModel: s.registryRef.model, alias: s.registryRef.alias }] : [],
      ),
    onError: args.onError,
  });
}
