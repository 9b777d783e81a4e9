import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fsObjectStore, type Store } from '@mlops/core';
import { datasetStatus, pullDataset, pushDataset, versionDataset } from '@mlops/core/dataset-versions';
import { describe, expect, it } from 'vitest';
import { localAndRemote, rot, useRootAndStore } from './helpers.js';

let store: Store;
const root = useRootAndStore('mlops-remote-', (s) => {
  store = s;
});

async function versionedFolder() {
  const s = localAndRemote(root);
  const data = join(s.dir, 'corpus');
  mkdirSync(join(data, 'sub'), { recursive: true });
  writeFileSync(join(data, 'a.txt'), 'alpha');
  writeFileSync(join(data, 'sub', 'b.txt'), 'bravo');
  writeFileSync(join(data, 'rows.csv'), 'x,y\n1,2\n');
  const v = await versionDataset({ path: data, store, objects: s.objects });
  return { ...s, data, v, pointer: v.pointerPath };
}

describe('pushDataset / pullDataset / datasetStatus', () => {
  it('pushes missing objects only, then pulls a deleted folder back from the remote alone', async () => {
    const { dir, data, objects, remote, pointer, v } = await versionedFolder();
    const pushed = await pushDataset({ pointer, objects, remote });
    expect(pushed.uploaded).toHaveLength(4); // 3 files + manifest
    expect(pushed.uploaded.at(-1)).toBe(v.digest); // manifest last
    expect(pushed.present).toEqual([]);
    expect(pushed.bytes).toBeGreaterThan(10);
    const again = await pushDataset({ pointer, objects, remote });
    expect(again.uploaded).toEqual([]);
    expect(again.present).toHaveLength(4);

    rmSync(data, { recursive: true });
    expect((await datasetStatus({ pointer, objects, remote })).state).toBe('missing');

    // A fresh clone: no local objects, only the pointer file and the remote.
    const pulled = await pullDataset({ pointer, remote });
    expect(pulled.restored.sort()).toEqual(['corpus/a.txt', 'corpus/rows.csv', 'corpus/sub/b.txt']);
    expect(pulled.unchanged).toEqual([]);
    expect(readFileSync(join(data, 'sub', 'b.txt'), 'utf8')).toBe('bravo');
    expect(readFileSync(join(data, 'rows.csv'), 'utf8')).toBe('x,y\n1,2\n');

    const status = await datasetStatus({ pointer, objects, remote });
    expect(status).toMatchObject({
      name: 'corpus',
      version: v.version,
      type: 'directory',
      state: 'unchanged',
      local: true,
      remote: true,
    });
    expect(status.files.map((f) => [f.path, f.state, f.local, f.remote])).toEqual([
      ['corpus/a.txt', 'unchanged', true, true],
      ['corpus/rows.csv', 'unchanged', true, true],
      ['corpus/sub/b.txt', 'unchanged', true, true],
    ]);
    // Pulling again touches nothing.
    const noop = await pullDataset({ pointer, remote, objects });
    expect(noop.restored).toEqual([]);
    expect(noop.unchanged).toHaveLength(3);
    expect(dir).toBeTruthy();
  });

  it('reports modified, missing and added files, and local/remote presence', async () => {
    const { data, objects, remote, pointer } = await versionedFolder();
    writeFileSync(join(data, 'a.txt'), 'ALPHA'); // same size, different bytes
    rmSync(join(data, 'sub', 'b.txt'));
    writeFileSync(join(data, 'new.txt'), 'new');
    const status = await datasetStatus({ pointer, objects, remote });
    expect(status.state).toBe('modified');
    expect(status.local).toBe(true);
    expect(status.remote).toBe(false);
    expect(status.files.map((f) => [f.path, f.state])).toEqual([
      ['corpus/a.txt', 'modified'],
      ['corpus/new.txt', 'added'],
      ['corpus/rows.csv', 'unchanged'],
      ['corpus/sub/b.txt', 'missing'],
    ]);
    // pull restores the version (through the local cache: nothing fetched), leaving extra files alone.
    const pulled = await pullDataset({ pointer, remote, objects });
    expect(pulled.restored.sort()).toEqual(['corpus/a.txt', 'corpus/sub/b.txt']);
    expect(pulled.fetched).toEqual([]);
    expect(readFileSync(join(data, 'a.txt'), 'utf8')).toBe('alpha');
    const after = await datasetStatus({ pointer, objects });
    expect(after.files.filter((f) => f.state !== 'unchanged').map((f) => f.path)).toEqual(['corpus/new.txt']);
    expect(after.remote).toBeUndefined();
  });

  it('works for a single file and keeps downloaded objects in the local cache', async () => {
    const s = localAndRemote(root);
    const file = join(s.dir, 'model-input.bin');
    writeFileSync(file, Buffer.alloc(100_000, 3));
    const v = await versionDataset({ path: file, store, objects: s.objects });
    await pushDataset({ pointer: v.pointerPath, objects: s.objects, remote: s.remote });
    rmSync(file);
    const cache = fsObjectStore({ dir: join(s.dir, 'fresh-cache') });
    const st = await datasetStatus({ pointer: v.pointerPath, objects: cache, remote: s.remote });
    expect(st).toMatchObject({
      state: 'missing',
      local: false,
      remote: true,
      files: [{ path: 'model-input.bin', state: 'missing' }],
    });
    const pulled = await pullDataset({ pointer: v.pointerPath, remote: s.remote, objects: cache });
    expect(pulled.fetched).toEqual([v.digest]);
    expect(pulled.bytes).toBe(100_000);
    expect(await cache.has(v.digest)).toBe(true);
    expect(readFileSync(file)).toHaveLength(100_000);
    expect((await datasetStatus({ pointer: v.pointerPath, objects: cache })).state).toBe('unchanged');
  });

  it('fails with NOT_FOUND naming the digest and path when the remote lacks an object, touching nothing', async () => {
    const { data, objects, remote, pointer } = await versionedFolder();
    await pushDataset({ pointer, objects, remote });
    const bDigest = (await datasetStatus({ pointer, objects })).files.find(
      (f) => f.path === 'corpus/sub/b.txt',
    )?.digest;
    await remote.delete(bDigest as string);
    rmSync(data, { recursive: true });
    const err = await pullDataset({ pointer, remote }).catch((e) => e);
    expect(err).toMatchObject({ code: 'NOT_FOUND', details: { digest: bDigest, path: 'corpus/sub/b.txt' } });
    expect(err.message).toContain(bDigest);
    expect(err.message).toContain('corpus/sub/b.txt');
    // Nothing was restored (the presence check runs before any write).
    expect(() => statSync(join(data, 'a.txt'))).toThrow();
  });

  it('fails push with NOT_FOUND when a local object is gone', async () => {
    const { objects, remote, pointer } = await versionedFolder();
    const a = (await datasetStatus({ pointer, objects })).files.find((f) => f.path === 'corpus/a.txt')
      ?.digest as string;
    await objects.delete(a);
    await expect(pushDataset({ pointer, objects, remote })).rejects.toMatchObject({
      code: 'NOT_FOUND',
      details: { digest: a, path: 'corpus/a.txt' },
    });
  });

  it('rejects a tampered remote object with CHECKSUM_MISMATCH and leaves the working file intact', async () => {
    const s = localAndRemote(root);
    const file = join(s.dir, 'weights.bin');
    writeFileSync(file, 'original weights');
    const v = await versionDataset({ path: file, store, objects: s.objects });
    await pushDataset({ pointer: v.pointerPath, objects: s.objects, remote: s.remote });
    rot(s.remote, v.digest);
    writeFileSync(file, 'local edit');
    await expect(pullDataset({ pointer: v.pointerPath, remote: s.remote })).rejects.toMatchObject({
      code: 'CHECKSUM_MISMATCH',
    });
    expect(readFileSync(file, 'utf8')).toBe('local edit');
    // Through a cache: the bad object is not kept either.
    const cache = fsObjectStore({ dir: join(s.dir, 'cache') });
    await expect(pullDataset({ pointer: v.pointerPath, remote: s.remote, objects: cache })).rejects.toMatchObject({
      code: 'CHECKSUM_MISMATCH',
    });
    expect(await cache.has(v.digest)).toBe(false);
    expect(readFileSync(file, 'utf8')).toBe('local edit');
    // A tampered local object is not pushed.
    rot(s.objects, v.digest);
    const other = fsObjectStore({ dir: join(s.dir, 'other-remote') });
    await expect(pushDataset({ pointer: v.pointerPath, objects: s.objects, remote: other })).rejects.toMatchObject({
      code: 'CHECKSUM_MISMATCH',
    });
    expect(await other.has(v.digest)).toBe(false);
  });

  it('rejects corrupt or hand-edited pointer files with INVALID_INPUT and field details', async () => {
    const s = localAndRemote(root);
    const file = join(s.dir, 'p.csv');
    writeFileSync(file, 'a\n1\n');
    const v = await versionDataset({ path: file, store, objects: s.objects });
    const original = JSON.parse(readFileSync(v.pointerPath, 'utf8'));

    writeFileSync(v.pointerPath, JSON.stringify({ ...original, size: 'big', version: 'nothex' }));
    const err = await pullDataset({ pointer: v.pointerPath, remote: s.remote }).catch((e) => e);
    expect(err.code).toBe('INVALID_INPUT');
    expect(err.details.map((d: { path: string }) => d.path).sort()).toEqual(['size', 'version']);

    writeFileSync(v.pointerPath, JSON.stringify({ ...original, path: '../../etc/passwd' }));
    await expect(datasetStatus({ pointer: v.pointerPath, objects: s.objects })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      details: [{ path: 'path' }],
    });

    writeFileSync(v.pointerPath, readFileSync(v.pointerPath, 'utf8').slice(0, 30));
    await expect(pushDataset({ pointer: v.pointerPath, objects: s.objects, remote: s.remote })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    });
    await expect(
      datasetStatus({ pointer: join(s.dir, 'absent.mlops.json'), objects: s.objects }),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
