import { MlopsError } from '@mlops/core';

/** PostgreSQL's identifier length limit (NAMEDATALEN - 1), in bytes. */
export const MAX_IDENTIFIER_BYTES = 63;

/** Throws `INVALID_INPUT` unless `name` can be an SQL identifier: non-empty, at most 63 bytes, no NUL character. */
export function checkIdentifier(name: string, what = 'identifier'): string {
  if (typeof name !== 'string' || name.length === 0 || name.includes('\0')) {
    throw new MlopsError('INVALID_INPUT', {
      message: `Invalid ${what} ${JSON.stringify(name)}: must be a non-empty string without NUL characters`,
      details: [{ path: what, message: 'invalid identifier' }],
    });
  }
  if (Buffer.byteLength(name) > MAX_IDENTIFIER_BYTES) {
    throw new MlopsError('INVALID_INPUT', {
      message: `Invalid ${what} "${name}": longer than ${MAX_IDENTIFIER_BYTES} bytes`,
      details: [{ path: what, message: `at most ${MAX_IDENTIFIER_BYTES} bytes` }],
    });
  }
  return name;
}

/** Quotes an identifier for SQL after checking it (`tickets` → `"tickets"`, `a"b` → `"a""b"`). */
export function quoteIdent(name: string, what?: string): string {
  return `"${checkIdentifier(name, what).replaceAll('"', '""')}"`;
}

/** A relation name split in its schema (optional) and table parts. */
export interface RelationName {
  schema: string | undefined;
  name: string;
}

const PART = /^[A-Za-z_][A-Za-z0-9_$]*$/;

/**
 * Parses `schema.table` or `table` (unquoted parts of letters, digits, `_` and `$`, not starting with a digit).
 * Names needing quotes are refused on purpose: relation names also appear in `ref('…')` templates and file names.
 */
export function parseRelation(text: string, what = 'relation'): RelationName {
  const parts = typeof text === 'string' ? text.split('.') : [];
  if (parts.length < 1 || parts.length > 2 || parts.some((p) => !PART.test(p))) {
    throw new MlopsError('INVALID_INPUT', {
      message: `Invalid ${what} ${JSON.stringify(text)}: expected "schema.table" or "table" (letters, digits, _ and $)`,
      details: [{ path: what, message: 'expected schema.table' }],
    });
  }
  for (const p of parts) checkIdentifier(p, what);
  return parts.length === 2 ? { schema: parts[0], name: parts[1]! } : { schema: undefined, name: parts[0]! };
}

/** Maps a logical schema (`raw`, `staging`) to the physical one through `schemas`; unmapped schemas stay as they are. */
export function mapRelation(rel: RelationName, schemas: Readonly<Record<string, string>> = {}): RelationName {
  if (rel.schema === undefined) return rel;
  const physical = Object.hasOwn(schemas, rel.schema) ? schemas[rel.schema]! : rel.schema;
  checkIdentifier(physical, 'schema');
  return { schema: physical, name: rel.name };
}

/** Renders a relation as quoted SQL: `"staging"."tickets"`. */
export function quoteRelation(rel: RelationName): string {
  return rel.schema === undefined ? quoteIdent(rel.name) : `${quoteIdent(rel.schema)}.${quoteIdent(rel.name)}`;
}

/** Renders a relation as plain dotted text, for messages and keys: `staging.tickets`. */
export function relationText(rel: RelationName): string {
  return rel.schema === undefined ? rel.name : `${rel.schema}.${rel.name}`;
}
