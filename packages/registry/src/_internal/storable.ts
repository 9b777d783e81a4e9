import { pgJsonIssues } from '@mlops/core';
import type { z } from 'zod';

// Every string a caller gives is stored in PostgreSQL text or jsonb: `pgText` (core) refuses what those cannot hold
// (U+0000, a lone surrogate) with the field's path, in-process as over HTTP, before anything reaches the store.

/**
 * Adds core's `pgJsonIssues` to a schema whose value is stored as jsonb with parts no schema describes (the extra keys
 * of a dataset reference, a profile's body, a signature): strings and keys jsonb cannot hold, JSON nested too deep.
 * Top-level keys in `checked` are left out (their own `pgText` reports them).
 */
export function storable<S extends z.ZodType>(schema: S, checked: readonly string[] = []): S {
  return schema.superRefine((value, ctx) => {
    const rest =
      checked.length > 0 && value !== null && typeof value === 'object'
        ? Object.fromEntries(Object.entries(value).filter(([k]) => !checked.includes(k)))
        : value;
    for (const i of pgJsonIssues(rest)) ctx.addIssue({ code: 'custom', path: i.path, message: i.message });
  }) as S;
}
