import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStore, type Store } from '@mlops/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHILD_TIMEOUT, cli, jsonOf, mlops } from './helpers.js';

let dir: string;
let work: string;
let remote: string;
let storeArg: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mlops-cli-data-'));
  work = join(dir, 'work');
  remote = join(dir, 'remote');
  await mkdir(work, { recursive: true });
  storeArg = `pglite://${join(dir, 'db')}`;
  await writeFile(join(work, 'train.csv'), 'x,y,label\n1,a,0\n2,b,1\n3,a,0\n4,c,1\n');
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('mlops data (run() in-process; STORE_LOCKED from a second process)', () => {
  it(
    'add → status → push → pull into a fresh folder',
    async () => {
      const add = await cli(['--store', storeArg, 'data', 'add', 'train.csv', '--json'], { cwd: work });
      expect(add.stderr).toBe('');
      expect(add.code).toBe(0);
      const added = jsonOf<{ name: string; version: string; pointer: string; created: boolean; type: string }>(add);
      expect(added).toMatchObject({ name: 'train.csv', pointer: 'train.csv.mlops.json', created: true, type: 'file' });
      expect(added.version).toMatch(/^[0-9a-f]{64}$/);
      const pointer = JSON.parse(await readFile(join(work, 'train.csv.mlops.json'), 'utf8'));
      expect(pointer.version).toBe(added.version);

      const before = await cli(['data', 'status', 'train.csv', '--remote', remote, '--json'], { cwd: work });
      expect(before.code).toBe(0);
      expect(jsonOf(before)).toMatchObject({ state: 'unchanged', local: true, remote: false });

      const push = await cli(['data', 'push', 'train.csv.mlops.json', '--remote', remote, '--json'], { cwd: work });
      expect(push.code).toBe(0);
      expect(jsonOf<{ uploaded: string[] }>(push).uploaded).toEqual([`sha256:${added.version}`]);

      // human-readable status, remote from the environment
      const after = await cli(['data', 'status', 'train.csv'], { cwd: work, env: { MLOPS_REMOTE: remote } });
      expect(after.code).toBe(0);
      expect(after.stdout).toContain('unchanged');
      expect(after.stdout).toContain('remote complete');

      // a fresh clone: only the pointer file, an empty local object store
      const fresh = join(dir, 'fresh');
      await mkdir(fresh);
      await copyFile(join(work, 'train.csv.mlops.json'), join(fresh, 'train.csv.mlops.json'));
      const missing = await cli(['data', 'status', 'train.csv', '--json'], { cwd: fresh });
      expect(missing.code).toBe(0);
      expect(jsonOf(missing)).toMatchObject({ state: 'missing', local: false });

      const pull = await cli(['data', 'pull', 'train.csv.mlops.json', '--remote', remote], { cwd: fresh });
      expect(pull.stderr).toBe('');
      expect(pull.code).toBe(0);
      expect(pull.stdout).toContain('1 file(s) restored');
      expect(await readFile(join(fresh, 'train.csv'), 'utf8')).toBe(await readFile(join(work, 'train.csv'), 'utf8'));
    },
    CHILD_TIMEOUT,
  );

  it(
    'status --verify finds a damaged stored object (exit 7); data add repairs it from the working copy',
    async () => {
      const here = join(dir, 'damaged');
      await mkdir(here);
      await writeFile(join(here, 'w.csv'), 'a,b\n1,2\n3,4\n');
      const store = `pglite://${join(dir, 'db-damaged')}`;
      const add = await cli(['--store', store, 'data', 'add', 'w.csv', '--json'], { cwd: here });
      expect(add.code).toBe(0);
      const { version } = jsonOf<{ version: string }>(add);
      // Bit rot in the local object store: same size, other bytes.
      const object = join(here, '.mlops', 'objects', version.slice(0, 2), version.slice(2));
      await chmod(object, 0o644);
      await writeFile(object, Buffer.alloc((await stat(object)).size, 0x58));

      const quick = await cli(['data', 'status', 'w.csv', '--json'], { cwd: here });
      expect(quick.code).toBe(0); // by size, the copy looks intact
      expect(jsonOf(quick)).toMatchObject({ state: 'unchanged', local: true, verified: false, corrupted: [] });

      const verified = await cli(['data', 'status', 'w.csv', '--verify'], { cwd: here });
      expect(verified.code).toBe(7);
      expect(verified.stdout).toContain('DAMAGED');
      expect(verified.stdout).toContain(`damaged: w.csv (sha256:${version}) in the local store`);
      const asJson = await cli(['data', 'status', 'w.csv', '--verify', '--json'], { cwd: here });
      expect(asJson.code).toBe(7);
      expect(jsonOf(asJson)).toMatchObject({
        state: 'unchanged',
        local: false,
        verified: true,
        corrupted: [{ path: 'w.csv', digest: `sha256:${version}`, store: 'local' }],
      });

      const repair = await cli(['--store', store, 'data', 'add', 'w.csv', '--json'], { cwd: here });
      expect(repair.code).toBe(0);
      expect(jsonOf(repair)).toMatchObject({ version, created: false, repaired: [`sha256:${version}`] });
      const after = await cli(['data', 'status', 'w.csv', '--verify', '--json'], { cwd: here });
      expect(after.code).toBe(0);
      expect(jsonOf(after)).toMatchObject({ local: true, verified: true, corrupted: [] });
    },
    CHILD_TIMEOUT,
  );

  it(
    'a missing remote object is exit 3; no remote at all is a usage error (exit 2)',
    async () => {
      const empty = join(dir, 'empty-remote');
      const other = join(dir, 'other');
      await mkdir(other);
      await copyFile(join(work, 'train.csv.mlops.json'), join(other, 'train.csv.mlops.json'));
      const notFound = await cli(['data', 'pull', 'train.csv', '--remote', empty], { cwd: other });
      expect(notFound.code).toBe(3);
      expect(notFound.stderr).toMatch(/error: object sha256:[0-9a-f]{64} for train.csv is missing .*\[NOT_FOUND\]/);

      const noRemote = await cli(['data', 'push', 'train.csv', '--json'], { cwd: other });
      expect(noRemote.code).toBe(2);
      expect(noRemote.stdout).toBe('');
      expect(JSON.parse(noRemote.stderr)).toMatchObject({ error: { code: 'INVALID_INPUT', exitCode: 2 } });
    },
    CHILD_TIMEOUT,
  );

  it(
    'STORE_LOCKED while another process owns the embedded store: exit 5 and a hint to use --server or postgres',
    async () => {
      let holder: Store | undefined = await createStore(storeArg);
      try {
        // a real second process: the lock is held by this one
        const r = await mlops(['--store', storeArg, 'data', 'ls'], { cwd: work });
        expect(r.code).toBe(5);
        expect(r.stderr).toContain('[STORE_LOCKED]');
        expect(r.stderr).toContain('--server');
        expect(r.stderr).toContain('postgres://');
      } finally {
        await holder.close();
        holder = undefined;
      }
      const ls = await cli(['--store', storeArg, 'data', 'ls', '--json'], { cwd: work });
      expect(ls.code).toBe(0);
      expect(jsonOf<{ datasets: { name: string; versions: number }[] }>(ls).datasets).toEqual([
        expect.objectContaining({ name: 'train.csv', versions: 1 }),
      ]);
    },
    CHILD_TIMEOUT,
  );
});
