// Garbage collection against writers that reuse stored objects. A new dataset version that reuses an object already
// stored (old and unreferenced, e.g. left by a deleted version) must not lose it to a collection running meanwhile:
// the writer freshens the objects it reuses before recording its references (as git freshens an object it would have
// written), and the collector deletes an object only if it is still older than the cutoff at the moment of deleting.
import { existsSync, mkdirSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type FsObjectStore, fsObjectStore, type ObjectStore, type Store } from '@mlops/core';
import { versionDataset } from '@mlops/core/dataset-versions';
import { collectGarbage, deleteObjects, recordObjectRef } from '@mlops/core/objects';
import { describe, expect, it } from 'vitest';
import { useRootAndStore } from './helpers.js';

let store: Store;
const root = useRootAndStore('mlops-gc-reuse-', (s) => {
  store = s;
});
let n = 0;
const HOUR = 3600_000;
const twoHoursAgo = () => new Date(Date.now() - 2 * HOUR);

/** Makes every object file (loose and packs) of a store two hours old. */
function ageAll(objects: FsObjectStore): void {
  const old = twoHoursAgo();
  for (const shard of readdirSync(objects.dir)) {
    if (/^[0-9a-f]{2}$/.test(shard)) {
      for (const f of readdirSync(join(objects.dir, shard))) utimesSync(join(objects.dir, shard, f), old, old);
    }
  }
  const packs = join(objects.dir, 'packs');
  if (!existsSync(packs)) return;
  for (const f of readdirSync(packs, { withFileTypes: true }).filter((e) => e.isFile())) {
    utimesSync(join(packs, f.name), old, old);
  }
}

