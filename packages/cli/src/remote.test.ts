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

  it('s3:// loads @mlops/plugin-s3 lazily and prefers its remoteFromUrl(url)', async () => {
    const fake = fsObjectStore({ dir: join(dir, 'fake-s3') });
    const seen: string[] = [];
    const remote = await resolveRemote('s3://bucket/some/prefix', {
      importModule: async (s) => {
        seen.push(s);
        return {
          remoteFromUrl: (url: string) => {
            seen.push(url);
            return fake;
          },
        };
      },
    });
    expect(remote).toBe(fake);
    expect(seen).toEqual(['@mlops/plugin-s3', 's3://bucket/some/prefix']);
  });

  it('falls back to s3ObjectStore({ bucket, prefix })', async () => {
    const calls: unknown[] = [];
    const fake = {} as ObjectStore;
    const plugin = {
      s3ObjectStore: (o: unknown) => {
        calls.push(o);
        return fake;
      },
    };
    await resolveRemote('s3://my-bucket/ml/data/', { importModule: async () => plugin });
    await resolveRemote('s3://only-bucket', { importModule: async () => plugin });
    expect(calls).toEqual([{ bucket: 'my-bucket', prefix: 'ml/data' }, { bucket: 'only-bucket' }]);
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

  it('an unknown scheme is UNSUPPORTED', async () => {
    await expect(resolveRemote('gs://bucket/x')).rejects.toMatchObject({ code: 'UNSUPPORTED' });
  });
});
