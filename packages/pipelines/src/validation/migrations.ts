import type { Migration, Store } from '@mlops/core';

/** The migration namespace of data validation, SQL transformation and ingestion tables. */
export const VALIDATION_NAMESPACE = 'pipelines.validation';

/**
 * Tables of data validation, SQL steps and ingestion (namespace `pipelines.validation`). SQL runs on PostgreSQL 15
 * and PGlite.
 *
 * - `pipelines_validation_results`: one validation report per dataset name, version and suite.
 * - `pipelines_sql_steps`: the last materialisation of each SQL step (cache key, output content hash, rows).
 * - `pipelines_ingestions`: one row per CSV ingestion, with its counts and outcome.
 * - `pipelines_quarantine`: malformed input rows with their line number, raw text and reason.
 */
export const VALIDATION_MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'validation results, sql step state, ingestions, quarantine',
    sql: `
CREATE TABLE pipelines_validation_results (
  dataset_name text NOT NULL,
  dataset_version text NOT NULL,
  suite text NOT NULL,
  target text NOT NULL,
  success boolean NOT NULL,
  errors integer NOT NULL,
  warnings integer NOT NULL,
  report jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (dataset_name, dataset_version, suite)
);
CREATE INDEX pipelines_validation_results_created ON pipelines_validation_results (dataset_name, created_at);

CREATE TABLE pipelines_sql_steps (
  relation text PRIMARY KEY,
  step text NOT NULL,
  step_hash text NOT NULL,
  output_hash text NOT NULL,
  materialized text NOT NULL CHECK (materialized IN ('table', 'view')),
  row_count bigint NOT NULL,
  inputs jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE pipelines_ingestions (
  id text PRIMARY KEY,
  target text NOT NULL,
  source text NOT NULL,
  status text NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
  rows_loaded bigint NOT NULL DEFAULT 0,
  rows_quarantined bigint NOT NULL DEFAULT 0,
  columns jsonb,
  error text,
  started_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz
);

CREATE TABLE pipelines_quarantine (
  id bigserial PRIMARY KEY,
  ingestion_id text NOT NULL REFERENCES pipelines_ingestions (id) ON DELETE CASCADE,
  target text NOT NULL,
  line integer NOT NULL,
  raw text NOT NULL,
  reason text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX pipelines_quarantine_ingestion ON pipelines_quarantine (ingestion_id, line);
CREATE INDEX pipelines_quarantine_target ON pipelines_quarantine (target, created_at);`,
  },
];

const migrated = new WeakMap<Store, Promise<void>>();

/** Creates the tables of this module if needed (idempotent; applied once per store object). */
export function migrateValidation(store: Store): Promise<void> {
  let p = migrated.get(store);
  if (!p) {
    p = store.migrate(VALIDATION_NAMESPACE, VALIDATION_MIGRATIONS);
    migrated.set(store, p);
    p.catch(() => migrated.delete(store));
  }
  return p;
}
