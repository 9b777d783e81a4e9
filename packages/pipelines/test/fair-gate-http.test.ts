// Fair gates over HTTP (issue 20): the registry's gates stay declarative JSON; a promotion may carry both models'
// figures on the same data (`comparison`), which its gates then read, and the decision records.
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createStore,
  type FsObjectStore,
  fsObjectStore,
  isMlopsError,
  loadModelPackage,
  type Store,
} from '@mlops/core';
import { createPredictionLogger, recordFeedback } from '@mlops/core/predictions';
import { createContinuousTrainingPolicy } from '@mlops/pipelines';
import { linearFlavor } from '@mlops/plugin-linear';
import {
  createRegistry,
  createRegistryRouter,
  type GateComparison,
  type Registry,
  registryClient,
} from '@mlops/registry';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { saveLinearModel } from './helpers.js';

let store: Store;
let objects: FsObjectStore;
let local: Registry;
let remote: Registry;
let server: Server;
let dir: string;

beforeAll(async () => {
  store = await createStore('memory://');
  dir = mkdtempSync(join(tmpdir(), 'mlops-fair-gate-http-'));
  objects = fsObjectStore({ dir: join(dir, 'objects'), fsync: false });
  local = await createRegistry({ store, objects });
  const app = express();
  app.use('/registry', createRegistryRouter({ registry: local }));
  server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  remote = registryClient(`http://127.0.0.1:${(server.address() as AddressInfo).port}/registry`);
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
  await local.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A package-less version with registered metrics (the registry-level tests never load it). */
async function version(model: string, metrics: Record<string, number>) {
  const { digest } = await objects.put(Buffer.from(`${model} ${JSON.stringify(metrics)} ${Math.random()}`));
  return (await local.createVersion({ model, packageDigest: digest, flavor: 'none', metrics })).version;
}

const comparison = (
  candidate: number,
  incumbent: number | null,
  c: Record<string, number>,
  i: Record<string, number>,
): GateComparison => ({
  data: { name: 'runs since the fault', source: 'holdout', rows: 235, datasetVersion: 'secom@1' },
  candidate: { version: candidate, metrics: c },
  incumbent: incumbent === null ? null : { version: incumbent, metrics: i },
});

describe('registry: a promotion carries both models’ figures on the same data', () => {
  it('over HTTP, a declarative relative gate compares the figures sent, not the registered ones, and the decision records the data', async () => {
    const model = 'http-cmp';
    await local.createModel({ name: model });
    const v1 = await version(model, { pr_auc: 0.518 });
    await local.promote({ model, version: v1, alias: 'production' });
    const v2 = await version(model, { pr_auc: 0.505 + 0.1 });
    const gate = {
      all: [
        { metric: 'pr_auc', op: 'gte' as const, value: 0.2 },
        { metric: 'pr_auc', notWorseThanIncumbentBy: 0.05, direction: 'max' as const },
      ],
    };
    // Registered: 0.605 vs 0.518 passes. On the same runs: 0.505 vs 0.593 fails.
    const err = await remote
      .promote({
        model,
        version: v2,
        alias: 'production',
        gate,
        comparison: comparison(v2, v1, { pr_auc: 0.505 }, { pr_auc: 0.593 }),
      })
      .catch((e: unknown) => e);
    expect(isMlopsError(err, 'GATE_FAILED')).toBe(true);
    expect((err as Error).message).toMatch(/runs since the fault, 235 rows/);
    expect((await local.resolve({ model, alias: 'production' })).version).toBe(v1);
    const [decision] = (await remote.listDecisions({ model, passed: false })).items;
    expect(decision!.evidence.comparison).toEqual(comparison(v2, v1, { pr_auc: 0.505 }, { pr_auc: 0.593 }));
    const [threshold, relative] = (decision!.evidence.result as { children: Record<string, unknown>[] }).children;
    expect(threshold).toMatchObject({ actual: 0.505, source: 'comparison', passed: true });
    expect(relative).toMatchObject({
      candidate: 0.505,
      incumbent: 0.593,
      measuredOn: 'runs since the fault',
      rows: 235,
      passed: false,
    });

    // The same gate without a comparison keeps today's meaning: registered metrics.
    const res = await remote.promote({ model, version: v2, alias: 'production', gate });
    expect(res.decision.passed).toBe(true);
    expect(res.decision.evidence.comparison).toBeUndefined();
  });

  it('figures measured against another incumbent, or missing a metric the gate compares, fail the gate', async () => {
    const model = 'http-cmp-stale';
    await local.createModel({ name: model });
    const v1 = await version(model, { acc: 0.5 });
    const v2 = await version(model, { acc: 0.5 });
    const v3 = await version(model, { acc: 0.5 });
    await local.promote({ model, version: v2, alias: 'production' });
    const gate = { metric: 'acc', notWorseThanIncumbentBy: 0, direction: 'max' as const };
    const stale = await remote
      .promote({
        model,
        version: v3,
        alias: 'production',
        gate,
        comparison: comparison(v3, v1, { acc: 0.9 }, { acc: 0.1 }),
      })
      .catch((e: unknown) => e);
    expect(isMlopsError(stale, 'GATE_FAILED')).toBe(true);
    expect((stale as Error).message).toMatch(/measured against v1, the incumbent is v2/);
    const missing = await remote
      .promote({ model, version: v3, alias: 'production', gate, comparison: comparison(v3, v2, { acc: 0.9 }, {}) })
      .catch((e: unknown) => e);
    expect(isMlopsError(missing, 'GATE_FAILED')).toBe(true);
    expect((missing as Error).message).toMatch(/incumbent's "acc" was not measured on runs since the fault/);
    expect((await local.resolve({ model, alias: 'production' })).version).toBe(v2);
  });

  it('a malformed comparison is a 400 with its field path; one for another candidate is refused', async () => {
    const model = 'http-cmp-bad';
    await local.createModel({ name: model });
    const v1 = await version(model, { acc: 0.5 });
    const bad = await remote
      .promote({
        model,
        version: v1,
        alias: 'production',
        comparison: { ...comparison(v1, null, { acc: 0.5 }, {}), data: { name: 'x', rows: -1 } },
      })
      .catch((e: unknown) => e);
    expect(isMlopsError(bad, 'INVALID_INPUT')).toBe(true);
    expect(JSON.stringify((bad as { details: unknown }).details)).toMatch(/comparison\.data\.rows/);
    const other = await remote
      .promote({ model, version: v1, alias: 'production', comparison: comparison(v1 + 1, null, { acc: 0.5 }, {}) })
      .catch((e: unknown) => e);
    expect(isMlopsError(other, 'INVALID_INPUT')).toBe(true);
    expect((other as Error).message).toMatch(/comparison\.candidate\.version/);
  });
});

describe('continuous training through a registry client: the policy sends the figures it measured', () => {
  it('a candidate worse on the labelled window is rejected over HTTP; the registry records what it compared on', async () => {
    const model = 'http-policy';
    await local.createModel({ name: model });
    const fit = async (shift: number, registered: number) => {
      const n = 300;
      const x1 = Float64Array.from({ length: n }, (_, i) => ((i * 7919) % 300) / 60 - 2.5 + shift);
      const x2 = Float64Array.from({ length: n }, (_, i) => ((i * 104729) % 300) / 60 - 2.5);
      const y = Array.from(x1, (v, i) => (v + 0.5 * x2[i]! > shift ? 'pos' : 'neg'));
      const digest = await saveLinearModel(objects, store, { x1, x2, y });
      const v = await remote.createVersion({
        model,
        packageDigest: digest,
        flavor: 'mlops.linear',
        metrics: { accuracy: registered },
      });
      return { version: v.version, digest };
    };
    const v1 = await fit(0, 0.6);
    await remote.promote({ model, version: v1.version, alias: 'production' });
    // The window: traffic like v1's training data, served by v1, with labels.
    const { predictor } = await loadModelPackage({ objects, digest: v1.digest, flavors: [linearFlavor()] });
    const x1 = Float64Array.from({ length: 120 }, (_, i) => ((i * 37) % 120) / 24 - 2.5);
    const x2 = Float64Array.from({ length: 120 }, (_, i) => ((i * 53) % 120) / 24 - 2.5);
    const truth = Array.from(x1, (v, i) => (v + 0.5 * x2[i]! > 0 ? 'pos' : 'neg'));
    const out = await predictor.predict({ x1, x2 });
    const logger = createPredictionLogger({ store, flushIntervalMs: 50 });
    const { ids } = logger.logBatch({
      requestId: 'http-policy-window',
      model,
      version: String(v1.version),
      alias: 'production',
      inputs: { x1, x2 },
      outputs: { label: Array.from(out.label as ArrayLike<string>) },
    });
    await logger.close();
    for (let i = 0; i < ids.length; i++) await recordFeedback({ store, predictionId: ids[i]!, label: truth[i] });

    const policy = createContinuousTrainingPolicy({
      store,
      registry: remote,
      model,
      triggers: {},
      gate: { metric: 'accuracy', notWorseThanIncumbentBy: 0.02, direction: 'max' },
      compare: { objects, flavors: [linearFlavor()] },
      retrain: async () => ({ version: (await fit(2, 0.95)).version }),
    });
    const decision = await policy.runOnce({ force: true });
    expect(decision.status).toBe('rejected');
    const c = decision.evaluation!.comparison!;
    expect(c.data.rows).toBe(120);
    expect(c.incumbent!.metrics.accuracy).toBeGreaterThan(c.candidate.metrics.accuracy! + 0.02);
    const promotion = (await remote.listDecisions({ model })).items.find((d) => d.id === decision.promotionDecisionId)!;
    expect(promotion.passed).toBe(false);
    expect(promotion.evidence.comparison).toEqual(c);
  });
});
