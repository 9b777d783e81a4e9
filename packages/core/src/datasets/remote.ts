import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, stat, unlink } from 'node:fs/promises';
import { dirname, join, posix } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { isMlopsError, MlopsError } from '../errors.js';
import { createHashingTransform, tapBytes } from '../objects/digest.js';
import type { Digest, ObjectStore } from '../objects/object-store.js';
import { createProgress, type Progress, SILENT_PROGRESS } from '../progress.js';
import { hashFile } from './hash.js';
import { listDatasetFiles, readManifest } from './manifest.js';
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
}

const notFoundObject = (digest: string, path: string, where: string, cause?: unknown) =>
  new MlopsError('NOT_FOUND', {
    message: `object ${digest} for ${path} is missing from ${where}`,
    details: { digest, path, store: where },
    ...(cause ? { cause } : {}),
  });

/** Reads the pointer and the file list (a folder's manifest from the first store that has it, verified). */
async function load(pointerPath: string, sources: ObjectStore[]): Promise<Loaded> {
  const pointer = await readPointer(pointerPath);
  const dataPath = dataPathOf(pointerPath, pointer);
  if (pointer.type === 'file') {
    return {
      pointer,
      dataPath,
      files: [{ path: pointer.path, target: dataPath, digest: pointer.digest as Digest, size: pointer.size }],
    };
  }
  let source: ObjectStore | undefined;
  for (const s of sources) {
    if (await s.has(pointer.digest)) {
      source = s;
      break;
    }
  }
  if (!source) {
    throw notFoundObject(pointer.digest, `the manifest of ${pointer.path}/`, sources.map((s) => s.name).join(', '));
  }
  const manifest = await readManifest(source, pointer.digest);
  return {
    pointer,
    dataPath,
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
   * Upload progress in bytes; `false` for none.
   * @default `{ mode: 'auto' }` for 32 MiB or more
   */
  progress?: false | DatasetProgressOptions;
}

/** What {@link pushDataset} did. */
export interface PushDatasetResult {
  name: string;
  version: string;
  /** Objects uploaded. */
  uploaded: Digest[];
  /** Objects the remote already had. */
  present: Digest[];
  /** Bytes uploaded. */
  bytes: number;
}

/**
 * Uploads the objects of a dataset version that the remote lacks (files first, a folder's manifest last), each
 * verified on both sides. `NOT_FOUND` names the digest and path of an object missing locally.
 *
 * @example
 * await pushDataset({ pointer: 'data/tickets.csv.mlops.json', objects, remote: fsObjectStore({ dir: '/mnt/remote' }) });
 */
export async function pushDataset(opts: PushDatasetOptions): Promise<PushDatasetResult> {
  const { objects, remote } = opts;
  const loaded = await load(opts.pointer, [objects, remote]);
  const wanted = new Map<Digest, { path: string; size: number }>();
  for (const f of loaded.files) wanted.set(f.digest, { path: f.path, size: f.size });
  if (loaded.pointer.type === 'directory') {
    wanted.set(loaded.pointer.digest as Digest, { path: `the manifest of ${loaded.pointer.path}/`, size: 0 });
  }
  const missing: Digest[] = [];
  const present: Digest[] = [];
  for (const d of wanted.keys()) {
    if (await remote.has(d)) present.push(d);
    else missing.push(d);
  }
  for (const d of missing) {
    if (!(await objects.has(d))) throw notFoundObject(d, wanted.get(d)?.path ?? d, objects.name);
  }
  const total = missing.reduce((a, d) => a + (wanted.get(d)?.size ?? 0), 0);
  const p = progressFor(opts.progress, `push ${loaded.pointer.name}`, total);
  let bytes = 0;
  try {
    for (const d of missing) {
      const res = await remote.put(counted(objects.get(d), p), { expectedDigest: d });
      bytes += res.size;
    }
    p.done();
  } catch (err) {
    p.fail(err);
    throw err;
  }
  return { name: loaded.pointer.name, version: loaded.pointer.version, uploaded: missing, present, bytes };
}

/** Options of {@link pullDataset}. */
export interface PullDatasetOptions {
  /** Path of the pointer file (`<name>.mlops.json`). */
  pointer: string;
  /** The remote to download from. */
  remote: ObjectStore;
  /**
   * A local object store used as a cache: objects found there are not downloaded, downloaded ones are kept there.
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
  /** Bytes written to the working copy. */
  bytes: number;
}

async function fileMatches(target: string, digest: Digest, size: number): Promise<boolean | 'missing'> {
  const st = await stat(target).catch(() => undefined);
  if (!st?.isFile()) return 'missing';
  if (st.size !== size) return false;
  return (await hashFile(target)).digest === digest;
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
 *
 * @example
 * await pullDataset({ pointer: 'data/tickets.csv.mlops.json', remote, objects });
 */
export async function pullDataset(opts: PullDatasetOptions): Promise<PullDatasetResult> {
  const { remote, objects } = opts;
  const loaded = await load(opts.pointer, objects ? [objects, remote] : [remote]);
  if (objects && loaded.pointer.type === 'directory' && !(await objects.has(loaded.pointer.digest))) {
    await objects.put(remote.get(loaded.pointer.digest), { expectedDigest: loaded.pointer.digest });
  }
  const todo: TrackedFile[] = [];
  const unchanged: string[] = [];
  for (const f of loaded.files) {
    if ((await fileMatches(f.target, f.digest, f.size)) === true) unchanged.push(f.path);
    else todo.push(f);
  }
  const fromLocal = new Set<Digest>();
  for (const f of todo) {
    if (objects && (await objects.has(f.digest))) fromLocal.add(f.digest);
    else if (!(await remote.has(f.digest))) throw notFoundObject(f.digest, f.path, remote.name);
  }
  const total = todo.reduce((a, f) => a + f.size, 0);
  const p = progressFor(opts.progress, `pull ${loaded.pointer.name}`, total);
  const fetched: Digest[] = [];
  const restored: string[] = [];
  let bytes = 0;
  try {
    for (const f of todo) {
      let source: Readable;
      if (objects) {
        if (!fromLocal.has(f.digest)) {
          await objects.put(remote.get(f.digest), { expectedDigest: f.digest }).catch((err) => {
            throw isMlopsError(err, 'NOT_FOUND') ? notFoundObject(f.digest, f.path, remote.name, err) : err;
          });
          fetched.push(f.digest);
          fromLocal.add(f.digest);
        }
        source = objects.get(f.digest);
      } else {
        source = remote.get(f.digest);
        fetched.push(f.digest);
      }
      bytes += await restoreFile(counted(source, p), f.target);
      restored.push(f.path);
    }
    p.done();
  } catch (err) {
    p.fail(err);
    throw err;
  }
  return { name: loaded.pointer.name, version: loaded.pointer.version, restored, unchanged, fetched, bytes };
}

/** State of one file of the working copy against the version: `added` is in the folder but not in the version. */
export type DatasetFileState = 'unchanged' | 'modified' | 'missing' | 'added';

/** Status of one file. */
export interface DatasetFileStatus {
  /** Relative to the pointer's folder, POSIX separators. */
  path: string;
  state: DatasetFileState;
  /** The version's digest of the file (absent for `added`). */
  digest?: Digest;
  size?: number;
  /** The version's object is in the local object store. */
  local: boolean;
  /** The version's object is on the remote (only when a remote is given). */
  remote?: boolean;
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
}

/** The status of a working copy, like `dvc status`. */
export interface DatasetStatus {
  name: string;
  version: string;
  type: 'file' | 'directory';
  /** `missing` when the data is absent, `modified` when any file differs (or was added/removed), else `unchanged`. */
  state: 'unchanged' | 'modified' | 'missing';
  files: DatasetFileStatus[];
  /** Every object of the version is in the local store. */
  local: boolean;
  /** Every object of the version is on the remote (only when a remote is given). */
  remote?: boolean;
}

/**
 * Compares the working copy with the version its pointer file names (`unchanged | modified | missing` per file, plus
 * `added` files in a folder) and reports where the version's objects are: local store, remote.
 */
export async function datasetStatus(opts: DatasetStatusOptions): Promise<DatasetStatus> {
  const { objects, remote } = opts;
  const loaded = await load(opts.pointer, remote ? [objects, remote] : [objects]);
  const { pointer } = loaded;
  const files: DatasetFileStatus[] = [];
  for (const f of loaded.files) {
    const m = await fileMatches(f.target, f.digest, f.size);
    const state: DatasetFileState = m === 'missing' ? 'missing' : m ? 'unchanged' : 'modified';
    files.push({
      path: f.path,
      state,
      digest: f.digest,
      size: f.size,
      local: await objects.has(f.digest),
      ...(remote ? { remote: await remote.has(f.digest) } : {}),
    });
  }
  const dataStat = await stat(loaded.dataPath).catch(() => undefined);
  if (pointer.type === 'directory' && dataStat?.isDirectory()) {
    const tracked = new Set(loaded.files.map((f) => f.path));
    for (const rel of await listDatasetFiles(loaded.dataPath)) {
      const path = posix.join(pointer.path, rel);
      if (!tracked.has(path)) files.push({ path, state: 'added', local: false, ...(remote ? { remote: false } : {}) });
    }
    files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }
  const dataMissing = pointer.type === 'file' ? !dataStat?.isFile() : !dataStat?.isDirectory();
  const state = dataMissing ? 'missing' : files.every((f) => f.state === 'unchanged') ? 'unchanged' : 'modified';
  const tracked = files.filter((f) => f.state !== 'added');
  const manifestLocal = pointer.type === 'directory' ? await objects.has(pointer.digest) : true;
  const manifestRemote = remote && pointer.type === 'directory' ? await remote.has(pointer.digest) : true;
  return {
    name: pointer.name,
    version: pointer.version,
    type: pointer.type,
    state,
    files,
    local: manifestLocal && tracked.every((f) => f.local),
    ...(remote ? { remote: manifestRemote && tracked.every((f) => f.remote) } : {}),
  };
}
