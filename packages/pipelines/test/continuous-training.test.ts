import {
  type Alert,
  type AlertSink,
  type FsObjectStore,
  loadModelPackage,
  type Predictor,
  type Store,
} from '@mlops/core';
import { createApiKey } from '@mlops/core/auth';
import { createPredictionLogger, readPredictions } from '@mlops/core/predictions';
import { createTracker } from '@mlops/core/tracking';
import { createProfile } from '@mlops/drift';
import { MONITORING_SETTINGS_TAG, monitoringSettingsTags } from '@mlops/monitoring';
import {
  createContinuousTrainingPolicy,
  createRetrainRoute,
  createRetrainRoutes,
  createRetrainRunner,
  isRetrainEvaluation,
  type RetrainEvaluation,
  type RetrainStatusResponse,
} from '@mlops/pipelines';
import { linearFlavor } from '@mlops/plugin-linear';
import type { Gate, Registry } from '@mlops/registry';
import { createModelServer } from '@mlops/serve';
import { describe, expect, it } from 'vitest';
import { type Data, logTraffic, makeData, saveLinearModel, usePolicyFixture } from './helpers.js';

let store: Store;
let objects: FsObjectStore;
let registry: Registry;

usePolicyFixture('mlops-ct-', (fx) => {
  ({ store, objects, registry } = fx);
});

async function predict(predictor: Predictor, d: Data): Promise<string[]> {
  const out = await predictor.predict({ x1: d.x1, x2: d.x2 });
  return Array.from(out.label as ArrayLike<string>);
}

/** Trains on `train`, scores accuracy on `holdout`, saves the package and registers a version with its profile. */
async function trainAndRegister(
  model: string,
  train: Data,
  holdout: Data,
): Promise<{ version: number; predictor: Predictor }> {
  const digest = await saveLinearModel(objects, store, train);
  const { predictor } = await loadModelPackage({ objects, digest, flavors: [linearFlavor()] });
  const predicted = await predict(predictor, holdout);
  const accuracy = predicted.filter((p, i) => p === holdout.y[i]).length / holdout.y.length;
  const v = await registry.createVersion({
    model,
    packageDigest: digest,
    flavor: 'mlops.linear',
    metrics: { accuracy },
    profile: createProfile({ x1: train.x1, x2: train.x2 }),
  });
  return { version: v.version, predictor };
}

async function setupModel(model: string) {
  await registry.createModel({ name: model });
  const v1 = await trainAndRegister(model, makeData(400, 1), makeData(200, 2));
  await registry.promote({ model, version: v1.version, alias: 'production' });
  return v1;
}

function memorySink() {
  const sent: Alert[] = [];
  const sink: AlertSink = { name: 'memory', send: async (a) => void sent.push(a) };
  return { sent, sink };
}

const gate: Gate = {
  all: [
    { metric: 'accuracy', op: 'gte', value: 0.85 },
    { metric: 'accuracy', notWorseThanIncumbentBy: 0.05, direction: 'max' },
  ],
};

