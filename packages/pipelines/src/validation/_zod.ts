import { MlopsError } from '@mlops/core';
import type { z } from 'zod';

/** Parses `value` with `schema`, turning a zod failure into `MlopsError('INVALID_INPUT')` with field paths. */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const res = schema.safeParse(value);
  if (res.success) return res.data;
  const details = res.error.issues.map((i) => ({ path: i.path.join('.') || what, message: i.message }));
  throw new MlopsError('INVALID_INPUT', {
    message: `Invalid ${what}: ${details.map((d) => `${d.path}: ${d.message}`).join('; ')}`,
    cause: res.error,
    details,
  });
}
