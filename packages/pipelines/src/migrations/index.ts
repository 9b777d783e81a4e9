import type { Migration } from '@mlops/core';

/** The migration namespace of `@mlops/pipelines` (pipelines, tuning, continuous training). */
export const PIPELINES_NAMESPACE = 'pipelines';

/**
 * Versioned schema of the `pipelines_*` tables: step cache, tuning studies and trials (with leases since #2). Retraining
 * decisions lived in `pipelines_retrain_decisions` until #3 moved them to core's `core_retrain_decisions`. #4 records
 * the alerts the Alertmanager receiver got.
 */
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
  {
    version: 2,
    name: 'trial leases and heartbeats',
    sql: `
-- A running trial belongs to its worker while its lease lasts; the worker renews it (heartbeat). A trial whose lease
-- expired (its process died) is claimed again by another worker, with the same number and params.
ALTER TABLE pipelines_trials ADD COLUMN attempt integer NOT NULL DEFAULT 1;
ALTER TABLE pipelines_trials ADD COLUMN heartbeat_at timestamptz;
ALTER TABLE pipelines_trials ADD COLUMN lease_expires_at timestamptz;
CREATE INDEX pipelines_trials_lease ON pipelines_trials (study, lease_expires_at) WHERE status = 'running';
`,
  },
  {
    version: 3,
    name: 'retrain decisions move to core_retrain_decisions',
    // Needs core's table (namespace core.retrain-decisions), which migratePipelines applies first. Ids are kept when
    // core's table is still empty, so alerts and logs that name a decision id stay valid.
    sql: `
DO $$
DECLARE
  keep_ids boolean;
BEGIN
  IF to_regclass('pipelines_retrain_decisions') IS NULL THEN
    RETURN;
  END IF;
  IF to_regclass('core_retrain_decisions') IS NULL THEN
    RAISE EXCEPTION 'core_retrain_decisions does not exist: apply the core.retrain-decisions migrations first';
  END IF;
  SELECT NOT EXISTS (SELECT 1 FROM core_retrain_decisions) INTO keep_ids;
  IF keep_ids THEN
    INSERT INTO core_retrain_decisions (id, model, alias, status, triggered, reasons, evaluation, incumbent_version,
      candidate_version, promotion_decision_id, error, principal, started_at, finished_at)
    SELECT id, model, alias, status, triggered, reasons, evaluation, incumbent_version, candidate_version,
      promotion_decision_id, error, principal, started_at, finished_at
    FROM pipelines_retrain_decisions ORDER BY id;
    PERFORM setval(pg_get_serial_sequence('core_retrain_decisions', 'id'),
      (SELECT coalesce(max(id), 0) + 1 FROM core_retrain_decisions), false);
  ELSE
    INSERT INTO core_retrain_decisions (model, alias, status, triggered, reasons, evaluation, incumbent_version,
      candidate_version, promotion_decision_id, error, principal, started_at, finished_at)
    SELECT model, alias, status, triggered, reasons, evaluation, incumbent_version, candidate_version,
      promotion_decision_id, error, principal, started_at, finished_at
    FROM pipelines_retrain_decisions ORDER BY id;
  END IF;
  DROP TABLE pipelines_retrain_decisions;
END
$$;
`,
  },
  {
    version: 4,
    name: 'alerts received from Alertmanager',
    sql: `
-- Every alert the Alertmanager receiver got, with what it did: a firing alert re-sent every repeat_interval (same
-- fingerprint, same startsAt) finds the decision of its first delivery here and starts nothing while it stands.
CREATE TABLE pipelines_alert_events (
  id bigserial PRIMARY KEY,
  fingerprint text NOT NULL,
  alertname text NOT NULL,
  status text NOT NULL,
  starts_at text,
  model text,
  action text NOT NULL,
  decision_id text,
  message text NOT NULL,
  labels jsonb NOT NULL DEFAULT '{}'::jsonb,
  received_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX pipelines_alert_events_fingerprint ON pipelines_alert_events (fingerprint, id DESC);
`,
  },
];
