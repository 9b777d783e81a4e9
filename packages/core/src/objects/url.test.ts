import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fsObjectStore } from './fs.js';
import type { ObjectStore } from './object-store.js';
import { objectStoreFromUrl, openObjectStore, parseObjectStoreUrl } from './url.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mlops-objects-url-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The INVALID_INPUT error of `url`, with the part its detail names. */
function errorOf(url: string): { code: string; path: string; message: string } {
  try {
    parseObjectStoreUrl(url, { cwd: '/w' });
  } catch (err) {
    const e = err as { code: string; message: string; details: { path: string }[] };
    return { code: e.code, path: e.details[0]!.path, message: e.message };
  }
  throw new Error(`${url} parsed`);
}

describe('parseObjectStoreUrl', () => {
  it('a path is a folder, relative to cwd; file:// is an absolute folder', () => {
    expect(parseObjectStoreUrl('.mlops/objects', { cwd: '/w' })).toEqual({
      kind: 'fs',
      dir: '/w/.mlops/objects',
      url: '.mlops/objects',
    });
    expect(parseObjectStoreUrl('/data/objects', { cwd: '/w' })).toMatchObject({ kind: 'fs', dir: '/data/objects' });
    expect(parseObjectStoreUrl('file:///data/my%20objects')).toMatchObject({ kind: 'fs', dir: '/data/my objects' });
    expect(parseObjectStoreUrl('  ./x  ', { cwd: '/w' })).toMatchObject({ kind: 'fs', dir: '/w/x' });
  });

  it('s3://bucket/prefix with endpoint, region and forcePathStyle as query parameters', () => {
    expect(
      parseObjectStoreUrl('s3://models/prod?endpoint=http://127.0.0.1:4569&region=us-east-1&forcePathStyle=true'),
    ).toEqual({
      kind: 's3',
      bucket: 'models',
      prefix: 'prod',
      endpoint: 'http://127.0.0.1:4569',
      region: 'us-east-1',
      forcePathStyle: true,
      url: 's3://models/prod?endpoint=http://127.0.0.1:4569&region=us-east-1&forcePathStyle=true',
    });
    expect(parseObjectStoreUrl('s3://models')).toEqual({
      kind: 's3',
      bucket: 'models',
      prefix: '',
      url: 's3://models',
    });
    expect(parseObjectStoreUrl('S3://my.bucket-1/a/b/?forcePathStyle=false')).toMatchObject({
      bucket: 'my.bucket-1',
      prefix: 'a/b',
      forcePathStyle: false,
    });
    expect(parseObjectStoreUrl('s3://b12/a%20b')).toMatchObject({ prefix: 'a b' });
    expect(parseObjectStoreUrl('s3://b12/x?endpoint=https%3A%2F%2Fminio.local%3A9000%2F')).toMatchObject({
      endpoint: 'https://minio.local:9000',
    });
  });

  it.each([
    ['', 'url', 'empty'],
    ['   ', 'url', 'empty'],
    ['gs://bucket/x', 'scheme', 'unknown scheme "gs://"'],
    ['file://host/x', 'url', 'not a local file URL'],
    ['file:///', 'url', 'needs a folder'],
    ['s3://', 'bucket', 'empty'],
    ['s3:///prefix', 'bucket', 'empty'],
    ['s3://ab/x', 'bucket', 'not a bucket name'],
    ['s3://My_Bucket/x', 'bucket', 'not a bucket name'],
    ['s3://-bucket/x', 'bucket', 'not a bucket name'],
    ['s3://a..b/x', 'bucket', 'not a bucket name'],
    ['s3://key:secret@bucket/x', 'bucket', 'credentials do not go in the URL'],
    ['s3://bucket/a//b', 'prefix', 'empty, "." or ".." segment'],
    ['s3://bucket/a/../b', 'prefix', 'empty, "." or ".." segment'],
    ['s3://bucket/%E0%A4%A', 'prefix', 'bad percent-encoding'],
    ['s3://bucket/x#frag', 'url', 'fragment'],
    ['s3://bucket/x?acl=public', 'query.acl', 'unknown parameter'],
    ['s3://bucket/x?region=a&region=b', 'query.region', 'given twice'],
    ['s3://bucket/x?region=EU%20West', 'query.region', 'not a region name'],
    ['s3://bucket/x?region=', 'query.region', 'not a region name'],
    ['s3://bucket/x?endpoint=minio:9000', 'query.endpoint', 'not an http(s):// URL'],
    ['s3://bucket/x?endpoint=ftp://h', 'query.endpoint', 'not an http(s):// URL'],
    ['s3://bucket/x?endpoint=http://u:p@h:9000', 'query.endpoint', 'credentials do not go in the URL'],
    ['s3://bucket/x?forcePathStyle=yes', 'query.forcePathStyle', 'expected true or false'],
    // A scheme missing a slash is a typo, not a local folder named "s3:" (objects would silently stay on this machine).
    ['s3:/bucket/x', 'url', 'two slashes'],
    ['S3:bucket', 'url', 'two slashes'],
    ['file:/srv/objects', 'url', 'two slashes'],
    // S3 lists keys in XML, which cannot carry control characters.
    ['s3://bucket/a%00b', 'prefix', 'control character'],
    ['s3://bucket/a%0Ab', 'prefix', 'control character'],
  ])('%j is INVALID_INPUT naming %s', (url, path, message) => {
    const e = errorOf(url);
    expect(e).toMatchObject({ code: 'INVALID_INPUT', path });
    expect(e.message).toContain(message);
  });

  it('a non-string is INVALID_INPUT too', () => {
    expect(() => parseObjectStoreUrl(undefined as unknown as string)).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT' }),
    );
  });
});

