import { migrate, type Store } from '@mlops/core';
import { type LabelledPrediction, type PredictionRecord, readPredictions } from '@mlops/core/predictions';
import { listRetrainDecisions } from '@mlops/core/retrain-decisions';
import {
  evaluateWindow,
  feedProblems,
  isShadowAlias,
  type MonitoringResult,
  monitorWindow,
  parseReference,
  resolveMonitoringSettings,
  type ThresholdCrossing,
} from '@mlops/monitoring';
import type { Registry } from '@mlops/registry';
import type { MonitoringAlert, MonitoringBucket, MonitoringCurrent, MonitoringSeriesOf } from './api-types.js';

export type { MonitoringAlert, MonitoringBucket, MonitoringCurrent } from './api-types.js';

/** What `GET /api/monitoring` returns. */
export type MonitoringSeries = MonitoringSeriesOf<Awaited<ReturnType<typeof listRetrainDecisions>>[number]>;

function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
  return sorted[i]!;
}

/** Models that have logged predictions. */
export async function loggedModels(store: Store): Promise<string[]> {
  await migrate(store, { areas: ['predictions'] });
  const rows = await store.query<{ model: string }>('SELECT DISTINCT model FROM core_predictions ORDER BY model');
  return rows.map((r) => r.model);
}

const crossingText = (c: ThresholdCrossing): string =>
  c.kind === 'drift'
    ? `data drift: share ${c.share.toFixed(2)} ≥ ${c.threshold} (${c.columns.join(', ')})`
    : c.kind === 'minimum'
      ? `${c.metric} ${c.value.toFixed(4)} below its minimum ${c.threshold}`
      : c.kind === 'estimated-minimum'
        ? `estimated ${c.metric} ${c.value.toFixed(4)} (no labels needed) below its minimum ${c.threshold}`
        : `broken feed: ${c.problems.join('; ')}`;

/** The part of a monitoring result the page shows. */
function currentOf(r: MonitoringResult): MonitoringCurrent {
  return {
    version: r.version,
    window: r.window,
    status: r.status,
    statusReason: r.statusReason ?? null,
    counts: { predictions: r.counts.predictions, labelled: r.counts.labelled },
    crossings: r.crossings.map(crossingText),
    feedProblems: r.schema && r.status === 'broken' ? feedProblems(r.schema) : [],
    features: r.features.map((f) => ({
      feature: f.feature,
      drifted: f.drifted,
      problem: f.problem,
      missingRate: f.missingRate,
      outOfRange: f.outOfRange,
    })),
    metrics: r.performance?.metrics ?? {},
    estimated: r.estimate
      ? {
          n: r.estimate.n,
          calibration: r.estimate.calibration,
          accuracy: {
            estimate: r.estimate.accuracy.estimate,
            lower: r.estimate.accuracy.lower,
            upper: r.estimate.accuracy.upper,
          },
          macroF1: {
            estimate: r.estimate.macroF1.estimate,
            lower: r.estimate.macroF1.lower,
            upper: r.estimate.macroF1.upper,
          },
        }
      : null,
    minimums: r.settings.minimums,
  };
}

/**
 * Buckets a model's prediction log over time and evaluates each bucket with `@mlops/monitoring`'s evaluator — the
 * one serve's gauges and the retraining policy use — with the settings stored with the bucket's version (its
 * `minSamples` replaced by the page's): drift per column against the version's reference profile, the bucket's
 * verdict (a broken feed included), accuracy from feedback. Also evaluates the current window of the newest served
 * version exactly as the server's gauges do (`monitorWindow`), and lists the recorded retraining decisions.
 */
