import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { recordDatasetUse } from '../datasets/lineage.js';
import { isMlopsError, MlopsError } from '../errors.js';
import type { ObjectBody, ObjectStore } from '../objects/object-store.js';
import { recordObjectRef } from '../objects/refs.js';
import type { Store } from '../store/store.js';
import { parseInput } from '../validation.js';
import {
  artifactNameSchema,
  datasetUseSchema,
  type EndStatus,
  endStatusSchema,
  keySchema,
  MAX_PARAM_VALUE_LENGTH,
  type MetricOptions,
  metricOptionsSchema,
  metricValueSchema,
  type ParamValue,
  paramText,
  paramValueSchema,
  type RunStatus,
  tagValueSchema,
} from './schemas.js';
import type { GitInfo, SourceInfo } from './source.js';

/** A blob logged by a run, stored in the object store. */
export interface RunArtifact {
  /** Relative path-like name, unique within the run. */
  name: string;
  /** `sha256:…` digest of the bytes in the object store. */
  digest: string;
  size: number;
}

/** A dataset version used by a run (lineage). */
export interface RunDataset {
  /** Dataset name. */
  name: string;
  /** Dataset version id (its content hash). */
  version: string;
  /** What the run used it for: `train`, `test`, `validation`, … */
  role: string;
}

/** A file to log as an artifact, read from disk. */
export interface ArtifactPath {
  path: string;
}

/** A live run: logs params, metrics (buffered), tags, artifacts and dataset versions until `end()`. */
export interface Run {
  readonly id: string;
  readonly experimentId: string;
  readonly name: string | null;
  readonly parentRunId: string | null;
  readonly startTime: Date;
  readonly git: GitInfo;
  readonly source: SourceInfo;
  /** `running` until `end()` resolves. */
  readonly status: RunStatus;
  /** Logs one param. Params are immutable: a different value for a logged key is a `CONFLICT`, the same is a no-op. */
  logParam(key: string, value: ParamValue): Promise<void>;
  /** Logs several params in one transaction (all or none). */
  logParams(params: Record<string, ParamValue>): Promise<void>;
  /** Buffers one metric value (a finite number); the buffer is written when full, on a timer, on `flush()` and `end()`. */
  logMetric(key: string, value: number, opts?: MetricOptions): Promise<void>;
  /** Buffers several metric values at the same step and time. */
  logMetrics(values: Record<string, number>, opts?: MetricOptions): Promise<void>;
  /** Writes the buffered metrics now (one multi-row insert in a transaction). */
  flush(): Promise<void>;
  /** Sets one tag (tags are mutable: the last value wins). */
  setTag(key: string, value: string): Promise<void>;
  /** Sets several tags in one transaction. */
  setTags(tags: Record<string, string>): Promise<void>;
  /** Stores bytes (or the file at `{ path }`) in the object store under `name`; same name and bytes is a no-op. */
  logArtifact(name: string, body: ObjectBody | ArtifactPath): Promise<RunArtifact>;
  /** Records that this run used a dataset version, with a role (`train` by default). */
  logDatasetVersion(use: { name: string; version: string; role?: string }): Promise<void>;
  /** Ends the run: flushes metrics, then sets the status (`finished` by default) and end time. */
  end(opts?: { status?: EndStatus }): Promise<void>;
}

/** What a run handle needs from its tracker. */
export interface RunContext {
  store: Store;
  objects: ObjectStore | undefined;
  batchSize: number;
  flushIntervalMs: number;
  heartbeatIntervalMs: number;
}

/** The row a handle is created from. */
export interface RunSeed {
  id: string;
  experimentId: string;
  name: string | null;
  parentRunId: string | null;
  startTime: Date;
  git: GitInfo;
  source: SourceInfo;
}

const INSERT_METRICS = `INSERT INTO core_metrics (run_id, key, value, step, timestamp_ms)
  SELECT $1, u.k, u.v, u.s, u.t FROM unnest($2::text[], $3::float8[], $4::int8[], $5::int8[]) AS u(k, v, s, t)`;

// Keeps the latest value per key as MLflow defines it: the highest step, then the latest timestamp, then the largest value.
const UPSERT_LATEST = `INSERT INTO core_latest_metrics AS l (run_id, key, value, step, timestamp_ms)
  SELECT $1, u.k, u.v, u.s, u.t FROM unnest($2::text[], $3::float8[], $4::int8[], $5::int8[]) AS u(k, v, s, t)
  ON CONFLICT (run_id, key) DO UPDATE SET value = EXCLUDED.value, step = EXCLUDED.step, timestamp_ms = EXCLUDED.timestamp_ms
  WHERE (EXCLUDED.step, EXCLUDED.timestamp_ms, EXCLUDED.value) > (l.step, l.timestamp_ms, l.value)`;

