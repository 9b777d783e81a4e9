// Training and evaluation of the example's text models on a small slice of the real tickets, and the ONNX package
// that serving uses: the graph must reproduce the JS model (labels identical, probabilities within 1e-5).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStore, fsObjectStore, loadModelPackage, type Store } from '@mlops/core';
import { loadTestData } from '@mlops/core/testing';
import { loadTicketTopics, loadTicketUrgency } from '@mlops/datasets';
import { stratifiedSample, stratifiedSplit } from '@mlops/example-kit';
import { ONNX_FLAVOR_NAME } from '@mlops/plugin-onnx';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { urgencyText } from '../src/data.js';
import {
  evaluateTextModel,
  packageTextModel,
  predictLabels,
  type TextModel,
  textModelFlavors,
  trainTextModel,
} from '../src/text-model.js';

// The real tickets are never committed and never downloaded by a test: offline, from MLOPS_DATASETS_DIR, the shared
// datasets folder or the cache; without them these suites are skipped and say so (an error in CI).
const topics = await loadTestData('IT tickets (topics)', () => loadTicketTopics({ offline: true }));
const urgency = await loadTestData('IT tickets (urgency)', () => loadTicketUrgency({ offline: true }));
const topicRows = topics?.rows ?? [];
const idx = stratifiedSample(
  topicRows.map((r) => r.topic),
  1500,
  7,
);
const texts = idx.map((i) => topicRows[i]!.text);
const labels = idx.map((i) => topicRows[i]!.topic);
const split = stratifiedSplit(labels, 0.2, 42);
const part = (k: number[]) => ({ x: k.map((i) => texts[i]!), y: k.map((i) => labels[i]!) });
const train = part(split.train);
const test = part(split.test);

describe.skipIf(!topics)('topic model on a slice of the real tickets [real-data]', () => {
  let model: TextModel;
  let store: Store;
  let dir: string;
  beforeAll(async () => {
    model = await trainTextModel(train.x, train.y, { C: 8 });
    store = await createStore('memory://');
    dir = mkdtempSync(join(tmpdir(), 'it-tickets-'));
  });
  afterAll(async () => {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('learns the eight topics far above chance (macro-F1 of a constant guess is below 0.06)', () => {
    expect([...model.model.classes].map(String).sort()).toEqual([...new Set(labels)].sort());
    const rep = evaluateTextModel(model, test.x, test.y);
    expect(rep.n).toBe(test.x.length);
    expect(rep.macro.f1).toBeGreaterThan(0.5);
    expect(rep.accuracy).toBeGreaterThan(0.6);
    expect(rep.confusionMatrix.labels).toHaveLength(8);
    // The report agrees with the predictions it is computed from.
    const pred = predictLabels(model, test.x);
    expect(rep.accuracy).toBeCloseTo(pred.filter((p, i) => p === test.y[i]).length / pred.length, 12);
  });

  it('packages the model as ONNX that reproduces the JS model, and the package serves text', async () => {
    const objects = fsObjectStore({ dir: join(dir, 'objects') });
    const pkg = await packageTextModel({
      store,
      objects,
      trained: model,
      metrics: { macro_f1: 0.5 },
      lineage: { runId: 'test', datasetVersions: [] },
      parityTexts: test.x,
    });
    expect(pkg.parity).toMatchObject({ rows: test.x.length, labelMismatches: 0 });
    expect(pkg.parity.maxAbsDiff).toBeLessThan(1e-5);
    expect(pkg.digest).not.toBe(pkg.nativeDigest);
    expect(pkg.signature.inputs).toEqual([{ name: 'text', type: 'string' }]);
    const { predictor, manifest } = await loadModelPackage({
      objects,
      digest: pkg.digest,
      flavors: textModelFlavors(),
    });
    try {
      expect(manifest.flavor.name).toBe(ONNX_FLAVOR_NAME);
      const out = await predictor.predict({ text: test.x.slice(0, 20) });
      expect(Array.from(out.label as ArrayLike<unknown>, String)).toEqual(predictLabels(model, test.x.slice(0, 20)));
    } finally {
      await predictor.close?.();
    }
  });
});

describe('urgency text', () => {
  it('joins title and body', () => {
    expect(urgencyText({ title: 'vpn down', body: 'cannot connect' })).toBe('vpn down cannot connect');
    expect(urgencyText({ title: '', body: 'cannot connect' })).toBe('cannot connect');
  });
});

describe.skipIf(!urgency)('urgency model [real-data]', () => {
  it('reads title and body, and learns the dominant code from the ticket type with balanced class weights', async () => {
    const rows = urgency!.rows.map((r) => ({ text: urgencyText(r), y: String(r.urgency) }));
    const s = stratifiedSplit(
      rows.map((r) => r.y),
      0.2,
      42,
    );
    const m = await trainTextModel(
      s.train.map((i) => rows[i]!.text),
      s.train.map((i) => rows[i]!.y),
      { C: 4, classWeight: 'balanced' },
    );
    const rep = evaluateTextModel(
      m,
      s.test.map((i) => rows[i]!.text),
      s.test.map((i) => rows[i]!.y),
    );
    // Code 3 is ticket_type 1 (89 % of tickets): near-perfect recall; balanced accuracy well above chance (0.25).
    expect(rep.perClass.find((c) => String(c.label) === '3')!.recall).toBeGreaterThan(0.95);
    expect(rep.balancedAccuracy).toBeGreaterThan(0.4);
  });
});
