import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createStore,
  type FsObjectStore,
  fsObjectStore,
  type Predictor,
  type Store,
  saveModelPackage,
} from '@mlops/core';
import { createPredictionLogger, recordFeedback } from '@mlops/core/predictions';
import { mulberry32 } from '@mlops/core/testing';
import { linearFlavor, linearOutputSignature, linearTrainer } from '@mlops/plugin-linear';
import { createRegistry, type Registry } from '@mlops/registry';
import { afterAll, beforeAll } from 'vitest';

/** A memory store, model packages in a temporary directory and a registry over both. */
export interface PolicyFixture {
  store: Store;
  objects: FsObjectStore;
  registry: Registry;
  dir: string;
}

/**
 * Opens a {@link PolicyFixture} before the file's tests (handing it to `ready`) and closes it, removing the
 * directory, after them.
 */
export function usePolicyFixture(prefix: string, ready: (fx: PolicyFixture) => void): void {
  let fx: PolicyFixture | undefined;
  beforeAll(async () => {
    const store = await createStore('memory://');
    const dir = mkdtempSync(join(tmpdir(), prefix));
    const objects = fsObjectStore({ dir: join(dir, 'objects'), fsync: false });
    const registry = await createRegistry({ store, objects });
    fx = { store, objects, registry, dir };
    ready(fx);
  });
  afterAll(async () => {
    if (!fx) return;
    await fx.registry.close();
    await fx.store.close();
    rmSync(fx.dir, { recursive: true, force: true });
  });
}

export { mulberry32 };

/**
 * Seeded data: label `pos` when x1 + 0.5·x2 > shift (the other way round with `flip`), x1 centred on shift (the
 * boundary moves with the shift).
 */
export function makeData(n: number, seed: number, shift = 0, flip = false) {
  const rng = mulberry32(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(rng() || 1e-12)) * Math.cos(2 * Math.PI * rng());
  const x1 = new Float64Array(n);
  const x2 = new Float64Array(n);
  const y: string[] = [];
  for (let i = 0; i < n; i++) {
    x1[i] = gauss() + shift;
    x2[i] = gauss();
    const pos = x1[i]! + 0.5 * x2[i]! > shift;
    y.push(pos !== flip ? 'pos' : 'neg');
  }
  return { x1, x2, y };
}
export type Data = ReturnType<typeof makeData>;

/** Trains a linear classifier (C = 10) on x1, x2 → y and saves its model package; returns the package's digest. */
export async function saveLinearModel(
  objects: FsObjectStore,
  store: Store,
  train: { x1: Float64Array; x2: Float64Array; y: string[] },
): Promise<string> {
  const n = train.x1.length;
  const data = new Float64Array(2 * n);
  for (let i = 0; i < n; i++) {
    data[2 * i] = train.x1[i]!;
    data[2 * i + 1] = train.x2[i]!;
  }
  const fitted = await linearTrainer({ C: 10 }).fit(
    { x: { columns: ['x1', 'x2'], nRows: n, nCols: 2, data }, y: train.y },
    {},
  );
  const { digest } = await saveModelPackage({
    objects,
    store,
    flavor: linearFlavor(),
    model: fitted,
    signature: {
      inputs: [
        { name: 'x1', type: 'float64' },
        { name: 'x2', type: 'float64' },
      ],
      outputs: linearOutputSignature(fitted),
    },
    lineage: {},
  });
  return digest;
}

/**
 * Logs `traffic` as predictions of `version` (what a server would), with its labels as feedback unless `labels` is
 * false.
 */
export async function logTraffic(
  store: Store,
  model: string,
  version: number,
  predictor: Predictor,
  traffic: Data,
  labels = true,
): Promise<void> {
  const logger = createPredictionLogger({ store, flushIntervalMs: 50 });
  const out = await predictor.predict({ x1: traffic.x1, x2: traffic.x2 });
  const { ids } = logger.logBatch({
    requestId: `req-${model}-${Math.random().toString(36).slice(2)}`,
    model,
    version: String(version),
    alias: 'production',
    inputs: { x1: traffic.x1, x2: traffic.x2 },
    outputs: { label: Array.from(out.label as ArrayLike<string>) },
  });
  await logger.close();
  if (labels) {
    for (let i = 0; i < ids.length; i++) await recordFeedback({ store, predictionId: ids[i]!, label: traffic.y[i] });
  }
}
