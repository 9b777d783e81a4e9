import { readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { MlopsError } from '@mlops/core';
import { z } from 'zod';
import { parseOrThrow } from '../validation/_zod.js';
import { type Expectation, expectationSchema } from '../validation/expectations.js';
import { parseRelation, relationText } from './identifiers.js';
import { templateRefs } from './template.js';

/** How a step's output is kept: a table (computed once per run) or a view (computed when read). */
export type Materialization = 'table' | 'view';

/** Input of {@link sqlStep}. */
export interface SqlStepInput {
  /** The relation the step materialises, `schema.table` (e.g. `staging.tickets`); also the step's name. */
  name: string;
  /**
   * The SELECT producing the output; read other relations with `{{ ref('schema.table') }}`. Give `sql` or `file`.
   * @default undefined
   */
  sql?: string;
  /**
   * A file holding the SELECT, read when the step runs.
   * @default undefined
   */
  file?: string;
  /**
   * Kept as a table or a view.
   * @default 'table'
   */
  materialized?: Materialization;
  /**
   * Upstream relations besides those read with `ref()` (e.g. read through a function).
   * @default []
   */
  dependsOn?: string[];
  /**
   * Expectations on the output; a failed `error` expectation fails the step and keeps the previous output.
   * @default []
   */
  expectations?: Expectation[];
  /**
   * One line about the step, shown in logs and docs.
   * @default undefined
   */
  description?: string;
}

/** A validated SQL step (from {@link sqlStep}). */
export interface SqlStep {
  name: string;
  sql?: string;
  file?: string;
  materialized: Materialization;
  dependsOn: string[];
  expectations: Expectation[];
  description?: string;
}

const stepSchema = z
  .object({
    name: z.string(),
    sql: z.string().min(1).optional(),
    file: z.string().min(1).optional(),
    materialized: z.enum(['table', 'view']).default('table'),
    dependsOn: z.array(z.string()).default([]),
    expectations: z.array(expectationSchema).default([]),
    description: z.string().optional(),
  })
  .refine((s) => (s.sql === undefined) !== (s.file === undefined), 'give exactly one of sql or file');

/**
 * Declares a SQL transformation step: a SELECT materialised as a table or view named `schema.table`, reading its
 * inputs through `{{ ref('schema.table') }}` (dependencies are inferred from them, as dbt does).
 * @example
 * sqlStep({ name: 'staging.tickets', sql: "SELECT lower(btrim(body)) AS body FROM {{ ref('raw.tickets') }}" })
 */
export function sqlStep(input: SqlStepInput): SqlStep {
  const step = parseOrThrow(stepSchema, input, `SQL step ${JSON.stringify(input?.name)}`);
  const rel = parseRelation(step.name, 'step name');
  if (rel.schema === undefined) {
    throw new MlopsError('INVALID_INPUT', {
      message: `SQL step "${step.name}" must be schema-qualified, e.g. "staging.${step.name}"`,
      details: [{ path: 'name', message: 'expected schema.table' }],
    });
  }
  for (const d of step.dependsOn) parseRelation(d, 'dependsOn');
  if (step.sql !== undefined) for (const r of templateRefs(step.sql)) parseRelation(r, 'ref');
  const out: SqlStep = {
    name: relationText(rel),
    materialized: step.materialized,
    dependsOn: step.dependsOn,
    expectations: step.expectations,
  };
  if (step.sql !== undefined) out.sql = step.sql;
  if (step.file !== undefined) out.file = step.file;
  if (step.description !== undefined) out.description = step.description;
  return out;
}

/** Options of {@link sqlStepsFromDir}. */
export interface SqlStepsFromDirOptions {
  /**
   * Steps to materialise as views, by name.
   * @default [] (all tables)
   */
  views?: string[];
  /**
   * Expectations per step name.
   * @default {}
   */
  expectations?: Record<string, Expectation[]>;
}

/**
 * Reads a dbt-style models folder: `<dir>/<schema>/<table>.sql` becomes step `schema.table`.
 * @example const steps = await sqlStepsFromDir('sql', { views: ['features.topic_shares'] });
 */
export async function sqlStepsFromDir(dir: string, options: SqlStepsFromDirOptions = {}): Promise<SqlStep[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const files = entries
    .filter((e) => e.isFile() && e.name.endsWith('.sql'))
    .map((e) => join(e.parentPath, e.name))
    .sort();
  const steps: SqlStep[] = [];
  for (const file of files) {
    const parts = relative(dir, file).slice(0, -'.sql'.length).split(sep);
    if (parts.length !== 2) {
      throw new MlopsError('INVALID_INPUT', {
        message: `${file}: SQL step files must sit at <dir>/<schema>/<table>.sql`,
      });
    }
    const name = parts.join('.');
    steps.push(
      sqlStep({
        name,
        sql: await readFile(file, 'utf8'),
        materialized: options.views?.includes(name) ? 'view' : 'table',
        expectations: options.expectations?.[name] ?? [],
      }),
    );
  }
  return steps;
}
