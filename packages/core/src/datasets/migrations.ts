import type { Migration } from '../store/store.js';

/** Tables of dataset versioning (namespace `core.datasets`): datasets, their versions, and lineage to runs. */
export const DATASETS_MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'datasets, versions and lineage',
    sql: `CREATE TABLE core_datasets (
      name text PRIMARY KEY,
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE TABLE core_dataset_versions (
      name text NOT NULL REFERENCES core_datasets (name),
      version text NOT NULL,
      digest text NOT NULL,
      type text NOT NULL CHECK (type IN ('file', 'directory')),
      size bigint NOT NULL CHECK (size >= 0),
      file_count integer,
      schema jsonb,
      stats jsonb,
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (name, version)
    );
    CREATE INDEX core_dataset_versions_created ON core_dataset_versions (name, created_at);
    CREATE TABLE core_dataset_lineage (
      name text NOT NULL,
      version text NOT NULL,
      run_id text NOT NULL,
      role text NOT NULL DEFAULT 'input',
      used_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (name, version, run_id, role),
      FOREIGN KEY (name, version) REFERENCES core_dataset_versions (name, version)
    );
    CREATE INDEX core_dataset_lineage_run ON core_dataset_lineage (run_id)`,
  },
];
