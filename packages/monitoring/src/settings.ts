import { MlopsError } from '@mlops/core';
import type { PerformanceMetric } from '@mlops/core/metrics';
import { z } from 'zod';

/**
 * The model-version tag holding the monitoring settings (window and thresholds) as JSON: a registry version's
 * `tags['mlops.monitoring']`. Serve's gauges, the continuous-training policy, the dashboard and `mlops monitor` all
 * read it, so they evaluate the window the version was registered with against the same thresholds.
 */
export const MONITORING_SETTINGS_TAG = 'mlops.monitoring';

const metricSchema = z
  .string()
  .regex(
    /^(accuracy|balancedAccuracy|macroPrecision|macroRecall|macroF1|weightedF1|microF1|rocAuc|prAuc|(precision|recall|f1):.+)$/,
    'Expected a performance metric (accuracy, macroF1, recall:<class>, ...)',
  )
  .transform((m) => m as PerformanceMetric);

/**
 * Schema of the monitoring settings: the window and the thresholds, one name per setting. Every field is optional
 * (a missing field falls back to the caller's default, then to {@link MONITORING_DEFAULTS}); unknown fields are
 * rejected.
 */
export const monitoringSettingsSchema = z.strictObject({
  /** Length of the window ending at evaluation time, in milliseconds. */
  windowMs: z.int().positive().optional(),
  /** Most recent predictions (and, separately, most recent labelled predictions) read. */
  limit: z.int().positive().max(1_000_000).optional(),
  /** Fewer predictions (drift, data quality) or labelled predictions (metrics) than this: that part is not evaluated. */
  minSamples: z.int().positive().optional(),
  /** Metrics computed from feedback (core's performance monitor). */
  metrics: z.array(metricSchema).min(1).max(50).optional(),
  /** Output column holding the predicted class (compared with the feedback labels). */
  predictionOutput: z.string().min(1).max(200).optional(),
  /** Input columns tested; every one must be a feature of the reference profile. */
  features: z.array(z.string().min(1).max(200)).min(1).max(10_000).optional(),
  /** Share of drifted features from which the dataset counts as drifted (`detectDrift`'s `datasetDriftShare`). */
  driftShare: z.number().min(0).max(1).optional(),
  /** Smallest acceptable value per metric from feedback, e.g. `{ accuracy: 0.8 }`: below it is a threshold crossing. */
  minimums: z.record(metricSchema, z.number().min(0).max(1)).optional(),
  /** Output column holding the class probabilities (an array in the model's class order), for the estimate. */
  probabilitiesOutput: z.string().min(1).max(200).optional(),
  /**
   * Smallest acceptable estimated value (CBPE, without labels), e.g. `{ accuracy: 0.8 }`: below it is an
   * `estimated-minimum` crossing, usable while labels are missing.
   */
  estimatedMinimums: z
    .strictObject({ accuracy: z.number().min(0).max(1).optional(), macroF1: z.number().min(0).max(1).optional() })
    .optional(),
});

/** Monitoring settings as stored with a model version or given by a caller (every field optional). */
export type MonitoringSettings = z.input<typeof monitoringSettingsSchema>;

/** Every setting with its value in use. */
export interface ResolvedMonitoringSettings {
  windowMs: number;
  limit: number;
  minSamples: number;
  /** The metrics computed: `metrics` plus every metric that has a minimum. */
  metrics: PerformanceMetric[];
  predictionOutput: string;
  /** null: every feature of the reference profile. */
  features: string[] | null;
  driftShare: number;
  minimums: Record<string, number>;
  /** Output column holding the class probabilities (estimated performance). */
  probabilitiesOutput: string;
  /** Smallest acceptable estimated accuracy / macro-F1 ({} = none). */
  estimatedMinimums: { accuracy?: number; macroF1?: number };
}

/** Where a setting's value came from: the model version's tag, the caller's defaults, or the built-in default. */
export type SettingSource = 'version' | 'caller' | 'default';

