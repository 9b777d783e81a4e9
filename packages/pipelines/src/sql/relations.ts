import { createHash } from 'node:crypto';
import type { Store } from '@mlops/core';
import { quoteRelation, type RelationName } from './identifiers.js';

/** The kind of an existing relation: `r` table, `v` view, `m` materialized view, `p` partitioned table, … */
export async function relationKind(store: Store, rel: RelationName): Promise<string | undefined> {
  const [row] = await store.query<{ kind: string }>(
    `SELECT c.relkind::text AS kind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = coalesce($1, current_schema()) AND c.relname = $2`,
    [rel.schema ?? null, rel.name],
  );
  return row?.kind;
}

/** The content hash of a relation's rows and column types. */
export interface ContentHash {
  /** `sha256:` of the column names and types plus the sorted row hashes: independent of row order. */
  hash: string;
  rows: number;
  columns: { name: string; type: string }[];
}

/**
 * Hashes a relation's content in the database (md5 of each row's text form, sorted and hashed again), so two
 * relations with the same rows and column types in any order get the same hash. Costs one scan and a sort.
 */
export async function contentHash(store: Store, rel: RelationName): Promise<ContentHash> {
  const quoted = quoteRelation(rel);
  const columns = await store.query<{ name: string; type: string }>(
    `SELECT a.attname::text AS name, format_type(a.atttypid, a.atttypmod) AS type FROM pg_attribute a
     WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
    [quoted],
  );
  const [row] = await store.query<{ n: number | string; h: string }>(
    `SELECT count(*) AS n, md5(coalesce(string_agg(_x.h, '' ORDER BY _x.h), '')) AS h
     FROM (SELECT md5(_s::text) AS h FROM ${quoted} AS _s) AS _x`,
  );
  const rows = Number(row?.n ?? 0);
  const hash = createHash('sha256')
    .update(JSON.stringify({ columns, rows, rowsMd5: row?.h ?? '' }))
    .digest('hex');
  return { hash: `sha256:${hash}`, rows, columns };
}

/** `DROP …` for an existing relation of the given kind (CASCADE drops views built on it), or undefined if unknown. */
export function dropStatement(kind: string, rel: RelationName): string | undefined {
  const what =
    kind === 'r' || kind === 'p' ? 'TABLE' : kind === 'v' ? 'VIEW' : kind === 'm' ? 'MATERIALIZED VIEW' : undefined;
  return what ? `DROP ${what} IF EXISTS ${quoteRelation(rel)} CASCADE` : undefined;
}
