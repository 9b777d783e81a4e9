import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import {
  createProgress,
  MlopsError,
  type Progress,
  type ProgressOptions,
  SILENT_PROGRESS,
  type Store,
} from '@mlops/core';
import { migrateValidation } from '../validation/migrations.js';
import { ValidationFailedError, type ValidationReport } from '../validation/report.js';
import { writeValidationReport } from '../validation/results-store.js';
import { validateSource } from '../validation/validate-table.js';
import {
  mapRelation,
  parseRelation,
  quoteIdent,
  quoteRelation,
  type RelationName,
  relationText,
} from './identifiers.js';
import { contentHash, dropStatement, relationKind } from './relations.js';
import type { Materialization, SqlStep } from './steps.js';
import { renderTemplate, templateRefs } from './template.js';

/** The suite name under which SQL steps save their validation reports. */
export const SQL_STEP_SUITE = 'sql-step';

/** Options of {@link runSqlSteps}. */
export interface RunSqlStepsOptions {
  store: Store;
  steps: readonly SqlStep[];
  /**
   * Logical → physical schema names (`{ raw: 'tenant1_raw' }`), applied to step names and `ref()`s.
   * @default {} (schemas as written)
   */
  schemas?: Readonly<Record<string, string>>;
  /**
   * Rebuild every step, even when its SQL and inputs are unchanged.
   * @default false
   */
  force?: boolean;
  /**
   * Offending rows kept per failed expectation.
   * @default 5
   */
  sampleLimit?: number;
  /**
   * Current time for freshness expectations.
   * @default new Date()
   */
  now?: Date;
  /**
   * Progress over the steps; `false` turns it off.
   * @default a line on a TTY (stderr), nothing otherwise
   */
  progress?: false | Pick<ProgressOptions, 'mode' | 'stream'>;
  /**
   * Called after each step with its result.
   * @default undefined
   */
  onStep?: (result: SqlStepResult) => void;
}

/** What happened to one step. */
export interface SqlStepResult {
  /** The step name (`staging.tickets`). */
  name: string;
  /** The physical relation (after schema mapping). */
  relation: string;
  /** `ran`: materialised now; `skipped`: SQL and inputs unchanged since the last run, output kept. */
  status: 'ran' | 'skipped';
  materialized: Materialization;
  rows: number;
  /** Hash of the SQL text, materialisation, expectations and input content hashes (the cache key). */
  stepHash: string;
  /** Content hash of the output (the dataset version its validation report is saved under). */
  outputHash: string;
  /** Content hashes of the inputs, by name. */
  inputs: { name: string; hash: string }[];
  /** The validation report of the output; null when skipped or without expectations. */
  validation: ValidationReport | null;
}

/** The result of {@link runSqlSteps}: every step in the order it ran. */
export interface SqlRunResult {
  steps: SqlStepResult[];
  ran: string[];
  skipped: string[];
}

interface Planned {
  step: SqlStep;
  sql: string;
  deps: string[];
  rel: RelationName;
}

/** Orders steps so every step comes after the steps it reads (Kahn's algorithm, ties by name); refuses cycles. */
export function orderSteps<T extends { name: string; deps: string[] }>(items: readonly T[]): T[] {
  const byName = new Map(items.map((s) => [s.name, s]));
  const indegree = new Map(items.map((s) => [s.name, 0]));
  const downstream = new Map<string, string[]>(items.map((s) => [s.name, []]));
  for (const s of items) {
    for (const d of new Set(s.deps)) {
      if (!byName.has(d) || d === s.name) continue;
      indegree.set(s.name, indegree.get(s.name)! + 1);
      downstream.get(d)!.push(s.name);
    }
    if (s.deps.includes(s.name)) throw cycleError([s.name, s.name]);
  }
  const ready = [...indegree].filter(([, n]) => n === 0).map(([k]) => k);
  const out: T[] = [];
  while (ready.length > 0) {
    ready.sort();
    const name = ready.shift()!;
    out.push(byName.get(name)!);
    for (const next of downstream.get(name)!) {
      const n = indegree.get(next)! - 1;
      indegree.set(next, n);
      if (n === 0) ready.push(next);
    }
  }
  if (out.length < items.length) {
    const left = new Set(items.filter((s) => !out.includes(s)).map((s) => s.name));
    // Walk upstream inside the remaining nodes until a node repeats: that is a cycle.
    let cur = [...left].sort()[0]!;
    const path: string[] = [];
    while (!path.includes(cur)) {
      path.push(cur);
      cur = byName.get(cur)!.deps.find((d) => left.has(d))!;
    }
    throw cycleError([...path.slice(path.indexOf(cur)), cur].reverse());
  }
  return out;
}

