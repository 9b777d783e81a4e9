// Issue 24: fsObjectStore.putMany packs batches of small objects into one file (flushed once), putFile hashes a file
// while copying it, and the batch operations (statMany, checkMany, deleteMany, inspect) see packed objects as objects.
import { createHash } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  existsSync,
  openSync,
  readdirSync,
  readFileSync,
  statSync,
  utimesSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { fsObjectStore, type Store } from '@mlops/core';
import { collectGarbage, recordObjectRefs } from '@mlops/core/objects';
import { describe, expect, it } from 'vitest';
import { useRootAndStore } from './helpers.js';

let store: Store;
const root = useRootAndStore('mlops-packs-', (s) => {
  store = s;
});
let n = 0;
const newDir = () => join(root, `objects-${n++}`);
const sha = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const bodies = (count: number, tag = 'x') =>
  Array.from({ length: count }, (_, i) => Buffer.from(`${tag} object number ${i} `.repeat(1 + (i % 7))));
const collect = async <T>(it: AsyncIterable<T>) => {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
};
const packFiles = (dir: string) => (existsSync(join(dir, 'packs')) ? readdirSync(join(dir, 'packs')).sort() : []);
const looseShards = (dir: string) => readdirSync(dir).filter((d) => /^[0-9a-f]{2}$/.test(d));

/** Overwrites the bytes of a packed object in its pack file (same size): bit rot inside a pack. */
function rotInPack(dir: string, bytes: Buffer) {
  const pack = join(dir, 'packs', packFiles(dir).find((f) => f.endsWith('.pack')) as string);
  const at = readFileSync(pack).indexOf(bytes);
  expect(at).toBeGreaterThanOrEqual(0);
  chmodSync(pack, 0o644);
  const fd = openSync(pack, 'r+');
  writeSync(fd, Buffer.alloc(bytes.length, 0x58), 0, bytes.length, at);
  closeSync(fd);
}

