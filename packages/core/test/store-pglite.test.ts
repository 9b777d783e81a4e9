import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStore, isMlopsError } from '@mlops/core';
import { afterAll, describe, expect, it } from 'vitest';

const CHILD = join(import.meta.dirname, 'fixtures/open-store.ts');
// Child processes start tsx and PGlite (seconds each, more on a loaded machine): these tests get long timeouts.
const dir = mkdtempSync(join(tmpdir(), 'mlops-pglite-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function runChild(url: string, action = 'open'): { ok: boolean; code?: string; message?: string } {
  const res = spawnSync(process.execPath, ['--import', 'tsx', CHILD, url, action], { encoding: 'utf8' });
  const line = res.stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(line);
}

describe('pglite memory footprint', () => {
  it('memory:// runs with 16MB of shared buffers (its pages are in memory already); a directory keeps 128MB', async () => {
    const mem = await createStore('memory://');
    const disk = await createStore(`pglite://${join(dir, 'buffers')}`);
    try {
      expect(await mem.query('SHOW shared_buffers')).toEqual([{ shared_buffers: '16MB' }]);
      expect(await disk.query('SHOW shared_buffers')).toEqual([{ shared_buffers: '128MB' }]);
    } finally {
      await mem.close();
      await disk.close();
    }
  });
});

describe('pglite store on disk', () => {
  it('keeps data across close and reopen, and releases its lock on close', async () => {
    const url = `pglite://${join(dir, 'persist')}`;
    const a = await createStore(url);
    await a.exec('CREATE TABLE kept (v text)');
    await a.query('INSERT INTO kept VALUES ($1)', ['hello']);
    await a.close();
    expect(existsSync(join(dir, 'persist.lock'))).toBe(false);
    const b = await createStore(url);
    expect(await b.query('SELECT v FROM kept')).toEqual([{ v: 'hello' }]);
    await b.close();
  });

  it('gives a second opener STORE_LOCKED naming the holder, in this process and in another', async () => {
    const url = `pglite://${join(dir, 'locked')}`;
    const owner = await createStore(url);
    try {
      const err = await createStore(url).catch((e: unknown) => e);
      expect(isMlopsError(err, 'STORE_LOCKED')).toBe(true);
      expect((err as Error).message).toContain(`process ${process.pid}`);
      expect((err as { details: { holder: { pid: number } } }).details.holder.pid).toBe(process.pid);

      const child = runChild(url);
      expect(child.ok).toBe(false);
      expect(child.code).toBe('STORE_LOCKED');
      expect(child.message).toContain(`process ${process.pid} on ${hostname()}`);
    } finally {
      await owner.close();
    }
    // once released, another process can open it
    expect(runChild(url).ok).toBe(true);
  }, 120_000);

  it('gives STORE_LOCKED to an opener reaching the same directory through a symlink, or through a symlinked parent', async () => {
    const real = join(dir, 'real-parent');
    mkdirSync(join(real, 'db'), { recursive: true });
    symlinkSync(join(real, 'db'), join(dir, 'db-link'));
    symlinkSync(real, join(dir, 'parent-link'));
    const owner = await createStore(`pglite://${join(real, 'db')}?thread=worker`);
    try {
      for (const other of [join(dir, 'db-link'), join(dir, 'parent-link', 'db')]) {
        const err = await createStore(`pglite://${other}`).catch((e: unknown) => e);
        if (!isMlopsError(err)) await (err as { close(): Promise<void> }).close();
        expect(isMlopsError(err, 'STORE_LOCKED'), other).toBe(true);
      }
    } finally {
      await owner.close();
    }
  }, 120_000);

  it('reports a lock file it cannot take (a directory in its place) as a typed INTERNAL error naming it', async () => {
    const data = join(dir, 'lock-is-dir');
    mkdirSync(`${data}.lock`);
    const err = await createStore(`pglite://${data}`).catch((e: unknown) => e);
    expect(isMlopsError(err, 'INTERNAL')).toBe(true);
    expect((err as Error).message).toContain(`${data}.lock`);
  });

  it.each(['main', 'worker'])(
    '[%s] names why PGlite could not open a data directory that is a file',
    async (thread) => {
      const file = join(dir, `is-a-file-${thread}`);
      writeFileSync(file, 'x');
      const err = await createStore(`pglite://${file}?thread=${thread}`).catch((e: unknown) => e);
      expect(isMlopsError(err, 'INTERNAL')).toBe(true);
      expect((err as Error).message).toMatch(/errno \d+/);
      expect((err as Error).message).not.toMatch(/undefined|\[object Object\]/);
    },
    60_000,
  );

  it('takes over a lock left by a process that died (SIGKILL)', async () => {
    const url = `pglite://${join(dir, 'stale')}`;
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, url, 'hold'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        if (d.toString().includes('"ok":true')) resolve();
      });
      child.on('exit', () => reject(new Error('child exited early')));
    });
    const lock = JSON.parse(readFileSync(join(dir, 'stale.lock'), 'utf8'));
    expect(lock.pid).toBe(child.pid);
    child.kill('SIGKILL');
    await new Promise((r) => child.on('exit', r));
    expect(existsSync(join(dir, 'stale.lock'))).toBe(true);
    const store = await createStore(url);
    expect(await store.query('SELECT 1 AS one')).toEqual([{ one: 1 }]);
    await store.close();
  }, 120_000);

  it('does not take over a lock held by a live process on another host', async () => {
    const lockPath = join(dir, 'remote.lock');
    writeFileSync(lockPath, JSON.stringify({ pid: 1, hostname: 'other-host', since: '2026-01-01T00:00:00Z' }));
    const err = await createStore(`pglite://${join(dir, 'remote')}`).catch((e: unknown) => e);
    expect(isMlopsError(err, 'STORE_LOCKED')).toBe(true);
    expect((err as Error).message).toContain('other-host');
  });
});
