import { readModelPackageManifest } from '@mlops/core';
import {
  calibratorFromMetadata,
  type MonitoringRecord,
  type MonitoringSettings,
  monitorWindow,
  type ThresholdCrossing,
  toMonitoringRecord,
} from '@mlops/monitoring';
import type { CliContext } from '../../context.js';
import { EXIT_CODES } from '../../exit-codes.js';
import { formatTable, type Output } from '../../output.js';

/** Options of {@link monitorCommand}. */
export interface MonitorCommandOptions {
  /** The registered model (also the model name its predictions are logged under). */
  model: string;
  /**
   * The alias whose version is evaluated.
   * @default 'production'
   */
  alias?: string;
  /**
   * A version number instead of the alias.
   * @default undefined
   */
  version?: number;
  /**
   * Defaults for the settings the version does not store (`windowMs`, `minSamples`, …): the version's stored
   * settings win, as they do for the server's gauges.
   * @default {}
   */
  settings?: MonitoringSettings;
  /**
   * Exit 9 on a broken feed, 8 on dataset drift, 10 on a metric below its minimum (first that applies).
   * @default false
   */
  failOnCrossing?: boolean;
  /**
   * End of the window (tests).
   * @default now
   */
  at?: Date;
}

const fmt = (v: number | null | undefined, digits = 4) =>
  v === null || v === undefined ? '-' : String(Number(v.toPrecision(digits)));
const pct = (v: number | null) => (v === null ? '-' : `${(v * 100).toFixed(1)}%`);
const duration = (ms: number) =>
  ms % 86_400_000 === 0
    ? `${ms / 86_400_000}d`
    : ms % 3_600_000 === 0
      ? `${ms / 3_600_000}h`
      : ms % 60_000 === 0
        ? `${ms / 60_000}m`
        : `${ms / 1000}s`;

function crossingText(c: ThresholdCrossing): string {
  if (c.kind === 'feed-broken') return `broken feed (${c.problems.length} column problem(s))`;
  if (c.kind === 'drift') return `dataset drift: share ${fmt(c.share, 3)} ≥ ${c.threshold} (${c.columns.join(', ')})`;
  if (c.kind === 'estimated-minimum') {
    return `estimated ${c.metric} ${fmt(c.value)} (without labels) below its minimum ${c.threshold}`;
  }
  return `${c.metric} ${fmt(c.value)} below its minimum ${c.threshold}`;
}

