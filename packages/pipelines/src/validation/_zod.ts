import { invalidInput, zodIssues } from '@mlops/core';
import type { z } from 'zod';

/** Parses `value` with `schema`, turning a zod failure into `MlopsError('INVALID_INPUT')` with field paths. */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const res = schema.safeParse(value);
  if (res.success) return res.data;
  throw invalidInput(`invalid ${what}`, zodIssues(res.error));
}
