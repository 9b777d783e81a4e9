import { MlopsError } from '../errors.js';
import type { Store } from '../store/store.js';
import type { RunArtifact, RunDataset } from './run.js';
import type { ParamValue, RunStatus } from './schemas.js';
import type { GitInfo, SourceInfo } from './source.js';

/** The stored facts of a run. */
export interface RunInfo {
  id: string;
  experimentId: string;
  name: string | null;
  parentRunId: string | null;
  status: RunStatus;
  startTime: Date;
  endTime: Date | null;
  /** Last write or heartbeat of the process that holds the run (used by `markStaleRuns`). */
  lastSeenAt: Date;
  git: GitInfo;
  source: SourceInfo;
}

/** The latest value of a metric: highest step, then latest timestamp, then largest value (as MLflow). */
export interface LatestMetric {
  value: number;
  step: number;
  /** Epoch milliseconds. */
  timestamp: number;
}

/** One point of a metric's history. */
export interface MetricPoint {
  value: number;
  step: number;
  /** Epoch milliseconds. */
  timestamp: number;
}

/** A run with everything logged to it. */
export interface RunDetails extends RunInfo {
  /** Params with their original JSON values. */
  params: Record<string, ParamValue>;
  /** Params as text, as MLflow stores them (what search filters compare). */
  paramText: Record<string, string>;
  /** Latest value of each metric. */
  metrics: Record<string, LatestMetric>;
  tags: Record<string, string>;
  artifacts: RunArtifact[];
  datasets: RunDataset[];
}

/** One row of a {@link RunComparison}: a key and its value in each compared run (`null` when absent). */
export interface ComparisonRow<T> {
  key: string;
  values: (T | null)[];
  /** True when the runs do not all have the same value. */
  differs: boolean;
}

/** Params and latest metrics of several runs side by side, columns in the order the ids were given. */
export interface RunComparison {
  runs: RunInfo[];
  params: ComparisonRow<string>[];
  metrics: ComparisonRow<number>[];
}

interface RunRow {
  id: string;
  experiment_id: string;
  name: string | null;
  parent_run_id: string | null;
  status: RunStatus;
  start_time: Date;
  end_time: Date | null;
  last_seen_at: Date;
  git_commit: string | null;
  git_dirty: boolean | null;
  source_entry_point: string | null;
  source_user: string | null;
}

const RUN_COLUMNS =
  'id, experiment_id, name, parent_run_id, status, start_time, end_time, last_seen_at, git_commit, git_dirty, source_entry_point, source_user';

function toRunInfo(r: RunRow): RunInfo {
  return {
    id: r.id,
    experimentId: r.experiment_id,
    name: r.name,
    parentRunId: r.parent_run_id,
    status: r.status,
    startTime: r.start_time,
    endTime: r.end_time,
    lastSeenAt: r.last_seen_at,
    git: { commit: r.git_commit, dirty: r.git_dirty },
    source: { entryPoint: r.source_entry_point, user: r.source_user },
  };
}

const notFound = (id: string) => new MlopsError('NOT_FOUND', { message: `No run ${id}`, details: { runId: id } });

