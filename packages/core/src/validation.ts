/**
 * The one way mlops-ts turns a zod failure into an error: `INVALID_INPUT` with one `{ path, message }` per problem.
 *
 * Every package validates its boundaries (options, HTTP bodies, stored JSON) through {@link parseInput} or, when it
 * collects issues from several places first, {@link zodIssues} + {@link invalidInput}, so a caller sees the same path
 * notation (`instances[3].age`, `inputs["odd key"]`) and the same message format everywhere:
 * `<what>: <path>: <message>; … (and N more)`.
 */
import type { z } from 'zod';
import { type FieldIssue, MlopsError } from './errors.js';

/** How many issues the message lists before "(and N more)"; `details` always holds all of them. */
const SHOWN_IN_MESSAGE = 5;

/**
 * Formats a path as `instances[3].age`; keys that are not identifiers are quoted: `inputs["a b"]`. `base` is an
 * already formatted path to start from (`'params.lr'`).
 */
export function formatIssuePath(path: readonly PropertyKey[], base = ''): string {
  let out = base;
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else {
      const s = String(seg);
      out += /^[A-Za-z_$][\w$]*$/.test(s) ? (out ? `.${s}` : s) : `[${JSON.stringify(s)}]`;
    }
  }
  return out;
}

/**
 * zod issues as field issues, each path under `prefix` (segments, or an already formatted path such as
 * `'params.lr'`). An unknown-keys issue becomes one issue per key, so each names the field to remove.
 */
export function zodIssues(error: z.ZodError, prefix: string | readonly PropertyKey[] = []): FieldIssue[] {
  const [base, segs] = typeof prefix === 'string' ? [prefix, []] : ['', prefix];
  const out: FieldIssue[] = [];
  for (const i of error.issues) {
    if (i.code === 'unrecognized_keys') {
      for (const k of i.keys)
        out.push({ path: formatIssuePath([...segs, ...i.path, k], base), message: 'Unknown field' });
    } else {
      out.push({ path: formatIssuePath([...segs, ...i.path], base), message: i.message });
    }
  }
  return out;
}

/** The message of an `INVALID_INPUT` error: `<what>: <path>: <message>; …` listing the first few issues. */
export function summarizeIssues(what: string, details: readonly FieldIssue[]): string {
  if (details.length === 0) return what;
  const shown = details
    .slice(0, SHOWN_IN_MESSAGE)
    .map((d) => `${d.path || '(root)'}: ${d.message}`)
    .join('; ');
  const more = details.length > SHOWN_IN_MESSAGE ? ` (and ${details.length - SHOWN_IN_MESSAGE} more)` : '';
  return `${what}: ${shown}${more}`;
}

/** An `INVALID_INPUT` error carrying every issue in `details` and a summary in its message. */
export function invalidInput(what: string, details: FieldIssue[]): MlopsError {
  return new MlopsError('INVALID_INPUT', { message: summarizeIssues(what, details), details });
}

/**
 * Parses `value` with `schema`, or throws `INVALID_INPUT` (see {@link invalidInput}). `path` names the value and
 * roots every issue's path (`'params.lr'`, `'options'`; empty for a top-level body); the message reads
 * `invalid <path>: …`.
 */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, path = ''): z.output<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  throw invalidInput(`invalid ${path || 'input'}`, zodIssues(r.error, path));
}
