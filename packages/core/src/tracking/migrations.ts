import type { Migration } from '../store/store.js';

/**
 * Tables of experiment tracking (namespace `core.tracking`). `core_metrics` is the one table written at volume: it has
 * no foreign key and no sequence, each of which halves batched insert speed on PGlite; its rows are only written by a
 * run handle (so the run exists), and whoever deletes a run deletes its metric rows in the same transaction.
 */
export const TRACKING_MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'experiments, runs, params, metrics, tags, artifacts, datasets',
    sql: `CREATE TABLE core_experiments (
      id text PRIMARY KEY,
      name text NOT NULL UNIQUE,
      description text,
      tags jsonb NOT NULL DEFAULT '{}'::jsonb,
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE TABLE core_runs (
      id text PRIMARY KEY,
      experiment_id text NOT NULL REFERENCES core_experiments (id),
      parent_run_id text REFERENCES core_runs (id),
      name text,
      status text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'finished', 'failed', 'killed')),
      start_time timestamptz NOT NULL,
      end_time timestamptz,
      last_seen_at timestamptz NOT NULL DEFAULT now(),
      git_commit text,
      git_dirty boolean,
      source_entry_point text,
      source_user text
    );
    CREATE INDEX core_runs_experiment ON core_runs (experiment_id, start_time DESC);
    CREATE INDEX core_runs_parent ON core_runs (parent_run_id);
    CREATE INDEX core_runs_running ON core_runs (last_seen_at) WHERE status = 'running';
    CREATE TABLE core_params (
      run_id text NOT NULL REFERENCES core_runs (id) ON DELETE CASCADE,
      key text NOT NULL,
      value text NOT NULL,
      value_json jsonb NOT NULL,
      PRIMARY KEY (run_id, key)
    );
    CREATE INDEX core_params_key_value ON core_params (key, value);
    CREATE TABLE core_metrics (
      run_id text NOT NULL,
      key text NOT NULL,
      value double precision NOT NULL,
      step bigint NOT NULL,
      timestamp_ms bigint NOT NULL
    );
    CREATE INDEX core_metrics_series ON core_metrics (run_id, key, step);
    CREATE TABLE core_latest_metrics (
      run_id text NOT NULL REFERENCES core_runs (id) ON DELETE CASCADE,
      key text NOT NULL,
      value double precision NOT NULL,
      step bigint NOT NULL,
      timestamp_ms bigint NOT NULL,
      PRIMARY KEY (run_id, key)
    );
    CREATE INDEX core_latest_metrics_key_value ON core_latest_metrics (key, value);
    CREATE TABLE core_run_tags (
      run_id text NOT NULL REFERENCES core_runs (id) ON DELETE CASCADE,
      key text NOT NULL,
      value text NOT NULL,
      PRIMARY KEY (run_id, key)
    );
    CREATE TABLE core_run_artifacts (
      run_id text NOT NULL REFERENCES core_runs (id) ON DELETE CASCADE,
      name text NOT NULL,
      digest text NOT NULL,
      size bigint NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (run_id, name)
    );
    CREATE TABLE core_run_datasets (
      run_id text NOT NULL REFERENCES core_runs (id) ON DELETE CASCADE,
      name text NOT NULL,
      version text NOT NULL,
      role text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (run_id, name, version, role)
    );
    CREATE INDEX core_run_datasets_version ON core_run_datasets (version)`,
  },
];
