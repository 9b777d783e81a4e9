// Issue 24: versionDataset's stat cache skips files (and stored objects) unchanged since they were hashed (verified),
// hashes racy entries again, and never hides corruption from `datasetStatus({ verify: true })`.
import { createHash } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  mkdirSync,
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
import { datasetStatus, versionDataset } from '@mlops/core/dataset-versions';
import { describe, expect, it } from 'vitest';
import { useRootAndStore } from './helpers.js';

let store: Store;
const root = useRootAndStore('mlops-stat-cache-', (s) => {
  store = s;
});

let n = 0;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const sha = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
/** Longer than the default racy window (100 ms): entries stat'ed before it are trusted. */
const PAST_RACY = 250;

/** A folder of `count` small files (packed when versioned: 100 or more). */
function folder(count: number) {
  const dir = join(root, `w${n++}`);
  const data = join(dir, 'corpus');
  mkdirSync(join(data, 'sub'), { recursive: true });
  for (let i = 0; i < count; i++) {
    writeFileSync(join(data, i % 2 ? 'sub' : '', `f${String(i).padStart(4, '0')}.txt`), `file ${n}.${i} `.repeat(8));
  }
  return { dir, data, objects: fsObjectStore({ dir: join(dir, 'objects') }) };
}

/** Bytes the `store <name>/` progress counted: objects verified (read) or written by one call. */
async function versionCountingStore(opts: Parameters<typeof versionDataset>[0]) {
  const lines: string[] = [];
  const v = await versionDataset({
    ...opts,
    progress: { mode: 'json', stream: { write: (s: string) => lines.push(s) } },
  });
  const end = lines
    .map((l) => JSON.parse(l))
    .find((e) => e.msg === 'progress.end' && String(e.label).startsWith('store '));
  return { v, storedOrVerified: end.done as number };
}

