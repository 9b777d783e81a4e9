import type { FieldIssue } from '@mlops/core';
import type { z } from 'zod';

/** Formats a path as `instances[3].age` (internal). */
export function formatPath(path: readonly PropertyKey[]): string {
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

/** zod issues as field issues under a prefix, one per unknown key (internal). */
export function issuesOf(error: z.ZodError, prefix: readonly PropertyKey[]): FieldIssue[] {
  const out: FieldIssue[] = [];
  for (const i of error.issues) {
    if (i.code === 'unrecognized_keys') {
      for (const k of i.keys) out.push({ path: formatPath([...prefix, ...i.path, k]), message: 'Unknown field' });
    } else out.push({ path: formatPath([...prefix, ...i.path]), message: i.message });
  }
  return out;
}

/** A one-line summary of field issues for an error message (internal). */
export function summarize(what: string, details: readonly FieldIssue[]): string {
  const shown = details
    .slice(0, 5)
    .map((d) => `${d.path || '(root)'}: ${d.message}`)
    .join('; ');
  return `${what}: ${shown}${details.length > 5 ? ` (and ${details.length - 5} more)` : ''}`;
}
