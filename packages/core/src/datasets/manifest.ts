import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { MlopsError } from '../errors.js';
import type { ObjectStore } from '../objects/object-store.js';
import { invalidInput, zodIssues } from '../validation.js';
import { POINTER_SUFFIX } from './pointer.js';

const DIGEST = /^sha256:[0-9a-f]{64}$/;

/** A relative POSIX path inside a dataset folder: no leading `/`, no `.`/`..`/empty segments, no `\` or NUL. */
const RelativePathSchema = z
  .string()
  .min(1)
  .refine(
    (p) => !/[\\\0]/.test(p) && p.split('/').every((s) => s !== '' && s !== '.' && s !== '..'),
    'must be a relative path inside the dataset folder',
  );

/** The manifest of a folder version: its files' relative paths, digests and sizes, sorted by path. */
export const DatasetManifestSchema = z.strictObject({
  kind: z.literal('mlops.dataset-manifest'),
  schemaVersion: z.literal(1),
  files: z.array(
    z.strictObject({
      path: RelativePathSchema,
      digest: z.string().regex(DIGEST),
      size: z.number().int().nonnegative(),
    }),
  ),
});
/** The manifest of a folder version. */
export type DatasetManifest = z.infer<typeof DatasetManifestSchema>;
/** One file of a {@link DatasetManifest}. */
export type ManifestEntry = DatasetManifest['files'][number];

/** Canonical bytes of a manifest (fixed key order, sorted files): its digest is the folder's version. */
export function formatManifest(files: ManifestEntry[]): string {
  const sorted = [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const manifest: DatasetManifest = {
    kind: 'mlops.dataset-manifest',
    schemaVersion: 1,
    files: sorted.map((f) => ({ path: f.path, digest: f.digest, size: f.size })),
  };
  return `${JSON.stringify(manifest)}\n`;
}

/** Reads a manifest object, verified against its digest and validated. */
export async function readManifest(objects: ObjectStore, digest: string): Promise<DatasetManifest> {
  const bytes = await objects.readBytes(digest);
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new MlopsError('INVALID_INPUT', { message: `manifest ${digest} is not JSON`, cause: err });
  }
  const res = DatasetManifestSchema.safeParse(json);
  if (!res.success) throw invalidInput(`invalid manifest ${digest}`, zodIssues(res.error));
  return res.data;
}

const SKIP_DIRS = new Set(['.git', '.mlops']);

/** The temp file a restore writes beside its target before renaming it into place: `<name>.<uuid>.mlops-tmp`. */
export const RESTORE_TEMP_RE = /\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.mlops-tmp$/;

/**
 * The regular files under `root`, as sorted relative POSIX paths. Skips `.git` and `.mlops` folders, pointer files
 * (`*.mlops.json`), temp files of interrupted restores (`<name>.<uuid>.mlops-tmp`) and symbolic links.
 */
export async function listDatasetFiles(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (rel: string) => {
    const entries = await readdir(join(root, rel), { withFileTypes: true });
    for (const e of entries) {
      const relPath = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        if (!SKIP_DIRS.has(e.name)) await walk(relPath);
      } else if (e.isFile() && !e.name.endsWith(POINTER_SUFFIX) && !RESTORE_TEMP_RE.test(e.name)) {
        out.push(relPath);
      }
    }
  };
  await walk('');
  return out.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}
