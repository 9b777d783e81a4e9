import { MlopsError } from '@mlops/core';
import type { z } from 'zod';

/** Parses `value` with `schema`, or throws `MlopsError('INVALID_INPUT')` with field paths. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const r = schema.safeParse(value);
  if (!r.success) {
    const details = r.error.issues.map((i) => ({
      path: [what, ...i.path.map(String)].join('.'),
      message: i.message,
    }));
    throw new MlopsError('INVALID_INPUT', {
      message: `invalid ${what}: ${details.map((d) => `${d.path}: ${d.message}`).join('; ')}`,
      details,
    });
  }
  return r.data;
}
