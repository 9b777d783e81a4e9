import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { isMlopsError, MlopsError } from '../errors.js';
import { freshenObjects, putFileObject, putObjects } from '../objects/batch.js';
import { checkObjects } from '../objects/check.js';
import { hashCopyFile } from '../objects/file-io.js';
import type { FsObjectLocation, FsObjectStore } from '../objects/fs.js';
import type { Digest, ObjectState, ObjectStore, PutManyItem } from '../objects/object-store.js';
import type { Progress } from '../progress.js';
import { type FileIdentity, identityOf, type StatCache } from './stat-cache.js';
import { createTabularStats, type FileStats, tabularFormat } from './stats.js';

/** Files up to this size are read whole, synchronously, in batches; larger ones are streamed one at a time. */
export const SMALL_FILE = 4 << 20;
const BATCH_FILES = 2048;
const BATCH_BYTES = 64 << 20;
const SLICE = 256;

const yieldToLoop = () => new Promise<void>((r) => setImmediate(r));

/** One file being versioned. */
export interface FileItem {
  /** Path in the manifest (relative, POSIX), or the file name for a single file. */
  rel: string;
  abs: string;
  /** The stat taken when the folder was scanned. */
  id: FileIdentity;
  /** Compute tabular statistics for it (one of the first `maxTabularFiles` CSV/TSV/JSONL files). */
  wantStats: boolean;
  digest?: Digest;
  /** Bytes hashed (or the stat's size, for a file the stat cache vouched for). */
  size: number;
  /** The digest came from the stat cache (the file was not read). */
  cached?: boolean;
  /** Its stat may go into the stat cache (false when it changed while it was read). */
  cacheable?: boolean;
  stats?: FileStats;
}

/** Context of {@link storeFiles}. */
export interface StoreFilesContext {
  objects: ObjectStore;
  cache: StatCache | undefined;
  verifyStored: boolean;
  distinctCap: number | undefined;
  hashing: Progress;
  storing: Progress;
  signal: AbortSignal | undefined;
  /** Damaged objects rewritten. */
  repaired: Digest[];
  /** Files read and hashed this run (the stat cache vouched for the others), and their bytes. */
  hashed: { files: number; bytes: number };
}

const aborted = (signal: AbortSignal) =>
  new MlopsError('ABORTED', { message: 'versioning aborted', cause: signal.reason });

/**
 * Stats every path (bigint: ns timestamps and inodes for the stat cache), synchronously in slices: thousands of
 * `fs.promises.stat` calls cost several times more. Each stat is reduced to its cache identity at once (20,000 stat
 * objects kept alive would keep the garbage collector busy). A file that vanished since it was listed is a `CONFLICT`.
 */
export async function statFiles(paths: readonly string[], signal?: AbortSignal): Promise<FileIdentity[]> {
  const out: FileIdentity[] = [];
  for (let i = 0; i < paths.length; i++) {
    if (i % SLICE === SLICE - 1) {
      await yieldToLoop();
      if (signal?.aborted) throw aborted(signal);
    }
    const st = statSync(paths[i] as string, { bigint: true, throwIfNoEntry: false });
    if (!st?.isFile()) {
      throw new MlopsError('CONFLICT', {
        message: `${paths[i]} changed while it was being versioned (it is gone or no longer a file); try again`,
        details: { path: paths[i] },
      });
    }
    out.push(identityOf(st));
  }
  return out;
}

