// Seeds a store the way a short real job would: a tracked pipeline run twice (metrics over steps), a registered model
// with two versions (reference profile, metrics, source run), a few hundred logged predictions with feedback, a shift
// in the last part of the log (drift), and a retraining decision of the continuous-training policy, so every view of
// the dashboard has something to show.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fsObjectStore, type ObjectStore, type Store } from '@mlops/core';
import { createPredictionLogger, recordFeedback } from '@mlops/core/predictions';
import { mulberry32 } from '@mlops/core/testing';
import { createTracker } from '@mlops/core/tracking';
import { createProfile } from '@mlops/drift';
import { createContinuousTrainingPolicy, param, pipeline, step } from '@mlops/pipelines';
import { createRegistry, type Registry } from '@mlops/registry';

/** What {@link seedStore} created. */
export interface Seeded {
  objects: ObjectStore;
  registry: Registry;
  /** The `train` step runs (children of the pipeline runs), by learning rate. */
  trainRuns: { lr: number; runId: string }[];
  model: string;
}

const rng = mulberry32;

/** Seeds `store` with runs, a model with versions 1 and 2 (alias `production` → v1), predictions and feedback. */
export async function seedStore(store: Store, o: { model?: string; predictions?: number } = {}): Promise<Seeded> {
  const model = o.model ?? 'churn';
  const objects = fsObjectStore({ dir: await mkdtemp(join(tmpdir(), 'mlops-dashboard-')) });
  const tracker = createTracker({ store, objects, captureGit: false });
  const registry = await createRegistry({ store, events: false, principal: 'seed' });

  const train = step({
    name: 'train',
    version: '1',
    inputs: { lr: param<number>('lr') },
    run: async ({ lr }, ctx) => {
      await ctx.run.logParams({ lr, epochs: 5 });
      for (let epoch = 1; epoch <= 5; epoch++) {
        await ctx.run.logMetrics(
          { loss: Number((1 / (1 + lr * epoch * 10)).toFixed(4)), accuracy: Number((0.6 + lr * epoch).toFixed(4)) },
          { step: epoch },
        );
      }
      await ctx.run.logArtifact('model.json', Buffer.from(JSON.stringify({ lr })));
      await ctx.lineage({ datasets: [{ name: 'customers', version: 'sha256:'.padEnd(71, 'a'), role: 'train' }] });
      return { lr };
    },
  });
  const p = pipeline({ name: 'churn-training', steps: [train] });
  const trainRuns: Seeded['trainRuns'] = [];
  for (const lr of [0.02, 0.05]) {
    const res = await p.run({ store, objects, tracker, params: { lr }, progress: 'silent' });
    if (res.status !== 'succeeded') throw new Error(`seed pipeline failed: ${String(res.error)}`);
    trainRuns.push({ lr, runId: res.steps.train!.runId! });
  }

  const random = rng(7);
  const reference = {
    tenure: Array.from({ length: 400 }, () => random() * 10),
    plan: Array.from({ length: 400 }, () => (random() < 0.5 ? 'basic' : 'pro')),
  };
  const profile = createProfile(reference, { createdAt: '2026-01-01T00:00:00.000Z' });
  await registry.createModel({ name: model, description: 'Churn classifier (seeded for tests)' });
  for (const [i, run] of trainRuns.entries()) {
    const { digest } = await objects.put(Buffer.from(`model package ${i + 1}`));
    await registry.createVersion({
      model,
      packageDigest: digest,
      flavor: 'test',
      profile,
      metrics: { accuracy: 0.6 + run.lr * 5 },
      sourceRunId: run.runId,
      status: 'ready',
    });
  }
  await registry.promote({ model, alias: 'production', version: 1, reason: 'first version' });

  // Predictions over the last hour; the last third has shifted inputs (drift) and worse answers.
  const n = o.predictions ?? 240;
  const logger = createPredictionLogger({ store, flushIntervalMs: 50 });
  const start = Date.now() - 60 * 60 * 1000;
  const ids: { id: string; label: string }[] = [];
  for (let i = 0; i < n; i++) {
    const shifted = i >= (2 * n) / 3;
    const tenure = shifted ? 6 + random() * 10 : random() * 10;
    const predicted = tenure > 5 ? 'stay' : 'churn';
    const truth = shifted ? (random() < 0.5 ? 'stay' : 'churn') : random() < 0.9 ? predicted : 'churn';
    const { id } = logger.log({
      requestId: `req-${Math.floor(i / 2)}`,
      position: i % 2,
      model,
      version: '1',
      alias: 'production',
      time: new Date(start + (i / n) * 55 * 60 * 1000),
      latencyMs: 2 + random() * 8 + (shifted ? 5 : 0),
      inputs: { tenure, plan: random() < (shifted ? 0.9 : 0.5) ? 'pro' : 'basic' },
      outputs: { label: predicted },
    });
    ids.push({ id, label: truth });
  }
  await logger.close();
  for (const x of ids.filter((_, i) => i % 3 === 0)) {
    await recordFeedback({ store, predictionId: x.id, label: x.label });
  }

  // The continuous-training policy sees the drift, "retrains" (v2 stands in for the new version) and its gate rejects
  // the candidate: a retraining decision and a failed gate decision are recorded.
  const policy = createContinuousTrainingPolicy({
    store,
    registry,
    model,
    triggers: { drift: true },
    monitoring: { windowMs: 20 * 60 * 1000, limit: 10_000, minSamples: 30 },
    retrain: async () => ({ version: 2 }),
    gate: { metric: 'accuracy', op: 'gte', value: 0.99 },
  });
  const decision = await policy.runOnce();
  if (decision.status !== 'rejected') throw new Error(`seed policy: expected a rejection, got ${decision.status}`);
  return { objects, registry, trainRuns, model };
}
