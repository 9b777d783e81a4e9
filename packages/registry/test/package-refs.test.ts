// A version registered through a registry that has the object store keeps its whole model package alive: the
// manifest and every file it lists (and its preprocessing) are referenced by the version, so garbage collection
// never deletes a served model's files, even when the package was saved without `store` (which records no
// references of its own). Before the fix only the manifest was referenced: a collection deleted the model's files
// and the version could no longer be loaded.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createStore,
  type Flavor,
  fsObjectStore,
  isMlopsError,
  loadModelPackage,
  readModelPackageManifest,
  type Store,
  saveModelPackage,
} from '@mlops/core';
import { collectGarbage, listObjectRefs } from '@mlops/core/objects';
import { createRegistry } from '@mlops/registry';
import { afterEach, beforeEach, expect, it } from 'vitest';

const flavor: Flavor<{ k: number }> = {
  name: 'test/scale',
  save: async (model) => ({
    files: {
      'model.json': new TextEncoder().encode(JSON.stringify(model)),
      'weights.bin': new Uint8Array([model.k, 1, 2, 3]),
    },
  }),
  load: async (_pkg, ctx) => ({
    signature: ctx.signature,
    batchable: true,
    predict: async (inputs) => ({ y: (inputs as Record<string, Float64Array>).x! }),
  }),
};
const signature = {
  inputs: [{ name: 'x', type: 'float64' as const }],
  outputs: [{ name: 'y', type: 'float64' as const }],
};

let dir: string;
let store: Store;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'registry-package-refs-'));
  store = await createStore('memory://');
});
afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

it('references every object of the package, so garbage collection keeps a registered model loadable', async () => {
  const objects = fsObjectStore({ dir });
  // Saved without `store`: the package records no references of its own.
  const { digest } = await saveModelPackage({ objects, flavor, model: { k: 7 }, signature, lineage: {} });
  const registry = await createRegistry({ store, objects, events: false });
  await registry.createModel({ name: 'scale' });
  await registry.createVersion({ model: 'scale', packageDigest: digest, flavor: flavor.name, signature });

  const manifest = await readModelPackageManifest(objects, digest);
  for (const f of manifest.files) {
    expect(await listObjectRefs(store, f.digest)).toContainEqual({
      digest: f.digest,
      kind: 'model-version',
      ownerId: 'scale/1',
    });
  }
  // Everything unreferenced and older than the grace period goes: the package must not.
  const report = await collectGarbage({ store, objects, graceMs: 0, now: () => Date.now() + 60_000 });
  expect(report.deleted.map((d) => d.digest)).not.toContain(manifest.files[0]!.digest);
  const loaded = await loadModelPackage({ objects, digest, flavors: [flavor as Flavor<never>] });
  expect(loaded.manifest.files).toHaveLength(2);

  // Deleting the version drops all of them.
  await registry.deleteVersion({ model: 'scale', version: 1 });
  for (const f of manifest.files) expect(await listObjectRefs(store, f.digest)).toEqual([]);
  await registry.close();
});

it('refuses a package whose files are missing from the object store (NOT_FOUND naming the file)', async () => {
  const objects = fsObjectStore({ dir });
  const { digest } = await saveModelPackage({ objects, flavor, model: { k: 1 }, signature, lineage: {} });
  const manifest = await readModelPackageManifest(objects, digest);
  const lost = manifest.files.find((f) => f.path === 'weights.bin')!;
  await objects.delete(lost.digest);
  const registry = await createRegistry({ store, objects, events: false });
  await registry.createModel({ name: 'scale' });
  const err = await registry
    .createVersion({ model: 'scale', packageDigest: digest, flavor: flavor.name, signature })
    .catch((e: unknown) => e);
  expect(isMlopsError(err, 'NOT_FOUND')).toBe(true);
  expect((err as Error).message).toContain('weights.bin');
  expect((await registry.listVersions({ model: 'scale' })).items).toHaveLength(0);
  await registry.close();
});

it('still takes a blob that is not a model package (only its existence is checked)', async () => {
  const objects = fsObjectStore({ dir });
  const { digest } = await objects.put(new TextEncoder().encode('not a manifest'));
  const registry = await createRegistry({ store, objects, events: false });
  await registry.createModel({ name: 'blob' });
  const v = await registry.createVersion({ model: 'blob', packageDigest: digest, flavor: 'x' });
  expect(v.version).toBe(1);
  expect(await listObjectRefs(store, digest)).toEqual([{ digest, kind: 'model-version', ownerId: 'blob/1' }]);
  await registry.close();
});