interface Columns {
  keys: string[];
  values: number[];
  steps: number[];
  times: number[];
}

const emptyColumns = (): Columns => ({ keys: [], values: [], steps: [], times: [] });

// Finite numbers print in a form PostgreSQL's float8/int8 input accepts, so numeric arrays are sent as one literal.
const numArray = (xs: number[]): string => `{${xs.join(',')}}`;

/** True when row `i` is later than row `j`: higher step, then later timestamp, then larger value (MLflow's rule). */
function isLater(c: Columns, i: number, j: number): boolean {
  if (c.steps[i] !== c.steps[j]) return c.steps[i]! > c.steps[j]!;
  if (c.times[i] !== c.times[j]) return c.times[i]! > c.times[j]!;
  return c.values[i]! > c.values[j]!;
}

/** Writes a batch of metric rows and updates the latest values, in one transaction. */
export async function writeMetricBatch(store: Store, runId: string, c: Columns): Promise<void> {
  const latest = new Map<string, number>();
  for (let i = 0; i < c.keys.length; i++) {
    const k = c.keys[i]!;
    const j = latest.get(k);
    if (j === undefined || isLater(c, i, j)) {
      latest.set(k, i);
    }
  }
  const idx = [...latest.values()];
  await store.transaction(async (tx) => {
    await tx.query(INSERT_METRICS, [runId, c.keys, numArray(c.values), numArray(c.steps), numArray(c.times)]);
    await tx.query(UPSERT_LATEST, [
      runId,
      idx.map((i) => c.keys[i]!),
      numArray(idx.map((i) => c.values[i]!)),
      numArray(idx.map((i) => c.steps[i]!)),
      numArray(idx.map((i) => c.times[i]!)),
    ]);
    await tx.query('UPDATE core_runs SET last_seen_at = now() WHERE id = $1', [runId]);
  });
}

