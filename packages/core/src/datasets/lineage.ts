import { MlopsError } from '../errors.js';
import { migrate } from '../migrate.js';
import type { Store } from '../store/store.js';

/** One use of a dataset version by a run. */
export interface DatasetUse {
  name: string;
  version: string;
  runId: string;
  /** How the run used it, e.g. `'input'`, `'train'`, `'eval'`. */
  role: string;
  usedAt: Date;
}

/** Options of {@link recordDatasetUse}. */
export interface RecordDatasetUseOptions {
  /** The version used (a {@link DatasetVersion} or `{ name, version }` with the full version id). */
  datasetVersion: { name: string; version: string };
  runId: string;
  /**
   * How the run used it.
   * @default 'input'
   */
  role?: string;
}

/** Records that a run used a dataset version (idempotent). `NOT_FOUND` when the version was never recorded. */
export async function recordDatasetUse(store: Store, opts: RecordDatasetUseOptions): Promise<DatasetUse> {
  await migrate(store, { areas: ['dataset-versions'] });
  const { name, version } = opts.datasetVersion;
  const role = opts.role ?? 'input';
  if (!opts.runId) {
    throw new MlopsError('INVALID_INPUT', {
      message: 'runId is required',
      details: [{ path: 'runId', message: 'required' }],
    });
  }
  return store.transaction(async (tx) => {
    await tx.query(
      `INSERT INTO core_dataset_lineage (name, version, run_id, role)
       SELECT name, version, $3, $4 FROM core_dataset_versions WHERE name = $1 AND version = $2
       ON CONFLICT DO NOTHING`,
      [name, version, opts.runId, role],
    );
    const rows = await tx.query<{ used_at: Date | string }>(
      'SELECT used_at FROM core_dataset_lineage WHERE name = $1 AND version = $2 AND run_id = $3 AND role = $4',
      [name, version, opts.runId, role],
    );
    if (!rows[0]) {
      throw new MlopsError('NOT_FOUND', {
        message: `dataset version ${name}@${version} not found`,
        details: { name, version },
      });
    }
    return { name, version, runId: opts.runId, role, usedAt: new Date(rows[0].used_at) };
  });
}

/** Filters of {@link listDatasetLineage}; all optional, combined with AND. */
export interface DatasetLineageFilter {
  /** Only this dataset. @default undefined */
  name?: string;
  /** Only this version (full id). @default undefined */
  version?: string;
  /** Only this run. @default undefined */
  runId?: string;
}

/** Which runs used which dataset versions, oldest use first. */
export async function listDatasetLineage(store: Store, filter: DatasetLineageFilter = {}): Promise<DatasetUse[]> {
  await migrate(store, { areas: ['dataset-versions'] });
  const where: string[] = [];
  const params: unknown[] = [];
  for (const [col, value] of [
    ['name', filter.name],
    ['version', filter.version],
    ['run_id', filter.runId],
  ] as const) {
    if (value !== undefined) {
      params.push(value);
      where.push(`${col} = $${params.length}`);
    }
  }
  const rows = await store.query<{
    name: string;
    version: string;
    run_id: string;
    role: string;
    used_at: Date | string;
  }>(
    `SELECT name, version, run_id, role, used_at FROM core_dataset_lineage
     ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
     ORDER BY used_at, name, version, run_id, role`,
    params,
  );
  return rows.map((r) => ({
    name: r.name,
    version: r.version,
    runId: r.run_id,
    role: r.role,
    usedAt: new Date(r.used_at),
  }));
}
