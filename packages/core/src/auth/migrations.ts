import type { Migration } from '../store/store.js';

/** Tables of API keys (namespace `core.auth`). Only a hash of each secret is stored. */
export const AUTH_MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'api keys',
    sql: `CREATE TABLE core_api_keys (
      id text PRIMARY KEY,
      name text NOT NULL,
      secret_hash text NOT NULL,
      scopes jsonb NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      expires_at timestamptz,
      revoked_at timestamptz,
      last_used_at timestamptz
    );
    CREATE INDEX core_api_keys_name ON core_api_keys (name)`,
  },
];
