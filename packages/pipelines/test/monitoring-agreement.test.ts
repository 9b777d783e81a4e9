// Issue 20, end to end: an alert, a gauge and a retraining decision on the same window cannot disagree. Over one store,
// fast-check generates windows — traffic (shifted or not, some of it older than the window), feedback labels (right
// or wrong), a broken feed, and monitoring settings stored with the version or given as the caller's defaults (which
// differ between the server and the policy wherever the version stores the value) — replays the traffic and the
// feedback into a real server over HTTP, then compares what its /metrics exports with the decision the
// continuous-training policy records for the same window: the drift verdict per feature, the dataset verdict, the
// metric values and the threshold crossings (read from the gauges as the alert rules read them: a value against its
// threshold gauge). Independent checks pin the values themselves (accuracy counted from the generated labels, the
// verdict of an obviously shifted or broken window).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStore, type Flavor, type FsObjectStore, fsObjectStore, type Store, saveModelPackage } from '@mlops/core';
import { createProfile } from '@mlops/drift';
import { type MonitoringSettings, monitoringSettingsTags } from '@mlops/monitoring';
import { createContinuousTrainingPolicy, isRetrainEvaluation } from '@mlops/pipelines';
import { createRegistry, type Registry } from '@mlops/registry';
import { createModelServer } from '@mlops/serve';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mulberry32 } from './helpers.js';

/** A classifier: label = "pos" when a > 0. */
const flavor: Flavor<Record<string, never>> = {
  name: 'test/sign',
  save: async () => ({ files: { 'model.json': new TextEncoder().encode('{}') } }),
  load: async (_files, ctx) => ({
    signature: ctx.signature,
    batchable: true,
    predict: async (inputs) => ({
      label: Array.from((inputs as Record<string, Float64Array>).a!, (v) => (v > 0 ? 'pos' : 'neg')),
    }),
  }),
};
const signature = {
  inputs: [
    { name: 'a', type: 'float64' as const },
    { name: 'b', type: 'float64' as const },
  ],
  outputs: [{ name: 'label', type: 'string' as const }],
};

const normals = (seed: number, n: number, shift = 0) => {
  const u = mulberry32(seed);
  return Array.from({ length: n }, () => shift + Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u()));
};

type Sample = { labels: Record<string, string>; value: number };
/** Parses the Prometheus text format into samples per metric name. */
function parseMetrics(text: string): Map<string, Sample[]> {
  const out = new Map<string, Sample[]>();
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    const list = out.get(m[1]!) ?? [];
    list.push({ labels, value: Number(m[3]) });
    out.set(m[1]!, list);
  }
  return out;
}

// What a window looks like; every field is generated.
const windowArb = fc.record({
  predictions: fc.integer({ min: 0, max: 120 }),
  shiftA: fc.constantFrom(0, 0, 0.4, 3),
  shiftB: fc.constantFrom(0, 0, 3),
  /** The reference has a feature `c` the served inputs never carry: a broken feed. */
  broken: fc.boolean(),
  /** Share of the traffic moved two hours back (outside a one-hour window). */
  old: fc.constantFrom(0, 0, 0.3),
  /** Share of the predictions that get feedback, and of those that are right (percentages: fc.double leans to 0). */
  labelled: fc.integer({ min: 0, max: 100 }).map((p) => p / 100),
  correct: fc.integer({ min: 0, max: 100 }).map((p) => p / 100),
  seed: fc.integer({ min: 1, max: 1_000_000 }),
  settings: fc.record({
    windowMs: fc.constantFrom(3_600_000, 86_400_000),
    limit: fc.constantFrom(25, 10_000),
    minSamples: fc.integer({ min: 5, max: 60 }),
    driftShare: fc.constantFrom(0.3, 0.5, 1),
    minimums: fc.option(fc.record({ accuracy: fc.integer({ min: 30, max: 95 }).map((p) => p / 100) }), {
      nil: undefined,
    }),
  }),
  /** Which settings the version stores (the rest: the caller's defaults, the same for the server and the policy). */
  stored: fc.record({
    windowMs: fc.boolean(),
    limit: fc.boolean(),
    minSamples: fc.boolean(),
    driftShare: fc.boolean(),
    minimums: fc.boolean(),
  }),
});
type Window = typeof windowArb extends fc.Arbitrary<infer T> ? T : never;