describe('continuous training', () => {
  it('drift in the prediction log triggers a retrain whose version passes the gate and is promoted', async () => {
    const model = 'ct-promote';
    const v1 = await setupModel(model);
    await logTraffic(store, model, v1.version, v1.predictor, makeData(300, 3, 3), false); // x1 shifted by 3
    expect(await readPredictions({ store, model })).toHaveLength(300);
    const { sent, sink } = memorySink();
    let calls = 0;
    const policy = createContinuousTrainingPolicy({
      store,
      registry,
      model,
      triggers: { drift: true },
      gate,
      alerts: sink,
      retrain: async (ctx) => {
        calls++;
        expect(ctx.incumbent.version).toBe(v1.version);
        expect(ctx.reasons.map((r) => r.trigger)).toEqual(['drift']);
        // Retrain on fresh labelled data from the shifted distribution.
        return { version: (await trainAndRegister(model, makeData(400, 4, 3), makeData(200, 5, 3))).version };
      },
    });
    const evaluation = await policy.evaluate();
    expect(evaluation.triggered).toBe(true);
    expect(evaluation.drift!.driftedColumns).toContain('x1');
    expect(evaluation.drift!.driftedColumns).not.toContain('x2');
    expect(evaluation.counts.predictions).toBe(300);
    expect(calls).toBe(0); // evaluate has no side effect

    const decision = await policy.runOnce();
    expect(calls).toBe(1);
    expect(decision.status).toBe('promoted');
    expect(decision.incumbentVersion).toBe(1);
    expect(decision.candidateVersion).toBe(2);
    expect((await registry.resolve({ model, alias: 'production' })).version).toBe(2);
    const promotion = (await registry.listDecisions({ model })).items.find(
      (d) => d.id === decision.promotionDecisionId,
    )!;
    expect(promotion.passed).toBe(true);
    expect(promotion.reason).toBe('continuous training: drift');
    expect(sent.map((a) => [a.severity, a.labels.outcome])).toEqual([['info', 'promoted']]);
    expect(sent[0]!.title).toContain('promoted v2');
    const recorded = await policy.decisions();
    expect(recorded.map((d) => [d.status, d.reasons[0]!.trigger])).toEqual([['promoted', 'drift']]);
    const stored = recorded[0]!.evaluation;
    expect(isRetrainEvaluation(stored) && stored.drift!.drifted).toBe(true);
    expect(isRetrainEvaluation({ ...stored, monitoring: undefined })).toBe(false);
  });

  it('a retrained version that fails the gate is not promoted; the decision and a warning are recorded', async () => {
    const model = 'ct-reject';
    const v1 = await setupModel(model);
    await logTraffic(store, model, v1.version, v1.predictor, makeData(300, 6, 3), false);
    const { sent, sink } = memorySink();
    const policy = createContinuousTrainingPolicy({
      store,
      registry,
      model,
      triggers: { drift: true },
      gate,
      alerts: [sink],
      // A broken training job: labels flipped, so the candidate is worse than the incumbent.
      retrain: async () => ({
        version: (await trainAndRegister(model, makeData(400, 7, 3, true), makeData(200, 8, 3))).version,
      }),
    });
    const decision = await policy.runOnce();
    expect(decision.status).toBe('rejected');
    expect(decision.candidateVersion).toBe(2);
    expect(decision.error).toMatch(/gate/i);
    expect((await registry.resolve({ model, alias: 'production' })).version).toBe(1);
    const refused = (await registry.listDecisions({ model })).items.find((d) => d.id === decision.promotionDecisionId)!;
    expect(refused.passed).toBe(false);
    expect(refused.candidateVersion).toBe(2);
    expect(sent.map((a) => [a.severity, a.labels.outcome])).toEqual([['warning', 'rejected']]);
    expect((await policy.decisions())[0]!.status).toBe('rejected');
  });

  it('no drift and good accuracy: no retraining, the no-action decision is still recorded', async () => {
    const model = 'ct-steady';
    const v1 = await setupModel(model);
    await logTraffic(store, model, v1.version, v1.predictor, makeData(300, 9), true);
    const { sent, sink } = memorySink();
    let calls = 0;
    const policy = createContinuousTrainingPolicy({
      store,
      registry,
      model,
      triggers: { drift: true, performance: true },
      monitoring: { minimums: { accuracy: 0.8 } },
      alerts: sink,
      retrain: async () => {
        calls++;
        return { version: 99 };
      },
    });
    const decision = await policy.runOnce();
    expect(decision.status).toBe('no-action');
    expect(decision.evaluation!.drift!.drifted).toBe(false);
    expect(decision.evaluation!.monitoring.status).toBe('ok');
    expect(decision.evaluation!.performance!.metrics.accuracy).toBeGreaterThan(0.9);
    expect(calls).toBe(0);
    expect(sent).toEqual([]);
  });

  it('reads the window settings stored with the incumbent version (the tag the server gauges read) over its own', async () => {
    const model = 'ct-window-tag';
    const v1 = await setupModel(model);
    await logTraffic(store, model, v1.version, v1.predictor, makeData(40, 11, 2.5), false);
    const policy = createContinuousTrainingPolicy({
      store,
      registry,
      model,
      triggers: { drift: true },
      monitoring: { minSamples: 1000 },
      retrain: async () => ({ version: 99 }),
    });
    // The policy's own minSamples (1000) is above the 40 logged predictions: drift is not evaluated.
    const before = await policy.evaluate();
    expect(before.monitoring.sources.minSamples).toBe('caller');
    expect(before.monitoring.status).toBe('insufficient');
    expect(before.drift).toBeNull();
    // Stored with the version, minSamples 20 wins: the shifted traffic is evaluated and drifts.
    await registry.updateVersion({ model, version: v1.version, tags: monitoringSettingsTags({ minSamples: 20 }) });
    const after = await policy.evaluate();
    expect(after.monitoring.sources.minSamples).toBe('version');
    expect(after.drift?.drifted).toBe(true);
    expect(after.triggered).toBe(true);
    // An invalid tag falls back to the policy's options and says why.
    await registry.updateVersion({
      model,
      version: v1.version,
      tags: { [MONITORING_SETTINGS_TAG]: '{"minSamples":-1}' },
    });
    const invalid = await policy.evaluate();
    expect(invalid.monitoring.sources.minSamples).toBe('caller');
    expect(invalid.monitoring.settingsError).toMatch(/minSamples/);
    expect(invalid.drift).toBeNull();
  });

  it('a metric from feedback below its minimum triggers, with the same evaluator as the monitors', async () => {
    const model = 'ct-accuracy';
    const v1 = await setupModel(model);
    // Concept drift: same inputs, labels flipped, so the feedback disagrees with the predictions.
    await logTraffic(store, model, v1.version, v1.predictor, makeData(300, 10, 0, true), true);
    const policy = createContinuousTrainingPolicy({
      store,
      registry,
      model,
      triggers: { drift: true, performance: true },
      monitoring: { minimums: { accuracy: 0.8 } },
      retrain: async () => ({ version: 1 }),
    });
    const e = await policy.evaluate();
    expect(e.reasons.map((r) => r.trigger)).toEqual(['performance']);
    expect(e.reasons[0]!.message).toMatch(/^accuracy 0\.\d{4} below 0\.8 on 300 labelled predictions$/);
    expect(e.performance!.below).toEqual(['accuracy']);
    expect(e.performance!.metrics.accuracy).toBeLessThan(0.2);
    expect(e.performance!.n).toBe(300);
  });

  it('new labels and the schedule trigger; a forced run is recorded as manual', async () => {
    const model = 'ct-schedule';
    const v1 = await setupModel(model);
    await logTraffic(store, model, v1.version, v1.predictor, makeData(100, 11), true);
    const registered = new Date((await registry.getVersion({ model, version: 1 })).createdAt).getTime();
    const at = (ms: number) => () => new Date(registered + ms);
    const base = { store, registry, model, retrain: async () => ({ version: 1 }) };
    const labels = createContinuousTrainingPolicy({ ...base, triggers: { newLabels: 100 }, now: at(60_000) });
    expect((await labels.evaluate()).reasons.map((r) => r.trigger)).toEqual(['new-labels']);
    const tooMany = createContinuousTrainingPolicy({ ...base, triggers: { newLabels: 101 }, now: at(60_000) });
    expect((await tooMany.evaluate()).triggered).toBe(false);
    const schedule = createContinuousTrainingPolicy({
      ...base,
      triggers: { schedule: { everyMs: 3_600_000 } },
      now: at(3_600_001),
    });
    expect((await schedule.evaluate()).reasons.map((r) => r.trigger)).toEqual(['schedule']);
    const notYet = createContinuousTrainingPolicy({
      ...base,
      triggers: { schedule: { everyMs: 3_600_000 } },
      now: at(60_000),
    });
    expect((await notYet.evaluate()).triggered).toBe(false);

    let version = 0;
    const forced = createContinuousTrainingPolicy({
      ...base,
      triggers: {},
      retrain: async () => {
        version = (await trainAndRegister(model, makeData(400, 12), makeData(200, 13))).version;
        return { version };
      },
    });
    const d = await forced.runOnce({ force: true, reason: 'new feature set', principal: 'alice' });
    expect(d.status).toBe('promoted');
    expect(d.reasons).toEqual([{ trigger: 'manual', message: 'new feature set' }]);
    expect(d.principal).toBe('alice');
    expect((await registry.resolve({ model, alias: 'production' })).version).toBe(version);
  });

  it('allows one run at a time per model alias, and records a failing retrain', async () => {
    const model = 'ct-lock';
    await setupModel(model);
    let release: () => void = () => {};
    const gateOpen = new Promise<void>((r) => {
      release = r;
    });
    let started: () => void = () => {};
    const running = new Promise<void>((r) => {
      started = r;
    });
    const { sent, sink } = memorySink();
    const policy = createContinuousTrainingPolicy({
      store,
      registry,
      model,
      triggers: {},
      alerts: sink,
      retrain: async () => {
        started();
        await gateOpen;
        throw new Error('training cluster unavailable');
      },
    });
    const first = policy.runOnce({ force: true });
    await running;
    await expect(policy.runOnce({ force: true })).rejects.toMatchObject({ code: 'CONFLICT' });
    release();
    const d = await first;
    expect(d.status).toBe('failed');
    expect(d.error).toBe('training cluster unavailable');
    expect(sent.map((a) => a.severity)).toEqual(['critical']);
    // The lock is released: a later run may start.
    expect((await policy.runOnce()).status).toBe('no-action');
  });
});

