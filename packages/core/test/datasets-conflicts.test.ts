// A working copy whose paths no longer have the shape of the version: a tracked file's folder replaced by a file, a
// tracked file replaced by a folder holding other data, the dataset folder replaced by a file. Status reports what it
// sees; pull refuses with CONFLICT naming the path before it writes anything, and never removes the user's data.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Store } from '@mlops/core';
import { datasetStatus, pullDataset, pushDataset, versionDataset } from '@mlops/core/dataset-versions';
import { describe, expect, it } from 'vitest';
import { localAndRemote, useRootAndStore } from './helpers.js';

let store: Store;
const root = useRootAndStore('mlops-conflicts-', (s) => {
  store = s;
});

async function pushedFolder() {
  const s = localAndRemote(root);
  const data = join(s.dir, 'd');
  mkdirSync(join(data, 'sub'), { recursive: true });
  writeFileSync(join(data, 'a.txt'), 'A');
  writeFileSync(join(data, 'sub', 'b.txt'), 'B');
  writeFileSync(join(data, 'c.txt'), 'C');
  const v = await versionDataset({ path: data, store, objects: s.objects });
  await pushDataset({ pointer: v.pointerPath, objects: s.objects, remote: s.remote });
  return { ...s, data, pointer: v.pointerPath };
}

describe('a working copy whose shape differs from the version', () => {
  it('status reports a file under a folder that became a file as missing, and the file as added', async () => {
    const { data, objects, pointer } = await pushedFolder();
    rmSync(join(data, 'sub'), { recursive: true });
    writeFileSync(join(data, 'sub'), 'a file where a folder was');
    const s = await datasetStatus({ pointer, objects });
    expect(s.state).toBe('modified');
    expect(s.files.map((f) => [f.path, f.state])).toEqual([
      ['d/a.txt', 'unchanged'],
      ['d/c.txt', 'unchanged'],
      ['d/sub', 'added'],
      ['d/sub/b.txt', 'missing'],
    ]);
    // The whole dataset folder replaced by a file: missing.
    rmSync(data, { recursive: true });
    writeFileSync(data, 'not a folder');
    expect((await datasetStatus({ pointer, objects })).state).toBe('missing');
  });

  it('pull refuses with CONFLICT naming each blocked path, writing nothing and keeping the data in the way', async () => {
    const { data, objects, remote, pointer } = await pushedFolder();
    rmSync(join(data, 'a.txt'));
    mkdirSync(join(data, 'a.txt'));
    writeFileSync(join(data, 'a.txt', 'keep'), 'precious');
    rmSync(join(data, 'sub'), { recursive: true });
    writeFileSync(join(data, 'sub'), 'user file');
    rmSync(join(data, 'c.txt')); // restorable, but nothing is written while another path is blocked

    for (const cache of [objects, undefined]) {
      const err = await pullDataset({ pointer, remote, ...(cache ? { objects: cache } : {}) }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'CONFLICT', details: { paths: ['d/a.txt', 'd/sub/b.txt'] } });
      expect(readdirSync(data).sort()).toEqual(['a.txt', 'sub']);
      expect(readFileSync(join(data, 'a.txt', 'keep'), 'utf8')).toBe('precious');
      expect(readFileSync(join(data, 'sub'), 'utf8')).toBe('user file');
    }

    // Once the user moved them away, the pull restores everything.
    rmSync(join(data, 'a.txt'), { recursive: true });
    rmSync(join(data, 'sub'));
    expect((await pullDataset({ pointer, remote })).restored.sort()).toEqual(['d/a.txt', 'd/c.txt', 'd/sub/b.txt']);
  });

  it('pull of a folder version over a file at the folder path is CONFLICT, and of a file version over a folder', async () => {
    const { data, remote, pointer } = await pushedFolder();
    rmSync(data, { recursive: true });
    writeFileSync(data, 'not a folder');
    await expect(pullDataset({ pointer, remote })).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(readFileSync(data, 'utf8')).toBe('not a folder');

    const s = localAndRemote(root);
    const file = join(s.dir, 'weights.bin');
    writeFileSync(file, 'weights');
    const v = await versionDataset({ path: file, store, objects: s.objects });
    await pushDataset({ pointer: v.pointerPath, objects: s.objects, remote: s.remote });
    rmSync(file);
    mkdirSync(file);
    writeFileSync(join(file, 'inside'), 'x');
    await expect(pullDataset({ pointer: v.pointerPath, remote: s.remote })).rejects.toMatchObject({
      code: 'CONFLICT',
      details: { paths: ['weights.bin'] },
    });
    expect(readdirSync(file)).toEqual(['inside']);
  });
});
