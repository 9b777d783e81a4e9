import type { z } from 'zod';
import { DriftError } from '../errors.js';

// @mlops/drift depends on nothing of ours (SPEC), so it cannot use core's validation helper; this module is its one
// zod → INVALID_INPUT conversion, with core's path notation (`columns[3].name`) and message format
// (`<what>: <path>: <message>; … (and N more)`).

/** One field-level problem: `{ path: 'columns[0].name', message: 'Required' }`. */
export interface DriftIssue {
  path: string;
  message: string;
}

function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else {
      const s = String(seg);
      out += /^[A-Za-z_$][\w$]*$/.test(s) ? (out ? `.${s}` : s) : `[${JSON.stringify(s)}]`;
    }
  }
  return out;
}

/** zod issues as `{ path, message }`, one per unknown key. */
export function driftIssues(error: z.ZodError): DriftIssue[] {
  const out: DriftIssue[] = [];
  for (const i of error.issues) {
    if (i.code === 'unrecognized_keys') {
      for (const k of i.keys) out.push({ path: formatPath([...i.path, k]), message: 'Unknown field' });
    } else out.push({ path: formatPath(i.path), message: i.message });
  }
  return out;
}

/** `DriftError('INVALID_INPUT')` for a zod failure: `details.issues` holds every issue, the message the first five. */
export function invalidDriftInput(what: string, error: z.ZodError, details: Record<string, unknown> = {}): DriftError {
  const issues = driftIssues(error);
  const shown = issues
    .slice(0, 5)
    .map((i) => `${i.path || '(root)'}: ${i.message}`)
    .join('; ');
  const more = issues.length > 5 ? ` (and ${issues.length - 5} more)` : '';
  return new DriftError('INVALID_INPUT', `${what}: ${shown}${more}`, { cause: error, details: { ...details, issues } });
}

/** Parses an options object with a zod schema, turning failures into DriftError('INVALID_INPUT'). */
export function parseOptions<S extends z.ZodType>(schema: S, options: unknown, test: string): z.output<S> {
  const res = schema.safeParse(options ?? {});
  if (!res.success) throw invalidDriftInput(`${test}: invalid options`, res.error);
  return res.data;
}
