import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { fsObjectStore, type ObjectStore } from '@mlops/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveRemote } from './remote.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mlops-cli-remote-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('resolveRemote', () => {
  it('a relative folder and a file:// URL are folder remotes that really store objects', async () => {
    const a = await resolveRemote('remote-a', { cwd: dir });
    const put = await a.put(Buffer.from('hello'));
    expect(await fsObjectStore({ dir: join(dir, 'remote-a') }).has(put.digest)).toBe(true);
    const b = await resolveRemote(pathToFileURL(join(dir, 'remote-a')).href);
    expect(await b.has(put.digest)).toBe(true);
  });

  it('s3:// loads @mlops/plugin-s3 lazily and calls s3ObjectStore with the parts of the URL', async () => {
    const calls: unknown[] = [];
    const fake = {} as ObjectStore;
    const plugin = {
      s3ObjectStore: (o: unknown) => {
        calls.push(o);
        return fake;
      },
    };
    const seen: string[] = [];
    const importModule = async (s: string) => {
      seen.push(s);
      return plugin;
    };
    await resolveRemote('s3://my-bucket/ml/data/', { importModule });
    await resolveRemote('s3://only-bucket', { importModule });
    await resolveRemote('s3://minio-bucket/x?endpoint=http://127.0.0.1:9000&region=eu-west-3&forcePathStyle=true', {
      importModule,
    });
    expect(seen).toEqual(['@mlops/plugin-s3', '@mlops/plugin-s3', '@mlops/plugin-s3']);
    expect(calls).toEqual([
      { bucket: 'my-bucket', prefix: 'ml/data' },
      { bucket: 'only-bucket', prefix: '' },
      {
        bucket: 'minio-bucket',
        prefix: 'x',
        endpoint: 'http://127.0.0.1:9000',
        region: 'eu-west-3',
        forcePathStyle: true,
      },
    ]);
  });

  it('a missing plugin is NOT_CONFIGURED naming the package to install', async () => {
    await expect(
      resolveRemote('s3://bucket/x', {
        importModule: async (s) => {
          throw Object.assign(new Error(`Cannot find package '${s}'`), { code: 'ERR_MODULE_NOT_FOUND' });
        },
      }),
    ).rejects.toMatchObject({
      code: 'NOT_CONFIGURED',
      message: expect.stringContaining('npm install @mlops/plugin-s3'),
    });
  });

  it('an unknown scheme is INVALID_INPUT naming the scheme', async () => {
    await expect(resolveRemote('gs://bucket/x')).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      details: [{ path: 'scheme' }],
    });
  });
});
