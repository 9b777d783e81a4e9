import { z } from 'zod';
import { MlopsError } from '../errors.js';
import type { PerformanceMetric } from '../metrics/performance-monitor.js';

/**
 * The model-version tag holding the monitoring window settings as JSON (a registry version's `tags`), read by the
 * server's monitoring gauges so they evaluate the window the version was registered with.
 */
export const WINDOW_SETTINGS_TAG = 'mlops.monitoring';

const metricSchema = z
  .string()
  .regex(
    /^(accuracy|balancedAccuracy|macroPrecision|macroRecall|macroF1|weightedF1|microF1|rocAuc|prAuc|(precision|recall|f1):.+)$/,
    'Expected a performance metric (accuracy, macroF1, recall:<class>, ...)',
  )
  .transform((m) => m as PerformanceMetric);

/** Schema of the window settings stored with a model version (every field optional; unknown fields rejected). */
export const windowSettingsSchema = z.strictObject({
  /** Length of the window ending at evaluation time, in milliseconds. */
  windowMs: z.int().positive().optional(),
  /** Most recent predictions read. */
  limit: z.int().positive().max(1_000_000).optional(),
  /** Fewer predictions (drift) or labelled predictions (metrics) than this: that part is not evaluated. */
  minSamples: z.int().nonnegative().optional(),
  /** Metrics computed from feedback. */
  metrics: z.array(metricSchema).min(1).max(50).optional(),
  /** Output column holding the predicted class. */
  predictionOutput: z.string().min(1).max(200).optional(),
  /** Input columns tested for drift. */
  features: z.array(z.string().min(1).max(200)).max(10_000).optional(),
});

/** Monitoring window settings of a model version (see {@link windowSettingsSchema}). */
export type WindowSettings = z.output<typeof windowSettingsSchema>;

/**
 * Reads the window settings from a version's tags (`tags['mlops.monitoring']`, JSON); null when the tag is absent.
 * Throws `MlopsError('INVALID_INPUT')` with field paths such as `tags["mlops.monitoring"].windowMs` when it is not
 * valid.
 */
export function windowSettingsFromTags(tags: Readonly<Record<string, string>> | undefined): WindowSettings | null {
  const raw = tags?.[WINDOW_SETTINGS_TAG];
  if (raw === undefined) return null;
  const at = `tags[${JSON.stringify(WINDOW_SETTINGS_TAG)}]`;
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new MlopsError('INVALID_INPUT', {
      message: `invalid monitoring settings: ${at} is not JSON`,
      details: [{ path: at, message: 'Expected a JSON object' }],
    });
  }
  const r = windowSettingsSchema.safeParse(json);
  if (!r.success) {
    const details = r.error.issues.flatMap((i) =>
      i.code === 'unrecognized_keys'
        ? i.keys.map((k) => ({ path: `${at}.${k}`, message: 'Unknown field' }))
        : [{ path: [at, ...i.path.map(String)].join('.'), message: i.message }],
    );
    throw new MlopsError('INVALID_INPUT', {
      message: `invalid monitoring settings: ${details.map((d) => `${d.path}: ${d.message}`).join('; ')}`,
      details,
    });
  }
  return r.data;
}

/**
 * The tags that store window settings with a model version, e.g. for `registry.createVersion({ …, tags })` or
 * `registry.updateVersion`. Validates them first (`INVALID_INPUT` with field paths).
 */
export function windowSettingsTags(settings: WindowSettings): Record<string, string> {
  const tags = { [WINDOW_SETTINGS_TAG]: JSON.stringify(settings) };
  windowSettingsFromTags(tags);
  return tags;
}