/** Reads a small file whole (synchronously: one open, read and close). */
function readSmall(abs: string, size: number): Buffer {
  const fd = openSync(abs, 'r');
  try {
    let buf = Buffer.allocUnsafe(size + 1);
    let n = 0;
    for (;;) {
      if (n === buf.length) {
        const bigger = Buffer.allocUnsafe(buf.length * 2);
        buf.copy(bigger, 0, 0, n);
        buf = bigger;
      }
      const r = readSync(fd, buf, n, buf.length - n, n);
      if (r === 0) break;
      n += r;
    }
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

const sha256 = (b: Uint8Array): Digest => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** Tabular statistics of bytes in memory. */
async function statsOfBytes(rel: string, bytes: Buffer, digest: Digest, distinctCap?: number): Promise<FileStats> {
  const format = tabularFormat(rel);
  if (!format) return { format: 'binary', size: bytes.length, digest };
  const sink = createTabularStats(format, distinctCap);
  await sink.write(bytes);
  const res = await sink.finish();
  return 'error' in res
    ? { format, size: bytes.length, digest, error: res.error }
    : { format, size: bytes.length, digest, ...res };
}

/**
 * Tabular statistics of a file the stat cache vouched for (it was not read this run): read now, and hashed on the way
 * to make sure they describe the bytes of the version (`CONFLICT` when the file changed).
 */
export async function statsOfFile(item: FileItem, distinctCap?: number, signal?: AbortSignal): Promise<FileStats> {
  const format = tabularFormat(item.rel);
  const digest = item.digest as Digest;
  if (!format) return { format: 'binary', size: item.size, digest };
  const sink = createTabularStats(format, distinctCap);
  const { hash, size } = await hashCopyFile(item.abs, {
    onChunk: (c) => sink.write(Buffer.from(c)),
    ...(signal ? { signal } : {}),
  });
  const res = await sink.finish();
  if (`sha256:${hash.toString('hex')}` !== digest) {
    throw new MlopsError('CONFLICT', {
      message: `${item.abs} changed while it was being versioned; try again`,
      details: { path: item.abs },
    });
  }
  return 'error' in res ? { format, size, digest, error: res.error } : { format, size, digest, ...res };
}

/**
 * Decides which stored objects can be trusted, in order: missing; of the wrong size (corrupted, without reading);
 * vouched for by the stat cache (the file holding it unchanged since it was verified or written); else, with
 * `verifyStored`, read and checked against its digest. Objects verified here are recorded in the cache with the
 * identity taken before they were read.
 */
export async function objectStates(
  ctx: StoreFilesContext,
  wanted: readonly { digest: Digest; size: number }[],
): Promise<ObjectState[]> {
  const { objects, cache } = ctx;
  const fsObjects = typeof (objects as FsObjectStore).inspect === 'function' ? (objects as FsObjectStore) : undefined;
  if (!fsObjects) {
    return checkObjects(objects, wanted, {
      verify: ctx.verifyStored,
      onBytes: (n) => ctx.storing.tick(n),
      ...(ctx.signal ? { signal: ctx.signal } : {}),
    });
  }
  const checkedAt = Date.now();
  const locs = await fsObjects.inspect(wanted.map((w) => w.digest));
  const states: ObjectState[] = [];
  const toVerify: number[] = [];
  wanted.forEach((w, i) => {
    const loc = locs[i];
    if (!loc) states[i] = 'missing';
    else if (loc.size !== w.size) states[i] = 'corrupted';
    else if (cache?.objectTrusted(w.digest, loc)) {
      states[i] = 'intact';
      cache.keepObject(w.digest);
    } else if (!ctx.verifyStored) states[i] = 'intact';
    else toVerify.push(i);
  });
  if (toVerify.length > 0) {
    const verified = await fsObjects.checkMany(
      toVerify.map((i) => wanted[i] as { digest: Digest; size: number }),
      { verify: true, onBytes: (n) => ctx.storing.tick(n), ...(ctx.signal ? { signal: ctx.signal } : {}) },
    );
    toVerify.forEach((i, k) => {
      states[i] = verified[k] as ObjectState;
      if (states[i] === 'intact')
        cache?.recordObject((wanted[i] as { digest: Digest }).digest, locs[i] as FsObjectLocation, checkedAt);
    });
  }
  return states;
}

/** Records the objects just written in the stat cache (their files are racy now: they are verified once more next time). */
/** A file whose bytes no longer hash to the digest taken when it was read is a `CONFLICT` (try again), not damage. */
function changedWhileVersioned(err: unknown, abs: string): unknown {
  if (!isMlopsError(err, 'CHECKSUM_MISMATCH')) return err;
  return new MlopsError('CONFLICT', { message: `${abs} changed while it was being versioned; try again`, cause: err });
}

async function recordWritten(ctx: StoreFilesContext, digests: Digest[]): Promise<void> {
  const fsObjects = ctx.objects as FsObjectStore;
  if (!ctx.cache || digests.length === 0 || typeof fsObjects.inspect !== 'function') return;
  const checkedAt = Date.now();
  const locs = await fsObjects.inspect(digests);
  digests.forEach((d, i) => {
    const loc = locs[i];
    if (loc) ctx.cache?.recordObject(d, loc, checkedAt);
  });
}

/**
 * Gives every item its digest and makes sure its object is stored intact: digests come from the stat cache or from
 * reading the file once (small files whole, synchronously and in batches; big files streamed, hashed while they are
 * copied into the store when they are new); stored objects are checked by {@link objectStates}; missing and damaged
 * ones are written through `putMany` (an fsObjectStore packs small ones and flushes once) or `putFile`. When it
 * returns, every object is stored as durably as the store makes a put.
 */
export async function storeFiles(ctx: StoreFilesContext, items: FileItem[]): Promise<void> {
  const { cache, signal } = ctx;
  // 1. The stat cache.
  for (const it of items) {
    const d = cache?.fileDigest(it.rel, it.id);
    if (!d) continue;
    it.digest = d;
    it.size = it.id.size;
    it.cached = true;
    it.cacheable = true;
    ctx.hashing.tick(it.size);
  }
  const small = items.filter((it) => it.id.size <= SMALL_FILE);
  const big = items.filter((it) => it.id.size > SMALL_FILE);

  // 2. Small files, in batches: read the ones the cache did not vouch for, check the objects, write what is needed.
  const repairedSet = new Set<Digest>();
  const written: Digest[] = [];
  async function* writes(): AsyncGenerator<PutManyItem> {
    const planned = new Set<Digest>();
    for (let start = 0; start < small.length; ) {
      if (signal?.aborted) throw aborted(signal);
      const batch: FileItem[] = [];
      let bytes = 0;
      while (start < small.length && batch.length < BATCH_FILES && bytes < BATCH_BYTES) {
        const it = small[start++] as FileItem;
        batch.push(it);
        if (!it.cached) bytes += it.id.size;
      }
      const contents = new Map<FileItem, Buffer>();
      for (let k = 0; k < batch.length; k++) {
        const it = batch[k] as FileItem;
        if (it.cached) continue;
        if (k % SLICE === SLICE - 1) await yieldToLoop();
        const buf = readSmall(it.abs, it.id.size);
        it.digest = sha256(buf);
        it.size = buf.length;
        it.cacheable = buf.length === it.id.size;
        contents.set(it, buf);
        ctx.hashing.tick(buf.length);
        ctx.hashed.files++;
        ctx.hashed.bytes += buf.length;
        if (it.wantStats) it.stats = await statsOfBytes(it.rel, buf, it.digest, ctx.distinctCap);
      }
      // Object states of this batch (each digest once; objects already planned for writing are skipped).
      const unique = new Map<Digest, number>();
      for (const it of batch) {
        const d = it.digest as Digest;
        if (!planned.has(d) && !unique.has(d)) unique.set(d, it.size);
      }
      const wanted = [...unique].map(([digest, size]) => ({ digest, size }));
      let states = await objectStates(ctx, wanted);
      let pending = wanted.map((w, i) => ({ ...w, state: states[i] as ObjectState }));
      // Files the cache vouched for are read only when their object must be written; one that no longer hashes to
      // the cached digest changed within the timestamp granularity: it gets its new digest, checked like the others.
      for (let round = 0; pending.length > 0 && round < 2; round++) {
        const holders = new Map<Digest, FileItem[]>();
        for (const it of batch) {
          const list = holders.get(it.digest as Digest);
          if (list) list.push(it);
          else holders.set(it.digest as Digest, [it]);
        }
        const recheck = new Map<Digest, number>();
        for (const w of pending) {
          if (w.state === 'intact') continue;
          let body: Buffer | undefined;
          for (const it of holders.get(w.digest) ?? []) {
            let buf = contents.get(it);
            if (!buf) {
              buf = readSmall(it.abs, it.id.size);
              contents.set(it, buf);
              ctx.hashed.files++;
              ctx.hashed.bytes += buf.length;
              const actual = sha256(buf);
              if (actual !== it.digest) {
                it.digest = actual;
                it.size = buf.length;
                it.cached = false;
                it.cacheable = false;
                if (!planned.has(actual)) recheck.set(actual, buf.length);
                continue;
              }
            }
            body = buf;
          }
          if (!body || planned.has(w.digest)) continue;
          planned.add(w.digest);
          if (w.state === 'corrupted') repairedSet.add(w.digest);
          written.push(w.digest);
          ctx.storing.tick(body.length);
          yield { body, expectedDigest: w.digest };
        }
        if (recheck.size === 0) break;
        const again = [...recheck].map(([digest, size]) => ({ digest, size }));
        states = await objectStates(ctx, again);
        pending = again.map((w, i) => ({ ...w, state: states[i] as ObjectState }));
      }
    }
  }
  await putObjects(ctx.objects, writes(), signal ? { signal } : {});
  await recordWritten(ctx, written);

  // 3. Big files, one at a time.
  for (const it of big) {
    if (signal?.aborted) throw aborted(signal);
    // Statistics are computed while the file is read; one the cache vouched for is read for them later, if needed.
    const sink = it.wantStats && !it.cached ? tabularFormat(it.rel) : undefined;
    const stats = sink ? createTabularStats(sink, ctx.distinctCap) : undefined;
    const onChunk = (c: Buffer) => {
      ctx.hashing.tick(c.length);
      return stats?.write(Buffer.from(c));
    };
    if (!it.cached && cache && !cache.knows(it.rel)) {
      // A new file: hash it while copying it into the store (one read, one write, an atomic rename).
      const res = await putFileObject(ctx.objects, it.abs, {
        onChunk: (c) => {
          ctx.storing.tick(c.length);
          return onChunk(c);
        },
        ...(signal ? { signal } : {}),
      });
      it.digest = res.digest;
      it.size = res.size;
      it.cacheable = res.size === it.id.size;
      ctx.hashed.files++;
      ctx.hashed.bytes += res.size;
      written.push(res.digest);
      await recordWritten(ctx, [res.digest]);
    } else {
      if (!it.cached) {
        // Known path (or no cache): hash first, the object is probably stored already.
        const { hash, size } = await hashCopyFile(it.abs, { onChunk, ...(signal ? { signal } : {}) });
        it.digest = `sha256:${hash.toString('hex')}`;
        it.size = size;
        it.cacheable = size === it.id.size;
        ctx.hashed.files++;
        ctx.hashed.bytes += size;
      }
      const [state] = await objectStates(ctx, [{ digest: it.digest as Digest, size: it.size }]);
      if (state !== 'intact') {
        try {
          await putFileObject(ctx.objects, it.abs, {
            expectedDigest: it.digest as Digest,
            onChunk: (c) => {
              ctx.storing.tick(c.length);
            },
            ...(signal ? { signal } : {}),
          });
        } catch (err) {
          throw changedWhileVersioned(err, it.abs);
        }
        if (state === 'corrupted') repairedSet.add(it.digest as Digest);
        written.push(it.digest as Digest);
        await recordWritten(ctx, [it.digest as Digest]);
      }
    }
    if (stats && it.digest) {
      const res = await stats.finish();
      const format = tabularFormat(it.rel) as 'csv' | 'tsv' | 'jsonl';
      it.stats =
        'error' in res
          ? { format, size: it.size, digest: it.digest, error: res.error }
          : { format, size: it.size, digest: it.digest, ...res };
    }
  }
  ctx.repaired.push(...repairedSet);
}

export { identityOf };

/** Objects freshened by {@link freshenStored} that the stat cache trusted: re-recorded by {@link settleFreshened}. */
export type FreshenedObjects = { digest: Digest; loc: FsObjectLocation }[];

/**
 * Freshens every object a new version is about to reference (see `ObjectStore.freshen`), just before its references
 * are recorded: an object found stored (reused from an earlier version, or written long ago in a long run) then gets a
 * whole grace period from now, so a garbage collection running meanwhile keeps it. An object gone since it was checked
 * (collected before it was freshened) is stored again from its file (`body` gives the bytes of objects that have no
 * file, e.g. a folder's manifest). Returns the objects the stat cache trusted, to be re-recorded with their new
 * identity (the freshen changed their file's times) by {@link settleFreshened}.
 */
export async function freshenStored(
  ctx: StoreFilesContext,
  digests: readonly Digest[],
  items: readonly FileItem[],
  body: (digest: Digest) => Buffer | undefined,
): Promise<FreshenedObjects> {
  const { objects, cache, signal } = ctx;
  const fsObjects =
    cache && typeof (objects as FsObjectStore).inspect === 'function' ? (objects as FsObjectStore) : undefined;
  const before = fsObjects ? await fsObjects.inspect(digests) : [];
  const present = await freshenObjects(objects, digests, signal ? { signal } : {});
  const after = fsObjects ? await fsObjects.inspect(digests) : [];
  const missing = digests.filter((_, i) => !present[i]);
  for (const d of missing) {
    const bytes = body(d);
    if (bytes) {
      await putObjects(objects, [{ body: bytes, expectedDigest: d }], signal ? { signal } : {});
      continue;
    }
    const it = items.find((x) => x.digest === d);
    if (!it)
      throw new MlopsError('INTERNAL', { message: `object ${d} of the version has no source`, details: { digest: d } });
    try {
      await putFileObject(objects, it.abs, { expectedDigest: d, ...(signal ? { signal } : {}) });
    } catch (err) {
      throw changedWhileVersioned(err, it.abs);
    }
  }
  const out: FreshenedObjects = [];
  if (!cache) return out;
  digests.forEach((d, i) => {
    const b = before[i];
    const a = after[i];
    // Only an object unchanged between the check that trusted it and the freshen keeps the cache's trust.
    if (present[i] && a && b && cache.trustedThisRun(d, b) && a.file === b.file && a.size === b.size) {
      out.push({ digest: d, loc: a });
    }
  });
  return out;
}

/**
 * Re-records in the stat cache the objects {@link freshenStored} freshened, when their file is still as the freshen
 * left it (stat'ed now): the next run trusts them without reading them (see `StatCache.recordFreshened`).
 */
export async function settleFreshened(ctx: StoreFilesContext, freshened: FreshenedObjects): Promise<void> {
  const fsObjects = ctx.objects as FsObjectStore;
  if (!ctx.cache || freshened.length === 0 || typeof fsObjects.inspect !== 'function') return;
  const checkedAt = Date.now();
  const now = await fsObjects.inspect(freshened.map((f) => f.digest));
  freshened.forEach((f, i) => {
    const loc = now[i];
    if (loc && loc.identity === f.loc.identity) ctx.cache?.recordFreshened(f.digest, loc, checkedAt);
  });
}