/** The source of each setting (`minimums`: of each metric's minimum, all from the same place). */
export type SettingSources = { [K in Exclude<keyof ResolvedMonitoringSettings, 'minimums'>]: SettingSource } & {
  minimums: Record<string, SettingSource>;
};

/** The built-in defaults: one day, 10,000 predictions, 30 samples, accuracy and macro-F1, half of the features. */
export const MONITORING_DEFAULTS: Readonly<ResolvedMonitoringSettings> = Object.freeze({
  windowMs: 86_400_000,
  limit: 10_000,
  minSamples: 30,
  metrics: ['accuracy', 'macroF1'] as PerformanceMetric[],
  predictionOutput: 'label',
  features: null,
  driftShare: 0.5,
  minimums: {},
  probabilitiesOutput: 'probabilities',
  estimatedMinimums: {},
});

function invalid(at: string, issues: z.core.$ZodIssue[]): MlopsError {
  const details = issues.flatMap((i) =>
    i.code === 'unrecognized_keys'
      ? i.keys.map((k) => ({ path: at ? `${at}.${k}` : k, message: 'Unknown field' }))
      : [{ path: [at, ...i.path.map(String)].filter(Boolean).join('.') || '(settings)', message: i.message }],
  );
  return new MlopsError('INVALID_INPUT', {
    message: `invalid monitoring settings: ${details.map((d) => `${d.path}: ${d.message}`).join('; ')}`,
    details,
  });
}

/**
 * Validates monitoring settings (a caller's defaults, or a parsed tag). Throws `MlopsError('INVALID_INPUT')` with
 * field paths under `at` (e.g. `monitoring.windowMs`).
 */
export function parseMonitoringSettings(value: unknown, at = ''): MonitoringSettings {
  const r = monitoringSettingsSchema.safeParse(value ?? {});
  if (!r.success) throw invalid(at, r.error.issues);
  return r.data;
}

/**
 * Reads the monitoring settings from a version's tags (`tags['mlops.monitoring']`, JSON); null when the tag is
 * absent. Throws `MlopsError('INVALID_INPUT')` with field paths such as `tags["mlops.monitoring"].windowMs` when
 * it is not valid.
 */
export function monitoringSettingsFromTags(
  tags: Readonly<Record<string, string>> | null | undefined,
): MonitoringSettings | null {
  const raw = tags?.[MONITORING_SETTINGS_TAG];
  if (raw === undefined) return null;
  const at = `tags[${JSON.stringify(MONITORING_SETTINGS_TAG)}]`;
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new MlopsError('INVALID_INPUT', {
      message: `invalid monitoring settings: ${at} is not JSON`,
      details: [{ path: at, message: 'Expected a JSON object' }],
    });
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new MlopsError('INVALID_INPUT', {
      message: `invalid monitoring settings: ${at} is not a JSON object`,
      details: [{ path: at, message: 'Expected a JSON object' }],
    });
  }
  return parseMonitoringSettings(json, at);
}

/**
 * The tags that store monitoring settings with a model version, e.g. for `registry.createVersion({ …, tags })` or
 * `registry.updateVersion`. Validates them first (`INVALID_INPUT` with field paths).
 */
export function monitoringSettingsTags(settings: MonitoringSettings): Record<string, string> {
  const parsed = parseMonitoringSettings(settings);
  return { [MONITORING_SETTINGS_TAG]: JSON.stringify(parsed) };
}

/** Options of {@link resolveMonitoringSettings}. */
export interface ResolveMonitoringSettingsOptions {
  /** The model version's tags (the settings are read from `mlops.monitoring`). */
  tags?: Readonly<Record<string, string>> | null;
  /** The caller's defaults (a server's `monitoring` options, a policy's `monitoring`): validated. */
  defaults?: MonitoringSettings;
}

