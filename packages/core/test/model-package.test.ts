import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type Columns,
  type Flavor,
  fsObjectStore,
  isFeatureMatrix,
  isMlopsError,
  loadModelPackage,
  type ModelInput,
  readModelPackageManifest,
  saveModelPackage,
  validateInputs,
} from '@mlops/core';
import { listObjectRefs } from '@mlops/core/objects';
import {
  type DenseMatrix,
  denseMatrix,
  imputer,
  preprocessingPipeline,
  standardScaler,
} from '@mlops/core/preprocessing';
import { describeStores } from '@mlops/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** A tiny linear model: y = bias + Σ w_j x_j over named features. */
interface LinearModel {
  features: string[];
  weights: number[];
  bias: number;
}

function linearPredict(m: LinearModel, x: ModelInput): Float64Array {
  if (isFeatureMatrix(x)) {
    const d = x as DenseMatrix;
    const out = new Float64Array(d.nRows);
    for (let i = 0; i < d.nRows; i++) {
      let s = m.bias;
      for (let j = 0; j < d.nCols; j++) s += m.weights[j]! * d.data[i * d.nCols + j]!;
      out[i] = s;
    }
    return out;
  }
  const cols = x as Columns;
  const n = cols[m.features[0]!]!.length;
  const out = new Float64Array(n).fill(m.bias);
  m.features.forEach((f, j) => {
    const c = cols[f] as ArrayLike<number>;
    for (let i = 0; i < n; i++) out[i]! += m.weights[j]! * Number(c[i]);
  });
  return out;
}

/** A test flavor storing the model as JSON plus a second file (to check several files are verified). */
const linearFlavor: Flavor<LinearModel> = {
  name: 'test.linear-json',
  async save(model) {
    return {
      files: {
        'model.json': new TextEncoder().encode(JSON.stringify(model)),
        'docs/README.txt': new TextEncoder().encode('a linear model'),
      },
      config: { format: 1 },
    };
  },
  async load(files, ctx) {
    const model = JSON.parse(new TextDecoder().decode(files.files['model.json'])) as LinearModel;
    return {
      signature: ctx.signature,
      batchable: true,
      predict: async (x) => ({ y: linearPredict(model, x) }),
    };
  },
};

const signature = {
  inputs: [
    { name: 'a', type: 'float64' as const, optional: true },
    { name: 'b', type: 'float64' as const },
  ],
  outputs: [{ name: 'y', type: 'float64' as const }],
};

