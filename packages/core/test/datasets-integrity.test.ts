// Issue 19, fault 9: damaged stored objects. Re-versioning repairs them from the source files, `datasetStatus`
// reports them (by size always, by content with `verify`), `pullDataset` restores a working copy from the intact
// remote when the local cache holds a damaged object.
import { chmodSync, mkdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FsObjectStore, Store } from '@mlops/core';
import { datasetStatus, pullDataset, pushDataset, versionDataset } from '@mlops/core/dataset-versions';
import { describe, expect, it } from 'vitest';
import { localAndRemote, rot, useRootAndStore } from './helpers.js';

let store: Store;
const root = useRootAndStore('mlops-integrity-', (s) => {
  store = s;
});

/** Cuts a stored object short (a torn copy). */
function truncate(objects: FsObjectStore, digest: string) {
  const file = objects.pathOf(digest);
  chmodSync(file, 0o644);
  truncateSync(file, 3);
}

async function versionedFolder() {
  const s = localAndRemote(root);
  const data = join(s.dir, 'corpus');
  mkdirSync(join(data, 'sub'), { recursive: true });
  writeFileSync(join(data, 'a.txt'), 'alpha');
  writeFileSync(join(data, 'sub', 'b.txt'), 'bravo');
  writeFileSync(join(data, 'rows.csv'), 'x,y\n1,2\n');
  const v = await versionDataset({ path: data, store, objects: s.objects });
  const digestOf = async (path: string) =>
    (await datasetStatus({ pointer: v.pointerPath, objects: s.objects })).files.find((f) => f.path === path)
      ?.digest as string;
  return { ...s, data, v, pointer: v.pointerPath, digestOf };
}

describe('re-versioning over a damaged stored object', () => {
  it('repairs a file object with the right size but wrong bytes from the source file', async () => {
    const s = localAndRemote(root);
    const file = join(s.dir, 'weights.bin');
    writeFileSync(file, 'original weights');
    const v = await versionDataset({ path: file, store, objects: s.objects });
    rot(s.objects, v.digest);
    await expect(s.objects.readBytes(v.digest)).rejects.toMatchObject({ code: 'CHECKSUM_MISMATCH' });

    const again = await versionDataset({ path: file, store, objects: s.objects });
    expect(again).toMatchObject({ version: v.version, created: false, repaired: [v.digest] });
    expect((await s.objects.readBytes(v.digest)).toString()).toBe('original weights');

    // Intact now: a third run repairs nothing.
    expect((await versionDataset({ path: file, store, objects: s.objects })).repaired).toEqual([]);
  });

  it('repairs torn and rotten objects of a folder, and its manifest', async () => {
    const { data, objects, v, digestOf } = await versionedFolder();
    const a = await digestOf('corpus/a.txt');
    const b = await digestOf('corpus/sub/b.txt');
    truncate(objects, a);
    rot(objects, b);
    rot(objects, v.digest);
    const again = await versionDataset({ path: data, store, objects });
    expect(again.version).toBe(v.version);
    expect([...again.repaired].sort()).toEqual([a, b, v.digest].sort());
    expect((await objects.readBytes(a)).toString()).toBe('alpha');
    expect((await objects.readBytes(b)).toString()).toBe('bravo');
    await expect(objects.readBytes(v.digest)).resolves.toBeInstanceOf(Buffer);
  });
});

describe('datasetStatus over damaged objects', () => {
  it('reports a torn local object without verify (size), and a rotten one with verify (content)', async () => {
    const { objects, remote, pointer, digestOf } = await versionedFolder();
    await pushDataset({ pointer, objects, remote });
    const a = await digestOf('corpus/a.txt');
    const b = await digestOf('corpus/sub/b.txt');
    truncate(objects, a);
    rot(objects, b);

    const quick = await datasetStatus({ pointer, objects, remote });
    expect(quick.state).toBe('unchanged'); // the working copy is intact
    expect(quick.verified).toBe(false);
    expect(quick.local).toBe(false);
    expect(quick.corrupted).toEqual([{ path: 'corpus/a.txt', digest: a, store: 'local' }]);

    const full = await datasetStatus({ pointer, objects, remote, verify: true });
    expect(full.verified).toBe(true);
    expect(full.state).toBe('unchanged');
    expect(full.local).toBe(false);
    expect(full.remote).toBe(true);
    expect(full.corrupted).toEqual([
      { path: 'corpus/a.txt', digest: a, store: 'local' },
      { path: 'corpus/sub/b.txt', digest: b, store: 'local' },
    ]);
    expect(full.files.map((f) => [f.path, f.state, f.local, f.remote, f.corrupted ?? []])).toEqual([
      ['corpus/a.txt', 'unchanged', false, true, ['local']],
      ['corpus/rows.csv', 'unchanged', true, true, []],
      ['corpus/sub/b.txt', 'unchanged', false, true, ['local']],
    ]);
  });

  it('verifies the remote copy and the manifest too', async () => {
    const { objects, remote, pointer, v, digestOf } = await versionedFolder();
    await pushDataset({ pointer, objects, remote });
    const rows = await digestOf('corpus/rows.csv');
    rot(remote, rows);
    rot(objects, v.digest);
    const full = await datasetStatus({ pointer, objects, remote, verify: true });
    expect(full.corrupted).toEqual([
      { path: 'the manifest of corpus/', digest: v.digest, store: 'local' },
      { path: 'corpus/rows.csv', digest: rows, store: 'remote' },
    ]);
    expect(full.local).toBe(false);
    expect(full.remote).toBe(false);
    expect(full.files.map((f) => f.state)).toEqual(['unchanged', 'unchanged', 'unchanged']);
  });

  it('reports nothing when every object is intact', async () => {
    const { objects, pointer } = await versionedFolder();
    const st = await datasetStatus({ pointer, objects, verify: true });
    expect(st).toMatchObject({ state: 'unchanged', local: true, verified: true, corrupted: [] });
  });
});

