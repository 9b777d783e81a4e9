import { randomUUID } from 'node:crypto';
import { readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { z } from 'zod';
import { MlopsError } from '../errors.js';
import { invalidInput, zodIssues } from '../validation.js';

/** Suffix of pointer files: `data.csv` is tracked by `data.csv.mlops.json`. */
export const POINTER_SUFFIX = '.mlops.json';

const HEX64 = /^[0-9a-f]{64}$/;
const DIGEST = /^sha256:[0-9a-f]{64}$/;

/** A dataset name: usable as a file name (no `/`, `\` or NUL, not `.` or `..`), at most 200 characters. */
export const DatasetNameSchema = z
  .string()
  .min(1)
  .max(200)
  .refine((s) => !/[/\\\0]/.test(s) && s !== '.' && s !== '..', 'must be a plain file name (no slashes)');

/** One plain file or folder name: pointer files sit beside their data, so `path` never leaves their folder. */
const PlainNameSchema = DatasetNameSchema;

/**
 * The pointer file (`<name>.mlops.json`) that git tracks instead of the data, like a `.dvc` file. `version` is the
 * content hash (hex) of the file, or of the folder's manifest; `digest` is the same hash as an object digest.
 */
export const DatasetPointerSchema = z
  .strictObject({
    kind: z.literal('mlops.dataset-pointer'),
    schemaVersion: z.literal(1),
    name: DatasetNameSchema,
    /** The data's file or folder name, beside the pointer file. */
    path: PlainNameSchema,
    type: z.enum(['file', 'directory']),
    version: z.string().regex(HEX64, 'expected 64 lowercase hex characters'),
    digest: z.string().regex(DIGEST, 'expected sha256:<64 lowercase hex>'),
    /** Bytes of the file, or of all files of the folder. */
    size: z.number().int().nonnegative(),
    /** Number of files, for a folder. */
    files: z.number().int().nonnegative().optional(),
    createdAt: z.iso.datetime({ offset: true }),
  })
  .superRefine((p, ctx) => {
    if (p.digest !== `sha256:${p.version}`) {
      ctx.addIssue({ code: 'custom', path: ['digest'], message: 'must equal sha256:<version>' });
    }
    if (p.type === 'directory' && p.files === undefined) {
      ctx.addIssue({ code: 'custom', path: ['files'], message: 'required for a directory' });
    }
    if (p.type === 'file' && p.files !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['files'], message: 'only allowed for a directory' });
    }
  });
/** The content of a pointer file. */
export type DatasetPointer = z.infer<typeof DatasetPointerSchema>;

/** Where the pointer file of `dataPath` goes: `<dir of data>/<name ?? basename(data)>.mlops.json`. */
export function pointerPathFor(dataPath: string, name?: string): string {
  return join(dirname(dataPath), `${name ?? basename(dataPath)}${POINTER_SUFFIX}`);
}

/** The data a pointer file tracks: `path` resolved against the pointer's folder. */
export function dataPathOf(pointerPath: string, pointer: DatasetPointer): string {
  return join(dirname(pointerPath), pointer.path);
}

/** Validates pointer-file content (an object already parsed from JSON); throws `INVALID_INPUT` with field details. */
export function parsePointer(value: unknown, source = 'pointer file'): DatasetPointer {
  const res = DatasetPointerSchema.safeParse(value);
  if (!res.success) throw invalidInput(`invalid ${source}`, zodIssues(res.error));
  return res.data;
}

/** Reads and validates a pointer file: `NOT_FOUND` when absent, `INVALID_INPUT` (with field details) when corrupt. */
export async function readPointer(pointerPath: string): Promise<DatasetPointer> {
  let text: string;
  try {
    text = await readFile(pointerPath, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new MlopsError('NOT_FOUND', {
        message: `pointer file ${pointerPath} not found`,
        details: { path: pointerPath },
      });
    }
    if (code === 'EISDIR') {
      // Usually the data folder given instead of its pointer file, which sits beside it.
      const suggested = pointerPathFor(pointerPath.replace(/[/\\]+$/, ''));
      throw new MlopsError('INVALID_INPUT', {
        message: `${pointerPath} is a folder, not a pointer file: did you mean ${suggested}?`,
        details: [{ path: 'pointer', message: `a folder; its pointer file would be ${suggested}` }],
        cause: err,
      });
    }
    throw err;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new MlopsError('INVALID_INPUT', {
      message: `invalid pointer file ${pointerPath}: not JSON (${(err as Error).message})`,
      details: [{ path: '', message: `not JSON: ${(err as Error).message}` }],
      cause: err,
    });
  }
  return parsePointer(json, `pointer file ${pointerPath}`);
}

/** Serialises a pointer with a fixed key order and a trailing newline, so git diffs stay small. */
export function formatPointer(pointer: DatasetPointer): string {
  const p = parsePointer(pointer);
  const ordered = {
    kind: p.kind,
    schemaVersion: p.schemaVersion,
    name: p.name,
    path: p.path,
    type: p.type,
    version: p.version,
    digest: p.digest,
    size: p.size,
    ...(p.files !== undefined ? { files: p.files } : {}),
    createdAt: p.createdAt,
  };
  return `${JSON.stringify(ordered, null, 2)}\n`;
}

/** Writes a pointer file atomically (temp file + rename). */
export async function writePointer(pointerPath: string, pointer: DatasetPointer): Promise<void> {
  const tmp = `${pointerPath}.${randomUUID()}.tmp`;
  try {
    await writeFile(tmp, formatPointer(pointer));
    await rename(tmp, pointerPath);
  } catch (err) {
    await unlink(tmp).catch(() => {});
    throw err;
  }
}
