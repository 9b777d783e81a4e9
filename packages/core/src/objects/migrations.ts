import type { Migration } from '../store/store.js';

/** Tables of core's object references (namespace `core.objects`). */
export const OBJECTS_MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'object references',
    sql: `CREATE TABLE core_object_refs (
      digest text NOT NULL,
      kind text NOT NULL,
      owner_id text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (digest, kind, owner_id)
    );
    CREATE INDEX core_object_refs_owner ON core_object_refs (kind, owner_id)`,
  },
];
