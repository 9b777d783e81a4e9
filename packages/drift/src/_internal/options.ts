import type { z } from 'zod';
import { DriftError } from '../errors.js';

/** Parses an options object with a zod schema, turning failures into DriftError('INVALID_INPUT'). */
export function parseOptions<S extends z.ZodType>(schema: S, options: unknown, test: string): z.output<S> {
  const res = schema.safeParse(options ?? {});
  if (!res.success) {
    const issues = res.error.issues.map((i) => `${i.path.join('.') || '(options)'}: ${i.message}`);
    throw new DriftError('INVALID_INPUT', `${test}: invalid options: ${issues.join('; ')}`, {
      cause: res.error,
      details: { issues },
    });
  }
  return res.data;
}