/** Creates the handle of a run whose row exists. */
export function createRunHandle(ctx: RunContext, seed: RunSeed): Run {
  const { store } = ctx;
  const runId = seed.id;
  let status: RunStatus = 'running';
  let ending = false;
  let buf = emptyColumns();
  let chain: Promise<void> = Promise.resolve();
  let pendingError: unknown;
  let lastTouch = Date.now();
  const checkedKeys = new Set<string>();

  const assertOpen = () => {
    if (status !== 'running' || ending) {
      throw new MlopsError('CONFLICT', {
        message: `Run ${runId} has ended (${status}); it takes no more data`,
        details: { runId, status },
      });
    }
  };
  const throwPending = () => {
    if (pendingError !== undefined) {
      const err = pendingError;
      pendingError = undefined;
      throw err;
    }
  };
  const checkKey = (key: string, what: string) => {
    if (checkedKeys.has(key)) return;
    parseInput(keySchema, key, what);
    checkedKeys.add(key);
  };

  const flush = (): Promise<void> => {
    throwPending();
    if (buf.keys.length === 0) return chain;
    const batch = buf;
    buf = emptyColumns();
    const p = chain.then(async () => {
      try {
        await writeMetricBatch(store, runId, batch);
        lastTouch = Date.now();
      } catch (err) {
        // Put the rows back so that a later flush (or end) retries them; nothing is silently dropped.
        buf = {
          keys: batch.keys.concat(buf.keys),
          values: batch.values.concat(buf.values),
          steps: batch.steps.concat(buf.steps),
          times: batch.times.concat(buf.times),
        };
        throw err;
      }
    });
    chain = p.catch(() => {});
    return p;
  };

  const timer = setInterval(() => {
    if (buf.keys.length > 0) {
      flush().catch((err: unknown) => {
        pendingError = err;
      });
    } else if (Date.now() - lastTouch >= ctx.heartbeatIntervalMs) {
      lastTouch = Date.now();
      store.query('UPDATE core_runs SET last_seen_at = now() WHERE id = $1', [runId]).catch(() => {});
    }
  }, ctx.flushIntervalMs);
  timer.unref();

  const push = (key: string, value: number, step: number, time: number) => {
    buf.keys.push(key);
    buf.values.push(value);
    buf.steps.push(step);
    buf.times.push(time);
  };

  const metricOpts = (opts: MetricOptions | undefined) => {
    if (opts === undefined) return { step: 0, time: Date.now() };
    const o = parseInput(metricOptionsSchema, opts, 'metric');
    const ts = o.timestamp;
    return { step: o.step ?? 0, time: ts === undefined ? Date.now() : typeof ts === 'number' ? ts : ts.getTime() };
  };

  const afterPush = async () => {
    throwPending();
    if (buf.keys.length >= ctx.batchSize) await flush();
  };

  const writeParams = async (params: Record<string, ParamValue>) => {
    const entries = Object.entries(params);
    const keys: string[] = [];
    const texts: string[] = [];
    const jsons: string[] = [];
    for (const [key, value] of entries) {
      parseInput(keySchema, key, 'params');
      const v = parseInput(paramValueSchema, value, `params.${key}`);
      const text = paramText(v);
      if (text.length > MAX_PARAM_VALUE_LENGTH) {
        throw new MlopsError('INVALID_INPUT', {
          message: `Param "${key}" is ${text.length} characters long; the limit is ${MAX_PARAM_VALUE_LENGTH}`,
          details: [{ path: `params.${key}`, message: `at most ${MAX_PARAM_VALUE_LENGTH} characters` }],
        });
      }
      keys.push(key);
      texts.push(text);
      jsons.push(JSON.stringify(v));
    }
    if (keys.length === 0) return;
    await store.transaction((tx) => insertParams(tx, runId, keys, texts, jsons));
  };

  const writeTags = async (tags: Record<string, string>) => {
    const keys: string[] = [];
    const values: string[] = [];
    for (const [key, value] of Object.entries(tags)) {
      parseInput(keySchema, key, 'tags');
      keys.push(key);
      values.push(parseInput(tagValueSchema, value, `tags.${key}`));
    }
    if (keys.length === 0) return;
    await store.transaction((tx) => upsertTags(tx, runId, keys, values));
  };

  const run: Run = {
    id: runId,
    experimentId: seed.experimentId,
    name: seed.name,
    parentRunId: seed.parentRunId,
    startTime: seed.startTime,
    git: seed.git,
    source: seed.source,
    get status() {
      return status;
    },
    async logParam(key, value) {
      assertOpen();
      await writeParams({ [key]: value });
    },
    async logParams(params) {
      assertOpen();
      await writeParams(params);
    },
    async logMetric(key, value, opts) {
      assertOpen();
      checkKey(key, 'metric key');
      const v = parseInput(metricValueSchema, value, `metrics.${key}`);
      const { step, time } = metricOpts(opts);
      push(key, v, step, time);
      await afterPush();
    },
    async logMetrics(values, opts) {
      assertOpen();
      const entries = Object.entries(values);
      for (const [key, value] of entries) {
        checkKey(key, 'metric key');
        parseInput(metricValueSchema, value, `metrics.${key}`);
      }
      const { step, time } = metricOpts(opts);
      for (const [key, value] of entries) push(key, value, step, time);
      await afterPush();
    },
    flush,
    async setTag(key, value) {
      assertOpen();
      await writeTags({ [key]: value });
    },
    async setTags(tags) {
      assertOpen();
      await writeTags(tags);
    },
    async logArtifact(name, body) {
      assertOpen();
      const n = parseInput(artifactNameSchema, name, 'artifact name');
      const objects = ctx.objects;
      if (!objects) {
        throw new MlopsError('UNSUPPORTED', {
          message: 'This tracker has no object store: pass createTracker({ store, objects })',
        });
      }
      const source = await artifactSource(body);
      const put = await objects.put(source);
      await store.transaction(async (tx) => {
        const inserted = await tx.query(
          `INSERT INTO core_run_artifacts (run_id, name, digest, size) VALUES ($1, $2, $3, $4)
           ON CONFLICT (run_id, name) DO NOTHING RETURNING name`,
          [runId, n, put.digest, put.size],
        );
        if (inserted.length === 0) {
          const [existing] = await tx.query<{ digest: string }>(
            'SELECT digest FROM core_run_artifacts WHERE run_id = $1 AND name = $2',
            [runId, n],
          );
          if (existing && existing.digest !== put.digest) {
            throw new MlopsError('CONFLICT', {
              message: `Run ${runId} already has an artifact "${n}" with other content; artifacts are immutable`,
              details: { runId, name: n, existing: existing.digest, new: put.digest },
            });
          }
        }
        await recordObjectRef(tx, { digest: put.digest, kind: 'run-artifact', ownerId: runId });
      });
      return { name: n, digest: put.digest, size: put.size };
    },
    async logDatasetVersion(use) {
      assertOpen();
      const d = parseInput(datasetUseSchema, use, 'dataset');
      await store.transaction(async (tx) => {
        await tx.query(
          `INSERT INTO core_run_datasets (run_id, name, version, role) VALUES ($1, $2, $3, $4)
           ON CONFLICT DO NOTHING`,
          [runId, d.name, d.version, d.role],
        );
        // A version that core's dataset versioning knows also gets a lineage row, so `listDatasetLineage` sees this
        // run; an external id (not versioned here) stays in core_run_datasets only.
        try {
          await recordDatasetUse(tx, { datasetVersion: { name: d.name, version: d.version }, runId, role: d.role });
        } catch (err) {
          if (!isMlopsError(err, 'NOT_FOUND')) throw err;
        }
      });
    },
    async end(opts = {}) {
      const s = parseInput(endStatusSchema.default('finished'), opts.status, 'status');
      assertOpen();
      ending = true;
      try {
        await flush();
      } catch (err) {
        ending = false;
        throw err;
      }
      clearInterval(timer);
      status = s;
      const rows = await store.query(
        `UPDATE core_runs SET status = $2, end_time = $3, last_seen_at = now() WHERE id = $1 AND status = 'running'
         RETURNING id`,
        [runId, s, new Date()],
      );
      if (rows.length === 0) {
        throw new MlopsError('CONFLICT', {
          message: `Run ${runId} was already ended elsewhere (e.g. marked killed by markStaleRuns)`,
          details: { runId },
        });
      }
    },
  };
  return run;
}

