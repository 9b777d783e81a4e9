import { MlopsError } from '@mlops/core';
import type { z } from 'zod';

/** Formats a zod issue path as `a.b.0.c`, prefixed when given. */
function formatPath(prefix: string, path: readonly PropertyKey[]): string {
  const parts = [prefix, ...path.map(String)].filter((p) => p !== '');
  return parts.length > 0 ? parts.join('.') : '(root)';
}

/** Parses `value` with `schema`, or throws `INVALID_INPUT` with one `{ path, message }` per zod issue. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, prefix = ''): z.output<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const details = r.error.issues.map((i) => ({ path: formatPath(prefix, i.path), message: i.message }));
  const first = details[0]!;
  throw new MlopsError('INVALID_INPUT', {
    message: `Invalid ${prefix || 'input'}: ${first.path}: ${first.message}${details.length > 1 ? ` (and ${details.length - 1} more)` : ''}`,
    details,
  });
}
