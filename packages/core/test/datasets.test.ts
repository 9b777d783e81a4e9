import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fsObjectStore } from '@mlops/core';
import {
  type DatasetManifest,
  getDatasetVersion,
  listDatasetLineage,
  listDatasets,
  listDatasetVersions,
  readPointer,
  recordDatasetUse,
  versionDataset,
} from '@mlops/core/dataset-versions';
import { listObjectRefs } from '@mlops/core/objects';
import { describeStores } from '@mlops/core/testing';
import { afterAll, expect, it } from 'vitest';

const root = mkdtempSync(join(tmpdir(), 'mlops-datasets-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const workdir = () => {
  const d = join(root, `w${n++}`);
  mkdirSync(d, { recursive: true });
  return d;
};
const sha = (s: string | Buffer) => createHash('sha256').update(s).digest('hex');

const CSV = 'id,age,city\n1,34,Paris\n2,,Lyon\n3,51,Paris\n';

describeStores('versionDataset', (getStore) => {
  it('versions a CSV file: object stored, pointer written, version recorded with schema and stats', async () => {
    const store = getStore();
    const dir = workdir();
    const objects = fsObjectStore({ dir: join(dir, '.mlops/objects') });
    writeFileSync(join(dir, 'people.csv'), CSV);

    const v = await versionDataset({ path: join(dir, 'people.csv'), store, objects });
    expect(v.version).toBe(sha(CSV));
    expect(v.digest).toBe(`sha256:${sha(CSV)}`);
    expect(v).toMatchObject({ name: 'people.csv', type: 'file', size: CSV.length, created: true });
    expect(v.files).toBeUndefined();
    expect((await objects.readBytes(v.digest)).toString()).toBe(CSV);

    expect(v.pointerPath).toBe(join(dir, 'people.csv.mlops.json'));
    const pointer = await readPointer(v.pointerPath);
    expect(pointer).toEqual({
      kind: 'mlops.dataset-pointer',
      schemaVersion: 1,
      name: 'people.csv',
      path: 'people.csv',
      type: 'file',
      version: v.version,
      digest: v.digest,
      size: CSV.length,
      createdAt: v.createdAt.toISOString(),
    });

    expect(v.schema).toEqual({
      format: 'csv',
      columns: [
        { name: 'id', type: 'integer' },
        { name: 'age', type: 'integer' },
        { name: 'city', type: 'string' },
      ],
    });
    expect(v.stats).toMatchObject({
      format: 'csv',
      rows: 3,
      columns: [
        { name: 'id', min: 1, max: 3, mean: 2 },
        { name: 'age', missing: 1, min: 34, max: 51, mean: 42.5 },
        { name: 'city', distinct: 2 },
      ],
    });

    const stored = await getDatasetVersion(store, { name: 'people.csv', version: v.version.slice(0, 10) });
    expect(stored).toEqual({
      ...v,
      pointerPath: undefined,
      created: undefined,
      repaired: undefined,
      hashed: undefined,
      ...stored,
    });
    expect(stored.stats).toEqual(v.stats);
    expect(stored.createdAt.getTime()).toBe(v.createdAt.getTime());
    expect(await listObjectRefs(store, v.digest)).toEqual([
      { digest: v.digest, kind: 'dataset-version', ownerId: `people.csv@${v.version}` },
    ]);
  });

  it('is idempotent: the same content gives the same version, one row, the same pointer file', async () => {
    const store = getStore();
    const dir = workdir();
    const objects = fsObjectStore({ dir: join(dir, 'objects') });
    writeFileSync(join(dir, 'data.csv'), CSV);
    const a = await versionDataset({ path: join(dir, 'data.csv'), name: 'same', store, objects });
    const pointerText = readFileSync(a.pointerPath, 'utf8');
    const b = await versionDataset({ path: join(dir, 'data.csv'), name: 'same', store, objects });
    expect(a.created).toBe(true);
    expect(b.created).toBe(false);
    expect(b.version).toBe(a.version);
    expect(b.createdAt.getTime()).toBe(a.createdAt.getTime());
    expect(readFileSync(b.pointerPath, 'utf8')).toBe(pointerText);
    expect(b.pointerPath).toBe(join(dir, 'same.mlops.json'));
    expect(await listDatasetVersions(store, 'same')).toHaveLength(1);

    // New content → a new version, listed first.
    writeFileSync(join(dir, 'data.csv'), `${CSV}4,20,Nice\n`);
    const c = await versionDataset({ path: join(dir, 'data.csv'), name: 'same', store, objects });
    expect(c.created).toBe(true);
    expect(c.version).not.toBe(a.version);
    expect((await readPointer(c.pointerPath)).version).toBe(c.version);
    const versions = await listDatasetVersions(store, 'same');
    expect(versions.map((x) => x.version).sort()).toEqual([a.version, c.version].sort());
    const summary = (await listDatasets(store)).find((d) => d.name === 'same');
    expect(summary?.versions).toBe(2);
  });

  it('versions a folder through a manifest of relative paths, digests and sizes', async () => {
    const store = getStore();
    const dir = workdir();
    const objects = fsObjectStore({ dir: join(dir, 'objects') });
    const data = join(dir, 'images');
    mkdirSync(join(data, 'cats'), { recursive: true });
    writeFileSync(join(data, 'cats', 'a.bin'), 'meow');
    writeFileSync(join(data, 'b.bin'), 'woof');
    const labels = '{"file":"cats/a.bin","label":"cat"}\n{"file":"b.bin","label":"dog"}\n';
    writeFileSync(join(data, 'labels.jsonl'), labels);
    writeFileSync(join(data, 'old.mlops.json'), '{}'); // pointer files inside are not data
    mkdirSync(join(data, '.git'));
    writeFileSync(join(data, '.git', 'HEAD'), 'ref');

    const v = await versionDataset({ path: data, store, objects });
    expect(v).toMatchObject({ name: 'images', type: 'directory', files: 3, size: 4 + 4 + labels.length });
    const manifest = JSON.parse((await objects.readBytes(v.digest)).toString()) as DatasetManifest;
    expect(manifest).toEqual({
      kind: 'mlops.dataset-manifest',
      schemaVersion: 1,
      files: [
        { path: 'b.bin', digest: `sha256:${sha('woof')}`, size: 4 },
        { path: 'cats/a.bin', digest: `sha256:${sha('meow')}`, size: 4 },
        { path: 'labels.jsonl', digest: `sha256:${sha(labels)}`, size: labels.length },
      ],
    });
    expect(v.version).toBe(sha(await objects.readBytes(v.digest)));
    for (const f of manifest.files) expect(await objects.has(f.digest)).toBe(true);
    expect(v.schema).toEqual({
      format: 'directory',
      files: {
        'labels.jsonl': {
          format: 'jsonl',
          columns: [
            { name: 'file', type: 'string' },
            { name: 'label', type: 'string' },
          ],
        },
      },
    });
    expect(v.stats).toMatchObject({ format: 'directory', files: 3, tabular: { 'labels.jsonl': { rows: 2 } } });
    expect(await readPointer(join(dir, 'images.mlops.json'))).toMatchObject({
      type: 'directory',
      files: 3,
      path: 'images',
    });
    // Every blob of the version is referenced (manifest and files), so GC keeps them.
    for (const d of [v.digest, ...manifest.files.map((f) => f.digest)]) {
      expect(await listObjectRefs(store, d)).toHaveLength(1);
    }

    // Same content under another folder name: same version id (the manifest holds relative paths only).
    const copy = join(dir, 'copy');
    mkdirSync(join(copy, 'cats'), { recursive: true });
    writeFileSync(join(copy, 'cats', 'a.bin'), 'meow');
    writeFileSync(join(copy, 'b.bin'), 'woof');
    writeFileSync(join(copy, 'labels.jsonl'), readFileSync(join(data, 'labels.jsonl')));
    expect((await versionDataset({ path: copy, store, objects })).version).toBe(v.version);
    // Renaming a file changes the version.
    writeFileSync(join(copy, 'c.bin'), 'woof');
    rmSync(join(copy, 'b.bin'));
    expect((await versionDataset({ path: copy, store, objects })).version).not.toBe(v.version);
  });

  it('reports hashing progress in bytes', async () => {
    const store = getStore();
    const dir = workdir();
    const objects = fsObjectStore({ dir: join(dir, 'objects') });
    const body = Buffer.alloc(3 * 1024 * 1024 + 5, 7);
    writeFileSync(join(dir, 'big.bin'), body);
    const lines: string[] = [];
    await versionDataset({
      path: join(dir, 'big.bin'),
      store,
      objects,
      progress: { mode: 'json', stream: { write: (s: string) => lines.push(s) } },
    });
    const events = lines.map((l) => JSON.parse(l));
    const hashEnd = events.find((e) => e.msg === 'progress.end' && e.label === 'hash big.bin');
    expect(hashEnd).toMatchObject({ done: body.length, total: body.length });
    const storeEnd = events.find((e) => e.msg === 'progress.end' && e.label === 'store big.bin');
    expect(storeEnd).toMatchObject({ done: body.length });
    expect(events[0]).toMatchObject({ msg: 'progress.start', label: 'hash big.bin', unit: 'bytes' });
  });

  it('records lineage: which runs used which versions', async () => {
    const store = getStore();
    const dir = workdir();
    const objects = fsObjectStore({ dir: join(dir, 'objects') });
    writeFileSync(join(dir, 'train.csv'), CSV);
    const v = await versionDataset({ path: join(dir, 'train.csv'), name: 'lineage-train', store, objects });
    const use = await recordDatasetUse(store, { datasetVersion: v, runId: 'run-1' });
    expect(use).toMatchObject({ name: 'lineage-train', version: v.version, runId: 'run-1', role: 'input' });
    await recordDatasetUse(store, { datasetVersion: v, runId: 'run-1' }); // idempotent
    await recordDatasetUse(store, {
      datasetVersion: { name: v.name, version: v.version },
      runId: 'run-2',
      role: 'eval',
    });
    const byDataset = await listDatasetLineage(store, { name: 'lineage-train' });
    expect(byDataset.map((u) => [u.runId, u.role])).toEqual([
      ['run-1', 'input'],
      ['run-2', 'eval'],
    ]);
    expect((await listDatasetLineage(store, { runId: 'run-2' })).map((u) => u.version)).toEqual([v.version]);
    await expect(
      recordDatasetUse(store, { datasetVersion: { name: 'lineage-train', version: 'f'.repeat(64) }, runId: 'run-3' }),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await listDatasetLineage(store, { runId: 'run-3' })).toEqual([]);
  });

  it('fails clearly on bad input', async () => {
    const store = getStore();
    const dir = workdir();
    const objects = fsObjectStore({ dir: join(dir, 'objects') });
    await expect(versionDataset({ path: join(dir, 'absent.csv'), store, objects })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    writeFileSync(join(dir, 'x.csv'), CSV);
    await expect(versionDataset({ path: join(dir, 'x.csv'), name: '../escape', store, objects })).rejects.toMatchObject(
      {
        code: 'INVALID_INPUT',
        details: [{ path: '' }],
      },
    );
    await expect(getDatasetVersion(store, { name: 'x.csv', version: 'a'.repeat(64) })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    await expect(getDatasetVersion(store, { name: 'x.csv', version: 'xyz' })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    });
  });

  it('still records a malformed CSV, with the parse error in its stats', async () => {
    const store = getStore();
    const dir = workdir();
    const objects = fsObjectStore({ dir: join(dir, 'objects') });
    writeFileSync(join(dir, 'bad.csv'), 'a,b\n1,"unterminated\n');
    const v = await versionDataset({ path: join(dir, 'bad.csv'), store, objects });
    expect(v.schema).toBeNull();
    expect(v.stats).toMatchObject({ format: 'csv', error: expect.any(String) });
    expect((await getDatasetVersion(store, v)).stats).toEqual(v.stats);
  });
});
