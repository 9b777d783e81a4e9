import { readFile, stat } from 'node:fs/promises';
import { basename, resolve, sep } from 'node:path';
import { z } from 'zod';
import { MlopsError } from '../errors.js';
import { migrate } from '../migrate.js';
import { putObjects } from '../objects/batch.js';
import { digestHex, digestOf } from '../objects/digest.js';
import type { FsObjectStore } from '../objects/fs.js';
import type { Digest, ObjectStore } from '../objects/object-store.js';
import { recordObjectRefs } from '../objects/refs.js';
import { createProgress, type Progress, type ProgressOptions, SILENT_PROGRESS } from '../progress.js';
import type { Store } from '../store/store.js';
import { invalidInput, zodIssues } from '../validation.js';
import { formatManifest, listDatasetFiles, type ManifestEntry } from './manifest.js';
import { DatasetNameSchema, type DatasetPointer, formatPointer, pointerPathFor, writePointer } from './pointer.js';
import type { FileIdentity } from './stat-cache.js';
import { openStatCache, type StatCacheOptions } from './stat-cache.js';
import { DatasetColumnTypeSchema, type FileStats, FileStatsSchema, tabularFormat } from './stats.js';
import {
  type FileItem,
  type FreshenedObjects,
  freshenStored,
  objectStates,
  type StoreFilesContext,
  settleFreshened,
  statFiles,
  statsOfFile,
  storeFiles,
} from './store-files.js';

/** The schema snapshot of a version: columns and types of its tabular file(s); `null` for other data. */
export const DatasetSchemaSnapshotSchema = z.union([
  z.object({
    format: z.enum(['csv', 'tsv', 'jsonl']),
    columns: z.array(z.object({ name: z.string(), type: DatasetColumnTypeSchema })),
  }),
  z.object({
    format: z.literal('directory'),
    files: z.record(
      z.string(),
      z.object({
        format: z.enum(['csv', 'tsv', 'jsonl']),
        columns: z.array(z.object({ name: z.string(), type: DatasetColumnTypeSchema })),
      }),
    ),
  }),
  z.null(),
]);
/** The schema snapshot of a version. */
export type DatasetSchemaSnapshot = z.infer<typeof DatasetSchemaSnapshotSchema>;

/** The statistics snapshot of a version: a file's, or a folder's with the stats of its tabular files. */
export const DatasetStatsSchema = z.union([
  FileStatsSchema,
  z.object({
    format: z.literal('directory'),
    files: z.number().int().nonnegative(),
    size: z.number().int().nonnegative(),
    /** Statistics of the folder's CSV/TSV/JSONL files (the first `maxTabularFiles` of them), by relative path. */
    tabular: z.record(z.string(), FileStatsSchema),
  }),
]);
/** The statistics snapshot of a version. */
export type DatasetStats = z.infer<typeof DatasetStatsSchema>;

/** A recorded dataset version. `version` is the content hash (hex); `digest` the object holding the file or manifest. */
export interface DatasetVersion {
  name: string;
  version: string;
  digest: Digest;
  type: 'file' | 'directory';
  /** Bytes of the file, or of all files of the folder. */
  size: number;
  /** Number of files, for a folder. */
  files?: number;
  schema: DatasetSchemaSnapshot;
  stats: DatasetStats;
  createdAt: Date;
}

/** How {@link versionDataset} reports hashing progress. */
export type DatasetProgressOptions = Pick<ProgressOptions, 'mode' | 'stream' | 'now' | 'redrawMs' | 'logEveryMs'>;