export async function monitoringSeries(o: {
  store: Store;
  registry: Registry;
  model: string;
  from?: Date;
  to?: Date;
  buckets: number;
  minSamples: number;
  limit: number;
}): Promise<MonitoringSeries> {
  const rows = (
    await readPredictions({
      store: o.store,
      model: o.model,
      ...(o.from ? { from: o.from } : {}),
      ...(o.to ? { to: o.to } : {}),
      limit: o.limit,
      withFeedback: true,
      order: 'desc',
    })
  )
    .filter((p) => !isShadowAlias(p.alias))
    .reverse();
  const decisions = await listRetrainDecisions({ store: o.store, model: o.model, limit: 50 });
  const alerts: MonitoringAlert[] = decisions
    .filter((d) => d.triggered || d.status === 'failed' || d.status === 'blocked')
    .map((d) => ({
      time: d.startedAt,
      kind: 'retrain' as const,
      severity: d.status === 'failed' || d.status === 'blocked' ? ('critical' as const) : ('info' as const),
      message:
        d.status === 'blocked'
          ? `Retraining blocked: ${d.error ?? 'broken feed'}`
          : `Retraining ${d.status}${d.reasons.length ? `: ${d.reasons.map((r) => r.message).join('; ')}` : ''}`,
    }));
  if (rows.length === 0) {
    return {
      model: o.model,
      from: o.from?.toISOString() ?? null,
      to: o.to?.toISOString() ?? null,
      total: { requests: 0, predictions: 0, labelled: 0 },
      current: null,
      buckets: [],
      columns: [],
      decisions,
      alerts,
    };
  }
  const start = (o.from ?? rows[0]!.time).getTime();
  const end = Math.max((o.to ?? rows[rows.length - 1]!.time).getTime(), start + 1);
  // The last bucket includes `end` when it came from the data (the newest prediction).
  const width = (end - start) / o.buckets + (o.to ? 0 : 1 / o.buckets);
  const groups: PredictionRecord[][] = Array.from({ length: o.buckets }, () => []);
  for (const p of rows) {
    const i = Math.floor((p.time.getTime() - start) / width);
    if (i >= 0 && i < o.buckets) groups[i]!.push(p);
  }

  // Per version: its reference profile and stored settings (tag mlops.monitoring), loaded once.
  type VersionInfo = { reference: ReturnType<typeof parseReference>; tags: Record<string, string> | null };
  const versions = new Map<string, Promise<VersionInfo>>();
  const versionOf = (version: string | null): Promise<VersionInfo> => {
    if (version === null || !/^\d+$/.test(version)) return Promise.resolve({ reference: null, tags: null });
    let p = versions.get(version);
    if (!p) {
      const ref = { model: o.model, version: Number(version) };
      p = Promise.all([
        o.registry
          .getProfile(ref)
          .then(parseReference)
          .catch(() => null),
        o.registry
          .getVersion(ref)
          .then((v) => v.tags ?? null)
          .catch(() => null),
      ]).then(([reference, tags]) => ({ reference, tags }));
      versions.set(version, p);
    }
    return p;
  };

  // The current window of the newest served version, evaluated as the server's gauges evaluate it.
  const newest = rows[rows.length - 1]!;
  let current: MonitoringCurrent | null = null;
  if (newest.version !== null) {
    const info = await versionOf(newest.version);
    current = currentOf(
      await monitorWindow({
        store: o.store,
        model: o.model,
        version: newest.version,
        reference: info.reference,
        tags: info.tags,
        ...(o.to ? { at: o.to } : {}),
      }),
    );
  }

  const columns = new Set<string>();
  const buckets: MonitoringBucket[] = [];
  for (const [i, group] of groups.entries()) {
    const from = new Date(start + i * width);
    const to = new Date(start + (i + 1) * width);
    const counts = new Map<string | null, number>();
    for (const p of group) counts.set(p.version, (counts.get(p.version) ?? 0) + 1);
    const version = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? null;
    const latencies = group
      .map((p) => p.latencyMs)
      .filter((v): v is number => v !== null)
      .sort((a, b) => a - b);
    const labelled: LabelledPrediction[] = group.flatMap((p) =>
      p.feedback
        ? [{ prediction: p, label: p.feedback.label, value: p.feedback.value, labelTime: p.feedback.time }]
        : [],
    );
    const sameVersion = group.filter((p) => p.version === version);
    let evaluation: ReturnType<typeof evaluateWindow> | null = null;
    if (group.length > 0) {
      const info = await versionOf(version);
      const settings = { ...resolveMonitoringSettings({ tags: info.tags }).settings, minSamples: o.minSamples };
      evaluation = evaluateWindow({
        reference: info.reference,
        predictions: sameVersion,
        labelled: labelled.filter((l) => l.prediction.version === version),
        settings,
      });
    }
    const drift = (evaluation?.features ?? []).flatMap((f) =>
      f.score !== null && f.test !== null && f.drifted !== null
        ? [{ column: f.feature, score: f.score, drifted: f.drifted, test: f.test, threshold: f.threshold }]
        : [],
    );
    for (const d of drift) columns.add(d.column);
    const accuracy = evaluation?.performance?.metrics.accuracy ?? null;
    const status = evaluation?.status ?? null;
    const problems = evaluation?.schema && status === 'broken' ? feedProblems(evaluation.schema) : [];
    const bucket: MonitoringBucket = {
      from: from.toISOString(),
      to: to.toISOString(),
      requests: new Set(group.map((p) => p.requestId)).size,
      predictions: group.length,
      latencyP50: percentile(latencies, 0.5),
      latencyP95: percentile(latencies, 0.95),
      version,
      labelled: labelled.length,
      accuracy,
      drift,
      status,
      datasetDrift: status === 'drifted' ? true : status === 'ok' ? false : null,
      feedProblems: problems,
      driftSkipped: evaluation
        ? status === 'ok' || status === 'drifted'
          ? null
          : (evaluation.statusReason ?? null)
        : 'no predictions',
    };
    buckets.push(bucket);
    if (status === 'broken') {
      alerts.push({
        time: bucket.to,
        kind: 'feed',
        severity: 'critical',
        message: `Broken feed of version ${version}: ${problems.join('; ')}`,
      });
    }
    if (bucket.datasetDrift) {
      const cols = drift.filter((d) => d.drifted).map((d) => d.column);
      alerts.push({
        time: bucket.to,
        kind: 'drift',
        severity: 'warning',
        message: `Drift in ${cols.length} column${cols.length === 1 ? '' : 's'} (${cols.join(', ')}) of version ${version}`,
      });
    }
  }
  alerts.sort((a, b) => (a.time < b.time ? 1 : -1));
  return {
    model: o.model,
    from: new Date(start).toISOString(),
    to: new Date(end).toISOString(),
    total: {
      requests: new Set(rows.map((p) => p.requestId)).size,
      predictions: rows.length,
      labelled: rows.filter((p) => p.feedback).length,
    },
    current,
    buckets,
    columns: [...columns].sort(),
    decisions,
    alerts,
  };
}
