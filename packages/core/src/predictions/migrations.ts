import type { Migration } from '../store/store.js';

/** Tables of the prediction log and its feedback (namespace `core.predictions`). */
export const PREDICTIONS_MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'prediction log and feedback',
    sql: `CREATE TABLE core_predictions (
      id text PRIMARY KEY,
      request_id text NOT NULL,
      position integer NOT NULL DEFAULT 0,
      model text NOT NULL,
      version text,
      alias text,
      time timestamptz NOT NULL,
      latency_ms double precision,
      inputs jsonb NOT NULL,
      outputs jsonb
    );
    CREATE INDEX core_predictions_model_time ON core_predictions (model, time);
    CREATE INDEX core_predictions_model_version_time ON core_predictions (model, version, time);
    CREATE INDEX core_predictions_request ON core_predictions (request_id);
    CREATE TABLE core_feedback (
      id bigserial PRIMARY KEY,
      prediction_id text,
      request_id text,
      label jsonb,
      value double precision,
      time timestamptz NOT NULL,
      recorded_at timestamptz NOT NULL DEFAULT now(),
      CHECK (prediction_id IS NOT NULL OR request_id IS NOT NULL),
      CHECK (label IS NOT NULL OR value IS NOT NULL)
    );
    CREATE INDEX core_feedback_prediction ON core_feedback (prediction_id, time) WHERE prediction_id IS NOT NULL;
    CREATE INDEX core_feedback_request ON core_feedback (request_id, time) WHERE request_id IS NOT NULL`,
  },
  {
    version: 2,
    name: 'feedback for one model of a request',
    // NULL: the feedback applies to every prediction of the request (as before); else only to that model's.
    sql: 'ALTER TABLE core_feedback ADD COLUMN model text',
  },
  {
    version: 3,
    name: 'predictions logged without inputs',
    // NULL: the logger ran with `inputs: 'none'` (see PredictionLoggerOptions.inputs).
    sql: 'ALTER TABLE core_predictions ALTER COLUMN inputs DROP NOT NULL',
  },
  {
    version: 4,
    name: 'one time index per model',
    // Every logged row paid for three secondary indexes. (model, version, time) cost about a fifth of each INSERT
    // (bench: 61 -> 37 µs per row on PGlite, 38 -> 33 µs on PostgreSQL) and served only reads of one version, which
    // (model, time) serves too: a version's window is read from the model's window, whose other versions (a shadow or
    // a canary) it filters out.
    sql: 'DROP INDEX IF EXISTS core_predictions_model_version_time',
  },
];