/** Loads runs with their params, latest metrics, tags, artifacts and datasets, in the order of `ids` (missing ids are left out). */
export async function loadRunDetails(store: Store, ids: string[]): Promise<RunDetails[]> {
  if (ids.length === 0) return [];
  const [runs, params, metrics, tags, artifacts, datasets] = await Promise.all([
    store.query<RunRow>(`SELECT ${RUN_COLUMNS} FROM core_runs WHERE id = ANY($1::text[])`, [ids]),
    store.query<{ run_id: string; key: string; value: string; value_json: ParamValue }>(
      'SELECT run_id, key, value, value_json FROM core_params WHERE run_id = ANY($1::text[]) ORDER BY key',
      [ids],
    ),
    store.query<{ run_id: string; key: string; value: number; step: number; timestamp_ms: number }>(
      'SELECT run_id, key, value, step, timestamp_ms FROM core_latest_metrics WHERE run_id = ANY($1::text[]) ORDER BY key',
      [ids],
    ),
    store.query<{ run_id: string; key: string; value: string }>(
      'SELECT run_id, key, value FROM core_run_tags WHERE run_id = ANY($1::text[]) ORDER BY key',
      [ids],
    ),
    store.query<{ run_id: string; name: string; digest: string; size: number }>(
      'SELECT run_id, name, digest, size FROM core_run_artifacts WHERE run_id = ANY($1::text[]) ORDER BY name',
      [ids],
    ),
    store.query<{ run_id: string; name: string; version: string; role: string }>(
      'SELECT run_id, name, version, role FROM core_run_datasets WHERE run_id = ANY($1::text[]) ORDER BY created_at, name, role',
      [ids],
    ),
  ]);
  const byId = new Map<string, RunDetails>();
  for (const r of runs) {
    byId.set(r.id, { ...toRunInfo(r), params: {}, paramText: {}, metrics: {}, tags: {}, artifacts: [], datasets: [] });
  }
  for (const p of params) {
    const d = byId.get(p.run_id)!;
    d.params[p.key] = p.value_json;
    d.paramText[p.key] = p.value;
  }
  for (const m of metrics) {
    byId.get(m.run_id)!.metrics[m.key] = { value: m.value, step: Number(m.step), timestamp: Number(m.timestamp_ms) };
  }
  for (const t of tags) byId.get(t.run_id)!.tags[t.key] = t.value;
  for (const a of artifacts) {
    byId.get(a.run_id)!.artifacts.push({ name: a.name, digest: a.digest, size: Number(a.size) });
  }
  for (const s of datasets) byId.get(s.run_id)!.datasets.push({ name: s.name, version: s.version, role: s.role });
  return ids.flatMap((id) => byId.get(id) ?? []);
}

/** A run with everything logged to it; `NOT_FOUND` when there is none. */
export async function getRunDetails(store: Store, id: string): Promise<RunDetails> {
  const [run] = await loadRunDetails(store, [id]);
  if (!run) throw notFound(id);
  return run;
}

/** Every value logged for one metric of a run, by step, then timestamp, then value. */
export async function getMetricHistory(store: Store, runId: string, key: string): Promise<MetricPoint[]> {
  const [run] = await store.query('SELECT 1 FROM core_runs WHERE id = $1', [runId]);
  if (!run) throw notFound(runId);
  const rows = await store.query<{ value: number; step: number; timestamp_ms: number }>(
    `SELECT value, step, timestamp_ms FROM core_metrics WHERE run_id = $1 AND key = $2
     ORDER BY step, timestamp_ms, value`,
    [runId, key],
  );
  return rows.map((r) => ({ value: r.value, step: Number(r.step), timestamp: Number(r.timestamp_ms) }));
}

/** Params and latest metrics of runs side by side; `NOT_FOUND` when an id is unknown. */
export async function compareRunDetails(store: Store, ids: string[]): Promise<RunComparison> {
  const runs = await loadRunDetails(store, ids);
  const found = new Set(runs.map((r) => r.id));
  const missing = ids.find((id) => !found.has(id));
  if (missing !== undefined) throw notFound(missing);
  const rows = <T>(pick: (r: RunDetails) => Record<string, T>): ComparisonRow<T>[] => {
    const keys = [...new Set(runs.flatMap((r) => Object.keys(pick(r))))].sort();
    return keys.map((key) => {
      const values = runs.map((r) => pick(r)[key] ?? null);
      return { key, values, differs: values.some((v) => v !== values[0]) };
    });
  };
  return {
    runs: runs.map(
      ({ params: _p, paramText: _t, metrics: _m, tags: _g, artifacts: _a, datasets: _d, ...info }) => info,
    ),
    params: rows((r) => r.paramText),
    metrics: rows((r) => Object.fromEntries(Object.entries(r.metrics).map(([k, m]) => [k, m.value]))),
  };
}

/**
 * Marks as `killed` the runs still `running` whose process has not written or sent a heartbeat for `olderThanMs`
 * (by the database's clock); their end time is their last sign of life. Returns their ids.
 */
export async function markStale(store: Store, olderThanMs: number, experimentId?: string): Promise<string[]> {
  const rows = await store.query<{ id: string }>(
    `UPDATE core_runs SET status = 'killed', end_time = last_seen_at
     WHERE status = 'running' AND last_seen_at < now() - ($1::float8 * interval '1 millisecond')
       AND ($2::text IS NULL OR experiment_id = $2)
     RETURNING id`,
    [olderThanMs, experimentId ?? null],
  );
  return rows.map((r) => r.id).sort();
}