let store: Store;
let registry: Registry;
let objects: FsObjectStore;
let dir: string;
let packageDigest: string;
let runs = 0;
/** What the generated windows covered: verdicts, decisions, crossings, settings sources. */
const seen = {
  status: new Set<string>(),
  decision: new Set<string>(),
  crossing: new Set<string>(),
  source: new Set<string>(),
};

beforeAll(async () => {
  store = await createStore('memory://');
  dir = await mkdtemp(join(tmpdir(), 'mlops-agreement-'));
  objects = fsObjectStore({ dir, fsync: false });
  registry = await createRegistry({ store, objects });
  packageDigest = (await saveModelPackage({ objects, flavor, model: {}, signature, lineage: {} })).digest;
}, 60_000);
afterAll(async () => {
  await registry?.close();
  await store?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** The settings the server and the policy are given: the stored value wins, so theirs differ wherever it is stored. */
function defaultsFor(w: Window, who: 'server' | 'policy'): MonitoringSettings {
  const s = w.settings;
  const other = who === 'server';
  return {
    windowMs: w.stored.windowMs ? (other ? 60_000 : 7 * 86_400_000) : s.windowMs,
    limit: w.stored.limit ? (other ? 3 : 500_000) : s.limit,
    minSamples: w.stored.minSamples ? (other ? 1 : 10_000) : s.minSamples,
    driftShare: w.stored.driftShare ? (other ? 0 : 0.99) : s.driftShare,
    ...(w.stored.minimums
      ? { minimums: { accuracy: other ? 0.01 : 0.99 } }
      : s.minimums
        ? { minimums: s.minimums }
        : {}),
  };
}

function storedFor(w: Window): MonitoringSettings {
  const s = w.settings;
  return {
    ...(w.stored.windowMs ? { windowMs: s.windowMs } : {}),
    ...(w.stored.limit ? { limit: s.limit } : {}),
    ...(w.stored.minSamples ? { minSamples: s.minSamples } : {}),
    ...(w.stored.driftShare ? { driftShare: s.driftShare } : {}),
    // A stored minimums map replaces the callers' entry for accuracy (per metric); `{}` stores none.
    ...(w.stored.minimums ? { minimums: s.minimums ?? {} } : {}),
  };
}

async function checkWindow(w: Window): Promise<void> {
  const model = `agree-${++runs}`;
  const rand = mulberry32(w.seed);
  await registry.createModel({ name: model });
  const refA = normals(w.seed + 1, 400);
  const reference = createProfile(
    {
      a: refA,
      b: normals(w.seed + 2, 400),
      ...(w.broken ? { c: normals(w.seed + 3, 400) } : {}),
      label: refA.map((v) => (v > 0 ? 'pos' : 'neg')),
    },
    { columnMapping: { prediction: 'label' } },
  );
  const stored = storedFor(w);
  // The version stores no accuracy minimum while the callers have one: the stored {} must not erase it.
  const tags = Object.keys(stored).length > 0 ? monitoringSettingsTags(stored) : undefined;
  await registry.createVersion({
    model,
    packageDigest,
    flavor: flavor.name,
    signature,
    profile: reference,
    ...(tags ? { tags } : {}),
  });
  await registry.setAlias({ model, alias: 'production', version: 1 });

  let clock = Date.now();
  const server = createModelServer({
    models: [{ name: model, registry, alias: 'production', objects, flavors: [flavor as Flavor<never>] }],
    store,
    defaultMetrics: false,
    logging: { flushIntervalMs: 20 },
    monitoring: { ...defaultsFor(w, 'server'), refreshMs: 0, now: () => clock },
  });
  const http = await server.listen({ port: 0, host: '127.0.0.1', signals: [] });
  try {
    await server.ready();
    // Traffic, over HTTP.
    const a = normals(w.seed + 4, w.predictions, w.shiftA);
    const b = normals(w.seed + 5, w.predictions, w.shiftB);
    const sent: { id: string; label: string }[] = [];
    for (let i = 0; i < w.predictions; i += 40) {
      const instances = a.slice(i, i + 40).map((ai, j) => ({ a: ai, b: b[i + j]! }));
      const res = await fetch(`${http.url}/v1/models/${model}/predict`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ instances }),
      });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { predictions: { id: string; outputs: { label: string } }[] };
      for (const p of body.predictions) sent.push({ id: p.id, label: p.outputs.label });
    }
    // Feedback, over HTTP: a share of the predictions get a label, right or wrong.
    const labelled: { id: string; correct: boolean }[] = [];
    for (const p of sent) {
      if (rand() >= w.labelled) continue;
      const correct = rand() < w.correct;
      const res = await fetch(`${http.url}/v1/feedback`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ predictionId: p.id, label: correct ? p.label : p.label === 'pos' ? 'neg' : 'pos' }),
      });
      expect(res.status).toBe(201);
      labelled.push({ id: p.id, correct });
    }
    await server.logger!.flush();
    // Some of the traffic happened two hours ago (outside a one-hour window).
    const old = new Set(sent.filter(() => rand() < w.old).map((p) => p.id));
    if (old.size > 0) {
      await store.query(`UPDATE core_predictions SET time = time - interval '2 hours' WHERE id = ANY($1::text[])`, [
        [...old],
      ]);
    }

    // The same instant for both.
    clock = Date.now() + 1000;
    const metrics = parseMetrics(await (await fetch(`${http.url}/metrics`)).text());
    const policy = createContinuousTrainingPolicy({
      store,
      registry,
      model,
      triggers: { drift: true, performance: true },
      monitoring: defaultsFor(w, 'policy'),
      now: () => new Date(clock),
      retrain: async () => {
        throw new Error('agreement test: no retraining');
      },
    });
    const decision = await policy.runOnce();
    const [recorded] = await policy.decisions({ limit: 1 });
    expect(recorded!.id).toBe(decision.id);
    const e = recorded!.evaluation;
    if (!isRetrainEvaluation(e)) throw new Error('the stored evaluation is not a RetrainEvaluation');
    const m = e.monitoring;
    seen.status.add(m.status);
    seen.decision.add(decision.status);
    for (const c of m.crossings) seen.crossing.add(c.kind);
    for (const src of [m.sources.windowMs, m.sources.limit, m.sources.minSamples, m.sources.driftShare])
      seen.source.add(src);

    const of = (name: string) =>
      (metrics.get(name) ?? []).filter((s) => s.labels.model === model && s.labels.version === '1');
    const one = (name: string, labels: Record<string, string> = {}) => {
      const found = of(name).filter((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v));
      expect(found.length, `${name} ${JSON.stringify(labels)}`).toBeLessThanOrEqual(1);
      return found[0]?.value;
    };

    // The window and the settings in use.
    expect(one('mlops_monitoring_window_seconds')).toBe(m.settings.windowMs / 1000);
    expect(m.settings.windowMs).toBe(w.settings.windowMs);
    expect(m.settings.limit).toBe(w.settings.limit);
    expect(m.settings.minSamples).toBe(w.settings.minSamples);
    expect(one('mlops_monitoring_window_samples', { kind: 'predictions' })).toBe(m.counts.predictions);
    expect(one('mlops_monitoring_window_samples', { kind: 'labelled' })).toBe(m.counts.labelled);
    expect(one('mlops_monitoring_drift_share_threshold')).toBe(m.settings.driftShare);

    // The dataset verdict.
    expect(one('mlops_monitoring_status', { status: m.status })).toBe(1);
    expect(of('mlops_monitoring_status')).toHaveLength(1);
    const tested = m.status === 'ok' || m.status === 'drifted' || m.status === 'broken';
    expect(one('mlops_feed_broken')).toBe(tested ? (m.status === 'broken' ? 1 : 0) : undefined);
    expect(one('mlops_dataset_drift_detected')).toBe(m.status === 'drifted' ? 1 : m.status === 'ok' ? 0 : undefined);
    if (m.status === 'ok' || m.status === 'drifted') expect(one('mlops_dataset_drift_share')).toBe(m.dataset!.share);

    // The drift verdict per feature (and of the predictions).
    const gaugeFeatures = of('mlops_feature_drift_detected')
      .map((s) => [s.labels.feature, s.value === 1] as const)
      .sort();
    const decidedFeatures = m.features
      .filter((f) => f.drifted !== null)
      .map((f) => [f.feature, f.drifted] as const)
      .sort();
    expect(gaugeFeatures).toEqual(decidedFeatures);
    for (const f of m.features) {
      expect(one('mlops_drift_score', { feature: f.feature })).toBe(f.score ?? undefined);
      expect(one('mlops_feature_missing_rate', { feature: f.feature })).toBe(tested ? f.missingRate : undefined);
    }
    expect(of('mlops_prediction_drift_detected').map((s) => [s.labels.output, s.value === 1])).toEqual(
      m.predictions.filter((p) => p.drifted !== null).map((p) => [p.output, p.drifted]),
    );

    // The metric values.
    const gaugeMetrics = Object.fromEntries(of('mlops_feedback_metric').map((s) => [s.labels.metric, s.value]));
    const decidedMetrics = m.performance?.sufficient
      ? Object.fromEntries(Object.entries(m.performance.metrics).filter(([, v]) => v !== null))
      : {};
    expect(gaugeMetrics).toEqual(decidedMetrics);

    // The threshold crossings: what the alert rules compute from the gauges, what the policy decided.
    const minimum = Object.fromEntries(of('mlops_monitoring_metric_minimum').map((s) => [s.labels.metric, s.value]));
    expect(minimum).toEqual(m.settings.minimums);
    const alerts = {
      drift: one('mlops_dataset_drift_detected') === 1,
      feedBroken: one('mlops_feed_broken') === 1,
      below: Object.keys(gaugeMetrics)
        .filter((k) => minimum[k] !== undefined && gaugeMetrics[k]! < minimum[k]!)
        .sort(),
    };
    const crossed = {
      drift: m.crossings.some((c) => c.kind === 'drift'),
      feedBroken: m.crossings.some((c) => c.kind === 'feed-broken'),
      below: m.crossings.flatMap((c) => (c.kind === 'minimum' ? [c.metric] : [])).sort(),
    };
    expect(alerts).toEqual(crossed);
    // … and what the policy did with them: a broken feed blocks, otherwise drift and performance are reasons.
    if (alerts.feedBroken) {
      expect(decision.status).toBe('blocked');
    } else {
      const triggers = decision.reasons.map((r) => r.trigger).sort();
      expect(triggers).toEqual([...(alerts.drift ? ['drift'] : []), ...(alerts.below.length ? ['performance'] : [])]);
      expect(decision.status).toBe(triggers.length > 0 ? 'failed' : 'no-action');
    }
    // The server exports the decision just recorded.
    const after = parseMetrics(await (await fetch(`${http.url}/metrics`)).text());
    expect(
      (after.get('mlops_retrain_decision') ?? []).filter((s) => s.labels.model === model).map((s) => s.labels.status),
    ).toEqual([decision.status]);

    // Independent checks of the values themselves.
    const inWindow = sent.filter((p) => w.settings.windowMs > 3_600_000 || !old.has(p.id));
    const read = Math.min(inWindow.length, w.settings.limit);
    expect(m.counts.predictions).toBe(read);
    if (read < w.settings.minSamples) expect(m.status).toBe('insufficient');
    else if (w.broken) expect(m.status).toBe('broken');
    else if (w.shiftA === 3 && w.shiftB === 3 && read >= 30) expect(m.status).toBe('drifted');
    if (w.settings.limit > 1000) {
      const ids = new Set(inWindow.map((p) => p.id));
      const mine = labelled.filter((l) => ids.has(l.id));
      expect(m.counts.labelled).toBe(mine.length);
      if (mine.length > 0) {
        expect(m.performance!.metrics.accuracy).toBeCloseTo(mine.filter((l) => l.correct).length / mine.length, 12);
      }
    }
  } finally {
    await http.close();
    await server.close();
  }
}

describe('one evaluator: /metrics and the recorded retraining decision agree on the same window', () => {
  it('over randomised traffic, feedback, broken feeds and settings (fast-check, fixed seed)', async () => {
    await fc.assert(
      fc.asyncProperty(windowArb, (w) => checkWindow(w)),
      { numRuns: 40, seed: 20_260_302, endOnFailure: true },
    );
    expect(runs).toBe(40);
    // The generated windows covered every verdict, outcome, crossing and settings source.
    expect([...seen.status].sort()).toEqual(['broken', 'drifted', 'insufficient', 'ok']);
    expect([...seen.decision].sort()).toEqual(['blocked', 'failed', 'no-action']);
    expect([...seen.crossing].sort()).toEqual(['drift', 'feed-broken', 'minimum']);
    expect([...seen.source].sort()).toEqual(['caller', 'version']);
  }, 120_000);
});
