import type { Migration, Store } from '@mlops/core';

/** The migration namespace of the registry's tables. */
export const REGISTRY_NAMESPACE = 'registry';

/**
 * Tables of the model registry (namespace `registry`, tables `registry_*`). SQL runs on PostgreSQL 15 and PGlite.
 *
 * - `registry_models`: one row per registered model; `next_version` numbers versions (taken under the row lock).
 * - `registry_versions`: versions; `profile` (possibly large) is only read by `getProfile`.
 * - `registry_aliases`: the current target of each alias; the foreign key to the version refuses deleting a
 *   version an alias points to.
 * - `registry_alias_history`: every alias change, with `stack`, the rollback stack after the change.
 * - `registry_decisions`: every promotion decision (pass or fail) with its gate and evidence.
 * - `registry_audit`: the append-only audit log; triggers reject UPDATE, DELETE and TRUNCATE.
 */
export const REGISTRY_MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'models, versions, aliases, history, decisions, audit',
    sql: `
CREATE TABLE registry_models (
  name text PRIMARY KEY,
  description text NOT NULL DEFAULT '',
  tags jsonb NOT NULL DEFAULT '{}'::jsonb,
  next_version integer NOT NULL DEFAULT 1,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE registry_versions (
  model text NOT NULL REFERENCES registry_models (name) ON DELETE CASCADE,
  version integer NOT NULL,
  package_digest text NOT NULL,
  flavor text NOT NULL,
  signature jsonb,
  profile jsonb,
  metrics jsonb NOT NULL DEFAULT '{}'::jsonb,
  source_run_id text,
  dataset_versions jsonb NOT NULL DEFAULT '[]'::jsonb,
  tags jsonb NOT NULL DEFAULT '{}'::jsonb,
  description text NOT NULL DEFAULT '',
  status text NOT NULL DEFAULT 'ready',
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (model, version)
);
CREATE INDEX registry_versions_run ON registry_versions (source_run_id);

CREATE TABLE registry_aliases (
  model text NOT NULL REFERENCES registry_models (name) ON DELETE CASCADE,
  alias text NOT NULL,
  version integer NOT NULL,
  updated_by text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (model, alias),
  FOREIGN KEY (model, version) REFERENCES registry_versions (model, version)
);
CREATE INDEX registry_aliases_version ON registry_aliases (model, version);

CREATE TABLE registry_decisions (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  model text NOT NULL REFERENCES registry_models (name) ON DELETE CASCADE,
  alias text NOT NULL,
  candidate_version integer NOT NULL,
  incumbent_version integer,
  passed boolean NOT NULL,
  gate jsonb,
  evidence jsonb NOT NULL,
  principal text NOT NULL,
  reason text,
  at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX registry_decisions_model ON registry_decisions (model, alias, id);

CREATE TABLE registry_alias_history (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  model text NOT NULL REFERENCES registry_models (name) ON DELETE CASCADE,
  alias text NOT NULL,
  action text NOT NULL,
  from_version integer,
  to_version integer,
  stack integer[] NOT NULL,
  decision_id bigint REFERENCES registry_decisions (id),
  principal text NOT NULL,
  reason text,
  at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX registry_alias_history_alias ON registry_alias_history (model, alias, id);

CREATE TABLE registry_audit (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT clock_timestamp(),
  principal text NOT NULL,
  action text NOT NULL,
  model text,
  version integer,
  alias text,
  from_version integer,
  reason text,
  details jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX registry_audit_model ON registry_audit (model, id);

CREATE FUNCTION registry_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'registry_audit is append-only: % is not allowed', TG_OP USING ERRCODE = '42501';
END
$$;
CREATE TRIGGER registry_audit_no_update BEFORE UPDATE OR DELETE ON registry_audit
  FOR EACH ROW EXECUTE FUNCTION registry_audit_append_only();
CREATE TRIGGER registry_audit_no_truncate BEFORE TRUNCATE ON registry_audit
  FOR EACH STATEMENT EXECUTE FUNCTION registry_audit_append_only();
`,
  },
];

/**
 * Creates or upgrades the registry's tables. `createRegistry` does it when it opens; call this to prepare a database
 * ahead of time (a deploy step, a read-only role). Core's tables: `migrate(store)` from `@mlops/core`.
 */
export async function migrateRegistry(store: Store): Promise<void> {
  await store.migrate(REGISTRY_NAMESPACE, REGISTRY_MIGRATIONS);
}
