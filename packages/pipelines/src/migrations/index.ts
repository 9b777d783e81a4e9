import type { Migration } from '@mlops/core';

/** The migration namespace of `@mlops/pipelines` (pipelines, tuning, continuous training). */
export const PIPELINES_NAMESPACE = 'pipelines';

/** Versioned schema of the `pipelines_*` tables: step cache, tuning studies and trials, retraining decisions. */
export const PIPELINES_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'step cache, studies, trials, retrain decisions',
    sql: `
CREATE TABLE pipelines_step_cache (
  cache_key text PRIMARY KEY,
  pipeline text NOT NULL,
  step text NOT NULL,
  step_version text NOT NULL,
  output_digest text NOT NULL,
  run_id text,
  lineage jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX pipelines_step_cache_step ON pipelines_step_cache (pipeline, step);

CREATE TABLE pipelines_studies (
  name text PRIMARY KEY,
  direction text NOT NULL CHECK (direction IN ('minimize', 'maximize')),
  sampler text NOT NULL,
  seed bigint NOT NULL,
  space jsonb NOT NULL,
  pruner jsonb,
  experiment text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE pipelines_trials (
  study text NOT NULL REFERENCES pipelines_studies (name) ON DELETE CASCADE,
  number integer NOT NULL,
  status text NOT NULL CHECK (status IN ('running', 'complete', 'pruned', 'failed')),
  params jsonb NOT NULL,
  value double precision,
  run_id text,
  worker text NOT NULL,
  error text,
  started_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz,
  PRIMARY KEY (study, number)
);

CREATE TABLE pipelines_trial_values (
  study text NOT NULL,
  number integer NOT NULL,
  step integer NOT NULL,
  value double precision NOT NULL,
  PRIMARY KEY (study, number, step),
  FOREIGN KEY (study, number) REFERENCES pipelines_trials (study, number) ON DELETE CASCADE
);

CREATE TABLE pipelines_retrain_decisions (
  id bigserial PRIMARY KEY,
  model text NOT NULL,
  alias text NOT NULL,
  status text NOT NULL CHECK (status IN ('running', 'no-action', 'promoted', 'rejected', 'failed', 'abandoned')),
  triggered boolean NOT NULL DEFAULT false,
  reasons jsonb NOT NULL DEFAULT '[]'::jsonb,
  evaluation jsonb,
  incumbent_version integer,
  candidate_version integer,
  promotion_decision_id integer,
  error text,
  principal text NOT NULL,
  started_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz
);
CREATE INDEX pipelines_retrain_decisions_model ON pipelines_retrain_decisions (model, alias, id DESC);
-- One retraining at a time per (model, alias), across processes: a second runOnce gets CONFLICT.
CREATE UNIQUE INDEX pipelines_retrain_decisions_running ON pipelines_retrain_decisions (model, alias)
  WHERE status = 'running';
`,
  },
];