/** The human report of a monitoring result. */
export function formatMonitoring(r: MonitoringRecord, alias: string | undefined): string {
  const s = r.settings;
  const src = r.sources;
  const head = [
    `${r.model} v${r.version}${alias ? ` (${alias})` : ''} · window ${r.window.from} → ${r.window.to} (${duration(s.windowMs)}, ${src.windowMs}) · ${r.counts.predictions} predictions, ${r.counts.labelled} with feedback`,
  ];
  const verdict =
    r.status === 'broken'
      ? 'BROKEN FEED: no drift verdict; retraining is blocked until the feed is fixed'
      : r.status === 'drifted'
        ? `DRIFTED (${r.dataset?.driftedColumns} of ${r.dataset?.columns} features, share ${fmt(r.dataset?.share, 3)} ≥ ${s.driftShare})`
        : r.status === 'ok'
          ? `ok (${r.dataset?.driftedColumns ?? 0} of ${r.dataset?.columns ?? 0} features drifted, share ${fmt(r.dataset?.share ?? 0, 3)} < ${s.driftShare})`
          : `${r.status}: ${r.statusReason ?? ''}`;
  const lines = [...head, `Verdict: ${verdict}`];
  if (r.status === 'broken' && r.schema) {
    for (const c of r.schema.missing) lines.push(`  broken: ${c} is missing from the logged inputs`);
    for (const t of r.schema.typeChanged) {
      lines.push(`  broken: ${t.column} changed type: expected ${t.expected}, found ${t.found.join('/')}`);
    }
    for (const c of r.schema.empty) lines.push(`  broken: ${c} has no value in the window`);
  }
  for (const c of r.schema?.new ?? []) lines.push(`  warning: input ${c} is not in the reference profile`);
  for (const w of r.warnings) lines.push(`  warning: ${w}`);
  if (r.settingsError) lines.push(`  warning: the version's stored settings were ignored: ${r.settingsError}`);
  if (r.features.length > 0) {
    lines.push(
      '',
      formatTable(
        ['FEATURE', 'TYPE', 'TEST', 'SCORE', 'DRIFT', 'MISSING', 'OUT OF RANGE'],
        r.features.map((f) => [
          f.feature,
          f.type,
          f.test,
          fmt(f.score),
          f.problem ?? (f.drifted === null ? 'not tested' : f.drifted ? 'yes' : 'no'),
          pct(f.missingRate),
          pct(f.outOfRange),
        ]),
      ),
    );
  }
  for (const p of r.predictions) {
    lines.push(
      `Prediction drift of ${p.output}: ${p.drifted === null ? `not tested${p.problem ? ` (${p.problem})` : ''}` : p.drifted ? 'yes' : 'no'}${p.test ? ` (${p.test}, score ${fmt(p.score)})` : ''}`,
    );
  }
  lines.push('');
  if (r.performance) {
    const metrics = Object.entries(r.performance.metrics).map(([m, v]) => {
      const min = s.minimums[m];
      return `${m} ${fmt(v)}${min === undefined ? '' : ` (minimum ${min}, ${src.minimums[m]}${v !== null && v < min ? ': BELOW' : ''})`}`;
    });
    lines.push(
      `Metrics from feedback (n=${r.performance.n}${r.performance.sufficient ? '' : `, fewer than ${s.minSamples}: minimums not checked`}): ${metrics.join(', ')}`,
    );
  } else {
    lines.push('Metrics from feedback: none (no labelled prediction in the window)');
  }
  if (r.estimate) {
    const e = r.estimate;
    const est = (m: 'accuracy' | 'macroF1', name: string) => {
      const min = s.estimatedMinimums[m];
      return `${name} ${fmt(e[m].estimate)} [${fmt(e[m].lower)}, ${fmt(e[m].upper)}]${min === undefined ? '' : ` (minimum ${min}${e[m].estimate < min ? ': BELOW' : ''})`}`;
    };
    lines.push(
      `Estimated without labels (CBPE on ${e.n} predictions, calibration ${e.calibration}, ${Math.round(e.confidenceLevel * 100)}% interval): ${est('accuracy', 'accuracy')}, ${est('macroF1', 'macroF1')}`,
    );
  }
  lines.push(
    `Thresholds: driftShare ${s.driftShare} (${src.driftShare}), minSamples ${s.minSamples} (${src.minSamples}), minimums ${
      Object.keys(s.minimums).length === 0
        ? 'none'
        : Object.entries(s.minimums)
            .map(([m, v]) => `${m} ${v} (${src.minimums[m]})`)
            .join(', ')
    }`,
    `Crossed: ${r.crossings.length === 0 ? 'nothing' : r.crossings.map(crossingText).join('; ')}`,
  );
  return lines.join('\n');
}

/**
 * `mlops monitor <model>`: evaluates the current window of a model version's prediction log with
 * `@mlops/monitoring` — the evaluator of the server's gauges and the retraining policy — against the version's
 * reference profile and stored settings, and prints the verdict (a broken feed included), drift and data quality
 * per feature, metrics from feedback and the thresholds crossed (`--json`: the monitoring result). Returns the exit
 * code (with `failOnCrossing`: 9 broken feed, 8 drift, 10 metric below its minimum,
 * 11 estimated metric below its minimum).
 */
export async function monitorCommand(opts: MonitorCommandOptions, ctx: CliContext, out: Output): Promise<number> {
  const registry = await ctx.registry();
  const alias = opts.version === undefined ? (opts.alias ?? 'production') : undefined;
  const version =
    opts.version === undefined
      ? await registry.resolve({ model: opts.model, alias: alias! })
      : await registry.getVersion({ model: opts.model, version: opts.version });
  const [reference, store] = await Promise.all([
    registry.getProfile({ model: opts.model, version: version.version }),
    ctx.store(),
  ]);
  // The estimate's calibrator, from the version's model package when it is in the objects folder (else none: the
  // probabilities are used as given).
  const calibrator = await readModelPackageManifest(ctx.objects(), version.packageDigest)
    .then((m) => calibratorFromMetadata(m.metadata))
    .catch(() => undefined);
  const result = await monitorWindow({
    store,
    model: opts.model,
    version: String(version.version),
    reference,
    ...(calibrator ? { calibrator } : {}),
    tags: version.tags ?? null,
    defaults: opts.settings ?? {},
    ...(opts.at ? { at: opts.at } : {}),
  });
  const record = toMonitoringRecord(result);
  out.result({ monitoring: record }, () => formatMonitoring(record, alias));
  if (!opts.failOnCrossing) return EXIT_CODES.OK;
  if (result.status === 'broken') return EXIT_CODES.FEED_BROKEN;
  if (result.status === 'drifted') return EXIT_CODES.DRIFT_DETECTED;
  if (result.crossings.some((c) => c.kind === 'minimum')) return EXIT_CODES.METRIC_BELOW_MINIMUM;
  if (result.crossings.some((c) => c.kind === 'estimated-minimum')) return EXIT_CODES.ESTIMATED_BELOW_MINIMUM;
  return EXIT_CODES.OK;
}
