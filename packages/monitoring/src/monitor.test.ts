import { createStore, type Store } from '@mlops/core';
import { createPredictionLogger, recordFeedback } from '@mlops/core/predictions';
import { createProfile } from '@mlops/drift';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MONITORING_GAUGE_NAMES, MONITORING_GAUGES, monitoringGauges } from './gauges.js';
import { monitorWindow, toMonitoringRecord } from './monitor.js';
import { MONITORING_SETTINGS_TAG, monitoringSettingsTags } from './settings.js';

let store: Store;
const reference = createProfile({ a: Array.from({ length: 300 }, (_, i) => (i % 100) / 100) });
const at = Date.parse('2026-03-01T12:00:00Z');

beforeAll(async () => {
  store = await createStore('memory://');
  const logger = createPredictionLogger({ store, flushIntervalMs: 10 });
  // 60 predictions one minute apart before `at` (the newest first minute), with a = 0 … 0.59; 5 shadow ones.
  const { ids } = logger.logBatch({
    requestId: 'r1',
    model: 'm',
    version: '3',
    alias: 'production',
    inputs: { a: Array.from({ length: 60 }, (_, i) => i / 100) },
    outputs: { label: Array.from({ length: 60 }, (_, i) => (i % 2 ? 'pos' : 'neg')) },
  });
  logger.logBatch({
    requestId: 'r2',
    model: 'm',
    version: '3',
    alias: 'shadow:candidate',
    inputs: { a: [5, 5, 5, 5, 5] },
    outputs: { label: ['pos', 'pos', 'pos', 'pos', 'pos'] },
  });
  await logger.close();
  // Spread the rows over the hour before `at`: row i is (i + 1) minutes old.
  for (const [i, id] of ids.entries()) {
    await store.query('UPDATE core_predictions SET time = $1 WHERE id = $2', [
      new Date(at - (i + 1) * 60_000).toISOString(),
      id,
    ]);
  }
  await store.query(`UPDATE core_predictions SET time = $1 WHERE alias LIKE 'shadow:%'`, [
    new Date(at - 30_000).toISOString(),
  ]);
  // Feedback on every prediction: right for the first 40, wrong for the rest.
  for (const [i, id] of ids.entries()) {
    await recordFeedback({ store, predictionId: id, label: i < 40 ? (i % 2 ? 'pos' : 'neg') : 'x' });
  }
});
afterAll(() => store?.close());

describe('monitorWindow', () => {
  it('reads the window of the version (shadow predictions left out) with the resolved settings and their source', async () => {
    const r = await monitorWindow({
      store,
      model: 'm',
      version: '3',
      reference,
      tags: monitoringSettingsTags({ windowMs: 30 * 60_000 }),
      defaults: { minSamples: 10, minimums: { accuracy: 0.9 } },
      at,
    });
    expect(r.window).toEqual({ from: new Date(at - 30 * 60_000).toISOString(), to: new Date(at).toISOString() });
    // rows 0..29 are at most 30 minutes old, row 29 exactly 30 (from is inclusive)
    expect(r.counts).toEqual({ predictions: 30, labelled: 30 });
    expect(r.sources).toMatchObject({ windowMs: 'version', minSamples: 'caller', limit: 'default' });
    // a = 0 … 0.29 against a reference spread over 0 … 0.99: drifted
    expect(r.status).toBe('drifted');
    expect(r.features[0]).toMatchObject({ feature: 'a', drifted: true, outOfRange: 0, missingRate: 0 });
    expect(r.performance).toMatchObject({ n: 30, sufficient: true, metrics: { accuracy: 1 } });
    expect(r.crossings).toEqual([{ kind: 'drift', share: 1, threshold: 0.5, columns: ['a'] }]);
    expect(r.drift?.kind).toBe('mlops.drift/report');
    const record = toMonitoringRecord(r);
    expect('drift' in record).toBe(false);
    expect(JSON.parse(JSON.stringify(record))).toEqual(record);
  });

  it('reads the newest `limit` rows (then leaves shadow ones out), and says why a stored tag was ignored', async () => {
    const r = await monitorWindow({
      store,
      model: 'm',
      version: '3',
      reference,
      tags: { [MONITORING_SETTINGS_TAG]: '{"windowMs": "soon"}' },
      defaults: { limit: 50, minSamples: 10, minimums: { accuracy: 0.9 } },
      at,
    });
    expect(r.settingsError).toMatch(/windowMs/);
    expect(r.sources.windowMs).toBe('default');
    // the 50 newest rows hold the 5 shadow predictions; the 50 newest labelled ones hold none
    expect(r.counts).toEqual({ predictions: 45, labelled: 50 });
    expect(r.performance!.metrics.accuracy).toBeCloseTo(40 / 50, 12);
    expect(r.crossings).toContainEqual({ kind: 'minimum', metric: 'accuracy', value: 0.8, threshold: 0.9 });
  });
});