describe('continuous training on a broken feed', () => {
  it('alerts and never retrains (not even forced); the decision is recorded as blocked with what it blocked', async () => {
    const model = 'ct-broken';
    const v1 = await setupModel(model);
    // x2 was renamed upstream to x2_renamed, and x1 is shifted: before, the policy tested x1 alone, saw drift and
    // retrained on a feed that had lost a feature.
    const d = makeData(300, 30, 3);
    const logger = createPredictionLogger({ store, flushIntervalMs: 50 });
    logger.logBatch({
      requestId: 'req-broken',
      model,
      version: String(v1.version),
      alias: 'production',
      inputs: { x1: d.x1, x2_renamed: d.x2 },
      outputs: { label: await predict(v1.predictor, d) },
    });
    await logger.close();
    const { sent, sink } = memorySink();
    let calls = 0;
    const policy = createContinuousTrainingPolicy({
      store,
      registry,
      model,
      triggers: { drift: true, newLabels: 1, schedule: { everyMs: 1 } },
      alerts: sink,
      retrain: async () => {
        calls++;
        return { version: 99 };
      },
    });
    const e = await policy.evaluate();
    expect(e.monitoring.status).toBe('broken');
    expect(e.blocked).toBe('broken feed: x2: missing from the logged inputs');
    expect(e.triggered).toBe(false);
    expect(e.drift).toMatchObject({ status: 'broken', drifted: null });
    // The reasons it would otherwise have had (no drift reason: a broken feed is no drift verdict).
    expect(e.reasons.map((r) => r.trigger)).toEqual(['schedule']);

    const decision = await policy.runOnce();
    expect(decision).toMatchObject({ status: 'blocked', triggered: false, candidateVersion: null });
    expect(decision.error).toBe('broken feed: x2: missing from the logged inputs');
    expect(decision.evaluation!.monitoring.features.find((f) => f.feature === 'x2')!.problem).toBe('missing');
    const forced = await policy.runOnce({ force: true, reason: 'retrain anyway' });
    expect(forced.status).toBe('blocked');
    expect(forced.reasons.map((r) => r.trigger)).toEqual(['schedule', 'manual']);
    expect(calls).toBe(0);
    expect((await registry.resolve({ model, alias: 'production' })).version).toBe(v1.version);
    expect(sent.map((a) => [a.severity, a.labels.outcome])).toEqual([
      ['critical', 'blocked'],
      ['critical', 'blocked'],
    ]);
    expect(sent[0]!.title).toBe(`The input feed of ${model}@production is broken: retraining blocked`);
  });

  it('says where the settings moved instead of ignoring the old names', () => {
    const base = { store, registry, model: 'x', retrain: async () => ({ version: 1 }) };
    const paths = (o: object) => {
      try {
        createContinuousTrainingPolicy({ ...base, triggers: {}, ...o } as never);
      } catch (err) {
        return ((err as { details: { path: string; message: string }[] }).details ?? []).map((d) => d.path);
      }
      throw new Error('expected a throw');
    };
    expect(paths({ triggers: { accuracyBelow: 0.8 } })).toEqual(['triggers.accuracyBelow']);
    expect(paths({ triggers: { drift: { share: 0.3 } } })).toEqual(['triggers.drift']);
    expect(paths({ window: { durationMs: 5 }, features: ['a'] })).toEqual(['window', 'features']);
    expect(paths({ monitoring: { durationMs: 5 } })).toEqual(['monitoring.durationMs']);
  });
});

