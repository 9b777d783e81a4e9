// Damage to the files of an fsObjectStore that is not bad bytes: something other than a regular file at an object's
// path (a folder, a FIFO) and a pack that cannot be read. Every read path answers with a typed error or state (never a
// raw EISDIR, never a read that blocks), and a put of the object repairs it.
import { spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fsObjectStore } from '@mlops/core';
import { afterAll, describe, expect, it } from 'vitest';

const root = mkdtempSync(join(tmpdir(), 'mlops-damage-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const newDir = () => join(root, `objects-${n++}`);
const drain = async (s: NodeJS.ReadableStream) => {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString();
};

describe('fsObjectStore: a loose object replaced by something that is not a regular file', () => {
  it('a folder: reads say NOT_FOUND (as has and stat do), checkMany missing; put repairs it, delete removes it', async () => {
    const objects = fsObjectStore({ dir: newDir() });
    const { digest } = await objects.put('hello');
    const file = objects.pathOf(digest);
    chmodSync(file, 0o644);
    unlinkSync(file);
    mkdirSync(join(file, 'inside'), { recursive: true });

    await expect(objects.readBytes(digest)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(drain(objects.get(digest))).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await objects.has(digest)).toBe(false);
    expect(await objects.checkMany([{ digest, size: 5 }], { verify: true })).toEqual(['missing']);

    // The usual repair, a put of the same bytes, takes the object's place back.
    expect(await objects.put('hello')).toEqual({ digest, size: 5 });
    expect((await objects.readBytes(digest)).toString()).toBe('hello');

    // A folder at a digest's path is no object: delete removes it and reports that no object existed.
    const other = await objects.put('other');
    const otherFile = objects.pathOf(other.digest);
    chmodSync(otherFile, 0o644);
    unlinkSync(otherFile);
    mkdirSync(otherFile);
    expect(await objects.deleteMany([other.digest])).toEqual([false]);
    expect(readdirSync(join(otherFile, '..'))).toEqual([]);
  });

  it('a FIFO: readBytes and get answer NOT_FOUND instead of blocking on it', async () => {
    const dir = newDir();
    const objects = fsObjectStore({ dir });
    const { digest } = await objects.put('hello');
    const file = objects.pathOf(digest);
    chmodSync(file, 0o644);
    unlinkSync(file);
    expect(spawnSync('mkfifo', [file]).status).toBe(0);

    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(import.meta.dirname, 'fixtures/objects-reader.ts'), dir, digest],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    // A read blocked on the FIFO never ends: give it far more than it needs, then unblock it by writing to the FIFO.
    const timer = setTimeout(() => {
      spawnSync('sh', ['-c', `printf x > '${file}'`], { timeout: 5_000 });
      child.kill('SIGKILL');
    }, 20_000);
    const code = await exited;
    clearTimeout(timer);
    expect(code).toBe(0);
    expect(JSON.parse(out)).toEqual({
      readBytes: { code: 'NOT_FOUND' },
      has: { ok: false },
      get: { code: 'NOT_FOUND' },
    });
    rmSync(file);
  }, 40_000);
});

describe('fsObjectStore: a shard folder replaced by a file', () => {
  it('its objects read as missing on every path, and a put fails with CONFLICT naming it, leaving the file', async () => {
    const objects = fsObjectStore({ dir: newDir() });
    const { digest } = await objects.put('hello');
    const shard = join(objects.pathOf(digest), '..');
    rmSync(shard, { recursive: true, force: true });
    writeFileSync(shard, 'a file named like a shard');

    await expect(objects.readBytes(digest)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(drain(objects.get(digest))).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await objects.has(digest)).toBe(false);
    expect(await objects.statMany([digest])).toEqual([undefined]);
    expect(await objects.checkMany([{ digest }], { verify: true })).toEqual(['missing']);
    expect(await objects.deleteMany([digest])).toEqual([false]);
    await expect(objects.put('hello')).rejects.toMatchObject({ code: 'CONFLICT', details: { path: shard } });
    expect(readFileSync(shard, 'utf8')).toBe('a file named like a shard');
  });
});

describe('fsObjectStore: a pack that cannot be read', () => {
  it('its objects are damaged (CHECKSUM_MISMATCH, corrupted), a put repairs one and deleteMany still works', async () => {
    const dir = newDir();
    const writer = fsObjectStore({ dir });
    const bodies = Array.from({ length: 120 }, (_, i) => `packed object ${i}`);
    const stored = await writer.putMany(bodies.map((body) => ({ body })));
    const packDir = join(dir, 'packs');
    const pack = readdirSync(packDir).find((f) => f.endsWith('.pack')) as string;
    chmodSync(join(packDir, pack), 0o644);
    rmSync(join(packDir, pack));
    mkdirSync(join(packDir, pack));

    const objects = fsObjectStore({ dir });
    const d0 = (stored[0] as { digest: string }).digest;
    const d1 = (stored[1] as { digest: string }).digest;
    await expect(objects.readBytes(d0)).rejects.toMatchObject({ code: 'CHECKSUM_MISMATCH' });
    await expect(drain(objects.get(d0))).rejects.toMatchObject({ code: 'CHECKSUM_MISMATCH' });
    expect(await objects.checkMany([{ digest: d0 }, { digest: d1 }], { verify: true })).toEqual([
      'corrupted',
      'corrupted',
    ]);

    await objects.put(bodies[0] as string);
    expect((await objects.readBytes(d0)).toString()).toBe(bodies[0]);
    expect(await objects.checkMany([{ digest: d0 }], { verify: true })).toEqual(['intact']);

    // Garbage collection can still delete objects listed in the unreadable pack.
    await expect(objects.deleteMany([d1])).resolves.toEqual([true]);
  });
});