function cycleError(path: string[]): MlopsError {
  return new MlopsError('INVALID_INPUT', {
    message: `SQL steps form a cycle: ${path.join(' → ')}`,
    details: { cycle: path },
  });
}

function sha256(text: string): string {
  return `sha256:${createHash('sha256').update(text).digest('hex')}`;
}

function tmpName(rel: RelationName): RelationName {
  const suffix = '__mlops_new';
  return { schema: rel.schema, name: `${rel.name.slice(0, 63 - suffix.length)}${suffix}` };
}

function makeProgress(option: RunSqlStepsOptions['progress'], total: number): Progress {
  if (option === false) return SILENT_PROGRESS;
  if (option === undefined && !process.stderr.isTTY) return SILENT_PROGRESS;
  return createProgress({ mode: 'auto', ...option, label: 'sql steps', total });
}

class Rollback extends Error {
  constructor(
    readonly report: ValidationReport,
    readonly outputHash: string,
  ) {
    super('validation failed');
  }
}

/**
 * Runs SQL steps in dependency order, each in its own transaction: the SELECT is materialised under a temporary
 * name, its expectations run on it, and only then it replaces the previous output, so a failure (SQL error or a
 * failed `error` expectation) leaves the previous table or view intact and stops the run. A step whose SQL,
 * expectations and input contents are unchanged since its last run, and whose output still exists, is skipped.
 * Validation reports are saved under the step name and the output's content hash (suite `sql-step`).
 *
 * @example
 * const result = await runSqlSteps({ store, steps: await sqlStepsFromDir('sql') });
 */
export async function runSqlSteps(options: RunSqlStepsOptions): Promise<SqlRunResult> {
  const { store } = options;
  const schemas = options.schemas ?? {};
  const names = new Set<string>();
  const planned: Planned[] = [];
  for (const step of options.steps) {
    if (names.has(step.name)) {
      throw new MlopsError('INVALID_INPUT', { message: `Two SQL steps are named "${step.name}"` });
    }
    names.add(step.name);
    const sql = step.sql ?? (await readFile(step.file!, 'utf8'));
    const refs = templateRefs(sql).map((r) => relationText(parseRelation(r, 'ref')));
    planned.push({
      step,
      sql,
      deps: [...new Set([...refs, ...step.dependsOn.map((d) => relationText(parseRelation(d, 'dependsOn')))])],
      rel: mapRelation(parseRelation(step.name, 'step name'), schemas),
    });
  }
  const ordered = orderSteps(planned.map((p) => ({ ...p, name: p.step.name })));
  await migrateValidation(store);

  const physical = (name: string) => mapRelation(parseRelation(name, 'ref'), schemas);
  const outputs = new Map<string, string>();
  const results: SqlStepResult[] = [];
  const progress = makeProgress(options.progress, ordered.length);
  try {
    for (const p of ordered) {
      const inputs: { name: string; hash: string }[] = [];
      for (const dep of [...p.deps].sort()) {
        let hash = outputs.get(dep);
        if (hash === undefined) {
          const rel = physical(dep);
          if ((await relationKind(store, rel)) === undefined) {
            throw new MlopsError('NOT_FOUND', {
              message: `SQL step ${p.step.name} reads ${dep} (${relationText(rel)}), which is neither a step nor an existing relation`,
              details: { step: p.step.name, ref: dep, relation: relationText(rel) },
            });
          }
          hash = (await contentHash(store, rel)).hash;
          outputs.set(dep, hash);
        }
        inputs.push({ name: dep, hash });
      }
      const result = await runStep(store, p, inputs, options, physical);
      outputs.set(p.step.name, result.outputHash);
      results.push(result);
      options.onStep?.(result);
      progress.tick();
    }
  } catch (err) {
    progress.fail(err);
    throw err;
  }
  progress.done();
  return {
    steps: results,
    ran: results.filter((r) => r.status === 'ran').map((r) => r.name),
    skipped: results.filter((r) => r.status === 'skipped').map((r) => r.name),
  };
}