describe('versionDataset stat cache', () => {
  it('reads only files whose stat changed; racy files are read once more', async () => {
    const { data, objects } = folder(120);
    const first = await versionDataset({ path: data, store, objects });
    expect(first.hashed.files).toBe(120);
    expect(first.created).toBe(true);
    // Files changed within the racy window of when their stat was taken are read again: a change in the same
    // timestamp tick after the stat would have left it as is. (A window of a minute makes every file racy here.)
    await sleep(PAST_RACY);
    const racy = await versionDataset({ path: data, store, objects, statCache: { racyWindowMs: 60_000 } });
    expect(racy.hashed.files).toBe(120);
    // Stat'ed long enough after their last change this time: trusted.
    const calm = await versionDataset({ path: data, store, objects });
    expect(calm).toMatchObject({ version: first.version, created: false, hashed: { files: 0, bytes: 0 } });

    // Same size, other bytes: read, and a new version.
    const f0 = join(data, 'f0000.txt');
    writeFileSync(f0, readFileSync(f0, 'utf8').toUpperCase());
    await sleep(PAST_RACY);
    const edited = await versionDataset({ path: data, store, objects });
    expect(edited.hashed.files).toBe(1);
    expect(edited.version).not.toBe(first.version);
    // Touched only (mtime moved, same bytes): read again, same version.
    const later = new Date(Date.now() + 10_000);
    utimesSync(join(data, 'sub', 'f0001.txt'), later, later);
    await sleep(PAST_RACY);
    const touched = await versionDataset({ path: data, store, objects });
    expect(touched.hashed.files).toBe(1);
    expect(touched.version).toBe(edited.version);
    // An mtime in the future is never trusted: read every time until it is in the past.
    expect((await versionDataset({ path: data, store, objects })).hashed.files).toBe(1);
  });

  it('hashes every file with statCache: false, and keeps one cache per dataset path', async () => {
    const { data, objects, dir } = folder(5);
    await sleep(PAST_RACY);
    await versionDataset({ path: data, store, objects, statCache: false });
    expect((await versionDataset({ path: data, store, objects, statCache: false })).hashed.files).toBe(5);
    await versionDataset({ path: data, store, objects });
    expect((await versionDataset({ path: data, store, objects })).hashed.files).toBe(0);
    expect(readdirSync(join(dir, 'objects', 'state')).filter((f) => f.startsWith('stat-cache-'))).toHaveLength(1);
    // A single file has its own cache too.
    const file = join(dir, 'one.csv');
    writeFileSync(file, 'a,b\n1,2\n');
    await sleep(PAST_RACY);
    const v = await versionDataset({ path: file, store, objects });
    expect(v.hashed.files).toBe(1);
    const again = await versionDataset({ path: file, store, objects });
    expect(again).toMatchObject({ version: v.version, hashed: { files: 0 }, stats: { rows: 1 } });
  });

  it('computes the statistics of files it did not read when the version is new (another name)', async () => {
    const { data, objects } = folder(3);
    writeFileSync(join(data, 'rows.csv'), 'x,y\n1,2\n3,4\n');
    await sleep(PAST_RACY);
    await versionDataset({ path: data, store, objects });
    const other = await versionDataset({ path: data, name: `other-name-${n}`, store, objects });
    expect(other.hashed.files).toBe(0);
    expect(other.created).toBe(true);
    expect(other.stats).toMatchObject({ format: 'directory', tabular: { 'rows.csv': { rows: 2 } } });
  });

  it('trusts stored objects whose files are unchanged since they were verified, and re-reads the others', async () => {
    const { data, objects } = folder(120);
    await sleep(PAST_RACY);
    const written = await versionCountingStore({ path: data, store, objects });
    expect(written.v.created).toBe(true);
    expect(written.storedOrVerified).toBeGreaterThan(0);
    // The pack was just written (racy): the next run verifies its objects (reads them) once.
    await sleep(PAST_RACY);
    const verified = await versionCountingStore({ path: data, store, objects });
    expect(verified.storedOrVerified).toBeGreaterThan(0);
    const trusted = await versionCountingStore({ path: data, store, objects });
    expect(trusted.storedOrVerified).toBe(0);
    expect(trusted.v.hashed.files).toBe(0);
  });

  it('keeps trusting the objects a new version freshens (against garbage collection): no re-read next time', async () => {
    const { data, objects } = folder(120);
    await sleep(PAST_RACY);
    await versionDataset({ path: data, store, objects });
    await sleep(PAST_RACY);
    await versionDataset({ path: data, store, objects });
    const old = new Date(Date.now() - 2 * 3600_000);
    const pack = join(
      objects.dir,
      'packs',
      readdirSync(join(objects.dir, 'packs')).find((f) => f.endsWith('.pack')) as string,
    );
    utimesSync(pack, old, old);
    await sleep(PAST_RACY);
    // Trusted again with the pack's new times (one more run: the utimes above is a change like any other).
    await versionDataset({ path: data, store, objects });
    expect((await versionCountingStore({ path: data, store, objects })).storedOrVerified).toBe(0);
    // A new version (one file changed) reuses the 119 other objects: their pack is freshened, not re-read next time.
    writeFileSync(join(data, 'f0000.txt'), 'changed once');
    const second = await versionCountingStore({ path: data, store, objects });
    expect(second.v.created).toBe(true);
    expect(statSync(pack).mtimeMs).toBeGreaterThan(Date.now() - 3600_000);
    expect(second.storedOrVerified).toBe('changed once'.length);
    writeFileSync(join(data, 'f0000.txt'), 'changed twice');
    const third = await versionCountingStore({ path: data, store, objects });
    expect(third.v.created).toBe(true);
    expect(third.storedOrVerified).toBe('changed twice'.length);
  });
});

