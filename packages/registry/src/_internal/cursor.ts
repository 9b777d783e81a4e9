import { MlopsError } from '@mlops/core';

/** Encodes a keyset position as an opaque cursor (base64url JSON). */
export function encodeCursor(position: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(position), 'utf8').toString('base64url');
}

/** Decodes a cursor made by {@link encodeCursor} whose entries have the given types; `INVALID_INPUT` otherwise. */
export function decodeCursor<T extends readonly ('string' | 'number')[]>(
  cursor: string,
  types: T,
): { [K in keyof T]: T[K] extends 'string' ? string : number } {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    value = undefined;
  }
  if (
    !Array.isArray(value) ||
    value.length !== types.length ||
    value.some((v, i) => typeof v !== types[i] || (typeof v === 'number' && !Number.isSafeInteger(v)))
  ) {
    throw new MlopsError('INVALID_INPUT', {
      message: 'Invalid cursor: pass back the nextCursor of a previous page of the same listing',
      details: [{ path: 'cursor', message: 'not a cursor of this listing' }],
    });
  }
  return value as { [K in keyof T]: T[K] extends 'string' ? string : number };
}
