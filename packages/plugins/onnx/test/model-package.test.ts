import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fsObjectStore, loadModelPackage, saveModelPackage, validateInputs } from '@mlops/core';
import {
  type DenseMatrix,
  denseMatrix,
  imputer,
  oneHotEncoder,
  preprocessingPipeline,
  standardScaler,
  tfidfVectorizer,
} from '@mlops/core/preprocessing';
import { linearTrainer } from '@mlops/plugin-linear';
import { exportToOnnx, ONNX_FLAVOR_NAME, onnxFlavor } from '@mlops/plugin-onnx';
import { fitRandomForest } from '@mlops/plugin-random-forest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mlops-plugin-onnx-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('an ONNX model package round-trips through saveModelPackage / loadModelPackage', () => {
  it('tabular: forest with imputer + one-hot + scaler in the graph, raw records in, labels out', async () => {
    const n = 120;
    const frame = {
      temp: Array.from({ length: n }, (_, i) => (i % 17 === 0 ? null : Math.fround(20 + ((i * 37) % 23) / 2))),
      line: Array.from({ length: n }, (_, i) => ['A', 'B', 'C'][i % 3]!),
    };
    const y = frame.temp.map((t, i) => ((t ?? 25) > 27 || frame.line[i] === 'C' ? 'bad' : 'good'));
    const { fitted, output } = preprocessingPipeline<DenseMatrix>([
      imputer({ columns: ['temp'] }),
      oneHotEncoder({ columns: ['line'] }),
      standardScaler(),
      denseMatrix(),
    ]).fitTransform(frame);
    const forest = await fitRandomForest({ x: output, y }, { nEstimators: 15, maxDepth: 5, seed: 1, workers: 0 });
    const exported = exportToOnnx({ model: forest, preprocessing: fitted });

    const objects = fsObjectStore({ dir: join(dir, 'tabular') });
    const { digest, manifest } = await saveModelPackage({
      objects,
      flavor: onnxFlavor(),
      model: exported,
      signature: exported.signature,
      lineage: {},
    });
    expect(manifest.flavor.name).toBe(ONNX_FLAVOR_NAME);
    expect(manifest.flavor.config).toMatchObject({ format: 'onnx', file: 'model.onnx', classLabels: ['bad', 'good'] });
    expect(manifest.preprocessing).toBeNull();

    const { predictor } = await loadModelPackage({ objects, digest, flavors: [onnxFlavor({ intraOpNumThreads: 1 })] });
    try {
      // What a server does: validate a JSON body against the package signature, then predict.
      const records = [
        { temp: 30.5, line: 'A' },
        { temp: null, line: 'B' },
        { temp: 21, line: 'C' },
        { temp: 22, line: 'A' },
      ];
      const inputs = validateInputs(manifest.signature, { inputs: records });
      const out = await predictor.predict(inputs);
      const x = fitted.transform({
        temp: records.map((r) => r.temp),
        line: records.map((r) => r.line),
      });
      expect(out.label).toEqual(forest.predict(x));
      expect(out.label).toEqual(['bad', 'good', 'bad', 'good']);
    } finally {
      await predictor.close?.();
    }
  });

  it('text: TF-IDF as the package preprocessing, the ONNX graph on its output', async () => {
    const text = [
      'cannot log in password expired',
      'reset my vpn password please',
      'laptop screen broken',
      'printer jammed on floor three',
      'order a new monitor',
      'purchase two software licences',
    ];
    const topic = ['access', 'access', 'hardware', 'hardware', 'purchase', 'purchase'];
    const { fitted, output } = preprocessingPipeline([tfidfVectorizer()]).fitTransform({ text });
    const model = await linearTrainer().fit({ x: output as never, y: topic }, { C: 10 });
    const exported = exportToOnnx({ model });
    const objects = fsObjectStore({ dir: join(dir, 'text') });
    const { digest } = await saveModelPackage({
      objects,
      flavor: onnxFlavor(),
      model: exported,
      signature: { inputs: [{ name: 'text', type: 'string' }], outputs: exported.signature.outputs },
      preprocessing: fitted,
      lineage: {},
    });
    const { predictor, manifest } = await loadModelPackage({ objects, digest, flavors: [onnxFlavor()] });
    try {
      expect(manifest.preprocessing?.kind).toBe('mlops.core/pipeline');
      const queries = ['my password does not work', 'please order a monitor', 'the printer is broken'];
      const out = await predictor.predict({ text: queries });
      expect(out.label).toEqual(model.predict(fitted.transform({ text: queries }) as never));
      expect(out.label).toEqual(['access', 'purchase', 'hardware']);
    } finally {
      await predictor.close?.();
    }
  });
});
