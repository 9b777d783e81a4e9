import type { Store } from '@mlops/core';
import type { Page } from '../types.js';
import { decodeCursor, encodeCursor } from './cursor.js';

/** Page size when a listing names none. */
export const DEFAULT_LIMIT = 100;

/** Builds a page from `limit + 1` rows: the extra row only says that there is a next page. */
export function page<T>(rows: T[], limit: number, cursorOf: (last: T) => (string | number)[]): Page<T> {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > limit && last !== undefined ? encodeCursor(cursorOf(last)) : null };
}

/**
 * One newest-first page of an append-only table, its `id` as the cursor, filtered by equality on each column
 * whose value is neither undefined nor empty.
 */
export async function pageById<T extends { id: number }>(
  db: Store,
  table: 'registry_alias_history' | 'registry_decisions' | 'registry_audit',
  filters: Record<string, string | boolean | undefined>,
  input: { cursor?: string | undefined; limit?: number | undefined },
  toItem: (row: Record<string, unknown>) => T,
): Promise<Page<T>> {
  const limit = input.limit ?? DEFAULT_LIMIT;
  const params: unknown[] = [];
  const where: string[] = [];
  const add = (condition: string, v: unknown) => {
    params.push(v);
    where.push(`${condition} $${params.length}`);
  };
  for (const [col, v] of Object.entries(filters)) if (v !== undefined && v !== '') add(`${col} =`, v);
  if (input.cursor) add('id <', decodeCursor(input.cursor, ['number'] as const)[0]);
  params.push(limit + 1);
  const rows = await db.query<Record<string, unknown>>(
    `SELECT * FROM ${table} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC
     LIMIT $${params.length}`,
    params,
  );
  return page(rows.map(toItem), limit, (item) => [item.id]);
}
