import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DatasetFileSpec, findSharedDatasetsDirs, isDatasetError, resolveDatasetFile } from '@mlops/datasets';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { serve, sha256, startTestServer, type TestServer } from './http-server.js';

const BODY = Buffer.from('a,b\n1,2\n3,4\n');
const SPEC: DatasetFileSpec = {
  dataset: 'demo',
  file: 'demo.csv',
  sha256: sha256(BODY),
  sources: [{ url: 'https://pinned.invalid/demo/demo.csv' }],
};

let server: TestServer;
let root: string;
let dirs: { path: string; env: string; shared: string; cache: string };

async function put(dir: string, body: Buffer = BODY): Promise<string> {
  await mkdir(join(dir, 'demo'), { recursive: true });
  const p = join(dir, 'demo', 'demo.csv');
  await writeFile(p, body);
  return p;
}

const base = () => ({
  baseUrl: server.url,
  cacheDir: dirs.cache,
  sharedDir: dirs.shared,
  datasetsDir: dirs.env,
  progress: 'silent' as const,
  retryDelayMs: 5,
});

beforeAll(async () => {
  server = await startTestServer();
  server.route('/demo/demo.csv', serve(BODY));
});
afterAll(async () => {
  vi.unstubAllEnvs();
  await server.close();
});
beforeEach(async () => {
  vi.unstubAllEnvs();
  root = await mkdtemp(join(tmpdir(), 'mlops-datasets-resolve-'));
  dirs = { path: join(root, 'p'), env: join(root, 'env'), shared: join(root, 'shared'), cache: join(root, 'cache') };
  return () => rm(root, { recursive: true, force: true });
});

describe('resolution order: path → MLOPS_DATASETS_DIR → shared → cache → download', () => {
  it('takes each place in turn as the earlier ones disappear', async () => {
    const explicit = await put(dirs.path);
    const envFile = await put(dirs.env);
    const sharedFile = await put(dirs.shared);
    const cached = await put(dirs.cache);

    expect((await resolveDatasetFile(SPEC, { ...base(), path: explicit })).origin).toBe('path');
    const fromEnv = await resolveDatasetFile(SPEC, base());
    expect(fromEnv).toMatchObject({
      origin: 'env',
      path: envFile,
      sha256: SPEC.sha256,
      verified: true,
      simulated: false,
    });
    await rm(envFile);
    expect(await resolveDatasetFile(SPEC, base())).toMatchObject({ origin: 'shared', path: sharedFile });
    await rm(sharedFile);
    expect(await resolveDatasetFile(SPEC, base())).toMatchObject({ origin: 'cache', path: cached });
    await rm(cached);
    const before = server.hits('/demo/demo.csv');
    expect(await resolveDatasetFile(SPEC, base())).toMatchObject({ origin: 'download', path: cached });
    expect(server.hits('/demo/demo.csv')).toBe(before + 1);
  });

  it('reads MLOPS_DATASETS_DIR, MLOPS_CACHE_DIR and MLOPS_OFFLINE from the environment', async () => {
    const envFile = await put(dirs.env);
    vi.stubEnv('MLOPS_DATASETS_DIR', dirs.env);
    const { datasetsDir: _d, cacheDir: _c, ...rest } = base();
    expect(await resolveDatasetFile(SPEC, rest)).toMatchObject({ origin: 'env', path: envFile });

    await rm(envFile);
    vi.stubEnv('MLOPS_CACHE_DIR', dirs.cache);
    vi.stubEnv('MLOPS_OFFLINE', '1');
    const err = await resolveDatasetFile(SPEC, rest).catch((e: unknown) => e);
    expect(isDatasetError(err, 'NOT_FOUND')).toBe(true);
    expect((err as Error).message).toContain(join(dirs.cache, 'demo', 'demo.csv'));
  });

  it('an explicit path that does not exist is NOT_FOUND (no fallback)', async () => {
    await put(dirs.env);
    const err = await resolveDatasetFile(SPEC, { ...base(), path: join(root, 'nope.csv') }).catch((e: unknown) => e);
    expect(isDatasetError(err, 'NOT_FOUND')).toBe(true);
    expect((err as Error).message).toContain('nope.csv');
  });

  it('offline never downloads and lists every place it looked', async () => {
    const before = server.hits('/demo/demo.csv');
    const err = await resolveDatasetFile(SPEC, { ...base(), offline: true }).catch((e: unknown) => e);
    expect(isDatasetError(err, 'NOT_FOUND')).toBe(true);
    const msg = (err as Error).message;
    for (const dir of [dirs.env, dirs.shared, dirs.cache]) expect(msg).toContain(join(dir, 'demo', 'demo.csv'));
    expect(msg).toMatch(/offline/);
    expect(server.hits('/demo/demo.csv')).toBe(before);
  });

  it('a local file with the wrong digest is CHECKSUM_MISMATCH naming file, digests and what to do', async () => {
    const bad = Buffer.from('a,b\n1,2\n');
    await put(dirs.shared, bad);
    const err = await resolveDatasetFile(SPEC, base()).catch((e: unknown) => e);
    expect(isDatasetError(err, 'CHECKSUM_MISMATCH')).toBe(true);
    const msg = (err as Error).message;
    expect(msg).toContain(join(dirs.shared, 'demo', 'demo.csv'));
    expect(msg).toContain(SPEC.sha256);
    expect(msg).toContain(sha256(bad));
    expect(msg).toMatch(/Replace it/);
  });

  it('a corrupt cached file is replaced by a fresh download (and is an error when offline)', async () => {
    const cached = await put(dirs.cache, Buffer.from('corrupt'));
    const offline = await resolveDatasetFile(SPEC, { ...base(), offline: true }).catch((e: unknown) => e);
    expect(isDatasetError(offline, 'CHECKSUM_MISMATCH')).toBe(true);
    const healed = await resolveDatasetFile(SPEC, base());
    expect(healed.origin).toBe('download');
    expect(await readFile(cached)).toEqual(BODY);
  });

  it('files without a published digest keep the digest seen at download time and check it later', async () => {
    const unpinned: DatasetFileSpec = { ...SPEC, sha256: undefined };
    const got = await resolveDatasetFile(unpinned, base());
    expect(got).toMatchObject({ origin: 'download', verified: false, sha256: sha256(BODY) });
    expect((await readFile(`${got.path}.sha256`, 'utf8')).trim()).toBe(sha256(BODY));
    await writeFile(got.path, 'changed');
    const err = await resolveDatasetFile(unpinned, { ...base(), offline: true }).catch((e: unknown) => e);
    expect(isDatasetError(err, 'CHECKSUM_MISMATCH')).toBe(true);
  });
});

describe('findSharedDatasetsDirs', () => {
  it('finds shared/datasets beside an ancestor of the start folder', async () => {
    const repo = join(root, 'work', 'repo', 'packages', 'x');
    await mkdir(repo, { recursive: true });
    await mkdir(join(root, 'work', 'shared', 'datasets'), { recursive: true });
    expect(findSharedDatasetsDirs([repo])).toEqual([join(root, 'work', 'shared', 'datasets')]);
    expect(findSharedDatasetsDirs([join(root, 'elsewhere')]).includes(join(root, 'work', 'shared', 'datasets'))).toBe(
      false,
    );
  });
});