/** Options of {@link versionDataset}. */
export interface VersionDatasetOptions {
  /** The file or folder to version. */
  path: string;
  /**
   * Dataset name; also names the pointer file `<name>.mlops.json` beside the data.
   * @default basename(path)
   */
  name?: string;
  store: Store;
  /** Where the data (and a folder's manifest) is stored, content-addressed. */
  objects: ObjectStore;
  /**
   * Progress of hashing and storing, in bytes. `false` turns it off; options always report.
   * @default `{ mode: 'auto' }` for data of 32 MiB or more (a line on a TTY, JSON lines otherwise), nothing below
   */
  progress?: false | DatasetProgressOptions;
  /**
   * Compute the statistics snapshot of CSV/TSV/JSONL files.
   * @default true
   */
  stats?: boolean;
  /**
   * Distinct values counted exactly per column; beyond it `distinctCapped` is set.
   * @default 10_000
   */
  distinctCap?: number;
  /**
   * In a folder, how many tabular files get statistics.
   * @default 100
   */
  maxTabularFiles?: number;
  /**
   * Re-hash objects the store already has before trusting them (one full read of each), unless the stat cache vouches
   * for them: the file holding the object (loose file or pack) has the same inode, size, mtime and ctime as when this
   * run or an earlier one verified or wrote it. A stored copy that is damaged (wrong size or wrong bytes) is rewritten
   * from the source file and listed in `repaired`. With `false`, an object of the right size is trusted as is (a
   * damaged one of the wrong size is still rewritten). `datasetStatus({ verify: true })` (`mlops data status
   * --verify`) always re-hashes every object, whatever the cache says.
   * @default true
   */
  verifyStored?: boolean;
  /**
   * The stat cache: files whose path, size, inode, mtime and ctime (ns) match what they had when last hashed are not
   * read again, like git's index and DVC's state database. Entries whose timestamps are within the racy window of when
   * their stat was taken are hashed again (the racy-git rule), and so are files on a file system whose timestamps
   * cannot be trusted (an inode of 0, a timestamp in the future). `false` hashes every file every time.
   * @default `{ dir: '<objects.dir>/state', racyWindowMs: 100 }` for an fsObjectStore; no cache for other stores
   */
  statCache?: false | StatCacheOptions;
  /**
   * Cancels hashing and storing.
   * @default undefined
   */
  signal?: AbortSignal;
}

/** What {@link versionDataset} returns: the version, where its pointer file is, and whether it is new. */
export interface VersionDatasetResult extends DatasetVersion {
  pointerPath: string;
  /** False when this content was already recorded under this name (versioning is idempotent). */
  created: boolean;
  /** Objects that were in the object store but damaged (wrong size or bytes), rewritten from the source files. */
  repaired: Digest[];
  /** Files read and hashed by this call, and their bytes; the stat cache vouched for the other files. */
  hashed: { files: number; bytes: number };
}

const PROGRESS_MIN_BYTES = 32 << 20;
const OWNER_KIND = 'dataset-version';
/** The owner id of a version's object references in `core_object_refs` (`<name>@<version>`). */
export function datasetOwnerId(name: string, version: string): string {
  return `${name}@${version}`;
}

function makeProgress(opts: VersionDatasetOptions, label: string, total: number): Progress {
  if (opts.progress === false) return SILENT_PROGRESS;
  if (opts.progress === undefined && total < PROGRESS_MIN_BYTES) return SILENT_PROGRESS;
  return createProgress({ mode: 'auto', ...opts.progress, label, total, unit: 'bytes' });
}

const schemaOf = (s: FileStats) =>
  s.format !== 'binary' && s.columns
    ? { format: s.format, columns: s.columns.map((c) => ({ name: c.name, type: c.type })) }
    : undefined;

interface VersionRow {
  name: string;
  version: string;
  digest: string;
  type: 'file' | 'directory';
  size: string | number;
  file_count: number | null;
  schema: unknown;
  stats: unknown;
  created_at: Date | string;
}

function rowToVersion(r: VersionRow): DatasetVersion {
  const parse = <T>(schema: z.ZodType<T>, v: unknown, what: string): T => {
    const res = schema.safeParse(typeof v === 'string' ? JSON.parse(v) : v);
    if (!res.success) throw invalidInput(`stored ${what} of dataset ${r.name}@${r.version}`, zodIssues(res.error));
    return res.data;
  };
  return {
    name: r.name,
    version: r.version,
    digest: r.digest as Digest,
    type: r.type,
    size: Number(r.size),
    ...(r.file_count === null || r.file_count === undefined ? {} : { files: Number(r.file_count) }),
    schema: parse(DatasetSchemaSnapshotSchema, r.schema, 'schema'),
    stats: parse(DatasetStatsSchema, r.stats, 'stats'),
    createdAt: new Date(r.created_at),
  };
}

const VERSION_COLUMNS = 'name, version, digest, type, size, file_count, schema, stats, created_at';