describe('corruption is never hidden by the stat cache', () => {
  /** A folder versioned until both its files and its objects are trusted by the cache. */
  async function trustedFolder() {
    const s = folder(120);
    await sleep(PAST_RACY);
    const v = await versionDataset({ path: s.data, store, objects: s.objects });
    await sleep(PAST_RACY);
    await versionDataset({ path: s.data, store, objects: s.objects });
    const again = await versionCountingStore({ path: s.data, store, objects: s.objects });
    expect(again.storedOrVerified).toBe(0);
    return { ...s, v };
  }
  const packOf = (dir: string) => {
    const packs = join(dir, 'objects', 'packs');
    return join(packs, readdirSync(packs).find((f) => f.endsWith('.pack')) as string);
  };
  function rotInPack(pack: string, bytes: Buffer) {
    const at = readFileSync(pack).indexOf(bytes);
    expect(at).toBeGreaterThanOrEqual(0);
    chmodSync(pack, 0o644);
    const fd = openSync(pack, 'r+');
    writeSync(fd, Buffer.alloc(bytes.length, 0x58), 0, bytes.length, at);
    closeSync(fd);
  }
  /** Rewrites the stat cache (with a valid checksum): `edit` gets and returns its JSON body. */
  function forgeCache(dir: string, edit: (body: Record<string, unknown>) => Record<string, unknown>) {
    const state = join(dir, 'objects', 'state');
    const file = join(state, readdirSync(state).find((f) => f.startsWith('stat-cache-')) as string);
    const text = readFileSync(file, 'utf8');
    const body = JSON.stringify(edit(JSON.parse(text.slice(0, text.lastIndexOf('\n', text.length - 2)))));
    writeFileSync(file, `${body}\n${createHash('sha256').update(body).digest('hex')}\n`);
  }

  it('a damaged pack changes its identity: versionDataset re-verifies and repairs, status --verify reports', async () => {
    const { dir, data, objects } = await trustedFolder();
    const victim = readFileSync(join(data, 'f0002.txt'));
    rotInPack(packOf(dir), victim);
    const status = await datasetStatus({ pointer: `${data}.mlops.json`, objects, verify: true });
    expect(status.corrupted).toEqual([{ path: 'corpus/f0002.txt', digest: sha(victim), store: 'local' }]);
    const again = await versionDataset({ path: data, store, objects });
    expect(again.repaired).toEqual([sha(victim)]);
    expect(again.hashed.files).toBe(1); // the source file, read to rewrite its object
    expect((await datasetStatus({ pointer: `${data}.mlops.json`, objects, verify: true })).corrupted).toEqual([]);
  });

  it('status --verify bypasses the cache: damage the cache vouches for (same stat) is still reported', async () => {
    const { dir, data, objects } = await trustedFolder();
    const pointer = `${data}.mlops.json`;
    const victim = readFileSync(join(data, 'sub', 'f0003.txt'));
    const pack = packOf(dir);
    rotInPack(pack, victim);
    // Bit rot leaves no trace in a stat: make the cache vouch for the damaged pack's new identity, as it would have.
    const st = statSync(pack, { bigint: true });
    forgeCache(dir, (body) => ({
      ...body,
      identities: [`${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`],
      objects: (body.objects as [string, number, number][]).map(([d]) => [d, 0, Date.now() + 60_000]),
    }));
    // The cache trusts the pack (versioning does not re-read it)...
    expect((await versionDataset({ path: data, store, objects })).repaired).toEqual([]);
    // ...but --verify reads every object.
    const status = await datasetStatus({ pointer, objects, verify: true });
    expect(status).toMatchObject({ verified: true, local: false });
    expect(status.corrupted).toEqual([{ path: 'corpus/sub/f0003.txt', digest: sha(victim), store: 'local' }]);
  });

  it('status --verify hashes every working file: a change the cache vouches for is still reported', async () => {
    const { dir, data, objects } = await trustedFolder();
    const pointer = `${data}.mlops.json`;
    const file = join(data, 'f0004.txt');
    const original = readFileSync(file);
    writeFileSync(file, Buffer.alloc(original.length, 0x2a));
    // Make the cache claim the edited file is the original (as a change within the timestamp tick would).
    const st = statSync(file, { bigint: true });
    forgeCache(dir, (body) => ({
      ...body,
      files: (body.files as [string, string, string, number][]).map((r) =>
        r[0] === 'f0004.txt'
          ? [r[0], `${st.size}:${st.ino}:${st.mtimeNs}:${st.ctimeNs}`, r[2], Date.now() + 60_000]
          : r,
      ),
    }));
    const quick = await datasetStatus({ pointer, objects });
    expect(quick.files.find((f) => f.path === 'corpus/f0004.txt')?.state).toBe('unchanged');
    const full = await datasetStatus({ pointer, objects, verify: true });
    expect(full.state).toBe('modified');
    expect(full.files.find((f) => f.path === 'corpus/f0004.txt')?.state).toBe('modified');
  });
});
