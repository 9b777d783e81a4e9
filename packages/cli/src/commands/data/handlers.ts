import { readdir, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { formatBytes, MlopsError } from '@mlops/core';
import {
  datasetStatus,
  listDatasets,
  listDatasetVersions,
  POINTER_SUFFIX,
  pointerPathFor,
  pullDataset,
  pushDataset,
  readPointer,
  versionDataset,
} from '@mlops/core/dataset-versions';
import { dataQualityReport, renderQualityReportHtml } from '@mlops/drift';
import type { CliContext } from '../../context.js';
import { EXIT_CODES } from '../../exit-codes.js';
import { formatTable, type Output } from '../../output.js';
import { readTabularFile } from '../../tabular.js';

const short = (version: string) => version.slice(0, 12);

/** The pointer file of a target: a `*.mlops.json` path as is, else the pointer beside the data path. */
export function pointerOf(target: string, cwd: string): string {
  const abs = resolve(cwd, target);
  return abs.endsWith(POINTER_SUFFIX) ? abs : pointerPathFor(abs);
}

/**
 * The pointer file that `status`, `push` and `pull` use for a target: a `*.mlops.json` path as is; for a data path,
 * `<data>.mlops.json` beside it, or else the one pointer file in the data's folder that tracks it (`data add --name
 * tickets` writes `tickets.mlops.json`). Several pointer files tracking the same data: `INVALID_INPUT` naming them.
 * None: the `<data>.mlops.json` path, which the command then reports as not found.
 */
export async function findPointer(target: string, cwd: string): Promise<string> {
  const direct = pointerOf(target, cwd);
  const abs = resolve(cwd, target);
  if (abs.endsWith(POINTER_SUFFIX) || (await isFile(direct))) return direct;
  const folder = dirname(abs);
  let names: string[];
  try {
    names = await readdir(folder);
  } catch {
    return direct;
  }
  const tracking: string[] = [];
  for (const name of names.filter((n) => n.endsWith(POINTER_SUFFIX)).sort()) {
    const path = join(folder, name);
    try {
      if ((await readPointer(path)).path === basename(abs)) tracking.push(path);
    } catch {
      // not a readable pointer file: it tracks nothing here
    }
  }
  if (tracking.length > 1) {
    const listed = tracking.map((p) => relative(cwd, p));
    throw new MlopsError('INVALID_INPUT', {
      message: `${target} is tracked by ${tracking.length} pointer files (${listed.join(', ')}): name one of them`,
      details: [{ path: 'target', message: `tracked by ${listed.join(', ')}` }],
    });
  }
  return tracking[0] ?? direct;
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/** Options of {@link dataAdd}. */
export interface DataAddOptions {
  /** File or folder to version. */
  path: string;
  /**
   * Dataset name.
   * @default the file or folder name
   */
  name?: string;
  /**
   * Compute column statistics of CSV/TSV/JSONL files.
   * @default true
   */
  stats?: boolean;
}

/** `mlops data add`: versions a file or folder (hash, copy into the object store, record, write the pointer file). */
export async function dataAdd(opts: DataAddOptions, ctx: CliContext, out: Output): Promise<void> {
  const v = await versionDataset({
    path: resolve(ctx.cwd, opts.path),
    ...(opts.name ? { name: opts.name } : {}),
    store: await ctx.store(),
    objects: ctx.objects(),
    ...(opts.stats === false ? { stats: false } : {}),
  });
  const pointer = relative(ctx.cwd, v.pointerPath);
  out.result(
    {
      name: v.name,
      version: v.version,
      digest: v.digest,
      type: v.type,
      size: v.size,
      files: v.files ?? null,
      created: v.created,
      repaired: v.repaired,
      createdAt: v.createdAt,
      pointer,
      schema: v.schema,
    },
    () =>
      [
        `${v.created ? 'Versioned' : 'Already versioned'} ${v.name} (${v.type}, ${formatBytes(v.size)}${
          v.files !== undefined ? `, ${v.files} files` : ''
        }) as ${short(v.version)}`,
        ...(v.repaired.length ? [`Repaired ${v.repaired.length} damaged stored object(s) from the source files`] : []),
        `Pointer file: ${pointer} (commit it to git)`,
        `Next: mlops data push ${pointer} --remote <folder | s3://bucket/prefix>`,
      ].join('\n'),
  );
}

/** Options of the commands that name one dataset working copy. */
export interface DataTargetOptions {
  /** The pointer file, or the data path beside it. */
  target: string;
  /**
   * Remote folder or URL.
   * @default MLOPS_REMOTE
   */
  remote?: string;
}

/** Options of {@link dataStatus} and {@link dataPush}. */
export interface DataVerifyOptions extends DataTargetOptions {
  /**
   * Re-hash the version's stored objects (the local store's, and the remote's when one is given).
   * @default false
   */
  verify?: boolean;
}

/**
 * `mlops data status`: compares the working copy with its version and says where the objects are. Damaged stored
 * objects (wrong size; wrong bytes with `--verify`) are listed, and make the exit code 7 (`CHECKSUM`).
 */
export async function dataStatus(opts: DataVerifyOptions, ctx: CliContext, out: Output): Promise<number> {
  const remote = await ctx.optionalRemote(opts.remote);
  const s = await datasetStatus({
    pointer: await findPointer(opts.target, ctx.cwd),
    objects: ctx.objects(),
    ...(remote ? { remote } : {}),
    ...(opts.verify ? { verify: true } : {}),
  });
  const objectsLine = (where: 'local' | 'remote', complete: boolean) => {
    const damaged = s.corrupted.filter((c) => c.store === where).length;
    return `${where} ${complete ? 'complete' : 'incomplete'}${damaged ? ` (${damaged} damaged)` : ''}`;
  };
  const yesNo = (present: boolean | undefined, damaged: boolean) => (damaged ? 'DAMAGED' : present ? 'yes' : 'no');
  out.result({ ...s, remote: s.remote ?? null }, () =>
    [
      `${s.name} ${short(s.version)} (${s.type}): ${s.state}`,
      `objects${s.verified ? ' (verified)' : ''}: ${objectsLine('local', s.local)}${
        s.remote === undefined ? '' : `, ${objectsLine('remote', s.remote)}`
      }`,
      formatTable(
        s.remote === undefined ? ['FILE', 'STATE', 'LOCAL'] : ['FILE', 'STATE', 'LOCAL', 'REMOTE'],
        s.files.map((f) => [
          f.path,
          f.state,
          yesNo(f.local, f.corrupted?.includes('local') ?? false),
          ...(s.remote === undefined ? [] : [yesNo(f.remote, f.corrupted?.includes('remote') ?? false)]),
        ]),
      ),
      ...s.corrupted.map(
        (c) =>
          `damaged: ${c.path} (${c.digest}) in the ${c.store} store; ${
            c.store === 'local'
              ? 'repair: mlops data add (from an intact working copy) or mlops data pull (from the remote)'
              : 'repair: mlops data push'
          }`,
      ),
      ...(s.verified ? [] : ['(stored objects checked by size; --verify re-hashes them)']),
    ].join('\n'),
  );
  return s.corrupted.length > 0 ? EXIT_CODES.CHECKSUM : EXIT_CODES.OK;
}

/** `mlops data push`: uploads the objects of a version that the remote lacks or holds damaged. */
export async function dataPush(opts: DataVerifyOptions, ctx: CliContext, out: Output): Promise<void> {
  const remote = await ctx.remote(opts.remote);
  const r = await pushDataset({
    pointer: await findPointer(opts.target, ctx.cwd),
    objects: ctx.objects(),
    remote,
    ...(opts.verify ? { verify: true } : {}),
  });
  out.result(
    { ...r, remote: remote.name },
    `Pushed ${r.name} ${short(r.version)} to ${remote.name}: ${r.uploaded.length} object(s) uploaded (${formatBytes(
      r.bytes,
    )}), ${r.present.length} already there${r.repaired.length ? `, ${r.repaired.length} damaged there replaced` : ''}`,
  );
}

/** `mlops data pull`: restores the working copy of a version from the remote (through the local cache). */
export async function dataPull(opts: DataTargetOptions, ctx: CliContext, out: Output): Promise<void> {
  const remote = await ctx.remote(opts.remote);
  const r = await pullDataset({ pointer: await findPointer(opts.target, ctx.cwd), remote, objects: ctx.objects() });
  out.result(
    { ...r, remote: remote.name },
    `Pulled ${r.name} ${short(r.version)}: ${r.restored.length} file(s) restored (${formatBytes(r.bytes)}), ${
      r.unchanged.length
    } unchanged${r.repaired.length ? `, ${r.repaired.length} damaged cached object(s) replaced from the remote` : ''}`,
  );
}

/** Options of {@link dataLs}. */
export interface DataLsOptions {
  /**
   * List the versions of this dataset instead of the datasets.
   * @default undefined
   */
  name?: string;
}

/** `mlops data ls`: datasets with their newest version, or the versions of one dataset. */
export async function dataLs(opts: DataLsOptions, ctx: CliContext, out: Output): Promise<void> {
  const store = await ctx.store();
  if (opts.name) {
    const versions = await listDatasetVersions(store, opts.name);
    if (versions.length === 0) {
      throw new MlopsError('NOT_FOUND', {
        message: `No dataset "${opts.name}" (mlops data ls lists them)`,
        details: { dataset: opts.name },
      });
    }
    out.result(
      {
        name: opts.name,
        versions: versions.map((v) => ({
          version: v.version,
          digest: v.digest,
          type: v.type,
          size: v.size,
          files: v.files ?? null,
          createdAt: v.createdAt,
        })),
      },
      () =>
        formatTable(
          ['VERSION', 'TYPE', 'SIZE', 'CREATED'],
          versions.map((v) => [short(v.version), v.type, formatBytes(v.size), v.createdAt.toISOString()]),
        ),
    );
    return;
  }
  const datasets = await listDatasets(store);
  out.result({ datasets }, () =>
    formatTable(
      ['NAME', 'VERSIONS', 'LATEST', 'CREATED'],
      datasets.map((d) => [d.name, d.versions, d.latest ? short(d.latest) : null, d.createdAt.toISOString()]),
    ),
  );
}

/** Options of {@link dataReport}. */
export interface DataReportOptions {
  /** CSV, TSV, JSON or JSONL file. */
  file: string;
  /**
   * Write the HTML report here.
   * @default undefined
   */
  html?: string;
  /**
   * The target (label) column, for the class balance.
   * @default undefined
   */
  target?: string;
}

/** `mlops data report`: the data-quality report of a file (missing values, outliers, class balance, schema). */
export async function dataReport(opts: DataReportOptions, ctx: CliContext, out: Output): Promise<void> {
  const data = await readTabularFile(resolve(ctx.cwd, opts.file));
  const report = dataQualityReport(data, {
    ...(opts.target ? { columnMapping: { target: opts.target } } : {}),
    createdAt: new Date().toISOString(),
  });
  if (opts.html) {
    await writeFile(
      resolve(ctx.cwd, opts.html),
      renderQualityReportHtml(report, { title: `Data quality: ${opts.file}` }),
    );
    if (out.json) out.note(`HTML report written to ${opts.html}`);
  }
  out.result(report, () =>
    [
      formatTable(
        ['COLUMN', 'TYPE', 'MISSING', 'DISTINCT', 'NOTE'],
        report.columns.map((c) => [
          c.name,
          c.type,
          `${(c.missingShare * 100).toFixed(1)}%`,
          c.distinct,
          c.constant ? 'constant' : c.almostConstant ? 'almost constant' : '',
        ]),
      ),
      ...(opts.html ? [`HTML report: ${opts.html}`] : []),
    ].join('\n'),
  );
}