/** The result of {@link resolveMonitoringSettings}. */
export interface ResolvedSettingsResult {
  settings: ResolvedMonitoringSettings;
  sources: SettingSources;
  /** Why the version's tag was ignored (it was invalid); the caller's defaults then apply. */
  error?: string;
}

/**
 * Resolves every setting once: the model version's stored value wins, field by field, then the caller's default,
 * then {@link MONITORING_DEFAULTS}; each with its source. `minimums` is one field: a stored map (even `{}`, "no
 * minimums") replaces the caller's whole map, so the thresholds of a version that stores them are the same for every
 * caller. An invalid tag is ignored
 * (reported in `error`), never a reason to stop monitoring. Invalid caller defaults throw (`INVALID_INPUT`).
 */
export function resolveMonitoringSettings(options: ResolveMonitoringSettingsOptions = {}): ResolvedSettingsResult {
  const caller = parseMonitoringSettings(options.defaults ?? {}, 'monitoring');
  let stored: MonitoringSettings | null = null;
  let error: string | undefined;
  try {
    stored = monitoringSettingsFromTags(options.tags);
  } catch (err) {
    error = err instanceof Error ? err.message : String(err);
  }
  const pick = <K extends Exclude<keyof ResolvedMonitoringSettings, 'minimums' | 'metrics'>>(
    k: K,
  ): [ResolvedMonitoringSettings[K], SettingSource] => {
    const s = stored?.[k];
    if (s !== undefined) return [s as ResolvedMonitoringSettings[K], 'version'];
    const c = caller[k];
    if (c !== undefined) return [c as ResolvedMonitoringSettings[K], 'caller'];
    return [MONITORING_DEFAULTS[k], 'default'];
  };
  const [windowMs, windowSrc] = pick('windowMs');
  const [limit, limitSrc] = pick('limit');
  const [minSamples, minSamplesSrc] = pick('minSamples');
  const [predictionOutput, outputSrc] = pick('predictionOutput');
  const [features, featuresSrc] = pick('features');
  const [driftShare, shareSrc] = pick('driftShare');
  const [probabilitiesOutput, probabilitiesSrc] = pick('probabilitiesOutput');
  const [estimatedMinimums, estimatedSrc] = pick('estimatedMinimums');
  const metricsSrc: SettingSource = stored?.metrics ? 'version' : caller.metrics ? 'caller' : 'default';
  const baseMetrics = (stored?.metrics ?? caller.metrics ?? MONITORING_DEFAULTS.metrics) as PerformanceMetric[];
  const [minimumsOf, minimumsSrc]: [Record<string, number | undefined>, SettingSource] = stored?.minimums
    ? [stored.minimums, 'version']
    : caller.minimums
      ? [caller.minimums, 'caller']
      : [MONITORING_DEFAULTS.minimums, 'default'];
  const minimums: Record<string, number> = {};
  const minimumSources: Record<string, SettingSource> = {};
  for (const [metric, v] of Object.entries(minimumsOf)) {
    if (v === undefined) continue;
    minimums[metric] = v;
    minimumSources[metric] = minimumsSrc;
  }
  const metrics = [...new Set([...baseMetrics, ...(Object.keys(minimums) as PerformanceMetric[])])];
  return {
    settings: {
      windowMs,
      limit,
      minSamples,
      metrics,
      predictionOutput,
      features: features ? [...features] : null,
      driftShare,
      minimums,
      probabilitiesOutput,
      estimatedMinimums: { ...estimatedMinimums },
    },
    sources: {
      windowMs: windowSrc,
      limit: limitSrc,
      minSamples: minSamplesSrc,
      metrics: metricsSrc,
      predictionOutput: outputSrc,
      features: featuresSrc,
      driftShare: shareSrc,
      minimums: minimumSources,
      probabilitiesOutput: probabilitiesSrc,
      estimatedMinimums: estimatedSrc,
    },
    ...(error ? { error } : {}),
  };
}
