// Garbage collection of an S3 object store against writers that reuse stored objects: `freshen` renews an object's
// LastModified without sending its bytes, versionDataset freshens the objects of a new version before recording it,
// and collectGarbage re-checks an object's age as it deletes it.
import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStore, type Store } from '@mlops/core';
import { versionDataset } from '@mlops/core/dataset-versions';
import { collectGarbage } from '@mlops/core/objects';
import { type S3ObjectStore, s3ObjectStore } from '@mlops/plugin-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type S3rverFixture, startS3rver } from './s3rver-fixture.js';

let s3: S3rverFixture;
let store: Store;
const root = join(tmpdir(), `mlops-s3-gc-${randomUUID()}`);
beforeAll(async () => {
  s3 = await startS3rver('mlops-gc');
  store = await createStore('memory://');
  mkdirSync(root, { recursive: true });
});
afterAll(async () => {
  await store?.close();
  await s3?.stop();
});

const HOUR = 3600_000;
const freshStore = () => s3ObjectStore({ bucket: s3.bucket, prefix: `gc-${randomUUID()}`, client: s3.client });

/** Dates an object two hours back, in s3rver's own files (its LastModified is the mtime of the object's file). */
function age(objects: S3ObjectStore, digest: string): void {
  const key = objects.keyOf(digest);
  const dir = join(s3.directory, s3.bucket, ...key.split('/').slice(0, -1));
  const name = key.split('/').pop() as string;
  const file = readdirSync(dir).find((f) => f.startsWith(name) && f.endsWith('object'));
  if (!file) throw new Error(`no s3rver file for ${key} in ${dir}`);
  const old = new Date(Date.now() - 2 * HOUR);
  utimesSync(join(dir, file), old, old);
}

describe('s3ObjectStore and garbage collection', () => {
  it('freshen renews LastModified (false for a missing object) and keeps the bytes', async () => {
    const objects = freshStore();
    const { digest } = await objects.put('an object reused by a new version');
    age(objects, digest);
    expect((await objects.stat(digest))?.mtime.getTime()).toBeLessThan(Date.now() - HOUR);
    expect(await objects.freshen([digest, `sha256:${'0'.repeat(64)}`])).toEqual([true, false]);
    expect((await objects.stat(digest))?.mtime.getTime()).toBeGreaterThan(Date.now() - HOUR);
    expect((await objects.readBytes(digest)).toString()).toBe('an object reused by a new version');
  });

  it('collectGarbage keeps an old object freshened after it chose it (the age is checked again as it deletes)', async () => {
    const objects = freshStore();
    const { digest } = await objects.put('chosen, then freshened by a writer');
    age(objects, digest);
    let calls = 0;
    // The writer freshens the object right after the collector stat'ed it, and records its reference later.
    const gcObjects = new Proxy(objects, {
      get(target, prop) {
        if (prop === 'statMany') {
          return async (...args: Parameters<S3ObjectStore['statMany']>) => {
            const res = await target.statMany(...args);
            if (calls++ === 0) await target.freshen([digest]);
            return res;
          };
        }
        const v = Reflect.get(target, prop, target);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    const report = await collectGarbage({ store, objects: gcObjects, graceMs: HOUR });
    expect(report.deleted).toEqual([]);
    expect(report.kept.young).toBe(1);
    expect(await objects.has(digest)).toBe(true);
  });

  it('a new dataset version reusing an old unreferenced object keeps it through a collection before it commits', async () => {
    const objects = freshStore();
    const file = join(root, `data-${randomUUID()}.csv`);
    writeFileSync(file, 'a,b\n1,2\n3,4\n');
    const { digest } = await objects.put('a,b\n1,2\n3,4\n');
    age(objects, digest);
    let report: Awaited<ReturnType<typeof collectGarbage>> | undefined;
    const writerStore = new Proxy(store, {
      get(target, prop) {
        if (prop === 'transaction') {
          return async <T>(fn: (tx: Store) => Promise<T>) => {
            report ??= await collectGarbage({ store, objects, graceMs: HOUR });
            return target.transaction(fn);
          };
        }
        const v = Reflect.get(target, prop, target);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    const v = await versionDataset({ path: file, store: writerStore, objects });
    expect(v.digest).toBe(digest);
    expect(report?.deleted).toEqual([]);
    expect(await objects.has(digest)).toBe(true);
  });
});