describe('fsObjectStore packs', () => {
  it('packs a batch of small objects into one pack and index, read back like loose objects', async () => {
    const dir = newDir();
    const objects = fsObjectStore({ dir });
    const items = bodies(150);
    const res = await objects.putMany(items.map((body) => ({ body, expectedDigest: sha(body) })));
    expect(res.map((r) => r.digest)).toEqual(items.map(sha)); // in order
    expect(res.map((r) => r.size)).toEqual(items.map((b) => b.length));
    const files = packFiles(dir);
    expect(files).toHaveLength(2);
    expect(files[0]).toMatch(/^pack-\d{13}-[0-9a-f]{16}\.idx$/);
    expect(files[1]).toMatch(/\.pack$/);
    expect(looseShards(dir)).toEqual([]); // no loose file at all
    expect(readdirSync(join(dir, 'tmp'))).toEqual([]);
    expect(statSync(join(dir, 'packs', files[1] as string)).mode & 0o222).toBe(0);

    // Every read path sees them, verified.
    const fresh = fsObjectStore({ dir }); // another handle: loads the index from disk
    expect((await fresh.readBytes(sha(items[3] as Buffer))).equals(items[3] as Buffer)).toBe(true);
    expect(Buffer.concat(await collect(fresh.get(sha(items[4] as Buffer)))).equals(items[4] as Buffer)).toBe(true);
    expect(await fresh.has(sha(items[5] as Buffer))).toBe(true);
    expect(await fresh.stat(sha(items[6] as Buffer))).toMatchObject({ size: (items[6] as Buffer).length });
    expect((await collect(fresh.list())).sort()).toEqual(items.map(sha).sort());
    const stats = await fresh.statMany([sha(items[0] as Buffer), sha('absent')]);
    expect(stats[0]?.size).toBe((items[0] as Buffer).length);
    expect(stats[1]).toBeUndefined();
    const where = await fresh.inspect([sha(items[0] as Buffer), sha('absent')]);
    expect(where[0]).toMatchObject({ packed: true, size: (items[0] as Buffer).length });
    expect(where[0]?.file).toMatch(/\.pack$/);
    expect(where[1]).toBeUndefined();
  });

  it('writes loose files for batches too small to pack, and for large objects', async () => {
    const dir = newDir();
    const objects = fsObjectStore({ dir, pack: { minObjects: 100, maxObjectBytes: 1024 } });
    const few = bodies(5, 'few');
    await objects.putMany(few.map((body) => ({ body })));
    expect(packFiles(dir)).toEqual([]);
    for (const b of few) expect(existsSync(objects.pathOf(sha(b)))).toBe(true);

    const big = Buffer.alloc(4096, 7);
    const many = [...bodies(120, 'many'), big];
    await objects.putMany(many.map((body) => ({ body })));
    expect(packFiles(dir).filter((f) => f.endsWith('.pack'))).toHaveLength(1);
    expect(existsSync(objects.pathOf(sha(big)))).toBe(true); // beyond maxObjectBytes: loose
    expect((await objects.readBytes(sha(big))).equals(big)).toBe(true);

    // pack: false: every object loose.
    const plainDir = newDir();
    const plain = fsObjectStore({ dir: plainDir, pack: false });
    await plain.putMany(bodies(120, 'plain').map((body) => ({ body })));
    expect(packFiles(plainDir)).toEqual([]);
    expect(looseShards(plainDir).length).toBeGreaterThan(50);
  });

  it('stores nothing visible when one object of the batch does not match its expected digest', async () => {
    const dir = newDir();
    const objects = fsObjectStore({ dir });
    const items = bodies(150, 'bad');
    const batch = items.map((body, i) => ({ body, expectedDigest: i === 120 ? sha('other') : sha(body) }));
    await expect(objects.putMany(batch)).rejects.toMatchObject({ code: 'CHECKSUM_MISMATCH' });
    expect(packFiles(dir)).toEqual([]);
    expect(readdirSync(join(dir, 'tmp'))).toEqual([]);
    expect(await objects.has(sha(items[0] as Buffer))).toBe(false);
  });

  it('takes streams as bodies, reading up to `concurrency` of them at once', async () => {
    const dir = newDir();
    const objects = fsObjectStore({ dir });
    let inFlight = 0;
    let most = 0;
    async function* slow(b: Buffer) {
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((r) => setTimeout(r, 2));
      yield b;
      inFlight--;
    }
    const items = bodies(120, 'stream');
    const res = await objects.putMany(
      items.map((b) => ({ body: slow(b) })),
      { concurrency: 4 },
    );
    expect(res.map((r) => r.digest)).toEqual(items.map(sha));
    expect(most).toBeLessThanOrEqual(4);
    expect(most).toBeGreaterThan(1);
  });

  it('detects a damaged packed object, and a put repairs it (a loose copy is read first)', async () => {
    const dir = newDir();
    const objects = fsObjectStore({ dir });
    const items = bodies(120, 'rot');
    await objects.putMany(items.map((body) => ({ body })));
    const victim = items[17] as Buffer;
    rotInPack(dir, victim);
    await expect(objects.readBytes(sha(victim))).rejects.toMatchObject({ code: 'CHECKSUM_MISMATCH' });
    const states = await objects.checkMany(
      [
        { digest: sha(victim), size: victim.length },
        { digest: sha(items[18] as Buffer), size: (items[18] as Buffer).length },
        { digest: sha('absent'), size: 6 },
      ],
      { verify: true },
    );
    expect(states).toEqual(['corrupted', 'intact', 'missing']);
    // Without verify: only the size is checked.
    expect(await objects.checkMany([{ digest: sha(victim), size: victim.length }])).toEqual(['intact']);
    expect(await objects.checkMany([{ digest: sha(victim), size: 3 }])).toEqual(['corrupted']);

    await objects.put(victim);
    expect((await objects.readBytes(sha(victim))).equals(victim)).toBe(true);
    expect(await objects.checkMany([{ digest: sha(victim) }], { verify: true })).toEqual(['intact']);
  });

  it('deleteMany rewrites a pack without the deleted objects, and removes a pack left empty', async () => {
    const dir = newDir();
    const objects = fsObjectStore({ dir });
    const items = bodies(130, 'del');
    await objects.putMany(items.map((body) => ({ body })));
    const doomed = items.slice(0, 30).map(sha);
    const before = packFiles(dir);
    const res = await objects.deleteMany([...doomed, sha('absent')]);
    expect(res).toEqual([...doomed.map(() => true), false]);
    const after = packFiles(dir);
    expect(after).toHaveLength(2);
    expect(after).not.toEqual(before);
    // The rewritten pack keeps the age in its name (lookups search newer packs first).
    expect(after[0]?.slice(0, 18)).toBe(before[0]?.slice(0, 18));
    for (const d of doomed) expect(await objects.has(d)).toBe(false);
    for (const b of items.slice(30)) expect((await objects.readBytes(sha(b))).equals(b)).toBe(true);
    expect((await collect(objects.list())).sort()).toEqual(items.slice(30).map(sha).sort());

    await objects.deleteMany(items.slice(30).map(sha));
    expect(packFiles(dir)).toEqual([]);
    expect(await collect(objects.list())).toEqual([]);
    expect(await objects.delete(sha(items[40] as Buffer))).toBe(false);
  });

  it('collectGarbage deletes unreferenced packed objects older than the grace period, in one pass', async () => {
    const dir = newDir();
    const objects = fsObjectStore({ dir });
    const items = bodies(140, 'gc');
    await objects.putMany(items.map((body) => ({ body })));
    const kept = items.slice(0, 40).map(sha);
    await recordObjectRefs(
      store,
      kept.map((digest) => ({ digest, kind: 'test', ownerId: `gc-${n}` })),
    );
    const young = await collectGarbage({ store, objects, graceMs: 3600_000 });
    expect(young.deleted).toEqual([]);
    expect(young.kept).toEqual({ referenced: 40, young: 100 });
    const old = new Date(Date.now() - 2 * 3600_000);
    for (const f of packFiles(dir)) utimesSync(join(dir, 'packs', f), old, old);
    const res = await collectGarbage({ store, objects, graceMs: 3600_000 });
    expect(res.deleted.map((d) => d.digest).sort()).toEqual(items.slice(40).map(sha).sort());
    expect((await collect(objects.list())).sort()).toEqual([...kept].sort());
    for (const b of items.slice(0, 40)) expect((await objects.readBytes(sha(b))).equals(b)).toBe(true);
  });

  it('never shows a pack whose index was not written, and cleanTemp removes it once old', async () => {
    const dir = newDir();
    const objects = fsObjectStore({ dir });
    await objects.putMany(bodies(110, 'orphan').map((body) => ({ body })));
    const pack = packFiles(dir).find((f) => f.endsWith('.pack')) as string;
    // A writer that died between the two renames left a pack without its index.
    const orphan = pack.replace(/-[0-9a-f]{16}\.pack$/, '-0123456789abcdef.pack');
    writeFileSync(join(dir, 'packs', orphan), 'half a pack');
    expect(await collect(fsObjectStore({ dir }).list())).toHaveLength(110);
    expect((await objects.cleanTemp({ olderThanMs: 3600_000 })).removed).toEqual([]);
    const old = new Date(Date.now() - 2 * 3600_000);
    utimesSync(join(dir, 'packs', orphan), old, old);
    expect((await objects.cleanTemp({ olderThanMs: 3600_000 })).removed).toEqual([`packs/${orphan}`]);
    expect(packFiles(dir)).toEqual([pack.replace(/\.pack$/, '.idx'), pack]);
  });

  it('a damaged index makes its objects missing, not wrong', async () => {
    const dir = newDir();
    await fsObjectStore({ dir }).putMany(bodies(110, 'idx').map((body) => ({ body })));
    const idx = join(dir, 'packs', packFiles(dir).find((f) => f.endsWith('.idx')) as string);
    chmodSync(idx, 0o644);
    const bytes = readFileSync(idx);
    bytes[40] = (bytes[40] as number) ^ 0xff;
    writeFileSync(idx, bytes);
    const objects = fsObjectStore({ dir });
    expect(await collect(objects.list())).toEqual([]);
    expect(await objects.has(sha(bodies(110, 'idx')[0] as Buffer))).toBe(false);
  });
});

