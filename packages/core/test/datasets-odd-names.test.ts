// Dataset versions of unusual but legal content: file names a manifest cannot hold, names with newlines and both
// Unicode normal forms, empty files, and a folder with no files at all.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Store } from '@mlops/core';
import {
  datasetStatus,
  listDatasetVersions,
  pullDataset,
  pushDataset,
  versionDataset,
} from '@mlops/core/dataset-versions';
import { describe, expect, it } from 'vitest';
import { localAndRemote, useRootAndStore } from './helpers.js';

let store: Store;
const root = useRootAndStore('mlops-odd-names-', (s) => {
  store = s;
});

describe('file names a version cannot hold', () => {
  it('a backslash in a folder file name is INVALID_INPUT naming it, before anything is stored or recorded', async () => {
    const s = localAndRemote(root);
    const data = join(s.dir, 'bs');
    mkdirSync(join(data, 'sub'), { recursive: true });
    writeFileSync(join(data, 'ok.txt'), 'fine');
    writeFileSync(join(data, 'sub', 'a\\b.txt'), 'a backslash is a legal file name character on POSIX');
    const err = await versionDataset({ path: data, store, objects: s.objects }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'INVALID_INPUT', details: [{ path: 'sub/a\\b.txt' }] });
    // Nothing half-done: no version row, no pointer file, no object.
    expect(await listDatasetVersions(store, 'bs')).toEqual([]);
    expect(existsSync(`${data}.mlops.json`)).toBe(false);
    expect(existsSync(s.objects.dir) ? readdirSync(s.objects.dir).filter((n) => /^[0-9a-f]{2}$/.test(n)) : []).toEqual(
      [],
    );
  });

  it('a backslash in a single file name is INVALID_INPUT before the version is recorded, whatever its name', async () => {
    const s = localAndRemote(root);
    const file = join(s.dir, 'w\\x.csv');
    writeFileSync(file, 'a,b\n1,2\n');
    await expect(versionDataset({ path: file, name: 'plain', store, objects: s.objects })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      details: [{ path: 'path' }],
    });
    expect(await listDatasetVersions(store, 'plain')).toEqual([]);
  });
});

describe('unusual but legal folders round-trip through push and pull', () => {
  async function roundTrip(name: string, files: Record<string, string>) {
    const s = localAndRemote(root);
    const data = join(s.dir, name);
    mkdirSync(data, { recursive: true });
    for (const [rel, body] of Object.entries(files)) {
      mkdirSync(join(data, ...rel.split('/').slice(0, -1)), { recursive: true });
      writeFileSync(join(data, ...rel.split('/')), body);
    }
    const v = await versionDataset({ path: data, store, objects: s.objects });
    await pushDataset({ pointer: v.pointerPath, objects: s.objects, remote: s.remote });
    rmSync(data, { recursive: true });
    await pullDataset({ pointer: v.pointerPath, remote: s.remote });
    const status = await datasetStatus({ pointer: v.pointerPath, objects: s.objects, remote: s.remote, verify: true });
    const again = await versionDataset({ path: data, store, objects: s.objects });
    return { s, data, v, status, again };
  }

  it('names with a newline and both Unicode forms of é stay distinct files; empty files are restored', async () => {
    const files = { 'a\nb.txt': 'newline', 'é.txt': 'nfc', 'e\u0301.txt': 'nfd', 'empty-1': '', 'd/empty-2': '' };
    const { data, v, status, again } = await roundTrip('odd', files);
    expect(v.files).toBe(5);
    for (const [rel, body] of Object.entries(files))
      expect(readFileSync(join(data, ...rel.split('/')), 'utf8')).toBe(body);
    expect(status).toMatchObject({ state: 'unchanged', local: true, remote: true, corrupted: [] });
    expect(again).toMatchObject({ version: v.version, created: false });
  });

  it('a folder with no files is pulled back as an empty folder, and versions to the same version', async () => {
    const { data, v, status, again } = await roundTrip('nothing', {});
    expect(v.files).toBe(0);
    expect(readdirSync(data)).toEqual([]);
    expect(status).toMatchObject({ state: 'unchanged', files: [], local: true, remote: true });
    expect(again).toMatchObject({ version: v.version, created: false });
  });
});
