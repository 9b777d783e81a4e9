import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { FsObjectLocation } from '../objects/fs.js';
import type { Digest } from '../objects/object-store.js';
import { type FileIdentity, StatCache } from './stat-cache.js';

const dir = mkdtempSync(join(tmpdir(), 'mlops-stat-cache-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const root = () => `/data/set-${n++}`;

const D = `sha256:${'ab'.repeat(32)}` as Digest;
const E = `sha256:${'cd'.repeat(32)}` as Digest;
const NOW = 1_800_000_000_000; // a fixed "check time" in ms

/** A file identity whose latest change is `ageMs` before NOW. */
function id(ageMs: number, opts: Partial<FileIdentity> = {}): FileIdentity {
  const changedMs = NOW - ageMs;
  return {
    size: 500,
    key: `500:42:${changedMs}000123:${changedMs}000123`,
    changedMs,
    subsecond: true,
    noInode: false,
    ...opts,
  };
}

function loc(ageMs: number, identity = 'ino:1:2:3', subsecond = true): FsObjectLocation {
  return {
    size: 500,
    file: '/objects/packs/p.pack',
    packed: true,
    identity,
    changedNs: BigInt(NOW - ageMs) * 1_000_000n,
    subsecond,
  };
}

async function roundTrip(r: string, fill: (c: StatCache) => void, racyWindowMs?: number): Promise<StatCache> {
  const c = await StatCache.open(dir, r, racyWindowMs === undefined ? {} : { racyWindowMs });
  fill(c);
  await c.save();
  return StatCache.open(dir, r, racyWindowMs === undefined ? {} : { racyWindowMs });
}

describe('StatCache', () => {
  it('vouches for a file whose stat matches an entry older than the racy window', async () => {
    const r = root();
    const c = await roundTrip(r, (c) => c.recordFile('a.bin', id(5_000), D, NOW));
    expect(c.fileDigest('a.bin', id(5_000))).toBe(D);
    expect(c.knows('a.bin')).toBe(true);
    expect(c.knows('b.bin')).toBe(false);
  });

  it('does not vouch when any part of the stat differs (size, inode, mtime or ctime)', async () => {
    const r = root();
    const c = await roundTrip(r, (c) => c.recordFile('a.bin', id(5_000), D, NOW));
    const same = id(5_000);
    for (const key of [
      same.key.replace(/^500:/, '501:'),
      same.key.replace(':42:', ':43:'),
      `${same.key.split(':').slice(0, 2).join(':')}:1:${same.key.split(':')[3]}`,
      `${same.key.split(':').slice(0, 3).join(':')}:1`,
    ]) {
      expect(c.fileDigest('a.bin', { ...same, key })).toBeUndefined();
    }
  });

  it('re-hashes racy entries: changed within the racy window of when the stat was taken', async () => {
    const r = root();
    // The stat was taken at NOW; the file had changed 40 ms before: a change in the same timestamp tick after the
    // stat could leave the same stat behind, so the entry cannot vouch for the file.
    const c = await roundTrip(r, (c) => c.recordFile('racy.bin', id(40), D, NOW));
    expect(c.fileDigest('racy.bin', id(40))).toBeUndefined();
    // A wider window makes older entries racy too; a smaller one trusts them.
    const wide = await roundTrip(root(), (c) => c.recordFile('a.bin', id(5_000), D, NOW), 10_000);
    expect(wide.fileDigest('a.bin', id(5_000))).toBeUndefined();
    const narrow = await roundTrip(root(), (c) => c.recordFile('a.bin', id(40), D, NOW), 10);
    expect(narrow.fileDigest('a.bin', id(40))).toBe(D);
  });

  it('uses a 2 s window for whole-second timestamps, and never trusts an inode of 0 or a future timestamp', async () => {
    const coarse = id(1_500, { subsecond: false });
    const c1 = await roundTrip(root(), (c) => c.recordFile('a.bin', coarse, D, NOW));
    expect(c1.fileDigest('a.bin', coarse)).toBeUndefined();
    const older = id(2_500, { subsecond: false });
    const c2 = await roundTrip(root(), (c) => c.recordFile('a.bin', older, D, NOW));
    expect(c2.fileDigest('a.bin', older)).toBe(D);

    const noInode = id(5_000, { noInode: true });
    const c3 = await roundTrip(root(), (c) => c.recordFile('a.bin', noInode, D, NOW));
    expect(c3.fileDigest('a.bin', noInode)).toBeUndefined();

    const future = id(-60_000);
    const c4 = await roundTrip(root(), (c) => c.recordFile('a.bin', future, D, NOW));
    expect(c4.fileDigest('a.bin', future)).toBeUndefined();
  });

  it('trusts a stored object only while the file holding it keeps its identity, outside the racy window', async () => {
    const r = root();
    const c = await roundTrip(r, (c) => {
      c.recordObject(D, loc(5_000), NOW);
      c.recordObject(E, loc(10), NOW); // just written: racy
    });
    expect(c.objectTrusted(D, loc(5_000))).toBe(true);
    expect(c.objectTrusted(D, loc(5_000, 'ino:1:2:4'))).toBe(false); // the pack was rewritten or touched
    expect(c.objectTrusted(D, undefined)).toBe(false);
    expect(c.objectTrusted(E, loc(10))).toBe(false);
  });

  it('ignores a cache file that is damaged, hand-edited or written for another path', async () => {
    const r = root();
    const c = await StatCache.open(dir, r);
    c.recordFile('a.bin', id(5_000), D, NOW);
    await c.save();
    const file = join(dir, readdirSync(dir).find((f) => c.path.endsWith(f)) as string);
    const text = readFileSync(file, 'utf8');
    expect((await StatCache.open(dir, r)).fileDigest('a.bin', id(5_000))).toBe(D);
    // Another digest for the same file, checksum left alone: not trusted.
    writeFileSync(file, text.replace(D.slice(7), E.slice(7)));
    expect((await StatCache.open(dir, r)).fileDigest('a.bin', id(5_000))).toBeUndefined();
    writeFileSync(file, text.slice(0, 40));
    expect((await StatCache.open(dir, r)).fileDigest('a.bin', id(5_000))).toBeUndefined();
    writeFileSync(file, text);
    expect((await StatCache.open(dir, r)).fileDigest('a.bin', id(5_000))).toBe(D);
  });

  it('keeps what is still in use and drops the rest when saved; rewrites nothing when nothing changed', async () => {
    const r = root();
    const first = await roundTrip(r, (c) => {
      c.recordFile('a.bin', id(5_000), D, NOW);
      c.recordFile('gone.bin', id(5_000), E, NOW);
      c.recordObject(D, loc(5_000), NOW);
    });
    first.recordFile('a.bin', id(5_000), D, NOW + 1_000, true); // vouched for: keeps its older check time
    first.keepObject(D);
    await first.save();
    const second = await StatCache.open(dir, r);
    expect(second.fileDigest('a.bin', id(5_000))).toBe(D);
    expect(second.knows('gone.bin')).toBe(false);
    expect(second.objectTrusted(D, loc(5_000))).toBe(true);
    const before = statSync(second.path).ino;
    second.recordFile('a.bin', id(5_000), D, NOW + 2_000, true);
    second.keepObject(D);
    await second.save();
    // A save writes a temp file and renames it over the cache: the same inode means nothing was written.
    expect(statSync(second.path).ino).toBe(before);
  });

  it('a racy entry read again gets the new check time (and can be trusted next time)', async () => {
    const r = root();
    const c = await roundTrip(r, (c) => c.recordFile('a.bin', id(40), D, NOW));
    expect(c.fileDigest('a.bin', id(40))).toBeUndefined();
    // Read again later (not from the cache): recorded with the later stat time.
    c.recordFile('a.bin', id(40), D, NOW + 1_000, false);
    await c.save();
    const next = await StatCache.open(dir, r);
    expect(next.fileDigest('a.bin', id(40))).toBe(D);
  });

  it('rejects a negative racy window', async () => {
    await expect(StatCache.open(dir, root(), { racyWindowMs: -1 })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });
});