/**
 * Versions a file or a folder, like `dvc add`: hashes it (sha256, with progress), copies it into the object store,
 * records the version with a schema and statistics snapshot, and writes the pointer file `<name>.mlops.json` beside
 * the data. A folder gets a manifest (relative paths, digests, sizes) stored as an object; the version id is the hash
 * of the file or of the manifest. Versioning the same content again returns the same version (`created: false`), also
 * when two processes do it at once.
 *
 * Built for many files and big ones: a stat cache (see `statCache`) skips files unchanged since they were last hashed,
 * small files are read whole in batches and stored through `putMany` (an fsObjectStore packs them into one file,
 * flushed once), a new big file is hashed while it is copied, and every object is on disk before the version is
 * recorded.
 *
 * @example
 * const v = await versionDataset({ path: 'data/tickets.csv', store, objects: fsObjectStore() });
 * // v.version === sha256 of the file; data/tickets.csv.mlops.json written
 */
export async function versionDataset(opts: VersionDatasetOptions): Promise<VersionDatasetResult> {
  const path = resolve(opts.path);
  const name = opts.name ?? basename(path);
  const nameCheck = DatasetNameSchema.safeParse(name);
  if (!nameCheck.success) throw invalidInput('invalid dataset name', zodIssues(nameCheck.error));
  const st = await stat(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') {
      throw new MlopsError('NOT_FOUND', { message: `${path} does not exist`, details: { path } });
    }
    throw err;
  });
  if (!st.isFile() && !st.isDirectory()) {
    throw new MlopsError('INVALID_INPUT', {
      message: `${path} is neither a file nor a folder`,
      details: [{ path: 'path', message: 'must be a regular file or a folder' }],
    });
  }
  // The pointer file records the data's name: refuse one it cannot hold now, not after the version is recorded.
  const pathCheck = DatasetNameSchema.safeParse(basename(path));
  if (!pathCheck.success) {
    throw invalidInput(`cannot version ${path}`, [
      { path: 'path', message: `"${basename(path)}" must be a plain file name (no backslash, at most 200 characters)` },
    ]);
  }
  const withStats = opts.stats ?? true;
  const { objects } = opts;
  const isFile = st.isFile();

  // Scan: the stats are taken before anything is read, and `checkedAt` before the stats (the racy-git rule).
  const checkedAt = Date.now();
  const rels = isFile ? [basename(path)] : await listDatasetFiles(path);
  if (!isFile) {
    // A manifest path is portable, so `\` (a separator on Windows) cannot be in one: such a version could be recorded
    // but never pushed, pulled or checked. Refuse it before anything is stored.
    const unportable = rels.filter((rel) => rel.includes('\\'));
    if (unportable.length > 0) {
      throw invalidInput(
        `cannot version ${path}: ${unportable.length} file name(s) contain a backslash; rename them`,
        unportable.slice(0, 20).map((rel) => ({ path: rel, message: 'a file name cannot contain "\\"' })),
      );
    }
  }
  // `rel` is a clean relative POSIX path (listDatasetFiles): joining by hand is far cheaper than 20,000 resolve()s.
  const abs = isFile ? [path] : rels.map((rel) => `${path}${sep}${sep === '/' ? rel : rel.split('/').join(sep)}`);
  const ids = await statFiles(abs, opts.signal);
  const maxTabular = opts.maxTabularFiles ?? 100;
  let tabularLeft = withStats ? (isFile ? 1 : maxTabular) : 0;
  const items: FileItem[] = rels.map((rel, i) => {
    const wantStats = tabularLeft > 0 && tabularFormat(rel) !== undefined;
    if (wantStats) tabularLeft--;
    const id = ids[i] as FileIdentity;
    return { rel, abs: abs[i] as string, id, wantStats, size: id.size };
  });
  const total = items.reduce((a, it) => a + it.id.size, 0);
  const cache = await openStatCache(objects, path, opts.statCache);
  const label = isFile ? name : `${name}/`;
  const hashing = makeProgress(opts, `hash ${label}`, total);
  const storing = makeProgress(opts, `store ${label}`, total);
  const repaired: Digest[] = [];
  const ctx: StoreFilesContext = {
    objects,
    cache,
    verifyStored: opts.verifyStored ?? true,
    distinctCap: opts.distinctCap,
    hashing,
    storing,
    signal: opts.signal,
    repaired,
    hashed: { files: 0, bytes: 0 },
  };
  try {
    await storeFiles(ctx, items);
  } catch (err) {
    hashing.fail(err);
    storing.fail(err);
    throw err;
  }
  hashing.done();

  let digest: Digest;
  let manifestBody: Buffer | undefined;
  const refs = new Set<Digest>();
  for (const it of items) refs.add(it.digest as Digest);
  if (isFile) {
    digest = (items[0] as FileItem).digest as Digest;
  } else {
    const entries: ManifestEntry[] = items.map((it) => ({ path: it.rel, digest: it.digest as Digest, size: it.size }));
    const manifest = Buffer.from(formatManifest(entries));
    manifestBody = manifest;
    digest = digestOf(manifest);
    // The manifest is an object like the others: checked (through the stat cache), and written when needed.
    const [state] = await objectStates(ctx, [{ digest, size: manifest.length }]);
    if (state !== 'intact') {
      await putObjects(objects, [{ body: manifest, expectedDigest: digest }]);
      if (state === 'corrupted') repaired.push(digest);
      const fsObjects = objects as FsObjectStore;
      if (cache && typeof fsObjects.inspect === 'function') {
        const at = Date.now();
        const [loc] = await fsObjects.inspect([digest]);
        if (loc) cache.recordObject(digest, loc, at);
      }
    }
    refs.add(digest);
  }
  storing.done();

  const version = digestHex(digest);
  const store = opts.store;
  await migrate(store, { areas: ['dataset-versions'] });
  const size = items.reduce((a, it) => a + it.size, 0);
  // Already recorded (the usual case when nothing changed): no statistics to compute, no references to add.
  let row = (
    await store.query<VersionRow>(
      `SELECT ${VERSION_COLUMNS} FROM core_dataset_versions WHERE name = $1 AND version = $2`,
      [name, version],
    )
  )[0];
  let created = false;
  let freshened: FreshenedObjects = [];
  if (!row) {
    for (const it of items) {
      if (it.wantStats && !it.stats) it.stats = await statsOfFile(it, opts.distinctCap, opts.signal);
    }
    let schema: DatasetSchemaSnapshot;
    let snapshot: DatasetStats;
    if (isFile) {
      const it = items[0] as FileItem;
      snapshot = it.stats ?? { format: 'binary', size: it.size, digest: it.digest as Digest };
      schema = schemaOf(snapshot) ?? null;
    } else {
      const tabular: Record<string, FileStats> = {};
      const tabularSchema: Record<string, NonNullable<ReturnType<typeof schemaOf>>> = {};
      for (const it of items) {
        if (!it.stats || it.stats.format === 'binary') continue;
        tabular[it.rel] = it.stats;
        const s = schemaOf(it.stats);
        if (s) tabularSchema[it.rel] = s;
      }
      schema = { format: 'directory', files: tabularSchema };
      snapshot = { format: 'directory', files: items.length, size, tabular };
    }
    const ownerId = datasetOwnerId(name, version);
    // Objects found stored were not rewritten: freshen them all now, so that a garbage collection running before the
    // references below are committed keeps them (it deletes only objects older than its grace period).
    freshened = await freshenStored(ctx, [...refs], items, (d) => (d === digest ? manifestBody : undefined));
    const res = await store.transaction(async (tx) => {
      await tx.query('INSERT INTO core_datasets (name) VALUES ($1) ON CONFLICT (name) DO NOTHING', [name]);
      const inserted = await tx.query<VersionRow>(
        `INSERT INTO core_dataset_versions (name, version, digest, type, size, file_count, schema, stats)
         VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8::jsonb)
         ON CONFLICT (name, version) DO NOTHING
         RETURNING ${VERSION_COLUMNS}`,
        [
          name,
          version,
          digest,
          isFile ? 'file' : 'directory',
          size,
          isFile ? null : items.length,
          JSON.stringify(schema),
          JSON.stringify(snapshot),
        ],
      );
      // One statement for every object of the version (20,000 single inserts would take seconds).
      await recordObjectRefs(
        tx,
        [...refs].map((d) => ({ digest: d, kind: OWNER_KIND, ownerId })),
      );
      if (inserted[0]) return { row: inserted[0], created: true };
      const existing = await tx.query<VersionRow>(
        `SELECT ${VERSION_COLUMNS} FROM core_dataset_versions WHERE name = $1 AND version = $2`,
        [name, version],
      );
      return { row: existing[0] as VersionRow, created: false };
    });
    row = res.row;
    created = res.created;
  }
  const recorded = rowToVersion(row);

  const pointer: DatasetPointer = {
    kind: 'mlops.dataset-pointer',
    schemaVersion: 1,
    name,
    path: basename(path),
    type: recorded.type,
    version,
    digest,
    size: recorded.size,
    ...(recorded.files !== undefined ? { files: recorded.files } : {}),
    createdAt: recorded.createdAt.toISOString(),
  };
  const pointerPath = pointerPathFor(path, name);
  // Rewritten only when it changes: an unchanged dataset leaves its pointer file (and git) alone.
  const current = await readFile(pointerPath, 'utf8').catch(() => undefined);
  if (current !== formatPointer(pointer)) await writePointer(pointerPath, pointer);
  if (cache) {
    for (const it of items) {
      if (it.cacheable && it.digest) cache.recordFile(it.rel, it.id, it.digest, checkedAt, it.cached === true);
    }
    await settleFreshened(ctx, freshened).catch(() => {});
    // Best effort: a cache that cannot be written only means hashing again next time.
    await cache.save().catch(() => {});
  }
  return { ...recorded, pointerPath, created, repaired, hashed: ctx.hashed };
}

