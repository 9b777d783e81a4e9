import {
  type LabelledPrediction,
  migratePredictions,
  type PredictionRecord,
  readPredictions,
  type Store,
} from '@mlops/core';
import { type Profile, parseProfile } from '@mlops/drift';
import { evaluateWindow, listRetrainDecisions } from '@mlops/pipelines';
import type { Registry } from '@mlops/registry';
import type { MonitoringAlert, MonitoringBucket, MonitoringSeriesOf } from './api-types.js';

/** Serve marks shadow predictions with this alias prefix; they are not what users were answered with. */
const SHADOW_PREFIX = 'shadow:';

export type { MonitoringAlert, MonitoringBucket } from './api-types.js';

/** What `GET /api/monitoring` returns. */
export type MonitoringSeries = MonitoringSeriesOf<Awaited<ReturnType<typeof listRetrainDecisions>>[number]>;

function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
  return sorted[i]!;
}

/** Models that have logged predictions. */
export async function loggedModels(store: Store): Promise<string[]> {
  await migratePredictions(store);
  const rows = await store.query<{ model: string }>('SELECT DISTINCT model FROM core_predictions ORDER BY model');
  return rows.map((r) => r.model);
}

/**
 * Buckets a model's prediction log over time and evaluates each bucket with the same evaluator as the retraining
 * policy and serve's gauges (`evaluateWindow`): drift per column against the serving version's reference profile,
 * accuracy from feedback. Also lists the recorded retraining decisions.
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
    .filter((p) => !p.alias?.startsWith(SHADOW_PREFIX))
    .reverse();
  const decisions = await listRetrainDecisions({ store: o.store, model: o.model, limit: 50 });
  const alerts: MonitoringAlert[] = decisions
    .filter((d) => d.triggered || d.status === 'failed')
    .map((d) => ({
      time: d.startedAt,
      kind: 'retrain' as const,
      severity: d.status === 'failed' ? ('critical' as const) : ('info' as const),
      message: `Retraining ${d.status}${d.reasons.length ? `: ${d.reasons.map((r) => r.message).join('; ')}` : ''}`,
    }));
  if (rows.length === 0) {
    return {
      model: o.model,
      from: o.from?.toISOString() ?? null,
      to: o.to?.toISOString() ?? null,
      total: { requests: 0, predictions: 0, labelled: 0 },
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

  const profiles = new Map<string, Promise<Profile | null>>();
  const profileOf = (version: string | null): Promise<Profile | null> => {
    if (version === null || !/^\d+$/.test(version)) return Promise.resolve(null);
    let p = profiles.get(version);
    if (!p) {
      p = o.registry
        .getProfile({ model: o.model, version: Number(version) })
        .then((raw) => (raw ? parseProfile(raw) : null))
        .catch(() => null);
      profiles.set(version, p);
    }
    return p;
  };

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
    const evaluation =
      group.length === 0
        ? null
        : evaluateWindow({
            reference: await profileOf(version),
            predictions: sameVersion,
            labelled: labelled.filter((l) => l.prediction.version === version),
            minSamples: o.minSamples,
            metrics: ['accuracy'],
          });
    const drift = (evaluation?.drift?.columns ?? [])
      .filter((c) => c.role === 'feature')
      .map((c) => ({ column: c.column, score: c.score, drifted: c.drifted, test: c.test }));
    for (const d of drift) columns.add(d.column);
    const accuracy = evaluation?.performance?.metrics.accuracy ?? null;
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
      datasetDrift: evaluation?.drift ? evaluation.drift.dataset.drifted : null,
      driftSkipped: evaluation ? (evaluation.driftSkipped ?? null) : 'no predictions',
    };
    buckets.push(bucket);
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
    buckets,
    columns: [...columns].sort(),
    decisions,
    alerts,
  };
}