describe('retrain route', () => {
  it('is authorised, answers a dry-run evaluation or the decision, and 404s unknown models', async () => {
    const model = 'ct-route';
    await setupModel(model);
    const policy = createContinuousTrainingPolicy({
      store,
      registry,
      model,
      triggers: {},
      retrain: async () => ({ version: 1 }),
    });
    const runner = createRetrainRunner({ store, targets: { [model]: { policy } } });
    const route = createRetrainRoute({
      runner,
      authenticate: async ({ apiKey }) => {
        if (apiKey !== 'secret') throw Object.assign(new Error('bad key'), { code: 'UNAUTHORIZED' });
        return 'ops-bot';
      },
    });
    expect(route.method).toBe('post');
    expect(route.path).toBe('/v1/models/:name/retrain');
    expect(route.status).toBe(202);
    const call = (name: string, headers: Record<string, string>, body?: unknown) =>
      route.handler({ params: { name }, body: route.body.parse(body), req: { headers } });
    await expect(call(model, {})).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    const dry = await call(model, { authorization: 'Bearer secret' }, { dryRun: true });
    expect(dry && 'evaluation' in dry && dry.evaluation.triggered).toBe(false);
    const res = await call(model, { 'x-api-key': 'secret' }, {});
    expect(res && 'decisionId' in res && res.decision.principal).toBe('ops-bot');
    await runner.idle();
    const id = (res as RetrainStatusResponse).decisionId;
    expect(await runner.get(model, id)).toMatchObject({ status: 'done', decision: { status: 'no-action' } });
    await expect(call('nope', { authorization: 'Bearer secret' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(() => route.body.parse({ force: 'yes' })).toThrow();
  });
});

describe('retrain route mounted in @mlops/serve', () => {
  it('POST /v1/models/:name/retrain needs a key with the pipelines:retrain scope and runs the policy', async () => {
    const model = 'ct-http';
    const v1 = await setupModel(model);
    await logTraffic(store, model, v1.version, v1.predictor, makeData(300, 20, 3), false);
    const policy = createContinuousTrainingPolicy({
      store,
      registry,
      model,
      triggers: { drift: true },
      gate,
      retrain: async () => ({
        version: (await trainAndRegister(model, makeData(400, 21, 3), makeData(200, 22, 3))).version,
      }),
    });
    const server = createModelServer({
      models: [{ name: model, predictor: v1.predictor, version: '1' }],
      store,
      auth: { mode: 'required' },
      logging: false,
    });
    const runner = createRetrainRunner({ store, targets: { [model]: { policy } } });
    for (const route of createRetrainRoutes({ runner })) server.route(route);
    const listening = await server.listen({ port: 0, host: '127.0.0.1', signals: [] });
    try {
      const { key } = await createApiKey({ store, name: 'retrainer', scopes: ['pipelines:retrain'] });
      const { key: predictOnly } = await createApiKey({ store, name: 'client', scopes: ['predict'] });
      const post = (headers: Record<string, string>, body: unknown) =>
        fetch(`${listening.url}/v1/models/${model}/retrain`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body: JSON.stringify(body),
        });
      expect((await post({}, {})).status).toBe(401);
      expect((await post({ authorization: `Bearer ${predictOnly}` }, {})).status).toBe(403);
      const bad = await post({ authorization: `Bearer ${key}` }, { force: 'yes' });
      expect(bad.status).toBe(400);
      const dry = await post({ authorization: `Bearer ${key}` }, { dryRun: true });
      expect(dry.status).toBe(200);
      expect(((await dry.json()) as { evaluation: RetrainEvaluation }).evaluation.reasons[0]!.trigger).toBe('drift');
      const res = await post({ authorization: `Bearer ${key}` }, {});
      expect(res.status).toBe(202);
      const started = (await res.json()) as RetrainStatusResponse;
      expect(started.decision).toMatchObject({ status: 'running', principal: 'retrainer' });
      await runner.idle();
      const got = await fetch(`${listening.url}/v1/models/${model}/retrain/${started.decisionId}`, {
        headers: { authorization: `Bearer ${key}` },
      });
      expect(got.status).toBe(200);
      const { status, decision } = (await got.json()) as RetrainStatusResponse;
      expect(status).toBe('done');
      expect([decision.status, decision.candidateVersion, decision.principal]).toEqual(['promoted', 2, 'retrainer']);
      expect((await registry.resolve({ model, alias: 'production' })).version).toBe(2);
      // The retraining is a tracked run, linked from its decision.
      const run = await createTracker({ store }).getRun(decision.runId!);
      expect(run.tags['mlops.retrain.decision']).toBe(started.decisionId);
      expect(
        (
          await fetch(`${listening.url}/v1/models/${model}/retrain/999999`, {
            headers: { authorization: `Bearer ${key}` },
          })
        ).status,
      ).toBe(404);
      const missing = await fetch(`${listening.url}/v1/models/unknown/retrain`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: '{}',
      });
      expect(missing.status).toBe(404);
    } finally {
      await listening.close();
      await server.close();
    }
  });
});
