import type { Migration } from '../store/store.js';

/** The retraining decisions table (namespace `core.retrain-decisions`): written by continuous-training policies, read by servers. */
export const RETRAIN_DECISIONS_MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'retrain decisions',
    sql: `CREATE TABLE core_retrain_decisions (
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
    CREATE INDEX core_retrain_decisions_model ON core_retrain_decisions (model, alias, id DESC);
    -- One retraining at a time per (model, alias), across processes: a second running row is a unique violation.
    CREATE UNIQUE INDEX core_retrain_decisions_running ON core_retrain_decisions (model, alias) WHERE status = 'running'`,
  },
  {
    version: 2,
    name: 'blocked retrain decisions',
    // A broken feed blocks retraining (@mlops/monitoring's verdict): recorded as its own outcome.
    sql: `ALTER TABLE core_retrain_decisions DROP CONSTRAINT core_retrain_decisions_status_check;
    ALTER TABLE core_retrain_decisions ADD CONSTRAINT core_retrain_decisions_status_check
      CHECK (status IN ('running', 'no-action', 'blocked', 'promoted', 'rejected', 'failed', 'abandoned'))`,
  },
  {
    version: 3,
    name: 'retrain decision runs',
    // Every retraining is a tracked run (core's tracking): the decision links to it.
    sql: 'ALTER TABLE core_retrain_decisions ADD COLUMN run_id text',
  },
];