describe('pullDataset over a damaged local cache', () => {
  it('restores a damaged working file from the remote when the cached object is damaged, and repairs the cache', async () => {
    const s = localAndRemote(root);
    const file = join(s.dir, 'weights.bin');
    writeFileSync(file, 'original weights');
    const v = await versionDataset({ path: file, store, objects: s.objects });
    await pushDataset({ pointer: v.pointerPath, objects: s.objects, remote: s.remote });
    rot(s.objects, v.digest);
    writeFileSync(file, 'local edit');

    const pulled = await pullDataset({ pointer: v.pointerPath, remote: s.remote, objects: s.objects });
    expect(pulled).toMatchObject({ restored: ['weights.bin'], fetched: [v.digest], repaired: [v.digest] });
    expect(readFileSync(file, 'utf8')).toBe('original weights');
    expect((await s.objects.readBytes(v.digest)).toString()).toBe('original weights');
  });

  it('restores a folder whose cached manifest and files are damaged, from the remote', async () => {
    const { data, objects, remote, pointer, v, digestOf } = await versionedFolder();
    await pushDataset({ pointer, objects, remote });
    const a = await digestOf('corpus/a.txt');
    const b = await digestOf('corpus/sub/b.txt');
    truncate(objects, a);
    rot(objects, b);
    rot(objects, v.digest);
    rmSync(data, { recursive: true });

    const pulled = await pullDataset({ pointer, remote, objects });
    expect(pulled.restored.sort()).toEqual(['corpus/a.txt', 'corpus/rows.csv', 'corpus/sub/b.txt']);
    expect([...pulled.repaired].sort()).toEqual([a, b, v.digest].sort());
    expect(readFileSync(join(data, 'a.txt'), 'utf8')).toBe('alpha');
    expect(readFileSync(join(data, 'sub', 'b.txt'), 'utf8')).toBe('bravo');
    const st = await datasetStatus({ pointer, objects, verify: true });
    expect(st).toMatchObject({ state: 'unchanged', local: true, corrupted: [] });
  });

  it('fails with CHECKSUM_MISMATCH naming the file when neither copy is intact, leaving the working file alone', async () => {
    const s = localAndRemote(root);
    const file = join(s.dir, 'w.bin');
    writeFileSync(file, 'the bytes');
    const v = await versionDataset({ path: file, store, objects: s.objects });
    await pushDataset({ pointer: v.pointerPath, objects: s.objects, remote: s.remote });
    rot(s.objects, v.digest);
    rot(s.remote, v.digest);
    writeFileSync(file, 'edited');
    const err = await pullDataset({ pointer: v.pointerPath, remote: s.remote, objects: s.objects }).catch((e) => e);
    expect(err).toMatchObject({ code: 'CHECKSUM_MISMATCH' });
    expect(readFileSync(file, 'utf8')).toBe('edited');
  });
});

describe('pushDataset over a damaged remote copy', () => {
  it('uploads a torn remote object again, and a rotten one with verify', async () => {
    const { objects, remote, pointer, digestOf } = await versionedFolder();
    await pushDataset({ pointer, objects, remote });
    const a = await digestOf('corpus/a.txt');
    const b = await digestOf('corpus/sub/b.txt');
    truncate(remote, a);
    rot(remote, b);
    const quick = await pushDataset({ pointer, objects, remote });
    expect(quick.uploaded).toEqual([a]);
    expect(quick.repaired).toEqual([a]);
    expect((await remote.readBytes(a)).toString()).toBe('alpha');
    const full = await pushDataset({ pointer, objects, remote, verify: true });
    expect(full.uploaded).toEqual([b]);
    expect(full.repaired).toEqual([b]);
    expect((await remote.readBytes(b)).toString()).toBe('bravo');
    expect((await pushDataset({ pointer, objects, remote, verify: true })).uploaded).toEqual([]);
  });
});