async function artifactSource(body: ObjectBody | ArtifactPath): Promise<ObjectBody> {
  if (typeof body === 'object' && body !== null && 'path' in body && typeof body.path === 'string') {
    const path = body.path;
    const st = await stat(path).catch((cause: unknown) => {
      throw new MlopsError('NOT_FOUND', { message: `Artifact file ${path} not found`, details: { path }, cause });
    });
    if (!st.isFile()) {
      throw new MlopsError('INVALID_INPUT', {
        message: `Artifact ${path} is not a file (log a directory's files one by one)`,
        details: [{ path: 'path', message: 'must be a regular file' }],
      });
    }
    return createReadStream(path);
  }
  return body as ObjectBody;
}

/** Inserts params; a key already logged with another value is a `CONFLICT` (and the caller's transaction rolls back). */
export async function insertParams(
  tx: Store,
  runId: string,
  keys: string[],
  texts: string[],
  jsons: string[],
): Promise<void> {
  await tx.query(
    `INSERT INTO core_params (run_id, key, value, value_json)
     SELECT $1, u.k, u.v, u.j::jsonb FROM unnest($2::text[], $3::text[], $4::text[]) AS u(k, v, j)
     ON CONFLICT (run_id, key) DO NOTHING`,
    [runId, keys, texts, jsons],
  );
  const clashes = await tx.query<{ key: string; value: string; new_value: string }>(
    `SELECT p.key, p.value, u.v AS new_value FROM core_params p
     JOIN unnest($2::text[], $3::text[], $4::text[]) AS u(k, v, j) ON p.key = u.k
     WHERE p.run_id = $1 AND p.value_json <> u.j::jsonb ORDER BY p.key`,
    [runId, keys, texts, jsons],
  );
  if (clashes.length > 0) {
    throw new MlopsError('CONFLICT', {
      message: `Params are immutable: run ${runId} already has ${clashes
        .map((c) => `${c.key}=${JSON.stringify(c.value)} (not ${JSON.stringify(c.new_value)})`)
        .join(', ')}`,
      details: clashes.map((c) => ({ path: `params.${c.key}`, message: `already logged as ${c.value}` })),
    });
  }
}

/** Sets tags (the last value wins). */
export async function upsertTags(tx: Store, runId: string, keys: string[], values: string[]): Promise<void> {
  await tx.query(
    `INSERT INTO core_run_tags (run_id, key, value)
     SELECT $1, u.k, u.v FROM unnest($2::text[], $3::text[]) AS u(k, v)
     ON CONFLICT (run_id, key) DO UPDATE SET value = EXCLUDED.value`,
    [runId, keys, values],
  );
}
