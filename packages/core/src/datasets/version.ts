import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { z } from 'zod';
import { isMlopsError, MlopsError } from '../errors.js';
import { DATASETS_MIGRATIONS } from '../migrations/datasets.js';
import { checkObject } from '../objects/check.js';
import { digestHex, digestOf, tapBytes } from '../objects/digest.js';
import type { Digest, ObjectStore } from '../objects/object-store.js';
import { recordObjectRef } from '../objects/refs.js';
import { createProgress, type Progress, type ProgressOptions, SILENT_PROGRESS } from '../progress.js';
import { ensureMigrated } from '../store/migrate.js';
import type { Store } from '../store/store.js';
import { hashFile } from './hash.js';
import { formatManifest, listDatasetFiles, type ManifestEntry } from './manifest.js';
import { DatasetNameSchema, type DatasetPointer, invalidInput, pointerPathFor, writePointer } from './pointer.js';
import { ColumnTypeSchema, createTabularStats, type FileStats, FileStatsSchema, tabularFormat } from './stats.js';

/** The schema snapshot of a version: columns and types of its tabular file(s); `null` for other data. */
export const DatasetSchemaSnapshotSchema = z.union([
  z.object({
    format: z.enum(['csv', 'tsv', 'jsonl']),
    columns: z.array(z.object({ name: z.string(), type: ColumnTypeSchema })),
  }),
  z.object({
    format: z.literal('directory'),
    files: z.record(
      z.string(),
      z.object({
        format: z.enum(['csv', 'tsv', 'jsonl']),
        columns: z.array(z.object({ name: z.string(), type: ColumnTypeSchema })),
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
   * Re-hash objects the store already has before trusting them (one full read of each). A stored copy that is damaged
   * (wrong size or wrong bytes) is rewritten from the source file and listed in `repaired`. With `false`, an object
   * of the right size is trusted as is (a damaged one of the wrong size is still rewritten).
   * @default true
   */
  verifyStored?: boolean;
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
}

const PROGRESS_MIN_BYTES = 32 << 20;
const OWNER_KIND = 'dataset-version';
/** Creates the dataset tables if needed (idempotent, cached per store). */
export async function migrateDatasets(store: Store): Promise<void> {
  await ensureMigrated(store, 'core.datasets', DATASETS_MIGRATIONS);
}

/** The owner id of a version's object references in `core_object_refs` (`<name>@<version>`). */
export function datasetOwnerId(name: string, version: string): string {
  return `${name}@${version}`;
}

function makeProgress(opts: VersionDatasetOptions, label: string, total: number): Progress {
  if (opts.progress === false) return SILENT_PROGRESS;
  if (opts.progress === undefined && total < PROGRESS_MIN_BYTES) return SILENT_PROGRESS;
  return createProgress({ mode: 'auto', ...opts.progress, label, total, unit: 'bytes' });
}

async function withProgress<T>(p: Progress, fn: () => Promise<T>): Promise<T> {
  try {
    const out = await fn();
    p.done();
    return out;
  } catch (err) {
    p.fail(err);
    throw err;
  }
}

/**
 * Copies a file into the object store unless an intact copy is there (checked by size, and by its bytes when
 * `verify`); a damaged copy is rewritten. Fails with `CONFLICT` if the file changed since it was hashed.
 * Returns `'repaired'` when a damaged copy was rewritten.
 */
async function ensureStored(
  objects: ObjectStore,
  file: string,
  digest: Digest,
  size: number,
  verify: boolean,
  onBytes: (n: number) => void,
  signal?: AbortSignal,
): Promise<'present' | 'stored' | 'repaired'> {
  const state = await checkObject(objects, digest, { size, verify, onBytes, ...(signal ? { signal } : {}) });
  if (state === 'intact') return 'present';
  try {
    await objects.put(tapBytes(createReadStream(file, { highWaterMark: 1 << 20 }), onBytes), {
      expectedDigest: digest,
      ...(signal ? { signal } : {}),
    });
    return state === 'corrupted' ? 'repaired' : 'stored';
  } catch (err) {
    if (isMlopsError(err, 'CHECKSUM_MISMATCH')) {
      throw new MlopsError('CONFLICT', {
        message: `${file} changed while it was being versioned; try again`,
        cause: err,
      });
    }
    throw err;
  }
}

async function fileSnapshot(
  opts: VersionDatasetOptions,
  file: string,
  onBytes: (n: number) => void,
  withStats: boolean,
): Promise<FileStats> {
  const format = withStats ? tabularFormat(file) : undefined;
  const sink = format ? createTabularStats(format, opts.distinctCap) : undefined;
  const { digest, size } = await hashFile(file, {
    onBytes,
    ...(sink ? { stats: sink } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  if (!format || !sink) return { format: 'binary', size, digest };
  const res = await sink.finish();
  return 'error' in res ? { format, size, digest, error: res.error } : { format, size, digest, ...res };
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
    if (!res.success) throw invalidInput(`stored ${what} of dataset ${r.name}@${r.version}`, res.error);
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
 * Versions a file or a folder, like `dvc add`: hashes it (sha256, streamed, with progress), copies it into the object
 * store, records the version with a schema and statistics snapshot, and writes the pointer file
 * `<name>.mlops.json` beside the data. A folder gets a manifest (relative paths, digests, sizes) stored as an object;
 * the version id is the hash of the file or of the manifest. Versioning the same content again returns the same
 * version (`created: false`), also when two processes do it at once.
 *
 * @example
 * const v = await versionDataset({ path: 'data/tickets.csv', store, objects: fsObjectStore() });
 * // v.version === sha256 of the file; data/tickets.csv.mlops.json written
 */
export async function versionDataset(opts: VersionDatasetOptions): Promise<VersionDatasetResult> {
  const path = resolve(opts.path);
  const name = opts.name ?? basename(path);
  const nameCheck = DatasetNameSchema.safeParse(name);
  if (!nameCheck.success) throw invalidInput('invalid dataset name', nameCheck.error);
  const st = await stat(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') {
      throw new MlopsError('NOT_FOUND', { message: `${path} does not exist`, details: { path } });
    }
    throw err;
  });
  const withStats = opts.stats ?? true;
  const { objects } = opts;

  let digest: Digest;
  let size: number;
  let fileCount: number | undefined;
  let schema: DatasetSchemaSnapshot;
  let stats: DatasetStats;
  const refs = new Set<Digest>();
  const repaired: Digest[] = [];
  const verifyStored = opts.verifyStored ?? true;

  if (st.isFile()) {
    const hashing = makeProgress(opts, `hash ${name}`, st.size);
    const snap = await withProgress(hashing, () => fileSnapshot(opts, path, (n) => hashing.tick(n), withStats));
    const storing = makeProgress(opts, `store ${name}`, snap.size);
    const stored = await withProgress(storing, () =>
      ensureStored(objects, path, snap.digest as Digest, snap.size, verifyStored, (n) => storing.tick(n), opts.signal),
    );
    if (stored === 'repaired') repaired.push(snap.digest as Digest);
    digest = snap.digest as Digest;
    size = snap.size;
    schema = schemaOf(snap) ?? null;
    stats = snap;
    refs.add(digest);
  } else if (st.isDirectory()) {
    const rels = await listDatasetFiles(path);
    const sizes = await Promise.all(rels.map(async (rel) => (await stat(resolve(path, rel))).size));
    const total = sizes.reduce((a, b) => a + b, 0);
    const hashing = makeProgress(opts, `hash ${name}/`, total);
    const entries: ManifestEntry[] = [];
    const tabular: Record<string, FileStats> = {};
    const tabularSchema: Record<string, NonNullable<ReturnType<typeof schemaOf>>> = {};
    const maxTabular = opts.maxTabularFiles ?? 100;
    await withProgress(hashing, async () => {
      for (const rel of rels) {
        const statsHere = withStats && Object.keys(tabular).length < maxTabular && tabularFormat(rel) !== undefined;
        const snap = await fileSnapshot(opts, resolve(path, rel), (n) => hashing.tick(n), statsHere);
        entries.push({ path: rel, digest: snap.digest, size: snap.size });
        if (snap.format !== 'binary') {
          tabular[rel] = snap;
          const s = schemaOf(snap);
          if (s) tabularSchema[rel] = s;
        }
      }
    });
    const storing = makeProgress(opts, `store ${name}/`, total);
    await withProgress(storing, async () => {
      for (const e of entries) {
        const d = e.digest as Digest;
        // A folder may hold the same bytes twice: check and store each object once.
        if (refs.has(d)) continue;
        const file = resolve(path, e.path);
        const stored = await ensureStored(objects, file, d, e.size, verifyStored, (n) => storing.tick(n), opts.signal);
        if (stored === 'repaired') repaired.push(d);
        refs.add(d);
      }
    });
    const manifest = formatManifest(entries);
    digest = digestOf(manifest);
    // The manifest is small: always rewritten (which also repairs a damaged copy); say so when it was damaged.
    const manifestState = await checkObject(objects, digest, {
      size: Buffer.byteLength(manifest),
      verify: verifyStored,
    });
    await objects.put(manifest, { expectedDigest: digest });
    if (manifestState === 'corrupted') repaired.push(digest);
    refs.add(digest);
    size = total;
    fileCount = entries.length;
    schema = { format: 'directory', files: tabularSchema };
    stats = { format: 'directory', files: entries.length, size: total, tabular };
  } else {
    throw new MlopsError('INVALID_INPUT', {
      message: `${path} is neither a file nor a folder`,
      details: [{ path: 'path', message: 'must be a regular file or a folder' }],
    });
  }

  const version = digestHex(digest);
  const store = opts.store;
  await migrateDatasets(store);
  const row = await store.transaction(async (tx) => {
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
        st.isFile() ? 'file' : 'directory',
        size,
        fileCount ?? null,
        JSON.stringify(schema),
        JSON.stringify(stats),
      ],
    );
    for (const d of refs)
      await recordObjectRef(tx, { digest: d, kind: OWNER_KIND, ownerId: datasetOwnerId(name, version) });
    if (inserted[0]) return { row: inserted[0], created: true };
    const existing = await tx.query<VersionRow>(
      `SELECT ${VERSION_COLUMNS} FROM core_dataset_versions WHERE name = $1 AND version = $2`,
      [name, version],
    );
    return { row: existing[0] as VersionRow, created: false };
  });
  const recorded = rowToVersion(row.row);

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
  await writePointer(pointerPath, pointer);
  return { ...recorded, pointerPath, created: row.created, repaired };
}

/** Options naming one version: `version` is the full hex id or a unique prefix of at least 7 characters. */
export interface DatasetVersionRef {
  name: string;
  version: string;
}

/** One recorded version, by name and version id (or unique prefix). `NOT_FOUND` when absent. */
export async function getDatasetVersion(store: Store, ref: DatasetVersionRef): Promise<DatasetVersion> {
  await migrateDatasets(store);
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
  await migrateDatasets(store);
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
  await migrateDatasets(store);
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
