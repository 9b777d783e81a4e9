import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { type FsObjectStore, fsObjectStore } from '@mlops/core';
import { testObjectStore } from '@mlops/core/testing';
import { afterAll, describe, expect, it } from 'vitest';

const roots: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'mlops-objects-'));
  roots.push(d);
  return d;
};
afterAll(() => {
  for (const d of roots) rmSync(d, { recursive: true, force: true });
});

const collect = async <T>(it: AsyncIterable<T>) => {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
};

testObjectStore('fsObjectStore', () => fsObjectStore({ dir: join(tempDir(), 'objects') }), {
  async tamper(objects: FsObjectStore, digest) {
    const file = objects.pathOf(digest);
    const size = statSync(file).size;
    chmodSync(file, 0o644);
    writeFileSync(file, Buffer.alloc(size, 0x41));
  },
});

describe('fsObjectStore layout and temp files', () => {
  it('stores objects as <dir>/ab/cdef… named by their sha256, read-only', async () => {
    const objects = fsObjectStore({ dir: join(tempDir(), 'objects') });
    const { digest } = await objects.put('layout');
    const hex = createHash('sha256').update('layout').digest('hex');
    expect(digest).toBe(`sha256:${hex}`);
    const file = join(objects.dir, hex.slice(0, 2), hex.slice(2));
    expect(objects.pathOf(digest)).toBe(file);
    expect(existsSync(file)).toBe(true);
    expect(statSync(file).mode & 0o222).toBe(0);
    expect(readdirSync(join(objects.dir, 'tmp'))).toEqual([]);
  });

  it('defaults to .mlops/objects under the working directory', () => {
    expect(fsObjectStore().dir).toBe(join(process.cwd(), '.mlops', 'objects'));
  });

  it('never lists temp files, and cleanTemp removes only those older than the grace period', async () => {
    const objects = fsObjectStore({ dir: join(tempDir(), 'objects') });
    await objects.put('real');
    const tmp = join(objects.dir, 'tmp');
    writeFileSync(join(tmp, 'old.partial'), 'half an object');
    writeFileSync(join(tmp, 'young.partial'), 'a live writer');
    const old = new Date(Date.now() - 2 * 3600_000);
    utimesSync(join(tmp, 'old.partial'), old, old);
    expect(await collect(objects.list())).toHaveLength(1);

    const dry = await objects.cleanTemp({ olderThanMs: 3600_000, dryRun: true });
    expect(dry).toEqual({ removed: ['old.partial'], bytes: 14 });
    expect(readdirSync(tmp).sort()).toEqual(['old.partial', 'young.partial']);

    const res = await objects.cleanTemp({ olderThanMs: 3600_000 });
    expect(res.removed).toEqual(['old.partial']);
    expect(readdirSync(tmp)).toEqual(['young.partial']);
  });

  it('leaves no visible object and a working store when the writer is SIGKILLed mid-write', async () => {
    const dir = join(tempDir(), 'objects');
    const size = 256 << 20;
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(import.meta.dirname, 'fixtures/objects-writer.ts'), dir, String(size)],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const lines = createInterface({ input: child.stdout });
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on('exit', (_code, signal) => resolve(signal)),
    );
    for await (const line of lines) {
      if (line === 'writing') break;
      throw new Error(`unexpected child output: ${line}`);
    }
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');

    const objects = fsObjectStore({ dir });
    // The partial write exists only as a temp file: never listed, never readable as an object.
    const partials = readdirSync(join(dir, 'tmp'));
    expect(partials).toHaveLength(1);
    expect(statSync(join(dir, 'tmp', partials[0] as string)).size).toBeGreaterThan(0);
    expect(statSync(join(dir, 'tmp', partials[0] as string)).size).toBeLessThan(size);
    expect(await collect(objects.list())).toEqual([]);
    expect(readdirSync(dir).filter((n) => n !== 'tmp')).toEqual([]);

    // The store still works, and a grace period of 0 sweeps the leftover.
    const { digest } = await objects.put('after the crash');
    expect(await objects.has(digest)).toBe(true);
    expect(await collect(objects.list())).toEqual([digest]);
    const swept = await objects.cleanTemp({ olderThanMs: 0 });
    expect(swept.removed).toEqual(partials);
    expect(readdirSync(join(dir, 'tmp'))).toEqual([]);
  }, 60_000);
});