describe('openObjectStore', () => {
  it('a folder and a file:// URL open fsObjectStores that really store objects', async () => {
    const a = await openObjectStore('objs', { cwd: dir });
    const put = await a.put('hello');
    expect(await fsObjectStore({ dir: join(dir, 'objs') }).has(put.digest)).toBe(true);
    const b = await openObjectStore(pathToFileURL(join(dir, 'objs')).href);
    expect((await b.readBytes(put.digest)).toString()).toBe('hello');
  });

  it('s3:// loads @mlops/plugin-s3 with import() and passes the URL parts and pluginOptions to s3ObjectStore', async () => {
    const fake = fsObjectStore({ dir: join(dir, 'fake-s3') });
    const calls: unknown[] = [];
    const seen: string[] = [];
    const store = await openObjectStore('s3://models/prod/?endpoint=http://127.0.0.1:9&forcePathStyle=true', {
      importModule: async (s) => {
        seen.push(s);
        return {
          s3ObjectStore: (o: unknown) => {
            calls.push(o);
            return fake;
          },
        };
      },
      pluginOptions: { partSize: 5 << 20 },
    });
    expect(store).toBe(fake);
    expect(seen).toEqual(['@mlops/plugin-s3']);
    expect(calls).toEqual([
      { bucket: 'models', prefix: 'prod', endpoint: 'http://127.0.0.1:9', forcePathStyle: true, partSize: 5 << 20 },
    ]);
  });

  it('a missing plugin is NOT_CONFIGURED naming the package to install; other import failures pass through', async () => {
    const missing = async (s: string) => {
      throw Object.assign(new Error(`Cannot find package '${s}' imported from x`), { code: 'ERR_MODULE_NOT_FOUND' });
    };
    await expect(openObjectStore('s3://bucket/x', { importModule: missing })).rejects.toMatchObject({
      code: 'NOT_CONFIGURED',
      message: expect.stringContaining('npm install @mlops/plugin-s3'),
      details: { package: '@mlops/plugin-s3' },
    });
    const broken = new Error('syntax error in plugin');
    await expect(
      openObjectStore('s3://bucket/x', {
        importModule: async () => {
          throw broken;
        },
      }),
    ).rejects.toBe(broken);
    await expect(openObjectStore('s3://bucket/x', { importModule: async () => ({}) })).rejects.toMatchObject({
      code: 'NOT_CONFIGURED',
    });
  });
});

describe('objectStoreFromUrl', () => {
  it('throws at once for a bad URL, and opens a folder at once', async () => {
    expect(() => objectStoreFromUrl('s3://x')).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
    const s = objectStoreFromUrl('lazy-fs', { cwd: dir });
    expect(s.name).toContain(join(dir, 'lazy-fs'));
  });

  it('loads the plugin on first use, once, and forwards every operation (get streams, errors included)', async () => {
    const fake = fsObjectStore({ dir: join(dir, 'lazy-s3') });
    let loads = 0;
    const s: ObjectStore = objectStoreFromUrl('s3://models/p', {
      importModule: async () => {
        loads++;
        return { s3ObjectStore: () => fake };
      },
    });
    expect(s.name).toBe('s3://models/p/');
    expect(loads).toBe(0);
    const { digest } = await s.put('abc');
    expect(await s.has(digest)).toBe(true);
    expect((await s.readBytes(digest)).toString()).toBe('abc');
    expect((await s.stat(digest))?.size).toBe(3);
    const chunks: Buffer[] = [];
    for await (const c of s.get(digest)) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe('abc');
    const listed: string[] = [];
    for await (const d of s.list()) listed.push(d);
    expect(listed).toEqual([digest]);
    const [many] = await s.putMany!([{ body: 'def' }]);
    expect(await s.statMany!([many!.digest])).toEqual([expect.objectContaining({ size: 3 })]);
    expect(await s.checkMany!([{ digest: many!.digest, size: 3 }], { verify: true })).toEqual(['intact']);
    expect(await s.deleteMany!([many!.digest])).toEqual([true]);
    expect(await s.delete(digest)).toBe(true);
    const missing = `sha256:${'0'.repeat(64)}`;
    await expect(
      (async () => {
        for await (const _ of s.get(missing)) {
          // drain
        }
      })(),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(loads).toBe(1);
  });

  it('a missing plugin surfaces from the first operation, get included', async () => {
    const s = objectStoreFromUrl('s3://models/p', {
      importModule: async (x) => {
        throw Object.assign(new Error(`Cannot find package '${x}'`), { code: 'ERR_MODULE_NOT_FOUND' });
      },
    });
    await expect(s.has(`sha256:${'0'.repeat(64)}`)).rejects.toMatchObject({ code: 'NOT_CONFIGURED' });
    await expect(
      (async () => {
        for await (const _ of s.get(`sha256:${'0'.repeat(64)}`)) {
          // drain
        }
      })(),
    ).rejects.toMatchObject({ code: 'NOT_CONFIGURED' });
  });
});
