import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream, lstatSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { mkdir, open, readdir, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join, posix, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { isMlopsError, MlopsError } from '../errors.js';
import { concurrencyOf, mapLimit, putObjects, statObjects } from '../objects/batch.js';
import { checkObjects, type ObjectState } from '../objects/check.js';
import { createHashingTransform, tapBytes } from '../objects/digest.js';
import { hashCopyFile } from '../objects/file-io.js';
import type { Digest, ObjectStore, PutManyItem } from '../objects/object-store.js';
import { createProgress, type Progress, SILENT_PROGRESS } from '../progress.js';
import { listDatasetFiles, RESTORE_TEMP_RE, readManifest } from './manifest.js';
import { type DatasetPointer, dataPathOf, readPointer } from './pointer.js';
import { identityOf, openStatCache, type StatCache, type StatCacheOptions } from './stat-cache.js';
import type { DatasetProgressOptions } from './version.js';

interface TrackedFile {
  /** Path relative to the pointer's folder, POSIX separators (`data.csv`, `images/a.png`). */
  path: string;
  /** Absolute path in the working copy. */
  target: string;
  digest: Digest;
  size: number;
}

interface Loaded {
  pointer: DatasetPointer;
  dataPath: string;
  files: TrackedFile[];
  /** For a folder: the stores whose copy of the manifest was damaged (it was read from a later one). */
  manifestDamaged: ObjectStore[];
}

const manifestLabel = (p: DatasetPointer) => `the manifest of ${p.path}/`;

const notFoundObject = (digest: string, path: string, where: string, cause?: unknown) =>
  new MlopsError('NOT_FOUND', {
    message: `object ${digest} for ${path} is missing from ${where}`,
    details: { digest, path, store: where },
    ...(cause ? { cause } : {}),
  });

/**
 * Reads the pointer and the file list: a folder's manifest comes from the first store with an intact copy (each read is
 * verified); damaged copies are skipped and reported in `manifestDamaged`.
 */
async function load(pointerPath: string, sources: ObjectStore[]): Promise<Loaded> {
  const pointer = await readPointer(pointerPath);
  const dataPath = dataPathOf(pointerPath, pointer);
  if (pointer.type === 'file') {
    return {
      pointer,
      dataPath,
      files: [{ path: pointer.path, target: dataPath, digest: pointer.digest as Digest, size: pointer.size }],
      manifestDamaged: [],
    };
  }
  const manifestDamaged: ObjectStore[] = [];
  let manifest: Awaited<ReturnType<typeof readManifest>> | undefined;
  let damage: unknown;
  for (const s of sources) {
    if (!(await s.has(pointer.digest))) continue;
    try {
      manifest = await readManifest(s, pointer.digest);
      break;
    } catch (err) {
      if (!isMlopsError(err, 'CHECKSUM_MISMATCH')) throw err;
      manifestDamaged.push(s);
      damage ??= err;
    }
  }
  if (!manifest) {
    const where = sources.map((s) => s.name).join(', ');
    if (!damage) throw notFoundObject(pointer.digest, manifestLabel(pointer), where);
    throw new MlopsError('CHECKSUM_MISMATCH', {
      message: `${manifestLabel(pointer)} (${pointer.digest}) is damaged in ${manifestDamaged
        .map((s) => s.name)
        .join(', ')} and no intact copy is available${
        sources.length > manifestDamaged.length ? ` (searched ${where})` : ''
      }: pull it from a remote that has it, or version the folder again`,
      details: { digest: pointer.digest, path: manifestLabel(pointer), store: where },
      cause: damage,
    });
  }
  return {
    pointer,
    dataPath,
    manifestDamaged,
    files: manifest.files.map((f) => ({
      path: posix.join(pointer.path, f.path),
      target: join(dataPath, ...f.path.split('/')),
      digest: f.digest as Digest,
      size: f.size,
    })),
  };
}

function progressFor(opt: false | DatasetProgressOptions | undefined, label: string, total: number): Progress {
  if (opt === false || (opt === undefined && total < 32 << 20)) return SILENT_PROGRESS;
  return createProgress({ mode: 'auto', ...opt, label, total, unit: 'bytes' });
}

const counted = (src: AsyncIterable<Uint8Array>, p: Progress) => tapBytes(src, (n) => p.tick(n));

/**
 * The body of an object to copy to another store: a small one read whole (verified) — far cheaper per object than a
 * stream when there are thousands — a larger one streamed (verified as it flows).
 */
function bodyOf(store: ObjectStore, digest: Digest, size: number | undefined): AsyncIterable<Uint8Array> {
  if (size !== undefined && size <= SMALL_READ) {
    return (async function* () {
      yield await store.readBytes(digest);
    })();
  }
  return store.get(digest);
}

/** Options of {@link pushDataset}. */
export interface PushDatasetOptions {
  /** Path of the pointer file (`<name>.mlops.json`). */
  pointer: string;
  /** The local object store `versionDataset` wrote to. */
  objects: ObjectStore;
  /** The remote to upload to (another fsObjectStore folder, S3 through a plugin…). */
  remote: ObjectStore;
  /**
   * Re-hash the remote's copies of the version's objects (one full download of each) and upload again those whose
   * bytes are wrong. Without it, a remote copy of the wrong size is uploaded again and one of the right size is
   * trusted.
   * @default false
   */
  verify?: boolean;
  /**
   * Upload progress in bytes; `false` for none.
   * @default `{ mode: 'auto' }` for 32 MiB or more
   */
  progress?: false | DatasetProgressOptions;
  /**
   * Objects checked and uploaded at once (requests in flight to an S3 remote; an fsObjectStore remote packs small
   * objects and flushes them once).
   * @default 16
   */
  concurrency?: number;
}

/** What {@link pushDataset} did. */
export interface PushDatasetResult {
  name: string;
  version: string;
  /** Objects uploaded (including `repaired` ones). */
  uploaded: Digest[];
  /** Objects the remote already had, intact. */
  present: Digest[];
  /** Objects the remote had damaged (wrong size, or wrong bytes with `verify`): uploaded again. */
  repaired: Digest[];
  /** Bytes uploaded. */
  bytes: number;
}

/**
 * Uploads the objects of a dataset version that the remote lacks or holds damaged (files first, a folder's manifest
 * last), each verified on both sides. `NOT_FOUND` names the digest and path of an object missing locally.
 *
 * @example
 * await pushDataset({ pointer: 'data/tickets.csv.mlops.json', objects, remote: fsObjectStore({ dir: '/mnt/remote' }) });
 */
export async function pushDataset(opts: PushDatasetOptions): Promise<PushDatasetResult> {
  const { objects, remote } = opts;
  const concurrency = concurrencyOf(opts.concurrency);
  const loaded = await load(opts.pointer, [objects, remote]);
  const wanted = new Map<Digest, { path: string; size?: number }>();
  for (const f of loaded.files) wanted.set(f.digest, { path: f.path, size: f.size });
  const manifestDigest = loaded.pointer.type === 'directory' ? (loaded.pointer.digest as Digest) : undefined;
  if (manifestDigest) wanted.set(manifestDigest, { path: manifestLabel(loaded.pointer) });
  const digests = [...wanted.keys()];
  const states = await checkObjects(
    remote,
    digests.map((d) => ({ digest: d, ...(wanted.get(d)?.size === undefined ? {} : { size: wanted.get(d)?.size }) })),
    { verify: opts.verify ?? false, concurrency },
  );
  const missing: Digest[] = [];
  const present: Digest[] = [];
  const repaired: Digest[] = [];
  digests.forEach((d, i) => {
    const state = states[i];
    if (state === 'intact') present.push(d);
    else missing.push(d);
    if (state === 'corrupted') repaired.push(d);
  });
  const local = await statObjects(objects, missing, { concurrency });
  missing.forEach((d, i) => {
    if (!local[i]) throw notFoundObject(d, wanted.get(d)?.path ?? d, objects.name);
  });
  const total = missing.reduce((a, d) => a + (wanted.get(d)?.size ?? 0), 0);
  const p = progressFor(opts.progress, `push ${loaded.pointer.name}`, total);
  let bytes = 0;
  try {
    // Files first, the manifest last: a remote never holds a manifest whose files it lacks. A put of bytes the
    // remote already has rewrites its copy: this is what repairs a damaged one.
    const files = missing.filter((d) => d !== manifestDigest);
    const items = function* (): Generator<PutManyItem> {
      for (const d of files) yield { body: counted(bodyOf(objects, d, wanted.get(d)?.size), p), expectedDigest: d };
    };
    for (const r of await putObjects(remote, items(), { concurrency })) bytes += r.size;
    if (manifestDigest && missing.includes(manifestDigest)) {
      bytes += (await remote.put(objects.get(manifestDigest), { expectedDigest: manifestDigest })).size;
    }
    p.done();
  } catch (err) {
    p.fail(err);
    throw err;
  }
  return { name: loaded.pointer.name, version: loaded.pointer.version, uploaded: missing, present, repaired, bytes };
}

/** Options of {@link pullDataset}. */
export interface PullDatasetOptions {
  /** Path of the pointer file (`<name>.mlops.json`). */
  pointer: string;
  /** The remote to download from. */
  remote: ObjectStore;
  /**
   * A local object store used as a cache: objects found there are not downloaded, downloaded ones are kept there.
   * A damaged cached object is replaced by the remote's copy (listed in `repaired`).
   * @default undefined (restore straight from the remote)
   */
  objects?: ObjectStore;
  /**
   * Download progress in bytes; `false` for none.
   * @default `{ mode: 'auto' }` for 32 MiB or more
   */
  progress?: false | DatasetProgressOptions;
  /**
   * Objects downloaded and files restored at once.
   * @default 16
   */
  concurrency?: number;
  /**
   * The stat cache `versionDataset` keeps (see its `statCache`): working files it vouches for are not hashed to tell
   * whether they match the version.
   * @default as `versionDataset`: `<objects.dir>/state` when `objects` is an fsObjectStore
   */
  statCache?: false | StatCacheOptions;
}

/** What {@link pullDataset} did. */
export interface PullDatasetResult {
  name: string;
  version: string;
  /** Files written (paths relative to the pointer's folder). */
  restored: string[];
  /** Files already matching the version. */
  unchanged: string[];
  /** Objects downloaded from the remote. */
  fetched: Digest[];
  /** Objects of the local cache that were damaged (wrong size or bytes), replaced by the remote's copy. */
  repaired: Digest[];
  /** Bytes written to the working copy. */
  bytes: number;
}

/**
 * Whether a working file holds the version's bytes: by size, then by the stat cache when it vouches for the file, else
 * by hashing it (small files read whole, synchronously; thousands of promise-based reads cost several times more).
 */
async function fileMatches(f: TrackedFile, rel: string, cache: StatCache | undefined): Promise<boolean | 'missing'> {
  let st: ReturnType<typeof statSync> | undefined;
  try {
    st = statSync(f.target, { bigint: true, throwIfNoEntry: false });
  } catch (err) {
    // A folder on its path is a file now (ENOTDIR): this file is missing.
    if ((err as NodeJS.ErrnoException).code === 'ENOTDIR') return 'missing';
    throw err;
  }
  if (!st?.isFile()) return 'missing';
  if (Number(st.size) !== f.size) return false;
  const cached = cache?.fileDigest(rel, identityOf(st));
  if (cached) return cached === f.digest;
  if (f.size <= SMALL_READ) {
    let fh: Awaited<ReturnType<typeof open>> | undefined;
    try {
      fh = await open(f.target, 'r');
      const buf = Buffer.allocUnsafe(f.size + 1);
      const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
      return (
        bytesRead === f.size &&
        `sha256:${createHash('sha256').update(buf.subarray(0, bytesRead)).digest('hex')}` === f.digest
      );
    } catch {
      return 'missing';
    } finally {
      await fh?.close().catch(() => {});
    }
  }
  const { hash } = await hashCopyFile(f.target);
  return `sha256:${hash.toString('hex')}` === f.digest;
}

const SMALL_READ = 1 << 20;

/** Checks many working files (`concurrency` at a time). */
async function filesMatch(
  files: readonly TrackedFile[],
  loaded: Loaded,
  cache: StatCache | undefined,
  concurrency: number,
): Promise<(boolean | 'missing')[]> {
  const relOf = (f: TrackedFile) =>
    loaded.pointer.type === 'file' ? basename(f.target) : f.path.slice(loaded.pointer.path.length + 1);
  return mapLimit(files, concurrency, (f) => fileMatches(f, relOf(f), cache));
}

/**
 * The files of `todo` whose restore something in the working copy is in the way of: a folder (or other non-file) where
 * the file goes, or a file where one of its folders goes. A pull never removes such data: it refuses the whole pull.
 */
function blockedPaths(loaded: Loaded, pointerPath: string, todo: readonly TrackedFile[]): string[] {
  const top = dirname(resolve(pointerPath));
  const folderOk = new Map<string, boolean>();
  const isFolderOrAbsent = (dir: string): boolean => {
    if (dir === top || dir.length <= top.length) return true;
    let ok = folderOk.get(dir);
    if (ok === undefined) {
      let st: ReturnType<typeof statSync> | undefined;
      try {
        st = statSync(dir, { throwIfNoEntry: false });
        ok = st === undefined || st.isDirectory();
      } catch {
        ok = false; // ENOTDIR: a folder above it is a file
      }
      ok &&= isFolderOrAbsent(dirname(dir));
      folderOk.set(dir, ok);
    }
    return ok;
  };
  if (loaded.pointer.type === 'directory' && !isFolderOrAbsent(resolve(loaded.dataPath))) return [loaded.pointer.path];
  const blocked: string[] = [];
  for (const f of todo) {
    const target = resolve(f.target);
    let st: ReturnType<typeof lstatSync> | undefined;
    try {
      st = lstatSync(target, { throwIfNoEntry: false });
    } catch {
      st = undefined; // ENOTDIR: found by the folder check
    }
    // A file or a symbolic link is replaced by the rename; anything else would be lost or cannot be replaced.
    const inTheWay = st !== undefined && !st.isFile() && !st.isSymbolicLink();
    if (inTheWay || !isFolderOrAbsent(dirname(target))) blocked.push(f.path);
  }
  return blocked;
}

/** A counting semaphore: `acquire` waits for a free slot. */
class Semaphore {
  private free: number;
  private readonly waiting: (() => void)[] = [];
  constructor(slots: number) {
    this.free = slots;
  }
  acquire(): Promise<void> {
    if (this.free > 0) {
      this.free--;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }
  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.free++;
  }
}

/** Temp files of restores older than this are abandoned (a pull killed mid-file): the next pull removes them. */
const RESTORE_TEMP_MAX_AGE_MS = 3_600_000;

/**
 * Removes the temp files that interrupted restores left beside these targets (`<name>.<uuid>.mlops-tmp`), when their
 * modification time is older than an hour (so a pull running at the same time keeps its own). Best effort.
 */
async function removeStaleRestoreTemps(targets: string[]): Promise<void> {
  const byDir = new Map<string, Set<string>>();
  for (const t of targets) {
    const names = byDir.get(dirname(t)) ?? new Set<string>();
    names.add(basename(t));
    byDir.set(dirname(t), names);
  }
  const cutoff = Date.now() - RESTORE_TEMP_MAX_AGE_MS;
  for (const [dir, names] of byDir) {
    const entries = await readdir(dir).catch(() => [] as string[]);
    for (const e of entries) {
      const m = RESTORE_TEMP_RE.exec(e);
      if (!m || !names.has(e.slice(0, m.index))) continue;
      const st = await stat(join(dir, e)).catch(() => undefined);
      if (st?.isFile() && st.mtimeMs <= cutoff) await unlink(join(dir, e)).catch(() => {});
    }
  }
}

/** Streams a verified object to `target` through a temp file + rename, so a bad object never replaces the file. */
async function restoreFile(source: AsyncIterable<Uint8Array>, target: string): Promise<number> {
  await mkdir(dirname(target), { recursive: true });
  const tmp = `${target}.${randomUUID()}.mlops-tmp`;
  const counter = createHashingTransform();
  try {
    await pipeline(source, counter, createWriteStream(tmp, { flags: 'wx' }));
    await rename(tmp, target);
    return counter.bytes;
  } catch (err) {
    await unlink(tmp).catch(() => {});
    throw err;
  }
}

/**
 * Writes verified bytes to `target` through a temp file + rename (the small-object path of a restore). Synchronous:
 * for thousands of small files, promise-based open/write/close/rename cost the event loop several times more CPU than
 * the system calls themselves, which the downloads running beside need.
 */
async function restoreBytes(bytes: Buffer, target: string): Promise<number> {
  const tmp = `${target}.${randomUUID()}.mlops-tmp`;
  try {
    writeFileSync(tmp, bytes, { flag: 'wx' });
    renameSync(tmp, target);
    return bytes.length;
  } catch (err) {
    try {
      unlinkSync(tmp);
    } catch {
      // never created
    }
    throw err;
  }
}

/**
 * Restores one file from a store: small objects are read whole and verified before anything is written, larger ones
 * streamed (verified as they flow; a bad one never replaces the file).
 */
async function restoreFrom(store: ObjectStore, f: TrackedFile, p: Progress): Promise<number> {
  if (f.size <= SMALL_READ) {
    const bytes = await store.readBytes(f.digest);
    p.tick(bytes.length);
    return restoreBytes(bytes, f.target);
  }
  return restoreFile(counted(store.get(f.digest), p), f.target);
}

/**
 * Restores the working copy of a dataset version from its pointer file, like `dvc pull`: files already matching are
 * left alone; the others are downloaded (through the local cache when given), verified, and atomically replaced.
 * Every object is checked to exist before any file is touched (`NOT_FOUND` names the digest and path); a tampered
 * object fails with `CHECKSUM_MISMATCH` and leaves its file as it was; a corrupt pointer file is `INVALID_INPUT`.
 * A damaged object of the local cache (the manifest or a file's) is not an error when the remote has an intact copy:
 * the cache is repaired from the remote and the file restored from it.
 *
 * @example
 * await pullDataset({ pointer: 'data/tickets.csv.mlops.json', remote, objects });
 */
export async function pullDataset(opts: PullDatasetOptions): Promise<PullDatasetResult> {
  const { remote, objects } = opts;
  const concurrency = concurrencyOf(opts.concurrency);
  const loaded = await load(opts.pointer, objects ? [objects, remote] : [remote]);
  const repaired: Digest[] = [];
  if (objects && loaded.pointer.type === 'directory') {
    const damaged = loaded.manifestDamaged.includes(objects);
    if (damaged || !(await objects.has(loaded.pointer.digest))) {
      await objects.put(remote.get(loaded.pointer.digest), { expectedDigest: loaded.pointer.digest });
      if (damaged) repaired.push(loaded.pointer.digest as Digest);
    }
  }
  const cache = objects ? await openStatCache(objects, resolve(loaded.dataPath), opts.statCache) : undefined;
  const matches = await filesMatch(loaded.files, loaded, cache, concurrency);
  const todo: TrackedFile[] = [];
  const unchanged: string[] = [];
  loaded.files.forEach((f, i) => {
    if (matches[i] === true) unchanged.push(f.path);
    else todo.push(f);
  });
  // Where each needed object comes from: the cache when it holds a copy of the right size, else the remote.
  const needed = new Map<Digest, TrackedFile>();
  for (const f of todo) if (!needed.has(f.digest)) needed.set(f.digest, f);
  const digests = [...needed.keys()];
  const local = new Map<Digest, ObjectState>();
  if (objects) {
    const states = await checkObjects(
      objects,
      digests.map((d) => ({ digest: d, size: (needed.get(d) as TrackedFile).size })),
      { concurrency },
    );
    digests.forEach((d, i) => {
      local.set(d, states[i] as ObjectState);
    });
  }
  const fromRemote = digests.filter((d) => local.get(d) !== 'intact');
  const onRemote = await statObjects(remote, fromRemote, { concurrency });
  fromRemote.forEach((d, i) => {
    if (onRemote[i]) return;
    const f = needed.get(d) as TrackedFile;
    if (local.get(d) === 'corrupted') throw damagedEverywhere(f, objects as ObjectStore, remote);
    throw notFoundObject(f.digest, f.path, remote.name);
  });
  const blocked = blockedPaths(loaded, opts.pointer, todo);
  if (blocked.length > 0) {
    throw new MlopsError('CONFLICT', {
      message: `cannot pull ${loaded.pointer.name}: ${blocked.slice(0, 5).join(', ')}${
        blocked.length > 5 ? ` and ${blocked.length - 5} more` : ''
      } ${blocked.length === 1 ? 'is' : 'are'} blocked by a folder where a file goes or a file where a folder goes; move ${
        blocked.length === 1 ? 'it' : 'them'
      } away and pull again (no file of the working copy was written)`,
      details: { paths: blocked },
    });
  }
  await removeStaleRestoreTemps(loaded.files.map((f) => f.target));
  const total = todo.reduce((a, f) => a + f.size, 0);
  const p = progressFor(opts.progress, `pull ${loaded.pointer.name}`, total);
  const fetched: Digest[] = [];
  const restored: string[] = [];
  let bytes = 0;
  const asNotFound = (f: TrackedFile) => (err: unknown) => {
    throw isMlopsError(err, 'NOT_FOUND') ? notFoundObject(f.digest, f.path, remote.name, err) : err;
  };
  try {
    // A folder version with no files still restores its (empty) folder.
    if (loaded.pointer.type === 'directory') await mkdir(loaded.dataPath, { recursive: true });
    for (const d of new Set(todo.map((f) => dirname(f.target)))) await mkdir(d, { recursive: true });
    const filesOf = new Map<Digest, TrackedFile[]>();
    for (const f of todo) filesOf.set(f.digest, [...(filesOf.get(f.digest) ?? []), f]);
    /** Files already restored from the bytes as they were downloaded. */
    const done = new Set<TrackedFile>();
    if (objects && fromRemote.length > 0) {
      // Download what the cache lacks, `concurrency` objects at once (an fsObjectStore cache packs small ones). A small
      // object's files are restored from its verified bytes as soon as they arrive, so writing the working copy
      // overlaps the downloads; waiting for a free slot among the restores slows the downloads down (bounded memory).
      const slots = new Semaphore(concurrency);
      const restoring: Promise<void>[] = [];
      const restoreNow = async (d: Digest, body: Buffer) => {
        await slots.acquire();
        const job = (async () => {
          try {
            for (const f of filesOf.get(d) ?? []) {
              p.tick(body.length);
              bytes += await restoreBytes(body, f.target);
              restored.push(f.path);
              done.add(f);
            }
          } finally {
            slots.release();
          }
        })();
        restoring.push(job);
        job.catch(() => {});
      };
      const items = function* (): Generator<PutManyItem> {
        for (const d of fromRemote) {
          const size = needed.get(d)?.size;
          if (size === undefined || size > SMALL_READ) {
            yield { body: bodyOf(remote, d, size), expectedDigest: d };
            continue;
          }
          const body = (async function* () {
            const verified = await remote.readBytes(d);
            yield verified;
            await restoreNow(d, verified);
          })();
          yield { body, expectedDigest: d };
        }
      };
      try {
        await putObjects(objects, items(), { concurrency }).catch((err) => {
          const d = (err as { details?: { digest?: string } })?.details?.digest as Digest | undefined;
          const f = (d && needed.get(d)) || (needed.get(fromRemote[0] as Digest) as TrackedFile);
          return asNotFound(f)(err);
        });
      } finally {
        // No restore is left running behind a failure.
        await Promise.allSettled(restoring);
      }
      await Promise.all(restoring);
      for (const d of fromRemote) {
        fetched.push(d);
        if (local.get(d) === 'corrupted') repaired.push(d);
        local.set(d, 'intact');
      }
    }
    const refetched = new Map<Digest, Promise<void>>();
    await mapLimit(todo, concurrency, async (f) => {
      if (done.has(f)) return;
      if (!objects) {
        bytes += await restoreFrom(remote, f, p).catch(asNotFound(f));
        fetched.push(f.digest);
      } else {
        try {
          bytes += await restoreFrom(objects, f, p);
        } catch (err) {
          // The cached copy had the right size but not the right bytes: repair it from the remote, then restore.
          if (!isMlopsError(err, 'CHECKSUM_MISMATCH') || fetched.includes(f.digest)) throw err;
          let repair = refetched.get(f.digest);
          if (!repair) {
            repair = (async () => {
              if (!(await remote.has(f.digest))) throw damagedEverywhere(f, objects, remote, err);
              await objects.put(remote.get(f.digest), { expectedDigest: f.digest }).catch(asNotFound(f));
              fetched.push(f.digest);
              repaired.push(f.digest);
            })();
            refetched.set(f.digest, repair);
          }
          await repair;
          bytes += await restoreFrom(objects, f, p);
        }
      }
      restored.push(f.path);
    });
    p.done();
  } catch (err) {
    p.fail(err);
    throw err;
  }
  return { name: loaded.pointer.name, version: loaded.pointer.version, restored, unchanged, fetched, repaired, bytes };
}

const damagedEverywhere = (f: TrackedFile, objects: ObjectStore, remote: ObjectStore, cause?: unknown) =>
  new MlopsError('CHECKSUM_MISMATCH', {
    message: `object ${f.digest} for ${f.path} is damaged in ${objects.name} and missing from ${remote.name}`,
    details: { digest: f.digest, path: f.path, store: objects.name },
    ...(cause ? { cause } : {}),
  });

/** State of one file of the working copy against the version: `added` is in the folder but not in the version. */
export type DatasetFileState = 'unchanged' | 'modified' | 'missing' | 'added';

/** Which copy of an object is damaged: the local object store's or the remote's. */
export type DatasetObjectLocation = 'local' | 'remote';

/** Status of one file. */
export interface DatasetFileStatus {
  /** Relative to the pointer's folder, POSIX separators. */
  path: string;
  state: DatasetFileState;
  /** The version's digest of the file (absent for `added`). */
  digest?: Digest;
  size?: number;
  /** The version's object is in the local object store, intact (by size; by content with `verify`). */
  local: boolean;
  /** The version's object is on the remote, intact (only when a remote is given). */
  remote?: boolean;
  /** Where the version's object is stored damaged (only when it is). */
  corrupted?: DatasetObjectLocation[];
}

/** One damaged stored object found by {@link datasetStatus}. */
export interface DatasetCorruptedObject {
  /** The file it holds (relative to the pointer's folder), or `the manifest of <folder>/`. */
  path: string;
  digest: Digest;
  store: DatasetObjectLocation;
}

/** Options of {@link datasetStatus}. */
export interface DatasetStatusOptions {
  /** Path of the pointer file. */
  pointer: string;
  /** The local object store. */
  objects: ObjectStore;
  /**
   * A remote, to report which objects it has.
   * @default undefined
   */
  remote?: ObjectStore;
  /**
   * Re-hash every object of the version in the local store (and on the remote, when given: one full download of
   * each) and report those whose bytes do not match their digest in `corrupted`, and hash every file of the working
   * copy: the stat cache is not consulted at all. Without it, objects are checked by size only, and working files the
   * stat cache vouches for (see `versionDataset`'s `statCache`) are not read.
   * @default false
   */
  verify?: boolean;
  /**
   * Objects checked at once (requests in flight to an S3 remote).
   * @default 16
   */
  concurrency?: number;
  /**
   * The stat cache used for the working copy when not verifying.
   * @default as `versionDataset`: `<objects.dir>/state` when `objects` is an fsObjectStore
   */
  statCache?: false | StatCacheOptions;
}

/** The status of a working copy, like `dvc status`. */
export interface DatasetStatus {
  name: string;
  version: string;
  type: 'file' | 'directory';
  /** `missing` when the data is absent, `modified` when any file differs (or was added/removed), else `unchanged`. */
  state: 'unchanged' | 'modified' | 'missing';
  files: DatasetFileStatus[];
  /** Every object of the version is in the local store, intact. */
  local: boolean;
  /** Every object of the version is on the remote, intact (only when a remote is given). */
  remote?: boolean;
  /** Whether the stored objects' bytes were checked (`verify`), not just their sizes. */
  verified: boolean;
  /** Damaged stored objects: wrong size, or (with `verify`) wrong bytes. Empty when none was found. */
  corrupted: DatasetCorruptedObject[];
}

/**
 * Compares the working copy with the version its pointer file names (`unchanged | modified | missing` per file, plus
 * `added` files in a folder) and reports where the version's objects are (local store, remote) and which stored
 * copies are damaged: by size always, by content with `verify`. Working files are hashed unless the stat cache
 * vouches for them; with `verify` every file and every object is read.
 */
export async function datasetStatus(opts: DatasetStatusOptions): Promise<DatasetStatus> {
  const { objects, remote } = opts;
  const verify = opts.verify ?? false;
  const loaded = await load(opts.pointer, remote ? [objects, remote] : [objects]);
  const { pointer } = loaded;
  const corrupted: DatasetCorruptedObject[] = [];
  const concurrency = concurrencyOf(opts.concurrency);
  // Each object is checked once per store, even when several files hold the same bytes; all of a store's at once.
  const sizes = new Map<Digest, number | undefined>();
  if (pointer.type === 'directory') sizes.set(pointer.digest as Digest, undefined);
  for (const f of loaded.files) sizes.set(f.digest, f.size);
  const items = [...sizes].map(([digest, size]) => ({ digest, ...(size === undefined ? {} : { size }) }));
  const statesIn = async (store: ObjectStore) => {
    const states = await checkObjects(store, items, { verify, concurrency });
    return new Map(items.map((it, i) => [it.digest, states[i] as ObjectState]));
  };
  const localStates = await statesIn(objects);
  const remoteStates = remote ? await statesIn(remote) : undefined;
  let manifestLocal = true;
  let manifestRemote = true;
  if (pointer.type === 'directory') {
    const d = pointer.digest as Digest;
    const label = manifestLabel(pointer);
    const localState = loaded.manifestDamaged.includes(objects) ? 'corrupted' : localStates.get(d);
    manifestLocal = localState === 'intact';
    if (localState === 'corrupted') corrupted.push({ path: label, digest: d, store: 'local' });
    if (remote) {
      const remoteState = loaded.manifestDamaged.includes(remote) ? 'corrupted' : remoteStates?.get(d);
      manifestRemote = remoteState === 'intact';
      if (remoteState === 'corrupted') corrupted.push({ path: label, digest: d, store: 'remote' });
    }
  }
  const cache = verify ? undefined : await openStatCache(objects, resolve(loaded.dataPath), opts.statCache);
  const matches = await filesMatch(loaded.files, loaded, cache, concurrency);
  const files: DatasetFileStatus[] = [];
  loaded.files.forEach((f, i) => {
    const m = matches[i];
    const state: DatasetFileState = m === 'missing' ? 'missing' : m ? 'unchanged' : 'modified';
    const localState = localStates.get(f.digest);
    const remoteState = remoteStates?.get(f.digest);
    const damagedIn: DatasetObjectLocation[] = [];
    if (localState === 'corrupted') damagedIn.push('local');
    if (remoteState === 'corrupted') damagedIn.push('remote');
    files.push({
      path: f.path,
      state,
      digest: f.digest,
      size: f.size,
      local: localState === 'intact',
      ...(remote ? { remote: remoteState === 'intact' } : {}),
      ...(damagedIn.length ? { corrupted: damagedIn } : {}),
    });
  });
  const dataStat = await stat(loaded.dataPath).catch(() => undefined);
  if (pointer.type === 'directory' && dataStat?.isDirectory()) {
    const tracked = new Set(loaded.files.map((f) => f.path));
    for (const rel of await listDatasetFiles(loaded.dataPath)) {
      const path = posix.join(pointer.path, rel);
      if (!tracked.has(path)) files.push({ path, state: 'added', local: false, ...(remote ? { remote: false } : {}) });
    }
  }
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  for (const where of ['local', 'remote'] as const) {
    for (const f of files) {
      if (f.corrupted?.includes(where)) corrupted.push({ path: f.path, digest: f.digest as Digest, store: where });
    }
  }
  const dataMissing = pointer.type === 'file' ? !dataStat?.isFile() : !dataStat?.isDirectory();
  const state = dataMissing ? 'missing' : files.every((f) => f.state === 'unchanged') ? 'unchanged' : 'modified';
  const tracked = files.filter((f) => f.state !== 'added');
  return {
    name: pointer.name,
    version: pointer.version,
    type: pointer.type,
    state,
    files,
    local: manifestLocal && tracked.every((f) => f.local),
    ...(remote ? { remote: manifestRemote && tracked.every((f) => f.remote) } : {}),
    verified: verify,
    corrupted,
  };
}