/** The same store, with `transaction` running `before` first (once). */
function beforeFirstTransaction(inner: Store, before: () => Promise<void>): Store {
  let done = false;
  return new Proxy(inner, {
    get(target, prop) {
      if (prop === 'transaction') {
        return async <T>(fn: (tx: Store) => Promise<T>) => {
          if (!done) {
            done = true;
            await before();
          }
          return target.transaction(fn);
        };
      }
      const v = Reflect.get(target, prop, target);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}

/** The same object store, with `deleteMany` running `before` first (once). */
function beforeFirstDelete(inner: FsObjectStore, before: () => Promise<void>): ObjectStore {
  let done = false;
  return new Proxy(inner, {
    get(target, prop) {
      if (prop === 'deleteMany') {
        return async (...args: Parameters<FsObjectStore['deleteMany']>) => {
          if (!done) {
            done = true;
            await before();
          }
          return target.deleteMany(...args);
        };
      }
      const v = Reflect.get(target, prop, target);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}

function workspace(files: number) {
  const dir = join(root, `w${n++}`);
  const data = join(dir, 'data');
  mkdirSync(data, { recursive: true });
  const bodies = Array.from({ length: files }, (_, i) => `row ${i} of workspace ${n}\n`.repeat(3));
  const write = (at: string) => {
    mkdirSync(at, { recursive: true });
    bodies.forEach((b, i) => {
      writeFileSync(join(at, `f${i}.csv`), `a,b\n${b}`);
    });
  };
  return { dir, data, write, objects: fsObjectStore({ dir: join(dir, 'objects') }) };
}

async function expectIntact(objects: ObjectStore, digests: string[]) {
  for (const d of digests) expect(await objects.has(d), d).toBe(true);
}

describe.each([
  ['loose objects', 3],
  ['packed objects', 120],
])('collectGarbage while a new version reuses %s', (_, files) => {
  it('keeps an old unreferenced object that a new version reuses before the collection (writer freshens)', async () => {
    const w = workspace(files);
    w.write(join(w.dir, 'old'));
    // An earlier dataset stored the objects; its version is gone (no reference left) and they are old.
    const first = await versionDataset({ path: join(w.dir, 'old'), store, objects: w.objects, name: `gone-${n}` });
    await store.query('DELETE FROM core_object_refs WHERE owner_id LIKE $1', [`gone-${n}@%`]);
    ageAll(w.objects);
    const reused = (await collectDigests(w.objects)).filter((d) => d !== first.digest);
    w.write(w.data);
    writeFileSync(join(w.data, 'new.txt'), 'a file the old version did not have');
    let report: Awaited<ReturnType<typeof collectGarbage>> | undefined;
    // The collection runs after the writer found the objects stored, before it records its references.
    const writerStore = beforeFirstTransaction(store, async () => {
      report = await collectGarbage({ store, objects: w.objects, graceMs: HOUR });
    });
    const v = await versionDataset({ path: w.data, store: writerStore, objects: w.objects, name: `new-${n}` });
    expect(report?.deleted.map((d) => d.digest)).toEqual([first.digest]);
    await expectIntact(w.objects, [...reused, v.digest]);
  });

  it('keeps an old unreferenced object that a version reuses between the reference check and the delete', async () => {
    const w = workspace(files);
    w.write(join(w.dir, 'old'));
    const first = await versionDataset({ path: join(w.dir, 'old'), store, objects: w.objects, name: `gone-${n}` });
    await store.query('DELETE FROM core_object_refs WHERE owner_id LIKE $1', [`gone-${n}@%`]);
    ageAll(w.objects);
    const reused = (await collectDigests(w.objects)).filter((d) => d !== first.digest);
    w.write(w.data);
    writeFileSync(join(w.data, 'new.txt'), 'a file the old version did not have');
    let v: Awaited<ReturnType<typeof versionDataset>> | undefined;
    // The collector has chosen its victims (old, unreferenced); the writer versions and commits before it deletes.
    const gcObjects = beforeFirstDelete(w.objects, async () => {
      v = await versionDataset({ path: w.data, store, objects: w.objects, name: `new-${n}` });
    });
    const report = await collectGarbage({ store, objects: gcObjects, graceMs: HOUR });
    expect(v).toBeDefined();
    expect(report.deleted.map((d) => d.digest)).toEqual([first.digest]);
    await expectIntact(w.objects, [...reused, (v as { digest: string }).digest]);
  });
});

describe('collectGarbage while a writer puts an object again', () => {
  it('keeps an object re-put (saveModelPackage, tracking artifacts) between the reference check and the delete', async () => {
    const w = workspace(0);
    const { digest } = await w.objects.put('a model file stored before');
    utimesSync(w.objects.pathOf(digest), twoHoursAgo(), twoHoursAgo());
    const gcObjects = beforeFirstDelete(w.objects, async () => {
      await w.objects.put('a model file stored before');
      await recordObjectRef(store, { digest, kind: 'test', ownerId: `reput-${n}` });
    });
    const report = await collectGarbage({ store, objects: gcObjects, graceMs: HOUR });
    expect(report.deleted).toEqual([]);
    expect(report.kept.young).toBe(1);
    await expectIntact(w.objects, [digest]);
  });

  it('deleteObjects with olderThan deletes only objects not written or freshened since', async () => {
    const w = workspace(0);
    const old = await w.objects.put('old');
    const young = await w.objects.put('young');
    utimesSync(w.objects.pathOf(old.digest), twoHoursAgo(), twoHoursAgo());
    utimesSync(w.objects.pathOf(young.digest), twoHoursAgo(), twoHoursAgo());
    expect(await w.objects.freshen([young.digest, `sha256:${'0'.repeat(64)}`])).toEqual([true, false]);
    const cutoff = new Date(Date.now() - HOUR);
    expect(await deleteObjects(w.objects, [old.digest, young.digest], { olderThan: cutoff })).toEqual([true, false]);
    await expectIntact(w.objects, [young.digest]);
    expect(await w.objects.has(old.digest)).toBe(false);
  });
});

async function collectDigests(objects: ObjectStore): Promise<string[]> {
  const out: string[] = [];
  for await (const d of objects.list()) out.push(d);
  return out.sort();
}