/** Options naming one version: `version` is the full hex id or a unique prefix of at least 7 characters. */
export interface DatasetVersionRef {
  name: string;
  version: string;
}

/** One recorded version, by name and version id (or unique prefix). `NOT_FOUND` when absent. */
export async function getDatasetVersion(store: Store, ref: DatasetVersionRef): Promise<DatasetVersion> {
  await migrate(store, { areas: ['dataset-versions'] });
  if (!/^[0-9a-f]{7,64}$/.test(ref.version)) {
    throw new MlopsError('INVALID_INPUT', {
      message: `invalid dataset version "${ref.version}"`,
      details: [{ path: 'version', message: 'expected 7 to 64 lowercase hex characters' }],
    });
  }
  const rows = await store.query<VersionRow>(
    `SELECT ${VERSION_COLUMNS} FROM core_dataset_versions WHERE name = $1 AND version LIKE $2 ORDER BY version LIMIT 2`,
    [ref.name, `${ref.version}%`],
  );
  if (rows.length === 0) {
    throw new MlopsError('NOT_FOUND', {
      message: `dataset version ${ref.name}@${ref.version} not found`,
      details: { name: ref.name, version: ref.version },
    });
  }
  if (rows.length > 1) {
    throw new MlopsError('INVALID_INPUT', {
      message: `dataset version prefix ${ref.name}@${ref.version} is ambiguous`,
      details: [{ path: 'version', message: 'ambiguous prefix: give more characters' }],
    });
  }
  return rowToVersion(rows[0] as VersionRow);
}