describe('monitorWindow: bad times', () => {
  it('an invalid `at` or `labelsSince` is INVALID_INPUT naming it (not a RangeError, not a silent 0 new labels)', async () => {
    for (const bad of [{ at: Number.NaN }, { at: new Date('garbage') }, { labelsSince: Number.NaN }]) {
      await expect(monitorWindow({ store, model: 'm', version: '3', reference, ...bad })).rejects.toMatchObject({
        code: 'INVALID_INPUT',
        details: [{ path: Object.keys(bad)[0] }],
      });
    }
  });
});

describe('monitoringGauges', () => {
  it('exports the verdicts, the values and the thresholds in use, each with model and version', async () => {
    const r = await monitorWindow({
      store,
      model: 'm',
      version: '3',
      reference,
      defaults: { minSamples: 10, minimums: { accuracy: 0.9 }, driftShare: 0.4 },
      at,
    });
    const families = monitoringGauges([r]);
    expect(families.map((f) => f.name)).toEqual(MONITORING_GAUGES.map((d) => d.name));
    const get = (name: string) => families.find((f) => f.name === name)!.samples;
    const base = { model: 'm', version: '3' };
    expect(get(MONITORING_GAUGE_NAMES.status)).toEqual([{ labels: { ...base, status: r.status }, value: 1 }]);
    expect(get(MONITORING_GAUGE_NAMES.feedBroken)).toEqual([{ labels: base, value: 0 }]);
    expect(get(MONITORING_GAUGE_NAMES.metricMinimum)).toEqual([
      { labels: { ...base, metric: 'accuracy', source: 'caller' }, value: 0.9 },
    ]);
    expect(get(MONITORING_GAUGE_NAMES.driftShareThreshold)).toEqual([
      { labels: { ...base, source: 'caller' }, value: 0.4 },
    ]);
    expect(get(MONITORING_GAUGE_NAMES.feedbackMetric)).toContainEqual({
      labels: { ...base, metric: 'accuracy' },
      value: r.performance!.metrics.accuracy,
    });
    expect(get(MONITORING_GAUGE_NAMES.window)).toEqual([{ labels: { ...base, source: 'default' }, value: 86_400 }]);
    // Every sample carries exactly the definition's labels.
    for (const f of families) {
      for (const s of f.samples) expect(Object.keys(s.labels).sort()).toEqual([...f.labelNames].sort());
    }
  });

  it('a broken feed: feed_broken 1, no dataset drift gauge that could read as "no drift"', async () => {
    const r = await monitorWindow({
      store,
      model: 'm',
      version: '3',
      reference: createProfile({ a: [1, 2, 3], z: [1, 2, 3] }),
      defaults: { minSamples: 10 },
      at,
    });
    expect(r.status).toBe('broken');
    const families = monitoringGauges([r]);
    const get = (name: string) => families.find((f) => f.name === name)!.samples;
    expect(get(MONITORING_GAUGE_NAMES.feedBroken)).toEqual([{ labels: { model: 'm', version: '3' }, value: 1 }]);
    expect(get(MONITORING_GAUGE_NAMES.datasetDrift)).toEqual([]);
    expect(get(MONITORING_GAUGE_NAMES.datasetDriftShare)).toEqual([]);
    expect(get(MONITORING_GAUGE_NAMES.feedProblems)).toContainEqual({
      labels: { model: 'm', version: '3', problem: 'missing' },
      value: 1,
    });
  });
});