async function runStep(
  store: Store,
  p: Planned,
  inputs: { name: string; hash: string }[],
  options: RunSqlStepsOptions,
  physical: (name: string) => RelationName,
): Promise<SqlStepResult> {
  const { step, rel } = p;
  const relation = relationText(rel);
  const stepHash = sha256(
    JSON.stringify({
      v: 1,
      relation,
      sql: p.sql,
      materialized: step.materialized,
      expectations: step.expectations,
      inputs,
    }),
  );
  const base = { name: step.name, relation, materialized: step.materialized, stepHash, inputs };
  const [state] = await store.query<{ step_hash: string; output_hash: string; row_count: number | string }>(
    'SELECT step_hash, output_hash, row_count FROM pipelines_sql_steps WHERE relation = $1',
    [relation],
  );
  const kind = await relationKind(store, rel);
  const expectedKind = step.materialized === 'table' ? 'r' : 'v';
  if (!options.force && state && state.step_hash === stepHash && kind === expectedKind) {
    return {
      ...base,
      status: 'skipped',
      rows: Number(state.row_count),
      outputHash: state.output_hash,
      validation: null,
    };
  }
  if (kind !== undefined && dropStatement(kind, rel) === undefined) {
    throw new MlopsError('CONFLICT', {
      message: `SQL step ${step.name}: ${relation} exists and is not a table or view; refusing to replace it`,
    });
  }
  const compiled = renderTemplate(p.sql, { ref: (n) => quoteRelation(physical(n)) });
  const tmp = tmpName(rel);
  const validationOptions = {
    target: step.name,
    ...(options.sampleLimit !== undefined ? { sampleLimit: options.sampleLimit } : {}),
    ...(options.now ? { now: options.now } : {}),
    schemas: options.schemas ?? {},
  };
  try {
    return await store.transaction(async (tx) => {
      await tx.exec(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(rel.schema!, 'schema')}`);
      const tmpKind = await relationKind(tx, tmp);
      if (tmpKind !== undefined) await tx.exec(dropStatement(tmpKind, tmp)!);
      const what = step.materialized === 'table' ? 'TABLE' : 'VIEW';
      try {
        await tx.exec(`CREATE ${what} ${quoteRelation(tmp)} AS ${compiled}`);
      } catch (cause) {
        throw new MlopsError('INVALID_INPUT', {
          message: `SQL step ${step.name} failed: ${(cause as Error).message}`,
          cause,
          details: { step: step.name, relation },
        });
      }
      const output = await contentHash(tx, tmp);
      const validation =
        step.expectations.length > 0
          ? await validateSource(
              tx,
              { prefix: '', from: quoteRelation(tmp), params: [] },
              step.expectations,
              validationOptions,
            )
          : null;
      if (validation && !validation.success) throw new Rollback(validation, output.hash);
      const current = await relationKind(tx, rel);
      if (current !== undefined) await tx.exec(dropStatement(current, rel)!);
      await tx.exec(`ALTER ${what} ${quoteRelation(tmp)} RENAME TO ${quoteIdent(rel.name)}`);
      await tx.query(
        `INSERT INTO pipelines_sql_steps (relation, step, step_hash, output_hash, materialized, row_count, inputs, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, now())
         ON CONFLICT (relation) DO UPDATE SET step = EXCLUDED.step, step_hash = EXCLUDED.step_hash,
           output_hash = EXCLUDED.output_hash, materialized = EXCLUDED.materialized, row_count = EXCLUDED.row_count,
           inputs = EXCLUDED.inputs, updated_at = EXCLUDED.updated_at`,
        [relation, step.name, stepHash, output.hash, step.materialized, output.rows, JSON.stringify(inputs)],
      );
      if (validation) {
        await writeValidationReport(tx, {
          dataset: { name: step.name, version: output.hash },
          suite: SQL_STEP_SUITE,
          report: validation,
        });
      }
      return { ...base, status: 'ran' as const, rows: output.rows, outputHash: output.hash, validation };
    });
  } catch (err) {
    if (!(err instanceof Rollback)) throw err;
    // The failed output was rolled back; its report is kept for inspection under the would-be version.
    await writeValidationReport(store, {
      dataset: { name: step.name, version: err.outputHash },
      suite: SQL_STEP_SUITE,
      report: err.report,
    });
    throw new ValidationFailedError(err.report, { step: step.name });
  }
}
