import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fsObjectStore, isMlopsError, loadModelPackage, saveModelPackage, validateInputs } from '@mlops/core';
import {
  type CsrMatrix,
  type DenseMatrix,
  denseMatrix,
  preprocessingPipeline,
  standardScaler,
  tfidfVectorizer,
} from '@mlops/core/preprocessing';
import { LINEAR_FLAVOR_NAME, linearFlavor, linearOutputSignature, linearTrainer } from '@mlops/plugin-linear';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// A small support-ticket corpus: three topics with overlapping vocabulary.
const TEMPLATES: Record<string, string[]> = {
  access: [
    'cannot log in to my account password expired',
    'please reset my password for the vpn access',
    'request access rights to the shared folder',
    'account locked after too many login attempts',
  ],
  hardware: [
    'laptop screen is broken and flickering',
    'printer on the third floor is jammed again',
    'need a new keyboard and mouse for my desk',
    'docking station does not charge the laptop',
  ],
  purchase: [
    'please order a new monitor for the team',
    'purchase request for software licences',
    'invoice for the new laptops needs approval',
    'order twenty headsets for the call centre',
  ],
};
const EXTRA = ['today', 'urgent', 'thanks', 'again', 'please help', 'asap', 'for my manager', 'in the office'];

function corpus(n: number, offset: number): { text: string[]; topic: string[] } {
  const topics = Object.keys(TEMPLATES);
  const text: string[] = [];
  const topic: string[] = [];
  for (let i = 0; i < n; i++) {
    const t = topics[(i * 7 + offset) % topics.length]!;
    const lines = TEMPLATES[t]!;
    text.push(`${lines[(i + offset) % lines.length]} ${EXTRA[(i * 3 + offset) % EXTRA.length]}`);
    topic.push(t);
  }
  return { text, topic };
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mlops-plugin-linear-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('linear flavor in a model package', () => {
  it('text: TF-IDF pipeline + softmax round-trips with bit-identical predictions', async () => {
    const train = corpus(90, 0);
    const { fitted, output } = preprocessingPipeline<CsrMatrix>([tfidfVectorizer({ ngramRange: [1, 2] })]).fitTransform(
      { text: train.text },
    );
    const model = await linearTrainer({ C: 5 }).fit({ x: output, y: train.topic }, {});
    expect(model.kind).toBe('multinomial');

    const objects = fsObjectStore({ dir: join(dir, 'text'), fsync: false });
    const { digest, manifest } = await saveModelPackage({
      objects,
      flavor: linearFlavor(),
      model,
      signature: { inputs: [{ name: 'text', type: 'string' }], outputs: linearOutputSignature(model) },
      preprocessing: fitted,
      lineage: {},
    });
    expect(manifest.flavor.name).toBe(LINEAR_FLAVOR_NAME);
    expect(manifest.files.map((f) => f.path)).toEqual(['coefficients.bin', 'model.json']);
    expect(manifest.signature.outputs.map((o) => o.name)).toEqual(['label', 'probabilities']);

    const { predictor } = await loadModelPackage({ objects, digest, flavors: [linearFlavor()] });
    const test = corpus(40, 5);
    const inputs = validateInputs(predictor.signature, { inputs: { text: test.text } });
    const out = await predictor.predict(inputs);

    const x = fitted.transform({ text: test.text });
    const expected = model.predictProba(x);
    const probabilities = out.probabilities as number[][];
    expect(probabilities).toHaveLength(40);
    // Bit-identical: same float64 coefficients, same preprocessing state, same arithmetic.
    probabilities.forEach((row, i) => {
      row.forEach((p, c) => {
        expect(Object.is(p, expected[i]![c])).toBe(true);
      });
    });
    expect(out.label).toEqual(model.predict(x));
    // And the model learned the topics.
    const correct = (out.label as string[]).filter((l, i) => l === test.topic[i]).length;
    expect(correct).toBeGreaterThanOrEqual(36);
  });

  it('dense: scaler pipeline + binary logistic with numeric labels round-trips', async () => {
    const n = 120;
    const a: number[] = [];
    const b: number[] = [];
    const y: number[] = [];
    for (let i = 0; i < n; i++) {
      const u = Math.sin(i * 1.7) * 3;
      const v = Math.cos(i * 0.9) * 50 + 100;
      a.push(u);
      b.push(v);
      y.push(u + (v - 100) / 25 + Math.sin(i * 13.1) > 0 ? 1 : 0);
    }
    const { fitted, output } = preprocessingPipeline<DenseMatrix>([
      standardScaler(),
      denseMatrix({ columns: ['a', 'b'] }),
    ]).fitTransform({ a, b });
    const model = await linearTrainer().fit({ x: output, y }, { classWeight: 'balanced' });
    expect(model.kind).toBe('binary');
    expect(model.classes).toEqual([0, 1]);

    const objects = fsObjectStore({ dir: join(dir, 'dense'), fsync: false });
    const outputs = linearOutputSignature(model);
    expect(outputs[0]).toMatchObject({ name: 'label', type: 'float64' });
    const { digest } = await saveModelPackage({
      objects,
      flavor: linearFlavor(),
      model,
      signature: {
        inputs: [
          { name: 'a', type: 'float64' },
          { name: 'b', type: 'float64' },
        ],
        outputs,
      },
      preprocessing: fitted,
      lineage: {},
    });
    const { predictor } = await loadModelPackage({ objects, digest, flavors: [linearFlavor()] });
    const out = await predictor.predict({ a: Float64Array.from(a), b: Float64Array.from(b) });
    expect(out.label).toBeInstanceOf(Float64Array);
    expect(Array.from(out.label as Float64Array)).toEqual(model.predict(output));
    expect(out.probabilities).toEqual(model.predictProba(output));
  });

  it('a package without preprocessing takes one scalar column per feature or one vector column', async () => {
    const x: DenseMatrix = {
      columns: ['u', 'v'],
      nRows: 6,
      nCols: 2,
      data: Float64Array.from([0, 1, 1, 0, 2, 2, -1, 0, 0, -2, -2, -1]),
    };
    const model = await linearTrainer().fit({ x, y: ['p', 'p', 'p', 'n', 'n', 'n'] }, {});
    const objects = fsObjectStore({ dir: join(dir, 'raw'), fsync: false });
    const scalar = await saveModelPackage({
      objects,
      flavor: linearFlavor(),
      model,
      signature: {
        inputs: [
          { name: 'u', type: 'float64' },
          { name: 'v', type: 'float64' },
        ],
        outputs: linearOutputSignature(model),
      },
      lineage: {},
    });
    const vector = await saveModelPackage({
      objects,
      flavor: linearFlavor(),
      model,
      signature: { inputs: [{ name: 'x', type: 'float64', shape: [2] }], outputs: linearOutputSignature(model) },
      lineage: {},
    });
    const p1 = (await loadModelPackage({ objects, digest: scalar.digest, flavors: [linearFlavor()] })).predictor;
    const p2 = (await loadModelPackage({ objects, digest: vector.digest, flavors: [linearFlavor()] })).predictor;
    const o1 = await p1.predict({ u: [3, -3], v: [3, -3] });
    const o2 = await p2.predict({
      x: [
        [3, 3],
        [-3, -3],
      ],
    });
    expect(o1.label).toEqual(['p', 'n']);
    expect(o2).toEqual(o1);
    const err = await p1.predict({ u: [1], v: ['x'] }).catch((e: unknown) => e);
    expect(isMlopsError(err, 'INVALID_INPUT')).toBe(true);
  });
});
