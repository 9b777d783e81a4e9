import { randomFillSync, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { createStore, fsObjectStore, type Store } from '@mlops/core';
import { datasetStatus, pullDataset, pushDataset, versionDataset } from '@mlops/core/dataset-versions';
import { digestOf } from '@mlops/core/objects';
import { s3ObjectStore } from '@mlops/plugin-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type S3rverFixture, startS3rver } from './s3rver-fixture.js';

const MiB = 1 << 20;
const root = mkdtempSync(join(tmpdir(), 'mlops-s3-datasets-'));
let s3: S3rverFixture;
let store: Store;

beforeAll(async () => {
  [s3, store] = await Promise.all([startS3rver('mlops-datasets'), createStore('memory://')]);
});
afterAll(async () => {
  await store?.close();
  await s3?.stop();
  rmSync(root, { recursive: true, force: true });
});

describe('dataset push/pull with an S3 remote', () => {
  it('pushes a versioned folder to S3, pulls it back into a fresh working copy, and detects tampering', async () => {
    const dir = join(root, 'work');
    const data = join(dir, 'tickets');
    mkdirSync(join(data, 'raw'), { recursive: true });
    const big = randomFillSync(Buffer.alloc(12 * MiB + 3));
    writeFileSync(join(data, 'train.csv'), 'text,label\nvpn broken,access\nprinter jam,hardware\n');
    writeFileSync(join(data, 'raw', 'dump.bin'), big);
    const objects = fsObjectStore({ dir: join(dir, '.mlops', 'objects') });
    // A small single-put limit so the 12 MiB file takes the multipart path.
    const remote = s3ObjectStore({
      bucket: s3.bucket,
      prefix: `datasets-${randomUUID()}/`,
      client: s3.client,
      singlePutLimit: MiB,
      partSize: 5 * MiB,
    });
    const v = await versionDataset({ path: data, store, objects });

    const pushed = await pushDataset({ pointer: v.pointerPath, objects, remote, progress: false });
    expect(pushed.uploaded).toHaveLength(3); // 2 files + the folder's manifest (last)
    expect(pushed.uploaded.at(-1)).toBe(v.digest);
    expect(pushed.bytes).toBeGreaterThan(12 * MiB);
    expect(await remote.has(digestOf(big))).toBe(true);
    expect((await pushDataset({ pointer: v.pointerPath, objects, remote, progress: false })).uploaded).toEqual([]);
    expect((await datasetStatus({ pointer: v.pointerPath, objects, remote })).remote).toBe(true);

    // A fresh clone: the pointer file only, no local objects; restore from S3 through a new local cache.
    rmSync(data, { recursive: true });
    rmSync(join(dir, '.mlops'), { recursive: true });
    const cache = fsObjectStore({ dir: join(dir, '.mlops', 'objects') });
    const pulled = await pullDataset({ pointer: v.pointerPath, remote, objects: cache, progress: false });
    expect(pulled.restored.sort()).toEqual(['tickets/raw/dump.bin', 'tickets/train.csv']);
    expect(pulled.fetched).toHaveLength(2);
    expect(digestOf(readFileSync(join(data, 'raw', 'dump.bin')))).toBe(digestOf(big));
    expect(readFileSync(join(data, 'train.csv'), 'utf8')).toContain('printer jam,hardware');
    expect((await datasetStatus({ pointer: v.pointerPath, objects: cache, remote })).state).toBe('unchanged');

    // Tamper with the CSV's object on S3, then pull without a cache: the file is left as it was.
    const csvDigest = digestOf(readFileSync(join(data, 'train.csv')));
    await s3.client.send(
      new PutObjectCommand({ Bucket: s3.bucket, Key: remote.keyOf(csvDigest), Body: 'text,label\nforged,row\n' }),
    );
    writeFileSync(join(data, 'train.csv'), 'locally edited\n');
    await expect(pullDataset({ pointer: v.pointerPath, remote, progress: false })).rejects.toMatchObject({
      code: 'CHECKSUM_MISMATCH',
    });
    expect(readFileSync(join(data, 'train.csv'), 'utf8')).toBe('locally edited\n');
  });
});
