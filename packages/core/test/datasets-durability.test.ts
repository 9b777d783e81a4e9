// Issue 24: versioning many small files flushes them in one batch (a pack and its index, fsynced once) instead of
// one fsync per file, and still before the version is recorded; push and pull run with bounded concurrency.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as fsp from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { type FsObjectStore, fsObjectStore, type ObjectStore, type Store } from '@mlops/core';
import { pullDataset, pushDataset, versionDataset } from '@mlops/core/dataset-versions';
import { describe, expect, it, vi } from 'vitest';
import { useRootAndStore } from './helpers.js';

/** Every fsync (FileHandle.sync) made through node:fs/promises, with the path of the handle, in order. */
const events: string[] = [];
vi.mock('node:fs/promises', async (importOriginal) => {
  const orig = await importOriginal<typeof fsp>();
  const open = async (...args: Parameters<typeof orig.open>) => {
    const fh = await orig.open(...args);
    const sync = fh.sync.bind(fh);
    fh.sync = async () => {
      events.push(`sync ${String(args[0])}`);
      return sync();
    };
    return fh;
  };
  return { ...orig, open, default: { ...orig, open } };
});

let store: Store;
const root = useRootAndStore('mlops-durability-', (s) => {
  store = s;
});
let n = 0;

function folder(count: number) {
  const dir = join(root, `w${n++}`);
  const data = join(dir, 'corpus');
  mkdirSync(data, { recursive: true });
  for (let i = 0; i < count; i++) writeFileSync(join(data, `f${i}.txt`), `durable ${n}.${i} `.repeat(20));
  return { dir, data };
}

/** A store whose transactions (where a version is recorded) are logged in `events`. */
function loggedStore(): Store {
  return new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === 'transaction') {
        return (fn: Parameters<Store['transaction']>[0]) => {
          events.push('record');
          return target.transaction(fn);
        };
      }
      return Reflect.get(target, prop, receiver);
    },
  });
}

describe('batched durability', () => {
  it('versions 300 small files with a handful of fsyncs, all before the version is recorded', async () => {
    const { dir, data } = folder(300);
    const objects = fsObjectStore({ dir: join(dir, 'objects') });
    events.length = 0;
    const v = await versionDataset({ path: data, store: loggedStore(), objects });
    expect(v.created).toBe(true);
    const syncs = events.filter((e) => e.startsWith('sync '));
    // The pack, its index, the packs folder; the manifest (a loose object) and its shard folder.
    expect(syncs.length).toBeLessThanOrEqual(6);
    expect(syncs.some((e) => e.includes(`${join('objects', 'packs')}`))).toBe(true);
    expect(syncs.filter((e) => e.includes(`${join('objects', 'tmp')}`)).length).toBeGreaterThanOrEqual(2);
    // Objects are on disk before the version is recorded.
    expect(events.indexOf('record')).toBeGreaterThan(events.lastIndexOf(syncs.at(-1) as string));
    for (let i = 0; i < 300; i += 37) {
      const body = readFileSync(join(data, `f${i}.txt`));
      const digest = `sha256:${createHash('sha256').update(body).digest('hex')}`;
      expect((await objects.readBytes(digest)).equals(body)).toBe(true);
    }
  });

  it('without packing, every object is flushed on its own (what packing saves)', async () => {
    const { dir, data } = folder(120);
    const objects = fsObjectStore({ dir: join(dir, 'objects'), pack: false });
    events.length = 0;
    await versionDataset({ path: data, store: loggedStore(), objects });
    const syncs = events.filter((e) => e.startsWith('sync '));
    expect(syncs.length).toBeGreaterThanOrEqual(2 * 120); // each file and its shard folder
    expect(events.indexOf('record')).toBeGreaterThan(events.lastIndexOf(syncs.at(-1) as string));
  });
});

/** Wraps a store (without its batch methods), counting puts and gets in flight. */
function counting(inner: ObjectStore) {
  let puts = 0;
  let gets = 0;
  const most = { puts: 0, gets: 0 };
  const store: ObjectStore = {
    name: `counting ${inner.name}`,
    async put(body, opts) {
      puts++;
      most.puts = Math.max(most.puts, puts);
      try {
        await new Promise((r) => setTimeout(r, 1));
        return await inner.put(body, opts);
      } finally {
        puts--;
      }
    },
    get(digest) {
      gets++;
      most.gets = Math.max(most.gets, gets);
      const src = inner.get(digest);
      let done = false;
      const finish = () => {
        if (!done) gets--;
        done = true;
      };
      async function* body() {
        try {
          await new Promise((r) => setTimeout(r, 1));
          for await (const c of src) yield c as Buffer;
        } finally {
          finish();
        }
      }
      return Readable.from(body(), { objectMode: false });
    },
    readBytes: async (d) => {
      const parts: Buffer[] = [];
      for await (const c of store.get(d)) parts.push(c as Buffer);
      return Buffer.concat(parts);
    },
    has: (d) => inner.has(d),
    stat: (d) => inner.stat(d),
    delete: (d) => inner.delete(d),
    list: () => inner.list(),
  };
  return { store, most };
}

describe('bounded concurrency', () => {
  it('pushDataset uploads `concurrency` objects at once, never more', async () => {
    const { dir, data } = folder(60);
    const objects = fsObjectStore({ dir: join(dir, 'objects') });
    const v = await versionDataset({ path: data, store, objects });
    const remote = counting(fsObjectStore({ dir: join(dir, 'remote'), pack: false }));
    const res = await pushDataset({ pointer: v.pointerPath, objects, remote: remote.store, concurrency: 4 });
    expect(res.uploaded).toHaveLength(61);
    expect(remote.most.puts).toBeLessThanOrEqual(4);
    expect(remote.most.puts).toBeGreaterThan(1);
    const one = counting(fsObjectStore({ dir: join(dir, 'remote-1'), pack: false }));
    await pushDataset({ pointer: v.pointerPath, objects, remote: one.store, concurrency: 1 });
    expect(one.most.puts).toBe(1);
  });

  it('pullDataset downloads `concurrency` objects at once into a packing cache, and restores every file', async () => {
    const { dir, data } = folder(150);
    const objects = fsObjectStore({ dir: join(dir, 'objects') });
    const v = await versionDataset({ path: data, store, objects });
    const remoteDir = join(dir, 'remote');
    await pushDataset({ pointer: v.pointerPath, objects, remote: fsObjectStore({ dir: remoteDir }) });
    rmSync(data, { recursive: true });
    const remote = counting(fsObjectStore({ dir: remoteDir }));
    const cache: FsObjectStore = fsObjectStore({ dir: join(dir, 'fresh-cache') });
    const pulled = await pullDataset({ pointer: v.pointerPath, remote: remote.store, objects: cache, concurrency: 5 });
    expect(pulled.restored).toHaveLength(150);
    expect(pulled.fetched).toHaveLength(150);
    expect(remote.most.gets).toBeLessThanOrEqual(5);
    expect(remote.most.gets).toBeGreaterThan(1);
    expect(readFileSync(join(data, 'f7.txt'), 'utf8')).toBe(`durable ${n}.7 `.repeat(20));
    expect(await fsp.readdir(join(dir, 'fresh-cache', 'packs'))).toHaveLength(2); // one pack and its index
  });

  it('rejects a concurrency that is not a positive integer', async () => {
    const { dir, data } = folder(2);
    const objects = fsObjectStore({ dir: join(dir, 'objects') });
    const v = await versionDataset({ path: data, store, objects });
    await expect(
      pushDataset({ pointer: v.pointerPath, objects, remote: objects, concurrency: 0 }),
    ).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });
});
