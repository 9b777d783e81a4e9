import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join, posix } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { isMlopsError, MlopsError } from '../errors.js';
import { checkObject, type ObjectState } from '../objects/check.js';
import { createHashingTransform, tapBytes } from '../objects/digest.js';
import type { Digest, ObjectStore } from '../objects/object-store.js';
import { createProgress, type Progress, SILENT_PROGRESS } from '../progress.js';
import { hashFile } from './hash.js';
import { listDatasetFiles, RESTORE_TEMP_RE, readManifest } from './manifest.js';
import { type DatasetPointer, dataPathOf, readPointer } from './pointer.js';
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

const counted = (src: Readable, p: Progress) => tapBytes(src, (n) => p.tick(n));

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
  const loaded = await load(opts.pointer, [objects, remote]);
  const wanted = new Map<Digest, { path: string; size?: number }>();
  for (const f of loaded.files) wanted.set(f.digest, { path: f.path, size: f.size });
  if (loaded.pointer.type === 'directory') {
    wanted.set(loaded.pointer.digest as Digest, { path: manifestLabel(loaded.pointer) });
  }
  const missing: Digest[] = [];
  const present: Digest[] = [];
  const repaired: Digest[] = [];
  for (const [d, w] of wanted) {
    const state = await checkObject(remote, d, {
      ...(w.size === undefined ? {} : { size: w.size }),
      verify: opts.verify ?? false,
    });
    if (state === 'intact') present.push(d);
    else missing.push(d);
    if (state === 'corrupted') repaired.push(d);
  }
  for (const d of missing) {
    if (!(await objects.has(d))) throw notFoundObject(d, wanted.get(d)?.path ?? d, objects.name);
  }
  const total = missing.reduce((a, d) => a + (wanted.get(d)?.size ?? 0), 0);
  const p = progressFor(opts.progress, `push ${loaded.pointer.name}`, total);
  let bytes = 0;
  try {
    for (const d of missing) {
      // A put of bytes the remote already has rewrites its copy: this is what repairs a damaged one.
      const res = await remote.put(counted(objects.get(d), p), { expectedDigest: d });
      bytes += res.size;
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

async function fileMatches(target: string, digest: Digest, size: number): Promise<boolean | 'missing'> {
  const st = await stat(target).catch(() => undefined);
  if (!st?.isFile()) return 'missing';
  if (st.size !== size) return false;
  return (await hashFile(target)).digest === digest;
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
  const loaded = await load(opts.pointer, objects ? [objects, remote] : [remote]);
  const repaired: Digest[] = [];
  if (objects && loaded.pointer.type === 'directory') {
    const damaged = loaded.manifestDamaged.includes(objects);
    if (damaged || !(await objects.has(loaded.pointer.digest))) {
      await objects.put(remote.get(loaded.pointer.digest), { expectedDigest: loaded.pointer.digest });
      if (damaged) repaired.push(loaded.pointer.digest as Digest);
    }
  }
  const todo: TrackedFile[] = [];
  const unchanged: string[] = [];
  for (const f of loaded.files) {
    if ((await fileMatches(f.target, f.digest, f.size)) === true) unchanged.push(f.path);
    else todo.push(f);
  }
  // Where each needed object comes from: the cache when it holds a copy of the right size, else the remote.
  const local = new Map<Digest, ObjectState>();
  for (const f of todo) {
    if (objects && !local.has(f.digest)) local.set(f.digest, await checkObject(objects, f.digest, { size: f.size }));
    if (local.get(f.digest) === 'intact') continue;
    if (!(await remote.has(f.digest))) {
      if (local.get(f.digest) === 'corrupted') throw damagedEverywhere(f, objects as ObjectStore, remote);
      throw notFoundObject(f.digest, f.path, remote.name);
    }
  }
  await removeStaleRestoreTemps(loaded.files.map((f) => f.target));
  const total = todo.reduce((a, f) => a + f.size, 0);
  const p = progressFor(opts.progress, `pull ${loaded.pointer.name}`, total);
  const fetched: Digest[] = [];
  const restored: string[] = [];
  let bytes = 0;
  /** Downloads an object into the cache (rewriting a damaged copy there). */
  const fetchIntoCache = async (cache: ObjectStore, f: TrackedFile, damaged: boolean) => {
    await cache.put(remote.get(f.digest), { expectedDigest: f.digest }).catch((err) => {
      throw isMlopsError(err, 'NOT_FOUND') ? notFoundObject(f.digest, f.path, remote.name, err) : err;
    });
    fetched.push(f.digest);
    if (damaged) repaired.push(f.digest);
    local.set(f.digest, 'intact');
  };
  try {
    for (const f of todo) {
      if (!objects) {
        bytes += await restoreFile(counted(remote.get(f.digest), p), f.target);
        fetched.push(f.digest);
      } else {
        const state = local.get(f.digest);
        if (state !== 'intact') await fetchIntoCache(objects, f, state === 'corrupted');
        try {
          bytes += await restoreFile(counted(objects.get(f.digest), p), f.target);
        } catch (err) {
          // The cached copy had the right size but not the right bytes: repair it from the remote, then restore.
          if (!isMlopsError(err, 'CHECKSUM_MISMATCH') || state !== 'intact') throw err;
          if (!(await remote.has(f.digest))) throw damagedEverywhere(f, objects, remote, err);
          await fetchIntoCache(objects, f, true);
          bytes += await restoreFile(counted(objects.get(f.digest), p), f.target);
        }
      }
      restored.push(f.path);
    }
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
   * each) and report those whose bytes do not match their digest in `corrupted`. Without it, objects are checked by
   * size only. The working copy is always hashed.
   * @default false
   */
  verify?: boolean;
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
 * copies are damaged: by size always, by content with `verify`. The working copy's files are always hashed.
 */
export async function datasetStatus(opts: DatasetStatusOptions): Promise<DatasetStatus> {
  const { objects, remote } = opts;
  const verify = opts.verify ?? false;
  const loaded = await load(opts.pointer, remote ? [objects, remote] : [objects]);
  const { pointer } = loaded;
  const corrupted: DatasetCorruptedObject[] = [];
  // Each object is checked once per store, even when several files hold the same bytes.
  const checks = new Map<string, Promise<ObjectState>>();
  const check = (where: DatasetObjectLocation, store: ObjectStore, digest: Digest, size?: number) => {
    const key = `${where}:${digest}`;
    let c = checks.get(key);
    if (!c) {
      c = checkObject(store, digest, { verify, ...(size === undefined ? {} : { size }) });
      checks.set(key, c);
    }
    return c;
  };
  let manifestLocal = true;
  let manifestRemote = true;
  if (pointer.type === 'directory') {
    const d = pointer.digest as Digest;
    const label = manifestLabel(pointer);
    const localState = loaded.manifestDamaged.includes(objects) ? 'corrupted' : await check('local', objects, d);
    manifestLocal = localState === 'intact';
    if (localState === 'corrupted') corrupted.push({ path: label, digest: d, store: 'local' });
    if (remote) {
      const remoteState = loaded.manifestDamaged.includes(remote) ? 'corrupted' : await check('remote', remote, d);
      manifestRemote = remoteState === 'intact';
      if (remoteState === 'corrupted') corrupted.push({ path: label, digest: d, store: 'remote' });
    }
  }
  const files: DatasetFileStatus[] = [];
  for (const f of loaded.files) {
    const m = await fileMatches(f.target, f.digest, f.size);
    const state: DatasetFileState = m === 'missing' ? 'missing' : m ? 'unchanged' : 'modified';
    const localState = await check('local', objects, f.digest, f.size);
    const remoteState = remote ? await check('remote', remote, f.digest, f.size) : undefined;
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
  }
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