/** The versions of a dataset, newest first. */
export async function listDatasetVersions(store: Store, name: string): Promise<DatasetVersion[]> {
  await migrate(store, { areas: ['dataset-versions'] });
  const rows = await store.query<VersionRow>(
    `SELECT ${VERSION_COLUMNS} FROM core_dataset_versions WHERE name = $1 ORDER BY created_at DESC, version`,
    [name],
  );
  return rows.map(rowToVersion);
}

/** Every dataset with its number of versions and the newest version id. */
export async function listDatasets(
  store: Store,
): Promise<{ name: string; versions: number; latest: string | null; createdAt: Date }[]> {
  await migrate(store, { areas: ['dataset-versions'] });
  const rows = await store.query<{
    name: string;
    versions: string | number;
    latest: string | null;
    created_at: Date | string;
  }>(
    `SELECT d.name, d.created_at,
       (SELECT count(*) FROM core_dataset_versions v WHERE v.name = d.name) AS versions,
       (SELECT v.version FROM core_dataset_versions v WHERE v.name = d.name ORDER BY v.created_at DESC, v.version LIMIT 1) AS latest
     FROM core_datasets d ORDER BY d.name`,
  );
  return rows.map((r) => ({
    name: r.name,
    versions: Number(r.versions),
    latest: r.latest,
    createdAt: new Date(r.created_at),
  }));
}