const train = { a: [1, 2, null, 4, 5], b: [10, 20, 30, 40, 50] };

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mlops-model-package-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('model package', () => {
  it('round-trips a model without preprocessing with identical outputs', async () => {
    const objects = fsObjectStore({ dir: join(dir, 'plain'), fsync: false });
    const model: LinearModel = { features: ['a', 'b'], weights: [0.5, -0.25], bias: 3 };
    const { digest, manifest } = await saveModelPackage({
      objects,
      flavor: linearFlavor,
      model,
      signature,
      metrics: { rmse: 0.1 },
      lineage: { runId: 'run-1', datasetVersions: ['sha256:abc'], gitCommit: 'deadbeef' },
      metadata: { owner: 'team-a' },
    });
    expect(manifest.kind).toBe('mlops.model-package');
    expect(manifest.files.map((f) => f.path)).toEqual(['docs/README.txt', 'model.json']);
    expect(await readModelPackageManifest(objects, digest)).toEqual(manifest);

    const { predictor, manifest: loaded } = await loadModelPackage({ objects, digest, flavors: [linearFlavor] });
    expect(loaded.lineage).toEqual({ runId: 'run-1', datasetVersions: ['sha256:abc'], gitCommit: 'deadbeef' });
    expect(loaded.flavor).toEqual({ name: 'test.linear-json', config: { format: 1 } });
    const inputs = validateInputs(predictor.signature, {
      inputs: [
        { a: 1, b: 2 },
        { a: 3, b: 4 },
      ],
    });
    const out = await predictor.predict(inputs);
    expect(out.y).toEqual(linearPredict(model, inputs));
    expect(Array.from(out.y as Float64Array)).toEqual([3 + 0.5 - 0.5, 3 + 1.5 - 1]);
  });

  it('round-trips fitted preprocessing: the loaded predictor gives the same outputs as the in-memory one', async () => {
    const objects = fsObjectStore({ dir: join(dir, 'pre'), fsync: false });
    const { fitted, output } = preprocessingPipeline<DenseMatrix>([
      imputer({ strategy: 'median' }),
      standardScaler(),
      denseMatrix({ columns: ['a', 'b'] }),
    ]).fitTransform(train);
    expect(output.nRows).toBe(5);
    const model: LinearModel = { features: ['a', 'b'], weights: [1.25, -0.75], bias: 0.1 };
    const { digest, manifest } = await saveModelPackage({
      objects,
      flavor: linearFlavor,
      model,
      signature,
      preprocessing: fitted,
      lineage: {},
    });
    expect(manifest.preprocessing?.kind).toBe('mlops.core/pipeline');
    const { predictor } = await loadModelPackage({ objects, digest, flavors: [linearFlavor] });

    const body = { inputs: { a: [null, 2.5, 100, -3], b: [15, 25, 35, 0] } };
    const inputs = validateInputs(signature, body);
    const got = await predictor.predict(inputs);
    const expected = linearPredict(model, fitted.transform({ a: body.inputs.a, b: body.inputs.b }));
    expect(got.y).toEqual(expected);
    // NaN from validateInputs is imputed, not propagated.
    expect(Number.isFinite((got.y as Float64Array)[0])).toBe(true);
  });

  it('refuses a package whose model file was tampered with, before the flavor sees it', async () => {
    const objects = fsObjectStore({ dir: join(dir, 'tamper'), fsync: false });
    const model: LinearModel = { features: ['a', 'b'], weights: [1, 1], bias: 0 };
    const { digest, manifest } = await saveModelPackage({
      objects,
      flavor: linearFlavor,
      model,
      signature,
      lineage: {},
    });
    const file = manifest.files.find((f) => f.path === 'model.json')!;
    const path = objects.pathOf(file.digest);
    await rm(path, { force: true });
    await writeFile(path, JSON.stringify({ ...model, weights: [1000, 1000] }));

    let loads = 0;
    const spy: Flavor<LinearModel> = {
      ...linearFlavor,
      load: async (f, c) => {
        loads++;
        return linearFlavor.load(f, c);
      },
    };
    const err = await loadModelPackage({ objects, digest, flavors: [spy] }).catch((e: unknown) => e);
    expect(isMlopsError(err, 'CHECKSUM_MISMATCH')).toBe(true);
    expect(loads).toBe(0);
  });

  it('refuses tampered preprocessing and a tampered manifest', async () => {
    const objects = fsObjectStore({ dir: join(dir, 'tamper2'), fsync: false });
    const fitted = preprocessingPipeline([imputer(), denseMatrix({ columns: ['a', 'b'] })]).fit(train);
    const model: LinearModel = { features: ['a', 'b'], weights: [1, 1], bias: 0 };
    const { digest, manifest } = await saveModelPackage({
      objects,
      flavor: linearFlavor,
      model,
      signature,
      preprocessing: fitted,
      lineage: {},
    });
    const pre = objects.pathOf(manifest.preprocessing!.digest);
    await rm(pre, { force: true });
    await writeFile(pre, '{"kind":"mlops.core/pipeline","schemaVersion":1,"steps":[]}');
    const e1 = await loadModelPackage({ objects, digest, flavors: [linearFlavor] }).catch((e: unknown) => e);
    expect(isMlopsError(e1, 'CHECKSUM_MISMATCH')).toBe(true);

    const man = objects.pathOf(digest);
    await rm(man, { force: true });
    await writeFile(man, JSON.stringify({ ...manifest, metrics: { accuracy: 1 } }));
    const e2 = await loadModelPackage({ objects, digest, flavors: [linearFlavor] }).catch((e: unknown) => e);
    expect(isMlopsError(e2, 'CHECKSUM_MISMATCH')).toBe(true);
  });

  it('names a missing flavor with NOT_FOUND and rejects objects that are not packages', async () => {
    const objects = fsObjectStore({ dir: join(dir, 'flavor'), fsync: false });
    const { digest } = await saveModelPackage({
      objects,
      flavor: linearFlavor,
      model: { features: ['a'], weights: [1], bias: 0 },
      signature,
      lineage: {},
    });
    const err = await loadModelPackage({ objects, digest, flavors: [] }).catch((e: unknown) => e);
    expect(isMlopsError(err, 'NOT_FOUND')).toBe(true);
    expect((err as Error).message).toContain('test.linear-json');

    const { digest: other } = await objects.put(JSON.stringify({ kind: 'something-else' }));
    const e2 = await loadModelPackage({ objects, digest: other, flavors: [linearFlavor] }).catch((e: unknown) => e);
    expect(isMlopsError(e2, 'INVALID_INPUT')).toBe(true);
  });

  it('rejects a flavor writing paths outside the package', async () => {
    const objects = fsObjectStore({ dir: join(dir, 'paths'), fsync: false });
    const evil: Flavor<null> = {
      name: 'evil',
      save: async () => ({ files: { '../escape.txt': new Uint8Array([1]) } }),
      load: linearFlavor.load,
    };
    const err = await saveModelPackage({ objects, flavor: evil, model: null, signature, lineage: {} }).catch(
      (e: unknown) => e,
    );
    expect(isMlopsError(err, 'INVALID_INPUT')).toBe(true);
  });
});

describeStores('model package object refs', (getStore) => {
  it('records a model-package reference for the manifest, every file and the preprocessing', async () => {
    const objects = fsObjectStore({ dir: join(dir, `refs-${Math.random().toString(36).slice(2)}`), fsync: false });
    const fitted = preprocessingPipeline([imputer(), denseMatrix({ columns: ['a', 'b'] })]).fit(train);
    const { digest, manifest } = await saveModelPackage({
      objects,
      store: getStore(),
      flavor: linearFlavor,
      model: { features: ['a', 'b'], weights: [1, 2], bias: 0 },
      signature,
      preprocessing: fitted,
      lineage: {},
    });
    const all = [digest, ...manifest.files.map((f) => f.digest), manifest.preprocessing!.digest];
    for (const d of all) {
      const refs = await listObjectRefs(getStore(), d);
      expect(refs).toContainEqual({ digest: d, kind: 'model-package', ownerId: digest });
    }
  });
});
