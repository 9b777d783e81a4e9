import { MlopsError, type Store } from '@mlops/core';
import { readLabelledWindow, readPredictions } from '@mlops/core/predictions';
import { type Profile, parseProfile } from '@mlops/drift';
import type { Calibrator } from './calibration/calibrator.js';
import { evaluateWindow, type WindowDriftOptions, type WindowEvaluation } from './evaluate.js';
import {
  type MonitoringSettings,
  type ResolvedMonitoringSettings,
  resolveMonitoringSettings,
  type SettingSources,
} from './settings.js';

/** The alias prefix marking shadow predictions in the prediction log (`shadow:<alias>`): never monitored. */
export const SHADOW_ALIAS_PREFIX = 'shadow:';

/** True for a shadow prediction's alias (`shadow:<alias>`): what users were not answered with. */
export const isShadowAlias = (alias: string | null | undefined): boolean =>
  alias?.startsWith(SHADOW_ALIAS_PREFIX) ?? false;

/**
 * A model version's reference profile, validated (`@mlops/drift`'s `parseProfile`: a `DriftError('INVALID_INPUT')`
 * with field paths when it is not a profile), or null when there is none. Validating the same object twice is free.
 */
export function parseReference(raw: unknown): Profile | null {
  return raw === null || raw === undefined ? null : parseProfile(raw);
}

/** Options of {@link monitorWindow}. */
export interface MonitorWindowOptions {
  /** The store holding the prediction log. */
  store: Store;
  /** The model name as logged (a served model's name; the registered model's name for the policy). */
  model: string;
  /** The model version whose predictions are evaluated. */
  version: string;
  /** The version's reference profile (validated with `parseProfile`), or null when it has none. */
  reference: Profile | unknown | null;
  /** The version's tags: the settings stored under `mlops.monitoring` win over `defaults`. @default none */
  tags?: Readonly<Record<string, string>> | null;
  /** The caller's settings, used where the version stores none. @default {} (the built-in defaults) */
  defaults?: MonitoringSettings;
  /** Tests and thresholds of `detectDrift`. @default {} */
  drift?: WindowDriftOptions;
  /** End of the window. @default now */
  at?: Date | number;
  /** Also count the window's labelled predictions whose label arrived after this time (`counts.newLabels`). */
  labelsSince?: Date | number;
  /**
   * The model's calibrator for the estimated performance (`calibratorFromMetadata(manifest.metadata)` of the
   * version's model package). @default undefined (probabilities used as given)
   */
  calibrator?: Calibrator;
}

/** The monitoring result of one model version's window: what every consumer reads. */
export interface MonitoringResult extends WindowEvaluation {
  /** With `labelsSince`: `newLabels`, the labelled predictions whose label arrived after it. */
  counts: WindowEvaluation['counts'] & { newLabels?: number };
  model: string;
  version: string;
  /** The window evaluated: `[from, to)`, ISO 8601. */
  window: { from: string; to: string };
  /** The settings in use. */
  settings: ResolvedMonitoringSettings;
  /** Where each setting came from. */
  sources: SettingSources;
  /** Why the version's stored settings were ignored (an invalid tag). */
  settingsError?: string;
}

/** A {@link MonitoringResult} without the full drift report: what a retraining decision records. */
export type MonitoringRecord = Omit<MonitoringResult, 'drift'>;

/** The result without its drift report (histograms): compact JSON to store or print. */
export function toMonitoringRecord(result: MonitoringResult): MonitoringRecord {
  const { drift: _report, ...record } = result;
  return record;
}

/** A time option as a Date, or INVALID_INPUT naming it (an invalid Date or NaN would read as no time at all). */
function timeOption(value: Date | number, path: string): Date {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) {
    const message = `${path} must be a valid Date or epoch milliseconds`;
    throw new MlopsError('INVALID_INPUT', { message, details: [{ path, message }] });
  }
  return date;
}

/**
 * Evaluates the current window of a model version's prediction log: resolves the settings once (the version's tag,
 * then `defaults`, then the built-in defaults), reads the newest `limit` predictions and the newest `limit` labelled
 * predictions of the last `windowMs` (then leaves shadow predictions out) and runs {@link evaluateWindow}. Serve's gauges, the
 * continuous-training policy, the dashboard and `mlops monitor` all call this.
 */
export async function monitorWindow(options: MonitorWindowOptions): Promise<MonitoringResult> {
  const resolved = resolveMonitoringSettings({
    ...(options.tags ? { tags: options.tags } : {}),
    ...(options.defaults ? { defaults: options.defaults } : {}),
  });
  const s = resolved.settings;
  const to = options.at === undefined ? new Date() : timeOption(options.at, 'at');
  if (options.labelsSince !== undefined) timeOption(options.labelsSince, 'labelsSince');
  const from = new Date(to.getTime() - s.windowMs);
  const read = {
    store: options.store,
    model: options.model,
    version: options.version,
    from,
    to,
    limit: s.limit,
    order: 'desc' as const,
  };
  const [predictions, labelled] = await Promise.all([readPredictions(read), readLabelledWindow(read)]);
  const reference = parseReference(options.reference);
  const evaluation = evaluateWindow({
    reference,
    predictions: predictions.filter((p) => !isShadowAlias(p.alias)),
    labelled: labelled.filter((l) => !isShadowAlias(l.prediction.alias)),
    settings: s,
    ...(options.drift ? { drift: options.drift } : {}),
    ...(options.calibrator ? { calibrator: options.calibrator } : {}),
  });
  const since = options.labelsSince === undefined ? undefined : new Date(options.labelsSince).getTime();
  const counts =
    since === undefined
      ? evaluation.counts
      : {
          ...evaluation.counts,
          newLabels: labelled.filter((l) => !isShadowAlias(l.prediction.alias) && l.labelTime.getTime() > since).length,
        };
  return {
    model: options.model,
    version: options.version,
    window: { from: from.toISOString(), to: to.toISOString() },
    settings: s,
    sources: resolved.sources,
    ...(resolved.error ? { settingsError: resolved.error } : {}),
    ...evaluation,
    counts,
  };
}