describe('fsObjectStore.putFile', () => {
  it('hashes a file while copying it (one read), and stores nothing when the digest is not the expected one', async () => {
    const dir = newDir();
    const objects = fsObjectStore({ dir });
    const file = join(root, `big-${n++}.bin`);
    const data = Buffer.alloc(5 * 1024 * 1024 + 17);
    for (let i = 0; i < data.length; i++) data[i] = (i * 31) & 0xff;
    writeFileSync(file, data);
    let seen = 0;
    const res = await objects.putFile(file, {
      onChunk: (c) => {
        seen += c.length;
      },
    });
    expect(res).toEqual({ digest: sha(data), size: data.length });
    expect(seen).toBe(data.length);
    expect(statSync(objects.pathOf(res.digest)).mode & 0o222).toBe(0);
    expect((await objects.readBytes(res.digest)).equals(data)).toBe(true);

    await expect(objects.putFile(file, { expectedDigest: sha('something else') })).rejects.toMatchObject({
      code: 'CHECKSUM_MISMATCH',
    });
    expect(readdirSync(join(dir, 'tmp'))).toEqual([]);
    const empty = join(root, `empty-${n++}.bin`);
    writeFileSync(empty, '');
    expect(await objects.putFile(empty)).toEqual({ digest: sha(''), size: 0 });
  });

  it('a missing file is NOT_FOUND and a folder INVALID_INPUT, naming the path, with no temp file left', async () => {
    const dir = newDir();
    const objects = fsObjectStore({ dir });
    const absent = join(root, `absent-${n++}.bin`);
    await expect(objects.putFile(absent)).rejects.toMatchObject({ code: 'NOT_FOUND', details: { path: absent } });
    await expect(objects.putFile(root)).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      details: [{ path: 'path', message: expect.stringContaining('not a regular file') }],
    });
    expect(existsSync(join(dir, 'tmp')) ? readdirSync(join(dir, 'tmp')) : []).toEqual([]);
  });
});
